module github.com/hcpcore/hcpcore/examples/go

go 1.22

require github.com/hcpcore/hcpcore/bindings/go-ffi/go v0.0.0

replace github.com/hcpcore/hcpcore/bindings/go-ffi/go => ../../bindings/go-ffi/go
