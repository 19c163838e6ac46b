package hcpcore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// A router from a typed config: a zero field takes the core's default, a pointer field sets a
// value (here 0, which turns aging off) that differs from it.
func ExampleNewRouter() {
	r, err := hcpcore.NewRouter(hcpcore.RouterConfig{
		ManualClock:  true,
		AgingSeconds: hcpcore.Float64(0),
		WorkloadTypes: map[string]hcpcore.WorkloadTypeConfig{
			"embedding": {Priority: 3, DeviceKind: "gpu", GPUMemoryGB: 8},
		},
	})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	id, _ := r.Submit("acme", "embedding", hcpcore.SubmitOptions{})
	w, _ := r.Workload(id)
	fmt.Println(w.WorkloadType, w.Priority, w.GPUMemoryGB)

	_, err = hcpcore.NewRouter(hcpcore.RouterConfig{MaxCandidates: 99})
	fmt.Println(errors.Is(err, hcpcore.ErrInvalidInput), err)
	// Output:
	// embedding 3 8
	// true hcpcore: max_candidates: must be in 1..=16, got 99
}

// A plan with a graduated charge, and the estimate of a month's planned usage.
func ExampleNewPlan() {
	plan, err := hcpcore.NewPlan(hcpcore.PlanConfig{
		Code:     "inference",
		Currency: hcpcore.CurrencyConfig{Code: "USD"},
		Meters:   []hcpcore.MeterConfig{{Code: "gpu_hours", Aggregation: "sum"}},
		Charges: []hcpcore.PlanCharge{{MeterCode: "gpu_hours", ChargeConfig: hcpcore.ChargeConfig{
			Model: "graduated",
			Tiers: []hcpcore.ChargeTier{{UpTo: "100", PerUnitAmount: "2.49"}, {PerUnitAmount: "1.99"}},
		}}},
	})
	if err != nil {
		panic(err)
	}
	defer plan.Close()
	sub := hcpcore.Subscription{CustomerID: "acme", Start: "2026-11-01", TaxRate: "10"}
	est, err := plan.Estimate(sub, "2026-11-15", []hcpcore.PlannedUsage{{MeterCode: "gpu_hours", Quantity: "150"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(est.Subtotal, est.Tax, est.Total)
	// Output: 348.50 34.85 383.35
}

// A long fleet run stopped by its context: the fleet keeps the steps it took and runs on.
func ExampleFleet_RunContext() {
	fleet, err := hcpcore.NewFleet(hcpcore.FleetConfig{DTSeconds: 60, Seed: 1})
	if err != nil {
		panic(err)
	}
	defer fleet.Close()
	if _, err := fleet.AddMiners("S21", 10); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	steps, err := fleet.RunContext(ctx, hcpcore.MaxSteps) // decades of minutes
	fmt.Println(errors.Is(err, context.DeadlineExceeded), steps > 0, steps < hcpcore.MaxSteps)
	more, err := fleet.RunContext(context.Background(), 10)
	fmt.Println(more, err)
	// Output:
	// true true true
	// 10 <nil>
}
