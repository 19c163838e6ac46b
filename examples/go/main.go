// A Go service embedding hcp: customers submit inference work from many goroutines, the router
// places it on H100s (waking power from miners when the site cap binds), finished work is metered
// as GPU-hours into a durable usage ledger, and the month is invoiced under a graduated plan;
// last, a long fleet simulation is stopped by a context deadline.
//
// Run: `make go` once, then `cd examples/go && go run .`
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

func main() {
	router, err := hcpcore.NewRouter(hcpcore.RouterConfig{ManualClock: true})
	if err != nil {
		log.Fatal(err)
	}
	defer router.Close()
	for i := 0; i < 16; i++ {
		if err := router.AddDevice(fmt.Sprintf("h100-%02d", i), "gpu", "H100_SXM", "austin", 80); err != nil {
			log.Fatal(err)
		}
	}

	// Three customers submit concurrently; the router is safe from many goroutines.
	customers := []string{"acme", "globex", "initech"}
	var wg sync.WaitGroup
	owner := sync.Map{}
	for _, c := range customers {
		wg.Add(1)
		go func(customer string) {
			defer wg.Done()
			for j := 0; j < 40; j++ {
				kind := "ai_inference_batch"
				if j%4 == 0 {
					kind = "ai_inference_realtime"
				}
				id, err := router.Submit(customer, kind, hcpcore.SubmitOptions{GPUMemoryGB: hcpcore.Float64(20)})
				if err != nil {
					log.Fatal(err)
				}
				owner.Store(id, customer)
			}
		}(c)
	}
	wg.Wait()

	ledgerPath := filepath.Join(os.TempDir(), "hcp-example-usage.db")
	os.Remove(ledgerPath)
	ledger, err := hcpcore.OpenLedger(ledgerPath, hcpcore.DurabilityNormal)
	if err != nil {
		log.Fatal(err)
	}
	defer ledger.Close()

	// Dispatch in batches (one cgo crossing per batch), "run" each workload for 3 minutes of
	// GPU time, complete it and meter it.
	var events []hcpcore.UsageEvent
	for {
		batch, err := router.DispatchBatch(64)
		if err != nil {
			log.Fatal(err)
		}
		if len(batch.WorkloadIDs) == 0 {
			break
		}
		if _, err := router.CompleteBatch(batch.WorkloadIDs); err != nil {
			log.Fatal(err)
		}
		for i, id := range batch.WorkloadIDs {
			customer, _ := owner.Load(id)
			events = append(events, hcpcore.UsageEvent{
				EventID: fmt.Sprintf("wl-%d", id), CustomerID: customer.(string), MeterCode: "gpu_hours",
				Quantity: "0.05", Timestamp: "2026-11-10T12:00:00Z",
				Properties: map[string]any{"gpu_model": "H100", "device": batch.DeviceIDs[i]},
			})
		}
	}
	n, err := ledger.Ingest(events)
	if err != nil {
		log.Fatal(err)
	}
	again, _ := ledger.Ingest(events) // a retried delivery is counted once
	counts, _ := router.Counts()
	fmt.Printf("router: %d submitted, %d completed; ledger: %d new events, %d on retry\n",
		counts.Submitted, counts.Completed, n, again)

	plan, err := hcpcore.NewPlan(hcpcore.PlanConfig{
		Code: "inference", Currency: hcpcore.CurrencyConfig{Code: "USD"},
		Meters: []hcpcore.MeterConfig{{Code: "gpu_hours", Aggregation: "sum"}},
		Charges: []hcpcore.PlanCharge{{MeterCode: "gpu_hours", ChargeConfig: hcpcore.ChargeConfig{
			Model: "graduated",
			Tiers: []hcpcore.ChargeTier{{UpTo: "1", PerUnitAmount: "2.99"}, {PerUnitAmount: "2.49"}},
		}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer plan.Close()
	for _, c := range customers {
		inv, err := ledger.IssueInvoice(plan, hcpcore.Subscription{CustomerID: c, Start: "2026-11-01", TaxRate: "8.25"}, "2026-11-30T23:59:59Z")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("invoice %s for %-8s %s GPU-hours  subtotal %s  tax %s  total %s %s\n",
			inv.Number, c, inv.Lines[0].Units, inv.Subtotal, inv.Tax, inv.Total, inv.Currency.Code)
	}

	// Bad input is a typed error naming the field, never a crash.
	_, err = router.Submit("acme", "ai_inference_batch", hcpcore.SubmitOptions{Priority: hcpcore.Int64(11)})
	fmt.Println("priority 11:", errors.Is(err, hcpcore.ErrInvalidInput), err)

	// Long calls take a context: decades of one-minute steps of a small fleet, stopped by a
	// deadline. The fleet keeps the whole steps it took and stays usable.
	fleet, err := hcpcore.NewFleet(hcpcore.FleetConfig{DTSeconds: 60, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer fleet.Close()
	if _, err := fleet.AddGPUs("sxm", 4); err != nil {
		log.Fatal(err)
	}
	if _, err := fleet.AddMiners("S21", 40); err != nil {
		log.Fatal(err)
	}
	if err := fleet.SetMarketSynthetic(1, hcpcore.SyntheticConfig{SpikesPerDay: hcpcore.Float64(0.5)}); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	steps, err := fleet.RunContext(ctx, hcpcore.MaxSteps)
	summary, _ := fleet.Summary()
	fmt.Printf("fleet: %d steps (%.0f simulated days) before the deadline, stopped: %v, energy %.0f kWh\n",
		steps, summary.TimeSeconds/86400, errors.Is(err, context.DeadlineExceeded), summary.EnergyKWh)
}
