package hcpcore

// Benchmarks of the Go binding's econ calls. `go test -run '^$' -bench . -benchtime 1s`
// (figures in benches/RESULTS-go-econ.md). The per-device loop and the batch run on the same fleet
// in the same run, so the cost of one cgo call per device is measured beside the batch.

import (
	"testing"
)

const fleetSize = 1_000_000

// fleet is a deterministic mixed fleet: S21-class hashrates and powers with a spread.
func fleet() (ths, watts []float64) {
	ths, watts = make([]float64, fleetSize), make([]float64, fleetSize)
	for i := range ths {
		ths[i] = 180 + float64(i%97)
		watts[i] = 3000 + float64(i%53)*15
	}
	return ths, watts
}

func benchTerms() Terms {
	t := DefaultTerms()
	t.PoolFee, t.PUE = 0.02, 1.1
	return t
}

// One cgo call per op: the fixed cost of crossing into Rust, converting and validating a market.
func BenchmarkHashpriceScalar(b *testing.B) {
	m := refMarket()
	var sink float64
	for i := 0; i < b.N; i++ {
		v, err := HashpriceUSDPerPHDay(m)
		if err != nil {
			b.Fatal(err)
		}
		sink += v
	}
	if sink == 0 {
		b.Fatal("no result")
	}
}

// One call with a model (its name is copied into C memory) and terms.
func BenchmarkMinerDailyScalar(b *testing.B) {
	m, t := refMarket(), benchTerms()
	for i := 0; i < b.N; i++ {
		if _, err := MinerDailyFor(S21, m, t); err != nil {
			b.Fatal(err)
		}
	}
}

// The whole fleet in one call; reports ns per device.
func BenchmarkMinerDailyBatch1e6(b *testing.B) {
	ths, watts := fleet()
	m, t := refMarket(), benchTerms()
	var out DailyColumns
	b.SetBytes(int64(fleetSize * 8 * 6))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := MinerDailyBatch(m, t, ths, watts, nil, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fleetSize, "ns/device")
}

// The same fleet with one cgo call per device (the anti-pattern the batch replaces).
func BenchmarkMinerDailyPerDevice1e6(b *testing.B) {
	ths, watts := fleet()
	m, t := refMarket(), benchTerms()
	model := S21
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range ths {
			model.HashrateTHs, model.PowerWatts = ths[j], watts[j]
			if _, err := MinerDailyFor(model, m, t); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fleetSize, "ns/device")
}

func BenchmarkGPUDailyBatch1e6(b *testing.B) {
	tdp, idle, u := make([]float64, fleetSize), make([]float64, fleetSize), make([]float64, fleetSize)
	for i := range tdp {
		tdp[i], idle[i], u[i] = 700, 125, float64(i%101)/100
	}
	m := gpuMarket(0.05)
	var out DailyColumns
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := GPUDailyBatch(m, DefaultTerms(), tdp, idle, u, nil, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fleetSize, "ns/device")
}

// A 4 MW two-group site planned at one snapshot (handle call, group plans copied back).
func BenchmarkSitePlan(b *testing.B) {
	terms := DefaultTerms()
	terms.PUE, terms.PoolFee, terms.GPUUtilisation = 1.1, 0.02, 0.8
	s, err := NewSite([]DeviceGroup{{Model: S21, Count: 1000}, {Model: H100SXM, Count: 512}}, 4000, terms)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := gpuMarket(0.04)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Plan(m); err != nil {
			b.Fatal(err)
		}
	}
}

// One decider step per call, and a day of 15-minute steps in one StepSeries call.
func BenchmarkDeciderStep(b *testing.B) {
	d, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{MinDwellSeconds: 3600}, ActionMine)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	m := refMarket()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Step(m, 900); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeciderStepSeries96(b *testing.B) {
	d, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{MinDwellSeconds: 3600}, ActionMine)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	markets := make([]Market, 96)
	for i := range markets {
		markets[i] = refMarket()
		markets[i].ElectricityUSDPerKWh = 0.14 + 0.02*float64(i%2)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.StepSeries(markets, 900); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/96, "ns/step")
}

// Mine or sleep for the fleet, each device at its own price, in one call.
func BenchmarkMinerCurtailBatch1e6(b *testing.B) {
	ths, watts := fleet()
	sleep, price := make([]float64, fleetSize), make([]float64, fleetSize)
	for i := range sleep {
		sleep[i], price[i] = 25, 0.03+float64(i%41)*0.005
	}
	m, t := refMarket(), benchTerms()
	var out CurtailColumns
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := MinerCurtailBatch(m, t, ths, watts, sleep, price, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fleetSize, "ns/device")
}
