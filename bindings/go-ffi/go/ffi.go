// Package hcpcore is the Go face of hcp, the embeddable core of a hybrid compute platform: sites that
// mine Bitcoin on ASICs beside AI-inference GPUs on one power budget. The maths and the rules run
// in Rust behind a C ABI (include/hcp.h); this package converts arguments and maps errors.
//
// # Lifetimes
//
// Values such as Market, DeviceModel and Terms are plain Go structs copied into C on each call.
// Handles (Catalog, Decider, Site, and the router, ledger and fleet types) own memory on the Rust side: each has an
// idempotent Close, a finalizer as a safety net for a forgotten Close, and every method calls
// runtime.KeepAlive on its receiver after the C call so the finalizer cannot run mid-call. A
// method on a closed handle returns an error matching ErrClosed; it never crashes. Handles are
// safe to use from many goroutines unless their doc says otherwise.
//
// # Errors
//
// Every error returned is an *Error with Kind(); errors.Is(err, hcpcore.ErrInvalidInput) and the other
// sentinels match on the kind. There is no thread-local "last error": goroutines move between OS
// threads, so each C call returns its own error object.
//
// # Bulk data
//
// Column functions (MinerDailyBatch, GPUDailyBatch, Decider.StepSeries) hand whole Go slices to
// Rust in one call; the library reads and writes them in place, without copying. A per-item call
// in a loop costs a cgo crossing each time (about 0.1 to 0.5 µs): use the batch form for fleets.
//
// # Configurations and long calls
//
// Constructors take typed configuration structs (RouterConfig, FleetConfig, PlanConfig,
// ChargeConfig, ...) whose JSON tags are the core's field names; a zero field takes the core's
// default, stated in its comment, and a pointer field sets a value that differs from it (nil
// keeps the default). NewRouterJSON, NewFleetJSON, NewPlanJSON, NewChargeJSON, ... take the JSON
// text itself.
//
// Calls that can run long take a context.Context (Fleet.RunContext, SyntheticSeries, ReplaySeries,
// Decider.StepSeriesContext, Ledger.IssueInvoicesContext): when it is done the library stops
// between two units of work and the call returns an error wrapping ctx.Err(); the handle stays
// usable.
//
// # Building
//
// The package links hcpcore's static library, libhcp_ffi.a, which is built from the Rust source
// (`cargo build --release -p hcp-ffi`, or `make go`, which also writes the pkg-config file
// hcpcore.pc beside it). By default cgo finds the library through pkg-config: put the folder
// holding hcpcore.pc on PKG_CONFIG_PATH. Without pkg-config, build with the tag hcpcore_ldflags
// and say where the library is yourself: CGO_LDFLAGS="-L/path/to/dir" go build -tags
// hcpcore_ldflags. A missing library stops the build with pkg-config's message "Package hcpcore
// was not found"; the README's Go section says what to run. Without cgo (CGO_ENABLED=0) the build
// stops at nocgo.go with a name that says so.
package hcpcore

/*
#cgo CFLAGS: -I${SRCDIR}/include
#cgo !hcpcore_ldflags pkg-config: hcpcore
#cgo hcpcore_ldflags LDFLAGS: -lhcp_ffi -lm -ldl -lpthread
#include "hcp.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// ABIVersion is the C ABI version this package was written against.
const ABIVersion = 3

func init() {
	if got := uint32(C.hcp_abi_version()); got != ABIVersion {
		panic(fmt.Sprintf("hcpcore: linked libhcp_ffi has ABI version %d, this package needs %d; rebuild with `make go`", got, ABIVersion))
	}
}

// ErrorKind says what went wrong, mirroring hcpcore::ErrorKind.
type ErrorKind int32

// The error kinds, with the C ABI's codes.
const (
	KindInvalidInput      ErrorKind = C.HCP_ERROR_INVALID_INPUT
	KindNotFound          ErrorKind = C.HCP_ERROR_NOT_FOUND
	KindConflict          ErrorKind = C.HCP_ERROR_CONFLICT
	KindCapacityExceeded  ErrorKind = C.HCP_ERROR_CAPACITY_EXCEEDED
	KindIllegalTransition ErrorKind = C.HCP_ERROR_ILLEGAL_TRANSITION
	KindStorage           ErrorKind = C.HCP_ERROR_STORAGE
	KindOutOfMemory       ErrorKind = C.HCP_ERROR_OUT_OF_MEMORY
	KindClosed            ErrorKind = C.HCP_ERROR_CLOSED
	KindInternal          ErrorKind = C.HCP_ERROR_INTERNAL
)

var kindNames = map[ErrorKind]string{
	KindInvalidInput:      "InvalidInput",
	KindNotFound:          "NotFound",
	KindConflict:          "Conflict",
	KindCapacityExceeded:  "CapacityExceeded",
	KindIllegalTransition: "IllegalTransition",
	KindStorage:           "Storage",
	KindOutOfMemory:       "OutOfMemory",
	KindClosed:            "Closed",
	KindInternal:          "Internal",
}

// String is the kind's name as every hcp binding spells it ("InvalidInput", ...).
func (k ErrorKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("ErrorKind(%d)", int32(k))
}

// Error is the error type of every hcp call.
type Error struct {
	kind    ErrorKind
	message string
}

// Kind says what went wrong.
func (e *Error) Kind() ErrorKind { return e.kind }

// Message is the core's message without the "hcpcore: " prefix: it starts with the offending field
// ("btc_usd: must be finite and > 0, got NaN"), exactly as every other binding reports it.
func (e *Error) Message() string { return e.message }

// Error returns "hcpcore: " and the message, which names the offending field.
func (e *Error) Error() string {
	if e.message == "" {
		return "hcpcore: " + e.kind.String()
	}
	return "hcpcore: " + e.message
}

// Is matches the sentinel of the same kind, so errors.Is(err, hcpcore.ErrInvalidInput) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.message == "" && t.kind == e.kind
}

// Sentinels for errors.Is.
var (
	ErrInvalidInput      = &Error{kind: KindInvalidInput}
	ErrNotFound          = &Error{kind: KindNotFound}
	ErrConflict          = &Error{kind: KindConflict}
	ErrCapacityExceeded  = &Error{kind: KindCapacityExceeded}
	ErrIllegalTransition = &Error{kind: KindIllegalTransition}
	ErrStorage           = &Error{kind: KindStorage}
	ErrOutOfMemory       = &Error{kind: KindOutOfMemory}
	ErrClosed            = &Error{kind: KindClosed}
	ErrInternal          = &Error{kind: KindInternal}
)

// The stated maximums (hcpcore::limits), checked by the Go side before it allocates and again by the
// library: a count or length above its maximum, or a negative one, is ErrInvalidInput naming it.
const (
	MaxBatch         = C.HCP_MAX_BATCH          // items per batch call (submissions, dispatches, completions, events, batch columns)
	MaxFleetDevices  = C.HCP_MAX_FLEET_DEVICES  // devices in one fleet or site
	MaxSteps         = C.HCP_MAX_STEPS          // steps of one market series, fleet run or decider series
	MaxRequests      = C.HCP_MAX_REQUESTS       // requests of one serving run or generated stream
	MaxRequestTokens = C.HCP_MAX_REQUEST_TOKENS // prompt or output tokens of one request
	MaxReplicas      = C.HCP_MAX_REPLICAS       // replicas of one serving run
	MaxDepth         = C.HCP_MAX_DEPTH          // nesting levels of a JSON document given to the library
	MaxDTSeconds     = C.HCP_MAX_DT_SECONDS     // longest time step, seconds
	MinDTSeconds     = C.HCP_MIN_DT_SECONDS     // shortest time step, seconds
)

// checkCount refuses a negative count or one above max, naming field, before anything is allocated.
func checkCount[T int | int64 | uint32 | uint64](field string, n T, max int) error {
	if n < 0 || uint64(n) > uint64(max) {
		return invalidInput(field, fmt.Sprintf("must be in 0..=%d, got %d", max, n))
	}
	return nil
}

// takeError converts and frees an error returned through an hcp_error_t** (nil stays nil).
func takeError(e *C.hcp_error_t) error {
	if e == nil {
		return nil
	}
	err := &Error{kind: ErrorKind(C.hcp_error_kind(e)), message: C.GoString(C.hcp_error_message(e))}
	C.hcp_error_free(e)
	return err
}

// closedError is returned by methods of a handle after Close.
func closedError(what string) error {
	return &Error{kind: KindClosed, message: what + " is closed"}
}

// invalidInput is an InvalidInput error raised by the Go side's own argument checks.
func invalidInput(field, reason string) error {
	return &Error{kind: KindInvalidInput, message: field + ": " + reason}
}

// cString copies a Go string into C memory (free with freeCString). A string holding NUL is
// refused, since C would silently cut it.
func cString(field, s string) (*C.char, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, invalidInput(field, "must not contain NUL bytes")
		}
	}
	return C.CString(s), nil
}

func freeCString(p *C.char) { C.free(unsafe.Pointer(p)) }

// takeString converts and frees a string returned by the library.
func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.hcp_string_free(p)
	return s
}
