package hcpcore

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func gpuMarket(electricity float64) Market {
	return Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, FeesBTCPerBlock: Float64(0.1),
		ElectricityUSDPerKWh: electricity, GPUUSDPerHour: 2.5, USDPerMillionTokens: 0.6}
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Fatalf("%s = %v, want %v ± %g", what, got, want, tol)
	}
}

func wantField(t *testing.T, err error, sentinel error, field string) {
	t.Helper()
	var he *Error
	if !errors.Is(err, sentinel) || !errors.As(err, &he) || !strings.HasPrefix(he.Message(), field+":") {
		t.Fatalf("got %v, want %v naming %s", err, sentinel, field)
	}
}

func TestTermsDefaultsAndBreakevenDispatchesOnKind(t *testing.T) {
	d := DefaultTerms()
	if d.PoolFee != 0 || d.PUE != 1 || d.GPUUtilisation != 1 || d.TokensPerSecond != nil || d.DemandResponseUSDPerMWh != 0 {
		t.Fatalf("DefaultTerms() = %+v", d)
	}
	m := gpuMarket(0.05)
	gpu, err := BreakevenUSDPerKWh(H100SXM, m, DefaultTerms())
	if err != nil {
		t.Fatal(err)
	}
	near(t, "H100 break-even", gpu, 2.5/0.7, 1e-12)
	asic, err := BreakevenUSDPerKWh(S21, m, DefaultTerms())
	if err != nil {
		t.Fatal(err)
	}
	if !(asic > 0 && asic < gpu) {
		t.Fatalf("S21 break-even %v", asic)
	}
	// At its break-even price an ASIC's day makes no profit: the dispatch picked the mining maths.
	at := m
	at.ElectricityUSDPerKWh = asic
	day, err := MinerDailyFor(S21, at, DefaultTerms())
	if err != nil {
		t.Fatal(err)
	}
	near(t, "profit at break-even", day.ProfitUSD, 0, 1e-9)
	tokens := DefaultTerms()
	tokens.TokensPerSecond = Float64(3000)
	tokens.GPUUtilisation = 0.9
	be, err := BreakevenUSDPerKWh(H100PCIe, m, tokens)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "tokens break-even", be, 18.16822429906542, 1e-9)
	_, err = BreakevenUSDPerKWh(S21, m, Terms{PoolFee: 0, PUE: 0.5, GPUUtilisation: 1})
	wantField(t, err, ErrInvalidInput, "pue")
	_, err = BreakevenUSDPerKWh(S21, m, Terms{})
	wantField(t, err, ErrInvalidInput, "pue")
}

func TestMarketFeeForms(t *testing.T) {
	m := refMarket()
	m.FeeShare = Float64(0.02)
	hp, err := HashpriceUSDPerPHDay(m)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "hashprice with 2 % fee share", hp, 64.14721814953552, 1e-9)
	m.FeesBTCPerBlock = Float64(0)
	wantField(t, m.Validate(), ErrInvalidInput, "fees_btc_per_block")
}

func TestGPUEconomics(t *testing.T) {
	terms := DefaultTerms()
	terms.PUE, terms.GPUUtilisation = 1.2, 0.7
	h, err := GPUHourly(H100SXM, gpuMarket(0.05), terms)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "revenue", h.RevenueUSD, 1.75, 1e-12)
	near(t, "energy", h.EnergyKWh, 0.633, 1e-12)
	d, err := GPUDaily(H100SXM, gpuMarket(0.05), terms)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "hours", d.Hours, 24, 0)
	near(t, "daily profit", d.ProfitUSD, 24*h.ProfitUSD, 1e-9)
	_, err = GPUHourly(S21, gpuMarket(0.05), terms)
	wantField(t, err, ErrInvalidInput, "model")
	if !strings.Contains(err.Error(), "S21") {
		t.Fatalf("the message should name the model: %v", err)
	}
}

func TestActionValuesAndBestAction(t *testing.T) {
	values, err := ActionValues(S21, gpuMarket(0.05), DefaultTerms())
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 3 || values[0].Action != ActionMine || values[1].Action != ActionSleep || values[2].Action != ActionIdle {
		t.Fatalf("%+v", values)
	}
	near(t, "sleep power", values[1].FacilityWatts, 25, 0)
	best, err := BestAction(S21, gpuMarket(0.05), DefaultTerms())
	if err != nil || best.Action != ActionMine {
		t.Fatalf("cheap power: %+v %v", best, err)
	}
	best, err = BestAction(S21, gpuMarket(0.5), DefaultTerms())
	if err != nil || best.Action != ActionSleep {
		t.Fatalf("dear power: %+v %v", best, err)
	}
	gv, err := ActionValues(H100SXM, gpuMarket(0.05), DefaultTerms())
	if err != nil || gv[0].Action != ActionServe {
		t.Fatalf("GPU: %+v %v", gv, err)
	}
	for _, name := range []string{"mine", "serve", "sleep", "idle"} {
		a, err := ParseAction(name)
		if err != nil || a.String() != name {
			t.Fatalf("ParseAction(%q) = %v, %v", name, a, err)
		}
	}
	_, err = ParseAction("dance")
	wantField(t, err, ErrInvalidInput, "action")
}

func TestNewASICModel(t *testing.T) {
	m, err := NewASICModel("X", 300, 12)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "X" || m.Kind != ASIC || m.PowerWatts != 3600 || m.HashrateTHs != 300 {
		t.Fatalf("%+v", m)
	}
	_, err = NewASICModel("Y", 300, 0)
	wantField(t, err, ErrInvalidInput, "joules_per_th")
	_, err = NewASICModel("bad\x00name", 300, 12)
	wantField(t, err, ErrInvalidInput, "name")
	odd := S21
	odd.Name = "bad \xff UTF-8"
	_, err = MinerDailyFor(odd, refMarket(), DefaultTerms())
	wantField(t, err, ErrInvalidInput, "name")
}

func wobble(t *testing.T) []Market {
	t.Helper()
	base := refMarket()
	base.FeesBTCPerBlock = Float64(0.1)
	be, err := BreakevenUSDPerKWh(S21, base, DefaultTerms())
	if err != nil {
		t.Fatal(err)
	}
	markets := make([]Market, 96)
	for i := range markets {
		markets[i] = base
		markets[i].ElectricityUSDPerKWh = be * 0.98
		if i%2 == 1 {
			markets[i].ElectricityUSDPerKWh = be * 1.02
		}
	}
	return markets
}

func TestDeciderDwellAndClose(t *testing.T) {
	d, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{MinDwellSeconds: 3600}, ActionMine)
	if err != nil {
		t.Fatal(err)
	}
	markets := wobble(t)
	// Step one at a time; the series form must agree with it on a fresh decider.
	var stepped []Action
	for _, m := range markets {
		dec, err := d.Step(m, 900)
		if err != nil {
			t.Fatal(err)
		}
		stepped = append(stepped, dec.Action)
	}
	n, err := d.Switches()
	if err != nil || n == 0 || n > 24 {
		t.Fatalf("switches %d, %v", n, err)
	}
	d2, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{MinDwellSeconds: 3600}, ActionMine)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	series, err := d2.StepSeries(markets, 900)
	if err != nil {
		t.Fatal(err)
	}
	for i := range series {
		if series[i] != stepped[i] {
			t.Fatalf("step %d: series %v, stepped %v", i, series[i], stepped[i])
		}
	}
	cur, err := d.Current()
	if err != nil || cur != stepped[len(stepped)-1] {
		t.Fatalf("Current() = %v, %v", cur, err)
	}
	if s, err := d.SecondsInAction(); err != nil || s <= 0 {
		t.Fatalf("SecondsInAction() = %v, %v", s, err)
	}
	_, err = d.Step(markets[0], 0)
	wantField(t, err, ErrInvalidInput, "dt_seconds")
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := d.Step(markets[0], 900); !errors.Is(err, ErrClosed) {
		t.Fatalf("Step after Close: %v", err)
	}
	if _, err := d.Current(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Current after Close: %v", err)
	}
	if _, err := d.StepSeries(markets, 900); !errors.Is(err, ErrClosed) {
		t.Fatalf("StepSeries after Close: %v", err)
	}
	_, err = NewDecider(S21, DefaultTerms(), SwitchPolicy{}, ActionServe)
	wantField(t, err, ErrInvalidInput, "initial")
	_, err = NewDecider(S21, DefaultTerms(), SwitchPolicy{}, Action(9))
	wantField(t, err, ErrInvalidInput, "initial")
	_, err = NewDecider(S21, DefaultTerms(), SwitchPolicy{OverrideGainUSDPerHour: Float64(-1)}, ActionMine)
	wantField(t, err, ErrInvalidInput, "override_gain_usd_per_hour")
}

// Many goroutines stepping one decider: every step is counted once (the mutex serialises them),
// and the race detector, when on, sees no race.
func TestDeciderFromManyGoroutines(t *testing.T) {
	d, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{}, ActionMine)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	markets := wobble(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := d.Step(markets[i%2], 900); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n, err := d.Switches()
	if err != nil || n == 0 || n > 400 {
		t.Fatalf("switches %d, %v", n, err)
	}
}

func refSite(t *testing.T) *Site {
	t.Helper()
	terms := DefaultTerms()
	terms.PUE, terms.PoolFee, terms.GPUUtilisation = 1.1, 0.02, 0.8
	s, err := NewSite([]DeviceGroup{{Model: S21, Count: 600}, {Model: H100SXM, Count: 512}, {Model: S21, Count: 400}}, 4000, terms)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSitePlans(t *testing.T) {
	s := refSite(t)
	defer s.Close()
	if got := s.GroupModels(); len(got) != 2 || got[0] != "S21" || got[1] != "H100_SXM" {
		t.Fatalf("groups merged by name: %v", got)
	}
	if s.CapKW() != 4000 {
		t.Fatalf("cap %v", s.CapKW())
	}
	m := gpuMarket(0.04)
	plan, err := s.Plan(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Groups) != 2 || plan.Groups[0].Running != 953 || plan.Groups[0].Curtailed != 47 || plan.Groups[1].Running != 512 {
		t.Fatalf("%+v", plan.Groups)
	}
	if plan.Groups[0].Model != "S21" || plan.Groups[0].Kind != ASIC || plan.Groups[1].Kind != GPU {
		t.Fatalf("%+v", plan.Groups)
	}
	near(t, "facility kW", plan.FacilityKW, 3999.8145000000004, 1e-6)
	near(t, "profit", plan.ProfitUSDPerHour, 1368.9259747977685, 1e-6)
	if plan.DevicesRunning != 1465 || plan.DevicesCurtailed != 47 {
		t.Fatalf("devices %d / %d", plan.DevicesRunning, plan.DevicesCurtailed)
	}
	dear := gpuMarket(1.0)
	economic, err := s.Plan(dear)
	if err != nil {
		t.Fatal(err)
	}
	always, err := s.PlanAlwaysOn(dear)
	if err != nil {
		t.Fatal(err)
	}
	if economic.Groups[0].Running != 0 || always.Groups[0].Running == 0 || always.ProfitUSDPerHour >= economic.ProfitUSDPerHour {
		t.Fatalf("economic %+v\nalways-on %+v", economic.Groups[0], always.Groups[0])
	}
	_, err = s.Plan(Market{BTCUSD: -1, Difficulty: 1e14})
	wantField(t, err, ErrInvalidInput, "btc_usd")
	s.Close()
	s.Close()
	if _, err := s.Plan(m); !errors.Is(err, ErrClosed) {
		t.Fatalf("Plan after Close: %v", err)
	}
	if _, err := s.PlanAlwaysOn(m); !errors.Is(err, ErrClosed) {
		t.Fatalf("PlanAlwaysOn after Close: %v", err)
	}
}

func TestSiteFromJSONAndBadSites(t *testing.T) {
	s, err := NewSiteFromJSON(`{"devices": [{"model": "S21", "count": 1000}, {"model": "H100 SXM", "count": 512}],
		"cap_kw": 4000, "pue": 1.1, "pool_fee": 0.02, "gpu_utilisation": 0.8}`)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref := refSite(t)
	defer ref.Close()
	a, errA := s.Plan(gpuMarket(0.04))
	b, errB := ref.Plan(gpuMarket(0.04))
	if errA != nil || errB != nil || a.ProfitUSDPerHour != b.ProfitUSDPerHour || a.Groups[0].Running != b.Groups[0].Running {
		t.Fatalf("JSON site %+v (%v) vs Go site %+v (%v)", a, errA, b, errB)
	}
	_, err = NewSiteFromJSON("{")
	wantField(t, err, ErrInvalidInput, "site")
	_, err = NewSite([]DeviceGroup{{Model: S21, Count: 1000}}, 1, DefaultTerms())
	wantField(t, err, ErrInvalidInput, "cap_kw")
	other := S21
	other.PowerWatts = 3000
	_, err = NewSite([]DeviceGroup{{Model: S21, Count: 1}, {Model: other, Count: 1}}, 100, DefaultTerms())
	wantField(t, err, ErrInvalidInput, "groups")
	empty, err := NewSite(nil, 10, DefaultTerms())
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if p, err := empty.Plan(refMarket()); err != nil || len(p.Groups) != 0 || p.FacilityKW != 0 {
		t.Fatalf("empty site: %+v %v", p, err)
	}
}

func TestMinerDailyBatchMatchesScalar(t *testing.T) {
	fleet := []DeviceModel{S21, S21Pro, S21XP, S21Hydro, S19XP}
	ths := make([]float64, len(fleet))
	watts := make([]float64, len(fleet))
	for i, m := range fleet {
		ths[i], watts[i] = m.HashrateTHs, m.PowerWatts
	}
	terms := DefaultTerms()
	terms.PoolFee, terms.PUE = 0.02, 1.1
	m := refMarket()
	m.FeeShare = Float64(0.03)
	var out DailyColumns
	if err := MinerDailyBatch(m, terms, ths, watts, nil, &out); err != nil {
		t.Fatal(err)
	}
	for i, model := range fleet {
		day, err := MinerDailyFor(model, m, terms)
		if err != nil {
			t.Fatal(err)
		}
		be, err := BreakevenUSDPerKWh(model, m, terms)
		if err != nil {
			t.Fatal(err)
		}
		near(t, model.Name+" revenue", out.RevenueUSDPerDay[i], day.RevenueUSD, 1e-9)
		near(t, model.Name+" cost", out.EnergyCostUSDPerDay[i], day.EnergyCostUSD, 1e-9)
		near(t, model.Name+" profit", out.ProfitUSDPerDay[i], day.ProfitUSD, 1e-9)
		near(t, model.Name+" break-even", out.BreakevenUSDPerKWh[i], be, 1e-12)
	}
	// Caller-provided columns are reused in place; a per-device price overrides the market's.
	reuse := &out.ProfitUSDPerDay[0]
	prices := []float64{0, 0.1, 0.2, 0.3, 0.4}
	if err := MinerDailyBatch(m, terms, ths, watts, prices, &out); err != nil {
		t.Fatal(err)
	}
	if &out.ProfitUSDPerDay[0] != reuse || out.EnergyCostUSDPerDay[0] != 0 || out.EnergyCostUSDPerDay[1] == 0 {
		t.Fatalf("%+v", out)
	}
}

func TestBatchErrorsNameColumnAndIndexAndZeroOutputs(t *testing.T) {
	var out DailyColumns
	err := MinerDailyBatch(refMarket(), DefaultTerms(), []float64{200, 200, 200}, []float64{3500, math.NaN(), 3500}, nil, &out)
	wantField(t, err, ErrInvalidInput, "power_watts")
	if !strings.Contains(err.Error(), "[1]") {
		t.Fatalf("index missing: %v", err)
	}
	for i := range out.ProfitUSDPerDay {
		if out.RevenueUSDPerDay[i] != 0 || out.ProfitUSDPerDay[i] != 0 || out.BreakevenUSDPerKWh[i] != 0 {
			t.Fatalf("outputs not zeroed: %+v", out)
		}
	}
	err = MinerDailyBatch(refMarket(), DefaultTerms(), []float64{200}, []float64{3500, 3500}, nil, &out)
	wantField(t, err, ErrInvalidInput, "power_watts")
	err = MinerDailyBatch(refMarket(), DefaultTerms(), []float64{200}, []float64{3500}, []float64{}, &out)
	wantField(t, err, ErrInvalidInput, "electricity_usd_per_kwh")
	err = MinerDailyBatch(refMarket(), DefaultTerms(), []float64{200}, []float64{3500}, nil, nil)
	wantField(t, err, ErrInvalidInput, "out")
	if err := MinerDailyBatch(refMarket(), DefaultTerms(), nil, nil, nil, &out); err != nil || len(out.ProfitUSDPerDay) != 0 {
		t.Fatalf("empty batch: %v %+v", err, out)
	}
	err = GPUDailyBatch(gpuMarket(0.05), DefaultTerms(), []float64{700}, []float64{125}, []float64{1.5}, nil, &out)
	wantField(t, err, ErrInvalidInput, "utilisation")
}

func TestGPUDailyBatchMatchesScalar(t *testing.T) {
	terms := DefaultTerms()
	terms.PUE = 1.2
	var out DailyColumns
	us := []float64{0, 0.5, 0.7, 1}
	n := len(us)
	tdp, idle := make([]float64, n), make([]float64, n)
	for i := range us {
		tdp[i], idle[i] = H100SXM.PowerWatts, H100SXM.IdleWatts
	}
	if err := GPUDailyBatch(gpuMarket(0.05), terms, tdp, idle, us, nil, &out); err != nil {
		t.Fatal(err)
	}
	for i, u := range us {
		terms.GPUUtilisation = u
		day, err := GPUDaily(H100SXM, gpuMarket(0.05), terms)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "revenue", out.RevenueUSDPerDay[i], day.RevenueUSD, 1e-9)
		near(t, "profit", out.ProfitUSDPerDay[i], day.ProfitUSD, 1e-9)
	}
}

// Many goroutines planning one site while another closes it: every call either plans or reports
// ErrClosed, never touches freed memory.
func TestSiteFromManyGoroutinesAndCloseRace(t *testing.T) {
	s := refSite(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				plan, err := s.Plan(gpuMarket(0.04))
				if err == nil && plan.Groups[0].Running != 953 {
					t.Errorf("goroutine %d: %+v", g, plan.Groups[0])
					return
				}
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	s.Close()
	wg.Wait()
}

// Handles dropped without Close are released by their finalizers (a double free or a use after
// free there would crash the test binary), and closed handles' finalizers are cleared.
func TestFinalizersReleaseForgottenHandles(t *testing.T) {
	closed, err := NewDecider(S21, DefaultTerms(), SwitchPolicy{}, ActionMine)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	for i := 0; i < 200; i++ {
		if _, err := NewDecider(H100SXM, DefaultTerms(), SwitchPolicy{}, ActionIdle); err != nil {
			t.Fatal(err)
		}
		if _, err := NewSite([]DeviceGroup{{Model: S21, Count: 1}}, 10, DefaultTerms()); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(20 * time.Millisecond) // the finalizer goroutine runs between collections
	}
}

// The fleet curtailment batch decides each device as BestAction does, one device at a time.
func TestMinerCurtailBatchMatchesBestAction(t *testing.T) {
	terms := DefaultTerms()
	terms.PoolFee, terms.PUE, terms.DemandResponseUSDPerMWh = 0.02, 1.1, 40
	fleet := []DeviceModel{S21, S21XP, S19XP, S21Hydro}
	prices := []float64{0.03, 0.09, 0.15, 0.4, 2.0}
	var ths, watts, sleep, price []float64
	var models []DeviceModel
	for _, m := range fleet {
		for _, p := range prices {
			ths, watts, sleep, price = append(ths, m.HashrateTHs), append(watts, m.PowerWatts), append(sleep, m.SleepWatts), append(price, p)
			models = append(models, m)
		}
	}
	var out CurtailColumns
	if err := MinerCurtailBatch(refMarket(), terms, ths, watts, sleep, price, &out); err != nil {
		t.Fatal(err)
	}
	mined, slept := 0, 0
	for i, model := range models {
		m := refMarket()
		m.ElectricityUSDPerKWh = price[i]
		best, err := BestAction(model, m, terms)
		if err != nil {
			t.Fatal(err)
		}
		if out.Mine[i] != (best.Action == ActionMine) {
			t.Fatalf("device %d (%s at $%v): batch mine=%v, BestAction %v", i, model.Name, price[i], out.Mine[i], best.Action)
		}
		near(t, "profit", out.ProfitUSDPerHour[i], best.ProfitUSDPerHour, 1e-9)
		if out.Mine[i] {
			mined++
		} else {
			slept++
		}
	}
	if mined == 0 || slept == 0 {
		t.Fatalf("the prices should split the fleet: %d mine, %d sleep", mined, slept)
	}
	sleep[3] = watts[3] + 1
	err := MinerCurtailBatch(refMarket(), terms, ths, watts, sleep, price, &out)
	wantField(t, err, ErrInvalidInput, "sleep_watts")
	for i := range out.Mine {
		if out.Mine[i] || out.ProfitUSDPerHour[i] != 0 {
			t.Fatalf("outputs not zeroed at %d", i)
		}
	}
	err = MinerCurtailBatch(refMarket(), terms, ths, watts, sleep[:2], price, &out)
	wantField(t, err, ErrInvalidInput, "sleep_watts")
}

func TestBatchRefusesAliasedOutputs(t *testing.T) {
	m := Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, ElectricityUSDPerKWh: 0.05}
	ths, watts := []float64{200, 270}, []float64{3500, 3645}
	shared := make([]float64, 2)
	out := DailyColumns{RevenueUSDPerDay: shared, EnergyCostUSDPerDay: make([]float64, 2), ProfitUSDPerDay: shared, BreakevenUSDPerKWh: make([]float64, 2)}
	if err := MinerDailyBatch(m, DefaultTerms(), ths, watts, nil, &out); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("aliased outputs: %v", err)
	}
	out = DailyColumns{RevenueUSDPerDay: ths, EnergyCostUSDPerDay: make([]float64, 2), ProfitUSDPerDay: make([]float64, 2), BreakevenUSDPerKWh: make([]float64, 2)}
	if err := MinerDailyBatch(m, DefaultTerms(), ths, watts, nil, &out); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("output over an input: %v", err)
	}
}
