package hcpcore

/*
#include <stdlib.h>
#include "hcp.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
)

// Billing: exact usage rating, invoices and a durable usage ledger (hcpcore::billing).
//
// Amounts are decimal strings ("12.50"): exact, and convertible to any Go decimal type.
// Configurations are typed structs (ChargeConfig, PlanConfig, Subscription; config_billing.go)
// that marshal to the JSON documents the core reads, with Lago's field names; the ...JSON forms
// take that JSON text directly. Bad input gives an error matching ErrInvalidInput whose message
// names the field; a corrupt or foreign ledger file gives ErrStorage.

// UsageEvent is one usage event. Quantity is a decimal string; Timestamp is RFC 3339 with an offset.
type UsageEvent struct {
	EventID    string         `json:"event_id"`
	CustomerID string         `json:"customer_id"`
	MeterCode  string         `json:"meter_code"`
	Quantity   string         `json:"quantity"`
	Timestamp  string         `json:"timestamp"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Period is a half-open interval [Start, End) of RFC 3339 instants.
type Period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Currency is an ISO 4217 code and its number of decimals.
type Currency struct {
	Code       string `json:"code"`
	MinorUnits uint32 `json:"minor_units"`
}

// InvoiceLine is one line: the precise amount and the amount rounded once to the minor unit.
type InvoiceLine struct {
	Kind          string             `json:"kind"` // usage, minimum_commitment, correction, in_advance, charge_minimum, charge_maximum
	Charge        string             `json:"charge"`
	MeterCode     *string            `json:"meter_code"`
	Group         map[string]*string `json:"group"`
	Units         string             `json:"units"`
	EventCount    uint64             `json:"event_count"`
	PreciseAmount string             `json:"precise_amount"`
	Amount        string             `json:"amount"`
	ServicePeriod Period             `json:"service_period"`
}

// AppliedDiscount is one coupon's effect on an invoice.
type AppliedDiscount struct {
	Coupon string `json:"coupon"`
	Amount string `json:"amount"`
}

// Invoice obeys Total = Σ line amounts − DiscountTotal + Tax − Credits, Total >= 0.
type Invoice struct {
	Number         string            `json:"number"`
	CustomerID     string            `json:"customer_id"`
	PlanCode       string            `json:"plan_code"`
	Currency       Currency          `json:"currency"`
	Period         Period            `json:"period"`
	PeriodIndex    uint32            `json:"period_index"`
	Lines          []InvoiceLine     `json:"lines"`
	Subtotal       string            `json:"subtotal"`
	Discounts      []AppliedDiscount `json:"discounts"`
	DiscountTotal  string            `json:"discount_total"`
	TaxRate        string            `json:"tax_rate"`
	TaxablePrecise string            `json:"taxable_precise"`
	Tax            string            `json:"tax"`
	Credits        string            `json:"credits"` // negative: deposited into the wallet
	Total          string            `json:"total"`
	Watermark      uint64            `json:"watermark"`
}

// BudgetAlert is a threshold crossed by spend to date (Reached) or only by the forecast.
type BudgetAlert struct {
	ThresholdPercent string `json:"threshold_percent"`
	Reached          bool   `json:"reached"`
}

// BudgetStatus is spend to date, forecast to period end and alerts for the open period.
type BudgetStatus struct {
	Period      Period        `json:"period"`
	Budget      string        `json:"budget"`
	SpendToDate string        `json:"spend_to_date"`
	Forecast    string        `json:"forecast"`
	UsedPercent string        `json:"used_percent"`
	Alerts      []BudgetAlert `json:"alerts"`
}

// Durability of a SQLite ledger.
type Durability int32

const (
	// DurabilityFull fsyncs every Ingest before it returns (survives power loss).
	DurabilityFull Durability = C.HCP_DURABILITY_FULL
	// DurabilityNormal is WAL with synchronous=NORMAL (survives a process crash).
	DurabilityNormal Durability = C.HCP_DURABILITY_NORMAL
)

// jsonText turns an argument into JSON text: a string as it is, anything else marshalled.
func jsonText(field string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case json.RawMessage:
		return string(x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", invalidInput(field, err.Error())
	}
	return string(b), nil
}

// withCStrings copies Go strings into C for the duration of f.
func withCStrings(fields []string, values []string, f func([]*C.char) error) error {
	ptrs := make([]*C.char, len(values))
	for i, v := range values {
		p, err := cString(fields[i], v)
		if err != nil {
			for _, q := range ptrs[:i] {
				freeCString(q)
			}
			return err
		}
		ptrs[i] = p
	}
	defer func() {
		for _, p := range ptrs {
			freeCString(p)
		}
	}()
	return f(ptrs)
}

func decodeInto(field, text string, out any) error {
	if err := json.Unmarshal([]byte(text), out); err != nil {
		return &Error{kind: KindInternal, message: field + ": cannot decode result: " + err.Error()}
	}
	return nil
}

// Charge is a priced charge (standard, graduated, volume, package, percentage,
// graduated_percentage, dynamic). Safe for concurrent use; Close releases it.
type Charge struct {
	mu  sync.RWMutex
	ptr *C.hcp_charge_t
}

// NewCharge makes a charge, e.g. ChargeConfig{Model: "graduated", Tiers: []ChargeTier{{UpTo: "10",
// PerUnitAmount: "10", FlatAmount: "2"}, {PerUnitAmount: "5"}}}.
func NewCharge(config ChargeConfig) (*Charge, error) {
	text, err := marshalConfig("charge", config)
	if err != nil {
		return nil, err
	}
	return NewChargeJSON(text)
}

// NewChargeJSON parses a charge from JSON, e.g. {"model": "graduated", "tiers": [{"up_to": 10,
// "per_unit_amount": "10", "flat_amount": "2"}, {"up_to": null, "per_unit_amount": "5"}]}.
func NewChargeJSON(text string) (*Charge, error) {
	var ptr *C.hcp_charge_t
	err := withCStrings([]string{"charge"}, []string{text}, func(p []*C.char) error {
		var e *C.hcp_error_t
		ptr = C.hcp_charge_new(p[0], &e)
		return takeError(e)
	})
	if err != nil {
		return nil, err
	}
	c := &Charge{ptr: ptr}
	runtime.SetFinalizer(c, (*Charge).Close)
	return c, nil
}

// Close releases the charge. It is idempotent; later calls return ErrClosed.
func (c *Charge) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.hcp_charge_free(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// Amount is the precise amount (decimal string, before rounding) for cumulative units.
func (c *Charge) Amount(units string) (string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return "", closedError("charge")
	}
	var out string
	err := withCStrings([]string{"units"}, []string{units}, func(p []*C.char) error {
		var e *C.hcp_error_t
		r := C.hcp_charge_amount(c.ptr, p[0], &e)
		if err := takeError(e); err != nil {
			return err
		}
		out = takeString(r)
		return nil
	})
	runtime.KeepAlive(c)
	return out, err
}

// AmountForEvents is the precise amount (decimal string) for events.
func (c *Charge) AmountForEvents(events []ChargeEvent) (string, error) {
	if events == nil {
		events = []ChargeEvent{}
	}
	text, err := marshalConfig("events", events)
	if err != nil {
		return "", err
	}
	return c.AmountForEventsJSON(text)
}

// AmountForEventsJSON is AmountForEvents with the events as a JSON array of quantities or
// {"quantity", "properties"} objects.
func (c *Charge) AmountForEventsJSON(text string) (string, error) {
	var err error
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return "", closedError("charge")
	}
	var out string
	err = withCStrings([]string{"events"}, []string{text}, func(p []*C.char) error {
		var e *C.hcp_error_t
		r := C.hcp_charge_amount_events(c.ptr, p[0], &e)
		if err := takeError(e); err != nil {
			return err
		}
		out = takeString(r)
		return nil
	})
	runtime.KeepAlive(c)
	return out, err
}

// Plan is a billing plan: currency, interval, meters, charges and versions. Safe for concurrent
// use; Close releases it.
type Plan struct {
	mu  sync.RWMutex
	ptr *C.hcp_plan_t
}

// NewPlan makes a plan, e.g. PlanConfig{Code: "gpu", Currency: CurrencyConfig{Code: "USD"},
// Meters: []MeterConfig{{Code: "gpu_seconds", Aggregation: "sum", FieldName: "seconds"}},
// Charges: []PlanCharge{{MeterCode: "gpu_seconds", ChargeConfig: ChargeConfig{Model: "standard", Amount: "0.001"}}}}.
func NewPlan(config PlanConfig) (*Plan, error) {
	text, err := marshalConfig("plan", config)
	if err != nil {
		return nil, err
	}
	return NewPlanJSON(text)
}

// NewPlanJSON parses a plan from JSON (PlanConfig's field names).
func NewPlanJSON(text string) (*Plan, error) {
	var ptr *C.hcp_plan_t
	err := withCStrings([]string{"plan"}, []string{text}, func(p []*C.char) error {
		var e *C.hcp_error_t
		ptr = C.hcp_plan_new(p[0], &e)
		return takeError(e)
	})
	if err != nil {
		return nil, err
	}
	pl := &Plan{ptr: ptr}
	runtime.SetFinalizer(pl, (*Plan).Close)
	return pl, nil
}

// Close releases the plan. It is idempotent; later calls return ErrClosed.
func (p *Plan) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ptr != nil {
		C.hcp_plan_free(p.ptr)
		p.ptr = nil
		runtime.SetFinalizer(p, nil)
	}
	return nil
}

// InstantFees are the pay-in-advance fee lines of one event.
func (p *Plan) InstantFees(event UsageEvent) ([]InvoiceLine, error) {
	text, err := jsonText("event", event)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.ptr == nil {
		return nil, closedError("plan")
	}
	var lines []InvoiceLine
	err = withCStrings([]string{"event"}, []string{text}, func(c []*C.char) error {
		var e *C.hcp_error_t
		r := C.hcp_plan_instant_fees(p.ptr, c[0], &e)
		if err := takeError(e); err != nil {
			return err
		}
		return decodeInto("instant_fees", takeString(r), &lines)
	})
	runtime.KeepAlive(p)
	return lines, err
}

// Estimate is the cost of planned usage for a subscription in the period containing at, as an
// invoice-shaped estimate.
func (p *Plan) Estimate(subscription Subscription, at string, usage []PlannedUsage) (*Invoice, error) {
	if usage == nil {
		usage = []PlannedUsage{}
	}
	sub, err := jsonText("subscription", subscription)
	if err != nil {
		return nil, err
	}
	use, err := jsonText("usage", usage)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.ptr == nil {
		return nil, closedError("plan")
	}
	var inv Invoice
	err = withCStrings([]string{"subscription", "at", "usage"}, []string{sub, at, use}, func(c []*C.char) error {
		var e *C.hcp_error_t
		r := C.hcp_plan_estimate(p.ptr, c[0], c[1], c[2], &e)
		if err := takeError(e); err != nil {
			return err
		}
		return decodeInto("estimate", takeString(r), &inv)
	})
	runtime.KeepAlive(p)
	if err != nil {
		return nil, err
	}
	return &inv, nil
}

// Ledger is the usage ledger: a SQLite file (OpenLedger) or memory (NewMemoryLedger). An event
// id counts once per customer across retries and restarts. Safe for concurrent use; Close
// releases it (idempotent; later calls return ErrClosed).
type Ledger struct {
	mu  sync.RWMutex
	ptr *C.hcp_ledger_t
}

func newLedger(ptr *C.hcp_ledger_t) *Ledger {
	l := &Ledger{ptr: ptr}
	runtime.SetFinalizer(l, (*Ledger).Close)
	return l
}

// OpenLedger opens (creating if needed) the SQLite ledger at path.
func OpenLedger(path string, durability Durability) (*Ledger, error) {
	var ptr *C.hcp_ledger_t
	err := withCStrings([]string{"path"}, []string{path}, func(c []*C.char) error {
		var e *C.hcp_error_t
		ptr = C.hcp_ledger_open(c[0], C.int32_t(durability), &e)
		return takeError(e)
	})
	if err != nil {
		return nil, err
	}
	return newLedger(ptr), nil
}

// NewMemoryLedger is an in-memory ledger (tests, tools).
func NewMemoryLedger() *Ledger {
	return newLedger(C.hcp_ledger_memory())
}

// Close releases the ledger and closes its file. It is idempotent.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ptr != nil {
		C.hcp_ledger_free(l.ptr)
		l.ptr = nil
		runtime.SetFinalizer(l, nil)
	}
	return nil
}

// call runs f with the live handle under the read lock (the C side serialises writers).
func (l *Ledger) call(f func(*C.hcp_ledger_t) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.ptr == nil {
		return closedError("ledger")
	}
	err := f(l.ptr)
	runtime.KeepAlive(l)
	return err
}

// Ingest stores a batch of events; it returns how many were new. All or nothing; durable when
// it returns.
func (l *Ledger) Ingest(events []UsageEvent) (int, error) {
	if err := checkCount("events", len(events), MaxBatch); err != nil {
		return 0, err
	}
	text, err := jsonText("events", events)
	if err != nil {
		return 0, err
	}
	return l.IngestJSON(text)
}

// IngestJSON stores a batch given as a JSON array of event objects (quantities may be numbers
// or decimal strings).
func (l *Ledger) IngestJSON(text string) (int, error) {
	n := 0
	err := l.call(func(ptr *C.hcp_ledger_t) error {
		return withCStrings([]string{"events"}, []string{text}, func(c []*C.char) error {
			var e *C.hcp_error_t
			n = int(C.hcp_ledger_ingest(ptr, c[0], &e))
			return takeError(e)
		})
	})
	return n, err
}

// EventCount is the number of distinct events stored.
func (l *Ledger) EventCount() (uint64, error) {
	var n uint64
	err := l.call(func(ptr *C.hcp_ledger_t) error {
		var e *C.hcp_error_t
		n = uint64(C.hcp_ledger_event_count(ptr, &e))
		return takeError(e)
	})
	return n, err
}

// Customers lists the customers with events, sorted.
func (l *Ledger) Customers() ([]string, error) {
	var out []string
	err := l.call(func(ptr *C.hcp_ledger_t) error {
		var e *C.hcp_error_t
		r := C.hcp_ledger_customers(ptr, &e)
		if err := takeError(e); err != nil {
			return err
		}
		return decodeInto("customers", takeString(r), &out)
	})
	return out, err
}

// Usage is a customer's events of the given meters with start <= timestamp < end ("" = unbounded).
func (l *Ledger) Usage(customerID string, meterCodes []string, start, end string) ([]UsageEvent, error) {
	codes, err := jsonText("meter_codes", meterCodes)
	if err != nil {
		return nil, err
	}
	var out []UsageEvent
	err = l.call(func(ptr *C.hcp_ledger_t) error {
		return withCStrings([]string{"customer_id", "meter_codes", "start", "end"}, []string{customerID, codes, start, end}, func(c []*C.char) error {
			s, en := c[2], c[3]
			if start == "" {
				s = nil
			}
			if end == "" {
				en = nil
			}
			var e *C.hcp_error_t
			r := C.hcp_ledger_events(ptr, c[0], c[1], s, en, &e)
			if err := takeError(e); err != nil {
				return err
			}
			return decodeInto("usage", takeString(r), &out)
		})
	})
	return out, err
}

type invoiceFn func(*C.hcp_ledger_t, *C.hcp_plan_t, *C.char, *C.char, **C.hcp_error_t) *C.char

func (l *Ledger) invoiceCall(plan *Plan, subscription any, at string, fn invoiceFn, out any) error {
	sub, err := jsonText("subscription", subscription)
	if err != nil {
		return err
	}
	plan.mu.RLock()
	defer plan.mu.RUnlock()
	if plan.ptr == nil {
		return closedError("plan")
	}
	err = l.call(func(ptr *C.hcp_ledger_t) error {
		return withCStrings([]string{"subscription", "at"}, []string{sub, at}, func(c []*C.char) error {
			var e *C.hcp_error_t
			r := fn(ptr, plan.ptr, c[0], c[1], &e)
			if err := takeError(e); err != nil {
				return err
			}
			if r == nil { // only a cancelled call returns nothing without an error
				return nil
			}
			return decodeInto("invoice", takeString(r), out)
		})
	})
	runtime.KeepAlive(plan)
	return err
}

// PreviewInvoice is the invoice of the period containing at, not recorded.
func (l *Ledger) PreviewInvoice(plan *Plan, subscription Subscription, at string) (*Invoice, error) {
	var inv Invoice
	fn := func(a *C.hcp_ledger_t, b *C.hcp_plan_t, c, d *C.char, e **C.hcp_error_t) *C.char {
		return C.hcp_ledger_preview_invoice(a, b, c, d, e)
	}
	if err := l.invoiceCall(plan, subscription, at, fn, &inv); err != nil {
		return nil, err
	}
	return &inv, nil
}

// IssueInvoice issues and records the invoice of the period containing at (ErrConflict if
// already issued; late events are corrected on the next invoice).
func (l *Ledger) IssueInvoice(plan *Plan, subscription Subscription, at string) (*Invoice, error) {
	var inv Invoice
	fn := func(a *C.hcp_ledger_t, b *C.hcp_plan_t, c, d *C.char, e **C.hcp_error_t) *C.char {
		return C.hcp_ledger_issue_invoice(a, b, c, d, e)
	}
	if err := l.invoiceCall(plan, subscription, at, fn, &inv); err != nil {
		return nil, err
	}
	return &inv, nil
}

// IssueInvoices issues the invoices of many subscriptions for the period containing at, all or
// nothing.
func (l *Ledger) IssueInvoices(plan *Plan, subscriptions []Subscription, at string) ([]Invoice, error) {
	return l.IssueInvoicesContext(context.Background(), plan, subscriptions, at)
}

// IssueInvoicesContext is IssueInvoices that stops when ctx is done while the invoices are being
// built: nothing is recorded then, and the error wraps ctx.Err() (errors.Is(err,
// context.Canceled)). A ctx already done returns at once.
func (l *Ledger) IssueInvoicesContext(ctx context.Context, plan *Plan, subscriptions []Subscription, at string) ([]Invoice, error) {
	if subscriptions == nil {
		subscriptions = []Subscription{}
	}
	if err := ctx.Err(); err != nil { // before marshalling the subscriptions
		return nil, contextError("issue invoices", err)
	}
	var invs []Invoice
	err := withCancel(ctx, "issue invoices", func(flag *C.hcp_cancel_t) (bool, error) {
		stopped := false
		fn := func(a *C.hcp_ledger_t, b *C.hcp_plan_t, c, d *C.char, e **C.hcp_error_t) *C.char {
			var cancelled C.bool
			r := C.hcp_ledger_issue_invoices_cancellable(a, b, c, d, flag, &cancelled, e)
			stopped = bool(cancelled)
			return r
		}
		var raw json.RawMessage
		if err := l.invoiceCall(plan, subscriptions, at, fn, &raw); err != nil || stopped {
			return stopped, err
		}
		return false, decodeInto("invoices", string(raw), &invs)
	})
	if err != nil {
		return nil, err
	}
	return invs, nil
}

// Invoices are the customer's issued invoices, oldest first.
func (l *Ledger) Invoices(customerID string) ([]Invoice, error) {
	var out []Invoice
	err := l.call(func(ptr *C.hcp_ledger_t) error {
		return withCStrings([]string{"customer_id"}, []string{customerID}, func(c []*C.char) error {
			var e *C.hcp_error_t
			r := C.hcp_ledger_invoices(ptr, c[0], &e)
			if err := takeError(e); err != nil {
				return err
			}
			return decodeInto("invoices", takeString(r), &out)
		})
	})
	return out, err
}

// BudgetStatus is spend to date, forecast and alerts against budget (decimal string) at the
// given thresholds in percent (nil: 50, 80, 100).
func (l *Ledger) BudgetStatus(plan *Plan, subscription Subscription, now, budget string, thresholds []string) (*BudgetStatus, error) {
	if thresholds == nil {
		thresholds = []string{"50", "80", "100"}
	}
	sub, err := jsonText("subscription", subscription)
	if err != nil {
		return nil, err
	}
	th, err := jsonText("thresholds", thresholds)
	if err != nil {
		return nil, err
	}
	plan.mu.RLock()
	defer plan.mu.RUnlock()
	if plan.ptr == nil {
		return nil, closedError("plan")
	}
	var st BudgetStatus
	err = l.call(func(ptr *C.hcp_ledger_t) error {
		return withCStrings([]string{"subscription", "now", "budget", "thresholds"}, []string{sub, now, budget, th}, func(c []*C.char) error {
			var e *C.hcp_error_t
			r := C.hcp_ledger_budget_status(ptr, plan.ptr, c[0], c[1], c[2], c[3], &e)
			if err := takeError(e); err != nil {
				return err
			}
			return decodeInto("budget_status", takeString(r), &st)
		})
	})
	runtime.KeepAlive(plan)
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// RoundAmount rounds a decimal string to the currency's minor unit ("half_away_from_zero" or
// "half_even").
func RoundAmount(amount, currency, rounding string) (string, error) {
	var out string
	err := withCStrings([]string{"amount", "currency", "rounding"}, []string{amount, currency, rounding}, func(c []*C.char) error {
		var e *C.hcp_error_t
		r := C.hcp_billing_round_amount(c[0], c[1], c[2], &e)
		if err := takeError(e); err != nil {
			return err
		}
		out = takeString(r)
		return nil
	})
	return out, err
}

// ValidateEvent checks one event and returns it normalised (quantity and timestamp in canonical
// form).
func ValidateEvent(event UsageEvent) (UsageEvent, error) {
	text, err := jsonText("event", event)
	if err != nil {
		return UsageEvent{}, err
	}
	return ValidateEventJSON(text)
}

// ValidateEventJSON checks one event given as a JSON object (the quantity may be a number or a
// decimal string) and returns it normalised.
func ValidateEventJSON(text string) (UsageEvent, error) {
	var out UsageEvent
	err := withCStrings([]string{"event"}, []string{text}, func(c []*C.char) error {
		var e *C.hcp_error_t
		r := C.hcp_billing_validate_event(c[0], &e)
		if err := takeError(e); err != nil {
			return err
		}
		return decodeInto("event", takeString(r), &out)
	})
	return out, err
}
