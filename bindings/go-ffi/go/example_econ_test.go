package hcpcore_test

import (
	"errors"
	"fmt"
	"math"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// The README's Go lines: hashprice, a miner's day and a break-even, and an error naming its field.
func Example() {
	m := hcpcore.Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, ElectricityUSDPerKWh: 0.05}
	hp, _ := hcpcore.HashpriceUSDPerPHDay(m)
	t := hcpcore.DefaultTerms()
	t.PoolFee = 0.02
	day, _ := hcpcore.MinerDailyFor(hcpcore.S21, m, t)
	be, _ := hcpcore.BreakevenUSDPerKWh(hcpcore.S21, m, t)
	fmt.Printf("%.2f $/PH/day, S21 profit $%.2f/day, break-even $%.4f/kWh\n", hp, day.ProfitUSD, be)

	_, err := hcpcore.HashpriceUSDPerPHDay(hcpcore.Market{BTCUSD: math.NaN(), Difficulty: 1e14, Height: 840_000})
	var he *hcpcore.Error
	if errors.Is(err, hcpcore.ErrInvalidInput) && errors.As(err, &he) {
		fmt.Println(he.Message())
	}
	// Output:
	// 62.86 $/PH/day, S21 profit $8.12/day, break-even $0.1467/kWh
	// btc_usd: must be finite and > 0, got NaN
}

// A 4 MW site at one snapshot: the GPUs earn most per watt and get power first; the miners fill
// the rest of the cap.
func ExampleSite_Plan() {
	t := hcpcore.DefaultTerms()
	t.PUE, t.PoolFee, t.GPUUtilisation = 1.1, 0.02, 0.8
	site, err := hcpcore.NewSite([]hcpcore.DeviceGroup{{Model: hcpcore.S21, Count: 1000}, {Model: hcpcore.H100SXM, Count: 512}}, 4000, t)
	if err != nil {
		panic(err)
	}
	defer site.Close()
	m := hcpcore.Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, FeesBTCPerBlock: hcpcore.Float64(0.1),
		ElectricityUSDPerKWh: 0.04, GPUUSDPerHour: 2.5}
	plan, err := site.Plan(m)
	if err != nil {
		panic(err)
	}
	for _, g := range plan.Groups {
		fmt.Printf("%s: %d running, %d curtailed\n", g.Model, g.Running, g.Curtailed)
	}
	fmt.Printf("%.1f kW, $%.2f/h\n", plan.FacilityKW, plan.ProfitUSDPerHour)
	// Output:
	// S21: 953 running, 47 curtailed
	// H100_SXM: 512 running, 0 curtailed
	// 3999.8 kW, $1368.93/h
}

// A fleet's day in one call across the boundary.
func ExampleMinerDailyBatch() {
	m := hcpcore.Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, ElectricityUSDPerKWh: 0.05}
	var out hcpcore.DailyColumns
	err := hcpcore.MinerDailyBatch(m, hcpcore.DefaultTerms(), []float64{200, 270}, []float64{3500, 3645}, nil, &out)
	fmt.Printf("%.3f %.3f %v\n", out.ProfitUSDPerDay[0], out.BreakevenUSDPerKWh[1], err)
	// Output:
	// 8.373 0.194 <nil>
}
