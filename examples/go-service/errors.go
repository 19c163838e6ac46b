package main

// errors.go owns the service's error responses: every failure is a JSON body
// {"error": {"code", "message"}} with a 4xx or 5xx status, and hcp's typed errors map to a status
// by their kind. Handlers never write an error any other way.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// apiError is an error with its HTTP status and a stable machine-readable code.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "invalid_input", format, args...)
}

func notFound(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, "not_found", format, args...)
}

func forbidden(format string, args ...any) *apiError {
	return errorf(http.StatusForbidden, "forbidden", format, args...)
}

// hcpStatus maps an hcp error kind to its HTTP status and code.
var hcpStatus = map[hcpcore.ErrorKind]struct {
	status int
	code   string
}{
	hcpcore.KindInvalidInput:      {http.StatusBadRequest, "invalid_input"},
	hcpcore.KindNotFound:          {http.StatusNotFound, "not_found"},
	hcpcore.KindConflict:          {http.StatusConflict, "conflict"},
	hcpcore.KindIllegalTransition: {http.StatusConflict, "illegal_transition"},
	hcpcore.KindCapacityExceeded:  {http.StatusUnprocessableEntity, "capacity_exceeded"},
	hcpcore.KindStorage:           {http.StatusServiceUnavailable, "storage"},
	hcpcore.KindClosed:            {http.StatusServiceUnavailable, "shutting_down"},
	hcpcore.KindOutOfMemory:       {http.StatusServiceUnavailable, "out_of_memory"},
	hcpcore.KindInternal:          {http.StatusInternalServerError, "internal"},
}

// asAPIError turns any error into an apiError: an apiError stays as it is, an *hcpcore.Error maps by
// kind (its message names the offending field), a body over the limit is 413, and anything else
// is a 500 that names no internals.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var he *hcpcore.Error
	if errors.As(err, &he) {
		m, ok := hcpStatus[he.Kind()]
		if !ok {
			m = hcpStatus[hcpcore.KindInternal]
		}
		return &apiError{Status: m.status, Code: m.code, Message: he.Message()}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "request body is over %d bytes", tooBig.Limit)
	}
	return errorf(http.StatusInternalServerError, "internal", "internal error")
}

// writeJSON writes v as the JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeError writes err as {"error": {...}}.
func writeError(w http.ResponseWriter, err error) {
	ae := asAPIError(err)
	if ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusRequestEntityTooLarge {
		// The client should not reuse a connection whose body it may still be sending.
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, ae.Status, map[string]any{"error": ae})
}

// decodeBody reads a JSON request body into v: unknown fields, trailing data, an empty body and
// a body over the server's limit are all 4xx errors that say what was wrong.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return err
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, "invalid_json", "request body is empty")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errorf(http.StatusBadRequest, "invalid_json", "malformed JSON: the body ends inside a value")
		case errors.As(err, &syntax):
			return errorf(http.StatusBadRequest, "invalid_json", "malformed JSON at byte %d: %v", syntax.Offset, err)
		case errors.As(err, &typ):
			return errorf(http.StatusBadRequest, "invalid_json", "%s: must be %s, got %s", typ.Field, typ.Type, typ.Value)
		default:
			return errorf(http.StatusBadRequest, "invalid_json", "%v", err)
		}
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "invalid_json", "request body has data after the JSON value")
	}
	return nil
}
