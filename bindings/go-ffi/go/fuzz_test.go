package hcpcore

import (
	"encoding/json"
	"testing"
)

// Native fuzz targets over the entry points that take JSON, strings and counts (issue #10).
// `go test` runs each target over its seeds (f.Add below and testdata/fuzz/FuzzXxx); `make
// fuzz-go` fuzzes each for a bounded time. The property, checked by checkErr and checkFinite
// (boundary_test.go): every call returns finite numbers or an *Error of a documented kind naming
// a field — never a panic, a crash, a hang or a NaN.
//
// Work per input stays small: counts and steps inside their stated maximum are folded to a few
// (the library's cost per item is not what is under test), while values outside it pass through
// unchanged, since those must be refused before any work.

// small folds a count inside [0, max] to [0, k); anything else passes through unchanged.
func small[T int | int64 | uint32 | uint64](n T, max int, k T) T {
	if n >= 0 && uint64(n) <= uint64(max) {
		return n % k
	}
	return n
}

func FuzzRouterConfig(f *testing.F) {
	for _, s := range []string{"", "{}", `{"manual_clock": true}`, `{"aging_seconds": 1e308}`, `[true, 1]`, `{"max_candidates": 0}`,
		`{"workload_types": [{"name": "x", "kind": "gpu", "priority": 3}]}`, `{"preemption": false, "first_workload_id": 18446744073709551615}`,
		`{"placement_weights": {"fit": -1}}`, `{"a":` + "[[[[[[[[" + `}`, "\x00", `{"manual_clock": true, "manual_clock": false}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, config string) {
		// The typed form too: whatever decodes into a RouterConfig goes through NewRouter (zero
		// fields then take defaults, so its outcome may differ from the JSON's, never crash).
		var typed RouterConfig
		if json.Unmarshal([]byte(config), &typed) == nil {
			r, err := NewRouter(typed)
			checkErr(t, "NewRouter(typed)", err)
			if err == nil {
				r.Close()
			}
		}
		r, err := NewRouterJSON(config)
		checkErr(t, "NewRouterJSON", err)
		if err != nil {
			return
		}
		defer r.Close()
		checkErr(t, "AddDevice", r.AddDevice("g1", "gpu", "H100_SXM", "s1", 0))
		checkErr(t, "AddDevice", r.AddDevice("a1", "asic", "S21", "s1", 0))
		for _, wt := range []string{"ai_inference_realtime", "ai_inference_batch", "bitcoin_mining", "x"} {
			id, err := r.Submit("c", wt, SubmitOptions{})
			checkErr(t, "Submit", err)
			w, err := r.Workload(id)
			checkErr(t, "Workload", err)
			checkFinite(t, "Workload", w)
		}
		a, err := r.DispatchBatch(4)
		checkErr(t, "DispatchBatch", err)
		ok, err := r.CompleteBatch(a.WorkloadIDs)
		checkErr(t, "CompleteBatch", err)
		checkFinite(t, "CompleteBatch", ok)
		_, err = r.Age()
		checkErr(t, "Age", err)
		d, err := r.Device("g1")
		checkErr(t, "Device", err)
		checkFinite(t, "Device", d)
		kw, err := r.SiteLoadKW("s1")
		checkErr(t, "SiteLoadKW", err)
		checkFinite(t, "SiteLoadKW", kw)
	})
}

func FuzzRouterSubmit(f *testing.F) {
	f.Add("c", "ai_inference_batch", "s1", 3, int64(5), int64(1), 40.0, 100.0, 60.0, 2, 1.5)
	f.Add("", "", "", -1, int64(0), int64(-1), -1.0, -1.0, -1.0, -1, -1.0)
	f.Add("c\xff", "bitcoin_mining", "s\x00", 1<<62, int64(11), int64(1<<40), 1e308, 1e-300, 5e-324, 1<<40, 1e308)
	f.Add("c", "model_training", "nowhere", MaxBatch+1, int64(1), int64(8), 0.0, 0.0, 0.0, MaxBatch+1, 0.0)
	f.Fuzz(func(t *testing.T, customer, wtype, site string, n int, prio, gpus int64, mem, latency, deadline float64, max int, advance float64) {
		r, err := NewRouter(RouterConfig{ManualClock: true})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		checkErr(t, "AddDevice", r.AddDevice("g1", "gpu", "H100_SXM", "s1", 0))
		checkErr(t, "AddDevice", r.AddDevice("g2", "gpu", "H100_PCIe", "s2", mem))
		checkErr(t, "AddDevice", r.AddDevice("a1", "asic", "S21", site, 0))
		opts := SubmitOptions{Priority: &prio, GPUs: &gpus, GPUMemoryGB: &mem, Site: site, LatencyBoundMS: &latency, DeadlineSeconds: &deadline}
		_, err = r.Submit(customer, wtype, opts)
		checkErr(t, "Submit", err)
		s, err := r.TrySubmit(customer, wtype, opts)
		checkErr(t, "TrySubmit", err)
		checkFinite(t, "TrySubmit", s)
		n = small(n, MaxBatch, 16)
		var cols SubmitColumns
		if n >= 0 && n <= MaxBatch {
			cols = SubmitColumns{Priorities: make([]int64, n), GPUMemoryGB: make([]float64, n), Sites: make([]string, n),
				LatencyBoundMS: make([]float64, n), DeadlineSeconds: make([]float64, n)}
			for i := 0; i < n; i++ {
				cols.Priorities[i], cols.GPUMemoryGB[i], cols.Sites[i] = prio+int64(i%3), mem, site
				cols.LatencyBoundMS[i], cols.DeadlineSeconds[i] = latency, deadline
			}
		}
		ids, err := r.SubmitBatchColumns(customer, wtype, n, cols)
		checkErr(t, "SubmitBatchColumns", err)
		checkFinite(t, "SubmitBatchColumns", ids)
		checkErr(t, "AdvanceTime", r.AdvanceTime(advance))
		a, err := r.DispatchBatch(small(max, MaxBatch, 16))
		checkErr(t, "DispatchBatch", err)
		d, err := r.Dispatch()
		checkErr(t, "Dispatch", err)
		checkFinite(t, "Dispatch", d)
		for _, id := range a.WorkloadIDs {
			checkErr(t, "Start", r.Start(id, customer))
			w, err := r.Workload(id)
			checkErr(t, "Workload", err)
			checkFinite(t, "Workload", w)
		}
		_, err = r.CompleteBatch(a.WorkloadIDs)
		checkErr(t, "CompleteBatch", err)
		ws, err := r.CustomerWorkloads(customer)
		checkErr(t, "CustomerWorkloads", err)
		checkFinite(t, "CustomerWorkloads", ws)
		checkErr(t, "SetSitePowerCapKW", r.SetSitePowerCapKW(site, &mem))
		now, err := r.NowSeconds()
		checkErr(t, "NowSeconds", err)
		checkFinite(t, "NowSeconds", now)
	})
}

func FuzzFleetConfig(f *testing.F) {
	for _, s := range []string{"", "{}", `{"dt_seconds": 1, "seed": 3}`, `[60, 1]`, `{"dt_seconds": 1e308}`, `{"dt_seconds": 5e-324}`,
		`{"record_every_steps": 0}`, `{"ambient_c": 79.9, "threads": 1}`, `{"faults": {"xid_per_gpu_hour": 1e9}}`,
		`{"pool": {"fee": 0.5}}`, `{"settle_every_seconds": 1e-300}`, `{"keep_events": false, "kv_context_tokens": 18446744073709551615}`} {
		f.Add(s, uint64(3))
	}
	f.Fuzz(func(t *testing.T, config string, steps uint64) {
		var typed FleetConfig
		if json.Unmarshal([]byte(config), &typed) == nil {
			fl, err := NewFleet(typed)
			checkErr(t, "NewFleet(typed)", err)
			if err == nil {
				fl.Close()
			}
		}
		fl, err := NewFleetJSON(config)
		checkErr(t, "NewFleetJSON", err)
		if err != nil {
			return
		}
		defer fl.Close()
		_, err = fl.AddGPUs("sxm", 1)
		checkErr(t, "AddGPUs", err)
		_, err = fl.AddMiners("S21", 1)
		checkErr(t, "AddMiners", err)
		checkErr(t, "SetMarketSynthetic", fl.SetMarketSynthetic(1, SyntheticConfig{}))
		checkErr(t, "Run", fl.Run(small(steps, MaxSteps, 8)))
		fleetResults(t, fl)
	})
}

// fleetResults reads everything a fleet reports and checks it.
func fleetResults(t *testing.T, fl *Fleet) {
	sum, err := fl.Summary()
	checkErr(t, "Summary", err)
	checkFinite(t, "Summary", sum)
	series, err := fl.Series()
	checkErr(t, "Series", err)
	checkFinite(t, "Series", series)
	ev, err := fl.Events()
	checkErr(t, "Events", err)
	checkFinite(t, "Events", ev)
	var devices map[string]any
	checkErr(t, "View(devices)", fl.View("devices", &devices))
	checkFinite(t, "View(devices)", devices)
}

func FuzzFleetCommand(f *testing.F) {
	for _, s := range []string{`{"command":"sleep"}`, `{"command":"wake"}`, `{"command":"mine","mode":"low"}`,
		`{"command":"serve","model":{"params":8e9,"bytes_per_param":2},"batch":32}`, `{"command":"dance"}`, `["sleep"]`,
		`{"command":"serve","model":{"params":1e300,"bytes_per_param":1e300},"batch":1e9}`,
		`{"command":"switch","model":{"params":7e10,"bytes_per_param":1,"layers":{"layers":80,"hidden":8192,"intermediate":28672,"heads":64,"kv_heads":8}}}`,
		`{"command":"serve","model":{"params":5e-324,"bytes_per_param":5e-324},"batch":0}`} {
		f.Add(s, int64(0), uint64(5), "state:0")
	}
	f.Add(`{"command":"sleep"}`, int64(-1), uint64(1), "cgminer:1:stats")
	f.Add(`{"command":"mine"}`, int64(1<<40), uint64(1<<62), "gpu:0")
	f.Fuzz(func(t *testing.T, command string, device int64, steps uint64, view string) {
		fl, err := NewFleet(FleetConfig{DTSeconds: 60, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer fl.Close()
		if _, err := fl.AddGPUs("sxm", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := fl.AddMiners("S21", 1); err != nil {
			t.Fatal(err)
		}
		checkErr(t, "Command", fl.CommandJSON([]int64{device}, command))
		checkErr(t, "Command(all)", fl.CommandJSON([]int64{0, 1}, command))
		checkErr(t, "Run", fl.Run(small(steps, MaxSteps, 16)))
		var out any
		checkErr(t, "View", fl.View(view, &out))
		checkFinite(t, "View", out)
		fleetResults(t, fl)
	})
}

func FuzzMarketSeries(f *testing.F) {
	for _, s := range []string{"", "{}", `{"btc_usd": 1e9}`, `{"difficulty": 5e-324}`, `[1, 2]`, `{"btc_drift_per_year": 1e300}`,
		`{"jumps_per_year": 1e300}`, `{"btc_vol_per_year": 100}`, `{"hashrate_growth_per_year": -1}`} {
		f.Add("synthetic", s, uint64(1), uint64(24), 3600.0)
	}
	f.Add("synthetic", "", uint64(7), uint64(1<<62), 1e308)
	f.Add("synthetic", "", uint64(7), uint64(100), 1e12)
	f.Add("replay", "", uint64(0), uint64(10), 60.0)
	f.Add("other", "{}", uint64(0), uint64(10), 60.0)
	f.Fuzz(func(t *testing.T, kind, arg string, seed, steps uint64, dt float64) {
		if kind == "replay" {
			arg = "testdata/no-such-market" // the fuzzer must not walk the file system
		}
		cols, err := MarketSeries(kind, arg, "", seed, small(steps, MaxSteps, 64), dt)
		checkErr(t, "MarketSeries", err)
		checkFinite(t, "MarketSeries", cols)
	})
}

func FuzzH100(f *testing.F) {
	f.Add("sxm", "", 8e9, 2.0, int64(32), uint64(1024), 1.0, 0.5, 0.5, 1e9, "pinned")
	f.Add("pcie", `{"power": {"limit_watts": 500}}`, 7e10, 1.0, int64(1), uint64(0), 60.0, 1.0, 1.0, 0.0, "pageable")
	f.Add("sxm", `[1]`, 5e-324, 5e-324, int64(-1), uint64(1<<63), 1e308, -1.0, 2.0, -1.0, "x")
	f.Add("h100", `{"memory_total_bytes": 1e300}`, 1e300, 1e300, int64(1<<62), uint64(1<<40), 5e-324, 1e-300, 1e-300, 1e308, "pinned")
	f.Fuzz(func(t *testing.T, variant, overrides string, params, bpp float64, batch int64, context uint64, dt, tensor, dram, bytes float64, host string) {
		g, err := NewH100JSON(variant, overrides)
		checkErr(t, "NewH100", err)
		if err != nil {
			return
		}
		defer g.Close()
		d, err := g.Decode(ModelSpec{Params: params, BytesPerParam: bpp}, batch, context)
		checkErr(t, "Decode", err)
		checkFinite(t, "Decode", d)
		sw, err := g.Switch(bytes, params*bpp, host, batch%2 == 0)
		checkErr(t, "Switch", err)
		checkFinite(t, "Switch", sw)
		r, err := g.Step(dt, tensor, dram)
		checkErr(t, "Step", err)
		checkFinite(t, "Step", r)
	})
}

func FuzzEconJSON(f *testing.F) {
	for _, s := range []string{`{"devices": [{"model": "S21", "count": 1000}, {"model": "H100_SXM", "count": 8}], "cap_kw": 4000, "pue": 1.1}`,
		`{"devices": [], "cap_kw": 0}`, `[1, 2]`, `{"devices": [{"model": "S21", "count": 4294967295}], "cap_kw": 1e308}`,
		`{"devices": [{"model": "nope", "count": 1}], "cap_kw": 1}`} {
		f.Add(s, `{"models": [{"name": "X1", "kind": "asic", "power_watts": 3000, "hashrate_ths": 200}]}`)
	}
	f.Add("{}", `[]`)
	f.Add("", `{"models": [{"name": "X", "kind": "gpu", "power_watts": 1e308, "idle_watts": 0, "gpu_memory_gb": 5e-324}]}`)
	f.Fuzz(func(t *testing.T, site, catalog string) {
		s, err := NewSiteFromJSON(site)
		checkErr(t, "NewSiteFromJSON", err)
		if err == nil {
			for _, m := range []Market{fuzzMarket(), {BTCUSD: 1e9, Difficulty: 1, Height: 0, ElectricityUSDPerKWh: 0, GPUUSDPerHour: 1e6}} {
				p, err := s.Plan(m)
				checkErr(t, "Plan", err)
				checkFinite(t, "Plan", p)
				p, err = s.PlanAlwaysOn(m)
				checkErr(t, "PlanAlwaysOn", err)
				checkFinite(t, "PlanAlwaysOn", p)
			}
			s.Close()
		}
		c, err := NewCatalogJSON(catalog)
		checkErr(t, "NewCatalog", err)
		if err == nil {
			names, err := c.Names()
			checkErr(t, "Names", err)
			for _, n := range names {
				m, err := c.Get(n)
				checkErr(t, "Get", err)
				checkFinite(t, "Get", m)
				d, err := MinerDailyFor(m, fuzzMarket(), DefaultTerms())
				checkErr(t, "MinerDailyFor", err)
				checkFinite(t, "MinerDailyFor", d)
			}
			c.Close()
		}
	})
}

func fuzzMarket() Market {
	return Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, ElectricityUSDPerKWh: 0.05, GPUUSDPerHour: 2, USDPerMillionTokens: 0.5}
}

func FuzzMarketFields(f *testing.F) {
	f.Add(100_000.0, 1e14, int64(840_000), 0.1, 0.02, false, false, 0.05, 2.0, 0.5, 200.0, 3500.0, 0.02, 1.1, 0.8, 0.0)
	f.Add(5e-324, 5e-324, int64(0), 0.0, 0.0, true, true, 0.0, 0.0, 0.0, 0.0, 5e-324, 0.0, 1.0, 0.0, 0.0)
	f.Add(1e308, 1e290, int64(1<<62), 1e308, 0.999, true, false, 1e6, 1e308, 1e308, 1e30, 1e30, 0.999, 10.0, 1.0, 1e308)
	f.Add(1.0, 1.0, int64(-1), -1.0, -1.0, true, true, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 0.0, -1.0, -1.0)
	f.Add(2.2250738585072014e-308, 1.0, int64(6_929_999), 21e6, 0.0, true, false, 1e-300, 1e-300, 1e-300, 1e-300, 1e-300, 0.0, 1.0, 1.0, 1e-300)
	f.Fuzz(func(t *testing.T, btc, difficulty float64, height int64, fees, share float64, hasFees, hasShare bool,
		electricity, gpuHour, tokens, hashrate, power, poolFee, pue, util, dr float64) {
		m := Market{BTCUSD: btc, Difficulty: difficulty, Height: height, ElectricityUSDPerKWh: electricity, GPUUSDPerHour: gpuHour, USDPerMillionTokens: tokens}
		if hasFees {
			m.FeesBTCPerBlock = &fees
		}
		if hasShare {
			m.FeeShare = &share
		}
		terms := Terms{PoolFee: poolFee, PUE: pue, GPUUtilisation: util, DemandResponseUSDPerMWh: dr}
		scalar := func(what string, v float64, err error) {
			checkErr(t, what, err)
			checkFinite(t, what, v)
		}
		checkErr(t, "Validate", m.Validate())
		v, err := HashpriceUSDPerPHDay(m)
		scalar("HashpriceUSDPerPHDay", v, err)
		v, err = HashpriceBTCPerTHDay(m)
		scalar("HashpriceBTCPerTHDay", v, err)
		v, err = BlockRewardBTC(m)
		scalar("BlockRewardBTC", v, err)
		v, err = ExpectedBTCPerDay(hashrate, m)
		scalar("ExpectedBTCPerDay", v, err)
		v, err = NetworkHashrateHs(difficulty)
		scalar("NetworkHashrateHs", v, err)
		v, err = BlockSubsidyBTC(height)
		scalar("BlockSubsidyBTC", v, err)
		asic, err := NewASICModel("fuzz", hashrate, power)
		checkErr(t, "NewASICModel", err)
		checkFinite(t, "NewASICModel", asic)
		for _, model := range []DeviceModel{S21, H100SXM, asic} {
			if model.PowerWatts == 0 {
				continue
			}
			d, err := MinerDailyFor(model, m, terms)
			checkErr(t, "MinerDailyFor", err)
			checkFinite(t, "MinerDailyFor", d)
			v, err = BreakevenBTCUSD(model, m, terms)
			scalar("BreakevenBTCUSD", v, err)
			v, err = BreakevenUSDPerKWh(model, m, terms)
			scalar("BreakevenUSDPerKWh", v, err)
			v, err = HashcostUSDPerTHDay(model, m, terms)
			scalar("HashcostUSDPerTHDay", v, err)
			g, err := GPUDaily(model, m, terms)
			checkErr(t, "GPUDaily", err)
			checkFinite(t, "GPUDaily", g)
			av, err := ActionValues(model, m, terms)
			checkErr(t, "ActionValues", err)
			checkFinite(t, "ActionValues", av)
			best, err := BestAction(model, m, terms)
			checkErr(t, "BestAction", err)
			checkFinite(t, "BestAction", best)
		}
		days, _, err := PaybackDays(hashrate, power)
		scalar("PaybackDays", days, err)
		v, err = ROI(hashrate, power, electricity)
		scalar("ROI", v, err)
		var daily DailyColumns
		checkErr(t, "MinerDailyBatch", MinerDailyBatch(m, terms, []float64{hashrate, 200}, []float64{power, 3500}, []float64{electricity, 0.05}, &daily))
		checkFinite(t, "MinerDailyBatch", daily)
		checkErr(t, "GPUDailyBatch", GPUDailyBatch(m, terms, []float64{power, 700}, []float64{hashrate, 100}, []float64{util, 1}, nil, &daily))
		checkFinite(t, "GPUDailyBatch", daily)
		var curtail CurtailColumns
		checkErr(t, "MinerCurtailBatch", MinerCurtailBatch(m, terms, []float64{hashrate}, []float64{power}, []float64{dr}, []float64{electricity}, &curtail))
		checkFinite(t, "MinerCurtailBatch", curtail)
	})
}

func FuzzBilling(f *testing.F) {
	charge := `{"model": "graduated", "tiers": [{"up_to": 10, "per_unit_amount": "10", "flat_amount": "2"}, {"up_to": null, "per_unit_amount": "5"}]}`
	plan := `{"code": "p", "interval": "monthly", "currency": "USD", "charges": [{"meter_code": "gpu_seconds", "charge": {"model": "standard", "amount": "0.001"}}]}`
	event := `{"event_id": "e1", "customer_id": "c1", "meter_code": "gpu_seconds", "quantity": "3600", "timestamp": "2025-01-01T00:00:00Z"}`
	f.Add(charge, plan, event, "12.5", "half_up")
	f.Add(`{"model": "standard", "amount": "1e30"}`, `[]`, `[1]`, "79228162514264337593543950335", "bankers")
	f.Add(`{"model": "percentage", "rate": "NaN"}`, `{"code": "p"}`, `{"quantity": 1e400}`, "-0", "down")
	f.Add(`{"model": "package", "package_size": 0, "amount": "1"}`, `null`, `{}`, "1e-30", "")
	f.Add(`[]`, `{"charges": [[]]}`, `{"timestamp": "9999-99-99"}`, "NaN", "up")
	f.Fuzz(func(t *testing.T, chargeJSON, planJSON, eventJSON, units, rounding string) {
		c, err := NewChargeJSON(chargeJSON)
		checkErr(t, "NewCharge", err)
		if err == nil {
			_, err = c.Amount(units)
			checkErr(t, "Amount", err)
			_, err = c.AmountForEventsJSON("[" + eventJSON + "]")
			checkErr(t, "AmountForEvents", err)
			c.Close()
		}
		ev, err := ValidateEventJSON(eventJSON)
		checkErr(t, "ValidateEvent", err)
		p, err := NewPlanJSON(planJSON)
		checkErr(t, "NewPlan", err)
		if err == nil {
			lines, err := p.InstantFees(ev)
			checkErr(t, "InstantFees", err)
			checkFinite(t, "InstantFees", lines)
			l := NewMemoryLedger()
			_, err = l.IngestJSON("[" + eventJSON + "]")
			checkErr(t, "IngestJSON", err)
			sub := Subscription{CustomerID: "c1", PlanCode: "p", Start: "2025-01-01T00:00:00Z"}
			inv, err := l.PreviewInvoice(p, sub, "2025-02-01T00:00:00Z")
			checkErr(t, "PreviewInvoice", err)
			checkFinite(t, "PreviewInvoice", inv)
			st, err := l.BudgetStatus(p, sub, "2025-01-15T00:00:00Z", units, []string{"50", units})
			checkErr(t, "BudgetStatus", err)
			checkFinite(t, "BudgetStatus", st)
			l.Close()
			p.Close()
		}
		_, err = RoundAmount(units, "USD", rounding)
		checkErr(t, "RoundAmount", err)
	})
}

func FuzzServe(f *testing.F) {
	f.Add(`{"max_batch": 8, "seed": 1}`, 8e9, 2.0, 0.0, 0.5, int64(100), int64(20), `{"seed": 1, "requests": 5}`)
	f.Add(`{"replicas": 3, "memory_utilization": 0.2}`, 7e10, 1.0, 1.0, -1.0, int64(0), int64(-5), `{"burstiness": 40}`)
	f.Add(`[1]`, -1.0, 9.0, 1e308, 5e-324, int64(1<<40), int64(1<<62), `{"requests": 1e30}`)
	f.Fuzz(func(t *testing.T, config string, params, bpp, a0, a1 float64, p0, o0 int64, stream string) {
		g, err := NewH100("sxm", GPUSpecOverrides{})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		s, err := NewServerJSON(g, ModelSpec{Params: params, BytesPerParam: bpp}, config)
		checkErr(t, "NewServer", err)
		if err == nil {
			r, err := s.Run(Requests{[]float64{a0, a1}, []int64{p0, small(p0, 1<<24, 4096) + 1}, []int64{o0, small(o0, 1<<24, 512) + 1}}, nil)
			checkErr(t, "Run", err)
			if err == nil {
				checkFinite(t, "Run", r.Summary)
			}
			a, err := s.Aggregate(AggregateLoad{a0, float64(p0), float64(o0), a1})
			checkErr(t, "Aggregate", err)
			checkFinite(t, "Aggregate", a)
		}
		r, err := SyntheticRequestsJSON(stream)
		checkErr(t, "SyntheticRequests", err)
		if err == nil && len(r.ArrivalSeconds) > 0 {
			_, err = ScaleTrace(r, ScaleRule{MeanRatePerSecond: 5, DurationSeconds: 60})
			checkErr(t, "ScaleTrace", err)
		}
	})
}
