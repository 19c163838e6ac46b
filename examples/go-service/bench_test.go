package main

import (
	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStepReferenceSite times one tick of examples/site_plan.json's site (1,512 devices) with
// its GPUs half busy: `go test -run '^$' -bench Step`.
func BenchmarkStepReferenceSite(b *testing.B) {
	dir := b.TempDir()
	t := &testing.T{}
	keysPath, _ := writeKeys(t, dir)
	clock := &fakeClock{t: time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)}
	svc, err := NewService(Config{
		Addr: "127.0.0.1:0", KeysFile: keysPath, SiteFile: "../site_plan.json", BillingFile: "billing.example.json",
		DataDir: "../../data/market", LedgerPath: filepath.Join(dir, "ledger.db"), SiteID: "bench", MarketStart: "2024-06-01",
		MarketStep: 15 * time.Minute, MarketDays: 30, MeterInterval: time.Minute, DefaultDuration: time.Hour,
		RatePerSecond: 1, Burst: 1, MaxBodyBytes: 1 << 20, Now: clock.Now,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.release()
	for i := 0; i < 256; i++ {
		if _, err := svc.router.Submit([]string{"acme", "globex"}[i%2], "model_training", hcpOptions()); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clock.Advance(time.Second)
		svc.Step()
	}
}

func hcpOptions() hcpcore.SubmitOptions { return hcpcore.SubmitOptions{} }
