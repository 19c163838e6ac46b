package hcpcore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// The long calls stop when their context is done, return an error wrapping ctx.Err(), and leave
// their handle usable. The calls below would run for minutes uncancelled; the only timed
// assertion is a generous bound (5 s) on the return after cancel. The latency measured is
// logged (go test -v -run Context) and reported in docs/reliability.md.

const cancelBound = 5 * time.Second

// cancelSoon cancels ctx after d and returns a function giving the instant it did so (call it
// once, after the call returns).
func cancelSoon(d time.Duration) (context.Context, func() time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	at := make(chan time.Time, 1)
	time.AfterFunc(d, func() {
		at <- time.Now()
		cancel()
	})
	return ctx, func() time.Time { return <-at }
}

func longFleet(t *testing.T) *Fleet {
	t.Helper()
	fl, err := NewFleet(FleetConfig{DTSeconds: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fl.AddGPUs("sxm", 8); err != nil {
		t.Fatal(err)
	}
	if _, err := fl.AddMiners("S21", 64); err != nil {
		t.Fatal(err)
	}
	if err := fl.SetMarketSynthetic(1, SyntheticConfig{}); err != nil {
		t.Fatal(err)
	}
	return fl
}

func TestFleetRunContextStopsAndFleetStaysUsable(t *testing.T) {
	fl := longFleet(t)
	defer fl.Close()
	ctx, cancelledAt := cancelSoon(50 * time.Millisecond)
	taken, err := fl.RunContext(ctx, MaxSteps)
	returned := time.Now()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RunContext = %v, want context.Canceled", err)
	}
	if latency := returned.Sub(cancelledAt()); latency > cancelBound {
		t.Fatalf("returned %v after cancel", latency)
	} else {
		t.Logf("fleet run: returned %v after cancel, %d steps taken", latency, taken)
	}
	if taken == 0 || taken >= MaxSteps {
		t.Fatalf("steps taken = %d, want some but not all", taken)
	}
	var sum FleetSummary
	if sum, err = fl.Summary(); err != nil {
		t.Fatal(err)
	}
	if sum.Steps != taken {
		t.Fatalf("summary says %d steps, RunContext %d", sum.Steps, taken)
	}
	// Still usable: run on, uncancelled.
	if n, err := fl.RunContext(context.Background(), 3); err != nil || n != 3 {
		t.Fatalf("RunContext after cancel = %d, %v", n, err)
	}
	if sum, err = fl.Summary(); err != nil || sum.Steps != taken+3 {
		t.Fatalf("summary after more steps = %+v, %v", sum, err)
	}
	series, err := fl.Series()
	if err != nil || uint64(len(series["time_seconds"])) != taken+3 {
		t.Fatalf("series rows = %d, %v; want %d", len(series["time_seconds"]), err, taken+3)
	}
}

func TestPastDeadlineReturnsAtOnce(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	fl := longFleet(t)
	defer fl.Close()
	taken, err := fl.RunContext(ctx, MaxSteps)
	if !errors.Is(err, context.DeadlineExceeded) || taken != 0 {
		t.Fatalf("RunContext(past deadline) = %d, %v", taken, err)
	}
	if sum, err := fl.Summary(); err != nil || sum.Steps != 0 {
		t.Fatalf("a past deadline took steps: %+v, %v", sum, err)
	}
	if _, err := SyntheticSeries(ctx, SyntheticConfig{}, 1, MaxSteps, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SyntheticSeries(past deadline) = %v", err)
	}
	d, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{}, ActionMine)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	before, err := d.SecondsInAction()
	if err != nil {
		t.Fatal(err)
	}
	actions, err := d.StepSeriesContext(ctx, []Market{fuzzMarket()}, 60)
	if !errors.Is(err, context.DeadlineExceeded) || len(actions) != 0 {
		t.Fatalf("StepSeriesContext(past deadline) = %v, %v", actions, err)
	}
	if after, err := d.SecondsInAction(); err != nil || after != before {
		t.Fatalf("a past deadline stepped the decider: seconds in action %v -> %v, %v", before, after, err)
	}
}

func TestMarketSeriesContextStops(t *testing.T) {
	ctx, cancelledAt := cancelSoon(50 * time.Millisecond)
	_, err := SyntheticSeries(ctx, SyntheticConfig{}, 1, MaxSteps, 1)
	returned := time.Now()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("SyntheticSeries = %v, want context.Canceled", err)
	}
	latency := returned.Sub(cancelledAt())
	if latency > cancelBound {
		t.Fatalf("returned %v after cancel", latency)
	}
	t.Logf("market series: returned %v after cancel", latency)
	// The same call with a context that is never done still works.
	cols, err := SyntheticSeries(context.Background(), SyntheticConfig{}, 1, 24, 3600)
	if err != nil || len(cols["btc_usd"]) != 24 {
		t.Fatalf("SyntheticSeries(Background) = %d rows, %v", len(cols["btc_usd"]), err)
	}
}

func TestDeciderStepSeriesContextStops(t *testing.T) {
	markets := make([]Market, 1<<21)
	for i := range markets {
		markets[i] = fuzzMarket()
		markets[i].ElectricityUSDPerKWh = 0.02 + 0.2*float64(i%7)/7
	}
	// Converting the markets for C comes first and takes a while too, so the cancel must land
	// after it: try later and later cancels until one lands mid-series.
	for _, delay := range []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second} {
		d, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{}, ActionMine)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		ctx, cancelledAt := cancelSoon(delay)
		actions, err := d.StepSeriesContext(ctx, markets, 60)
		returned := time.Now()
		if err == nil {
			t.Skipf("the whole series (%d steps) ran before a cancel after %v", len(actions), delay)
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("StepSeriesContext = %v, want context.Canceled", err)
		}
		latency := returned.Sub(cancelledAt())
		if latency > cancelBound {
			t.Fatalf("returned %v after cancel", latency)
		}
		if len(actions) == 0 {
			continue // cancelled before the first step
		}
		t.Logf("decider series: returned %v after cancel, %d of %d steps taken", latency, len(actions), len(markets))
		if len(actions) >= len(markets) {
			t.Fatalf("%d actions for a cancelled series of %d", len(actions), len(markets))
		}
		// The decider took exactly the steps reported: stepping on gives the same actions as
		// one uncancelled series over the same markets.
		rest, err := d.StepSeries(markets[len(actions):len(actions)+1000], 60)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{}, ActionMine)
		if err != nil {
			t.Fatal(err)
		}
		defer whole.Close()
		want, err := whole.StepSeries(markets[:len(actions)+1000], 60)
		if err != nil {
			t.Fatal(err)
		}
		got := append(actions, rest...)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("action %d after the cancel = %v, uncancelled %v", i, got[i], want[i])
			}
		}
		return
	}
	t.Fatal("no cancel landed mid-series")
}

func TestIssueInvoicesContextStopsAndRecordsNothing(t *testing.T) {
	plan, err := NewPlan(PlanConfig{Code: "gpu", Currency: CurrencyConfig{Code: "USD"},
		Meters:  []MeterConfig{{Code: "gpu_hours", Aggregation: "sum"}},
		Charges: []PlanCharge{{MeterCode: "gpu_hours", ChargeConfig: ChargeConfig{Model: "standard", Amount: "2.49"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	l := NewMemoryLedger()
	defer l.Close()
	const customers = 20_000
	events := make([]UsageEvent, customers)
	subs := make([]Subscription, customers)
	for i := range events {
		c := fmt.Sprintf("c%05d", i)
		events[i] = UsageEvent{EventID: "e", CustomerID: c, MeterCode: "gpu_hours", Quantity: "3", Timestamp: "2026-11-02T00:00:00Z"}
		subs[i] = Subscription{CustomerID: c, Start: "2026-11-01"}
	}
	if _, err := l.Ingest(events); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := l.IssueInvoicesContext(ctx, plan, subs, "2026-11-30T00:00:00Z"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("IssueInvoicesContext(past deadline) = %v", err)
	}
	// Cancel mid-way: later and later until a cancel lands while the invoices are being built.
	landed := false
	for _, delay := range []time.Duration{5 * time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond, 300 * time.Millisecond} {
		ctx, cancelledAt := cancelSoon(delay)
		invs, err := l.IssueInvoicesContext(ctx, plan, subs, "2026-11-30T00:00:00Z")
		returned := time.Now()
		if err == nil {
			if len(invs) != customers {
				t.Fatalf("%d invoices for %d subscriptions", len(invs), customers)
			}
			t.Skipf("all %d invoices were issued before a cancel after %v", customers, delay)
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("IssueInvoicesContext = %v, want context.Canceled", err)
		}
		if latency := returned.Sub(cancelledAt()); latency > cancelBound {
			t.Fatalf("returned %v after cancel", latency)
		} else {
			t.Logf("issue invoices: returned %v after a cancel at %v", latency, delay)
		}
		landed = true
		break
	}
	if !landed {
		t.Fatal("no cancel landed")
	}
	// Nothing was recorded: the same invoices can be issued now, uncancelled.
	for _, c := range []string{"c00000", fmt.Sprintf("c%05d", customers-1)} {
		if got, err := l.Invoices(c); err != nil || len(got) != 0 {
			t.Fatalf("a cancelled run recorded %s's invoices: %v, %v", c, got, err)
		}
	}
	invs, err := l.IssueInvoicesContext(context.Background(), plan, subs[:3], "2026-11-30T00:00:00Z")
	if err != nil || len(invs) != 3 || invs[0].Subtotal != "7.47" {
		t.Fatalf("IssueInvoices after the cancel = %+v, %v", invs, err)
	}
}
