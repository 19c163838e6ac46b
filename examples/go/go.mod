module github.com/hcp-project/hcp/examples/go

go 1.22

require github.com/hcp-project/hcp/bindings/go-ffi/go v0.0.0

replace github.com/hcp-project/hcp/bindings/go-ffi/go => ../../bindings/go-ffi/go
