package hcpcore

/*
#include "hcp.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
)

// SwitchPolicy is what switching costs a device and how long it must stay in an action
// (hcpcore::econ::SwitchPolicy). The zero value is free, instant switching with no dwell: the decider
// then follows BestAction.
type SwitchPolicy struct {
	SwitchSeconds    float64 // time a switch takes, during which the new action earns nothing
	WearUSDPerSwitch float64 // wear and handling cost of one switch
	MinDwellSeconds  float64 // minimum time in an action before leaving it
	// OverrideGainUSDPerHour, when set, is the gain per hour that waives the minimum dwell (a
	// price spike must still curtail); nil never waives it.
	OverrideGainUSDPerHour *float64
}

func (p *SwitchPolicy) c() C.hcp_switch_policy_t {
	cp := C.hcp_switch_policy_t{
		switch_seconds:      C.double(p.SwitchSeconds),
		wear_usd_per_switch: C.double(p.WearUSDPerSwitch),
		min_dwell_seconds:   C.double(p.MinDwellSeconds),
	}
	cp.has_override_gain_usd_per_hour, cp.override_gain_usd_per_hour = optional(p.OverrideGainUSDPerHour)
	return cp
}

// Decision is the outcome of one Decider step.
type Decision struct {
	Action        Action      // the action for the next interval
	Switched      bool        // whether this step changed the action
	Value         ActionValue // expected value per hour of Action at this snapshot
	SwitchCostUSD float64     // wear + output lost by this step's switch (0 when not switching)
}

// Decider decides one device's action at each market snapshot, with a switching cost and a
// minimum dwell so that a price wobbling around break-even does not make the device thrash
// (hcpcore::econ::Decider). It holds Rust memory: Close it when done (a finalizer is a safety net).
// It is safe to use from many goroutines; steps are serialised.
type Decider struct {
	mu  sync.Mutex
	ptr *C.hcp_decider_t
}

// NewDecider opens a decider for one device of model starting in initial; its first step may
// switch at once. An action the model cannot take (a GPU mining) gives ErrInvalidInput naming "initial".
func NewDecider(model DeviceModel, t Terms, p SwitchPolicy, initial Action) (*Decider, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	cd, ct, cp := cModel(&model, &pin), t.c(), p.c()
	var e *C.hcp_error_t
	ptr := C.hcp_decider_new(&cd, &ct, &cp, C.int32_t(initial), &e)
	if err := takeError(e); err != nil {
		return nil, err
	}
	d := &Decider{ptr: ptr}
	runtime.SetFinalizer(d, (*Decider).Close)
	return d, nil
}

// Close releases the decider. It is idempotent; later calls return ErrClosed.
func (d *Decider) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr != nil {
		C.hcp_decider_free(d.ptr)
		d.ptr = nil
		runtime.SetFinalizer(d, nil)
	}
	return nil
}

// Step decides the action for the next dtSeconds at m and advances the decider's clock.
func (d *Decider) Step(m Market, dtSeconds float64) (Decision, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr == nil {
		return Decision{}, closedError("decider")
	}
	cm := m.c()
	var out C.hcp_decision_t
	var e *C.hcp_error_t
	C.hcp_decider_step(d.ptr, &cm, C.double(dtSeconds), &out, &e)
	runtime.KeepAlive(d)
	if err := takeError(e); err != nil {
		return Decision{}, err
	}
	return Decision{
		Action:        Action(out.action),
		Switched:      bool(out.switched),
		Value:         goActionValue(&out.value),
		SwitchCostUSD: float64(out.switch_cost_usd),
	}, nil
}

// StepSeries steps once per market, dtSeconds each, in one call across the boundary, and returns
// the action after each step. On an error the steps before the bad market have been taken.
func (d *Decider) StepSeries(markets []Market, dtSeconds float64) ([]Action, error) {
	return d.StepSeriesContext(context.Background(), markets, dtSeconds)
}

// StepSeriesContext is StepSeries that stops when ctx is done: it then returns the actions of the
// steps taken and an error wrapping ctx.Err() (errors.Is(err, context.Canceled)); the decider has
// taken those steps only and stays usable. A ctx already done returns at once.
func (d *Decider) StepSeriesContext(ctx context.Context, markets []Market, dtSeconds float64) ([]Action, error) {
	if err := checkCount("markets", len(markets), MaxSteps); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil { // before converting the markets, which takes time too
		return []Action{}, contextError("decider step series", err)
	}
	cms := make([]C.hcp_market_t, len(markets))
	for i := range markets {
		cms[i] = markets[i].c()
	}
	out := make([]C.int32_t, len(markets))
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr == nil {
		return nil, closedError("decider")
	}
	taken := 0
	err := withCancel(ctx, "decider step series", func(flag *C.hcp_cancel_t) (bool, error) {
		var e *C.hcp_error_t
		if len(cms) > 0 {
			taken = int(C.hcp_decider_step_series_cancellable(d.ptr, &cms[0], C.size_t(len(cms)), C.double(dtSeconds), &out[0], flag, &e))
		} else {
			C.hcp_decider_step_series_cancellable(d.ptr, nil, 0, C.double(dtSeconds), nil, flag, &e)
		}
		return taken < len(cms), takeError(e)
	})
	runtime.KeepAlive(d)
	if err != nil && !isContextError(err) {
		return nil, err
	}
	actions := make([]Action, taken)
	for i, a := range out[:taken] {
		actions[i] = Action(a)
	}
	return actions, err
}

// Current is the decider's current action.
func (d *Decider) Current() (Action, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr == nil {
		return 0, closedError("decider")
	}
	a := Action(C.hcp_decider_current(d.ptr))
	runtime.KeepAlive(d)
	return a, nil
}

// Switches is the number of switches so far.
func (d *Decider) Switches() (uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr == nil {
		return 0, closedError("decider")
	}
	n := uint64(C.hcp_decider_switches(d.ptr))
	runtime.KeepAlive(d)
	return n, nil
}

// SecondsInAction is the time spent in the current action (math.MaxFloat64 before the first switch).
func (d *Decider) SecondsInAction() (float64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr == nil {
		return 0, closedError("decider")
	}
	var e *C.hcp_error_t
	v := C.hcp_decider_seconds_in_action(d.ptr, &e)
	runtime.KeepAlive(d)
	return float64(v), takeError(e)
}
