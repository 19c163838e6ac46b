module github.com/hcpcore/hcpcore/bindings/go-ffi/go

go 1.22
