package hcp_test

import (
	"errors"
	"fmt"
	"math"

	hcp "github.com/hcp-project/hcp/bindings/go-ffi/go"
)

// The README's Go lines: hashprice, a miner's day and a break-even, and an error naming its field.
func Example() {
	m := hcp.Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, ElectricityUSDPerKWh: 0.05}
	hp, _ := hcp.HashpriceUSDPerPHDay(m)
	t := hcp.DefaultTerms()
	t.PoolFee = 0.02
	day, _ := hcp.MinerDailyFor(hcp.S21, m, t)
	be, _ := hcp.BreakevenUSDPerKWh(hcp.S21, m, t)
	fmt.Printf("%.2f $/PH/day, S21 profit $%.2f/day, break-even $%.4f/kWh\n", hp, day.ProfitUSD, be)

	_, err := hcp.HashpriceUSDPerPHDay(hcp.Market{BTCUSD: math.NaN(), Difficulty: 1e14, Height: 840_000})
	var he *hcp.Error
	if errors.Is(err, hcp.ErrInvalidInput) && errors.As(err, &he) {
		fmt.Println(he.Message())
	}
	// Output:
	// 62.86 $/PH/day, S21 profit $8.12/day, break-even $0.1467/kWh
	// btc_usd: must be finite and > 0, got NaN
}

// A 4 MW site at one snapshot: the GPUs earn most per watt and get power first; the miners fill
// the rest of the cap.
func ExampleSite_Plan() {
	t := hcp.DefaultTerms()
	t.PUE, t.PoolFee, t.GPUUtilisation = 1.1, 0.02, 0.8
	site, err := hcp.NewSite([]hcp.DeviceGroup{{Model: hcp.S21, Count: 1000}, {Model: hcp.H100SXM, Count: 512}}, 4000, t)
	if err != nil {
		panic(err)
	}
	defer site.Close()
	m := hcp.Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, FeesBTCPerBlock: hcp.Float64(0.1),
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
	m := hcp.Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, ElectricityUSDPerKWh: 0.05}
	var out hcp.DailyColumns
	err := hcp.MinerDailyBatch(m, hcp.DefaultTerms(), []float64{200, 270}, []float64{3500, 3645}, nil, &out)
	fmt.Printf("%.3f %.3f %v\n", out.ProfitUSDPerDay[0], out.BreakevenUSDPerKWh[1], err)
	// Output:
	// 8.373 0.194 <nil>
}
