//go:build !cgo

package hcpcore

// The package is cgo over hcpcore's Rust static library: without cgo (CGO_ENABLED=0, or no C
// compiler found) it cannot work. This file makes that build stop with a message that says what
// to do, instead of a list of undefined names.
var _ = hcpcore_needs_cgo__set_CGO_ENABLED_1_with_a_C_compiler__then_see_README_Go
