package hcpcore

/*
#include "hcp.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
)

// Long calls take a context.Context: Fleet.RunContext, SyntheticSeries, ReplaySeries,
// MarketSeriesContext, Decider.StepSeriesContext, Ledger.IssueInvoicesContext (and the forms without Context, which run to the end). When the
// context is done the library stops at its next check — between two fleet steps, market points
// or decider steps, so well within 100 ms (docs/reliability.md gives the measured figures) — and
// the call returns an error wrapping ctx.Err(), so errors.Is(err, context.Canceled) or
// errors.Is(err, context.DeadlineExceeded) holds. The handle stays usable: a fleet or decider has
// taken whole steps only, and says how many.
//
// Mechanism: a call with a cancellable context makes a C cancellation flag (hcp_cancel_t),
// passes it to the library, and context.AfterFunc sets it when the context is done. The flag is
// freed only after the call has returned and the AfterFunc has either been stopped or finished,
// so the library never polls a freed flag.

// cancelFlag is one long call's C cancellation flag tied to a context.
type cancelFlag struct {
	ptr  *C.hcp_cancel_t
	stop func() bool
	done chan struct{}
}

// withCancel runs call with a flag that is cancelled when ctx is done; call gets NULL when ctx
// can never be done. A ctx already done returns its error at once without calling. call returns
// whether it stopped early; if it did, the result is ctx's error wrapped with what.
func withCancel(ctx context.Context, what string, call func(flag *C.hcp_cancel_t) (stopped bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return contextError(what, err)
	}
	if ctx.Done() == nil {
		_, err := call(nil)
		return err
	}
	f := cancelFlag{ptr: C.hcp_cancel_new(), done: make(chan struct{})}
	f.stop = context.AfterFunc(ctx, func() {
		C.hcp_cancel_cancel(f.ptr)
		close(f.done)
	})
	stopped, err := call(f.ptr)
	if !f.stop() {
		<-f.done // the AfterFunc started: let it finish with the flag before freeing it
	}
	C.hcp_cancel_free(f.ptr)
	if err != nil {
		return err
	}
	if stopped {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return contextError(what, ctxErr)
		}
		return &Error{kind: KindInternal, message: what + ": stopped early with its context not done"}
	}
	return nil
}

// contextError wraps a context's error (context.Canceled, context.DeadlineExceeded) so that
// errors.Is matches it, and says which call stopped.
func contextError(what string, err error) error {
	return fmt.Errorf("hcpcore: %s stopped: %w", what, err)
}

// isContextError says whether err is a context's cancellation or deadline.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
