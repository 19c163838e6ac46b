module github.com/hcp-project/hcp/bindings/go-ffi/go

go 1.22
