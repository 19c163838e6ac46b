package hcpcore

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The typed configurations against the core: each struct marshals to the JSON its comments say,
// a handle built from the struct behaves exactly as one built from the equivalent JSON text, and
// a bad value set through the struct is still ErrInvalidInput naming the field.

// sameJSON fails unless got marshals to the same JSON value as want (key order aside).
func sameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	text, err := marshalConfig(what, got)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var g, w any
	if err := json.Unmarshal([]byte(text), &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s marshals to\n%s\nwant\n%s", what, text, want)
	}
}

// wantConfigField fails unless err is ErrInvalidInput whose message starts with the field.
func wantConfigField(t *testing.T, what string, err error, field string) {
	t.Helper()
	var he *Error
	if !errors.Is(err, ErrInvalidInput) || !errors.As(err, &he) || !strings.HasPrefix(he.Message(), field) {
		t.Fatalf("%s: got %v, want InvalidInput naming %q", what, err, field)
	}
}

func TestRouterConfigRoundTrip(t *testing.T) {
	cfg := RouterConfig{
		WorkloadTypes:    map[string]WorkloadTypeConfig{"embedding": {Priority: 3, DeviceKind: "gpu", GPUMemoryGB: 8, Preemptible: Bool(false), OnMiss: "drop", LatencyBoundMS: Float64(50)}},
		AgingSeconds:     Float64(0),
		PlacementWeights: &PlacementWeights{Locality: Float64(0)},
		MaxCandidates:    8, CandidatesPerSite: 2,
		Customers:       map[string]CustomerConfig{"acme": {Weight: 3, MaxQueued: Uint32(2)}},
		DefaultCustomer: &CustomerConfig{Weight: 2},
		Sites:           map[string]RouterSite{"s1": {PowerCapKW: 5}},
		Preemption:      Bool(false), ManualClock: true, MaxCustomers: 10, FirstWorkloadID: 100,
	}
	text := `{"workload_types": {"embedding": {"priority": 3, "device_kind": "gpu", "gpu_memory_gb": 8, "preemptible": false, "on_miss": "drop", "latency_bound_ms": 50}},
		"aging_seconds": 0, "placement_weights": {"locality": 0}, "max_candidates": 8, "candidates_per_site": 2,
		"customers": {"acme": {"weight": 3, "max_queued": 2}}, "default_customer": {"weight": 2},
		"sites": {"s1": {"power_cap_kw": 5}}, "preemption": false, "manual_clock": true, "max_customers": 10, "first_workload_id": 100}`
	sameJSON(t, "RouterConfig", cfg, text)
	sameJSON(t, "RouterConfig{}", RouterConfig{}, `{}`)
	observe := func(r *Router, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, d := range []string{"g1", "g2"} {
			if err := r.AddDevice(d, "gpu", "H100_SXM", "s1", 0); err != nil {
				t.Fatal(err)
			}
		}
		var out []any
		for i := 0; i < 3; i++ {
			s, err := r.TrySubmit("acme", "embedding", SubmitOptions{})
			out = append(out, s, err)
		}
		a, err := r.DispatchBatch(4)
		out = append(out, a, err)
		w, err := r.Workload(100)
		c, err2 := r.Customer("acme")
		o, err3 := r.Customer("other")
		out = append(out, w, err, c, err2, o, err3)
		b, _ := json.Marshal(out)
		return string(b)
	}
	typed, raw := observe(NewRouter(cfg)), observe(NewRouterJSON(text))
	if typed != raw {
		t.Fatalf("typed config behaves differently:\n%s\n%s", typed, raw)
	}
	if !strings.Contains(typed, `"workload_id":100`) || !strings.Contains(typed, `"weight":2`) {
		t.Fatalf("the config did not take effect: %s", typed)
	}
	for _, c := range []struct {
		cfg   RouterConfig
		field string
	}{
		{RouterConfig{MaxCandidates: 99}, "max_candidates"},
		{RouterConfig{AgingSeconds: Float64(-1)}, "aging_seconds"},
		{RouterConfig{AgingSeconds: Float64(math.NaN())}, "aging_seconds"},
		{RouterConfig{PlacementWeights: &PlacementWeights{Fit: Float64(-1)}}, "placement_weights.fit"},
		{RouterConfig{Customers: map[string]CustomerConfig{"a": {Weight: 2_000_000}}}, "weight"},
		{RouterConfig{Sites: map[string]RouterSite{"s": {PowerCapKW: math.Inf(1)}}}, "sites.s.power_cap_kw"},
		{RouterConfig{WorkloadTypes: map[string]WorkloadTypeConfig{"x": {Priority: 11, DeviceKind: "gpu"}}}, "priority"},
	} {
		_, err := NewRouter(c.cfg)
		wantConfigField(t, c.field, err, c.field)
	}
}

func TestFleetConfigRoundTrip(t *testing.T) {
	cfg := FleetConfig{
		DTSeconds: 30, Seed: 9, AmbientC: Float64(0), RecordEverySteps: 2, SettleEverySeconds: 600,
		Faults:     &FaultRates{GPUXIDFatalPerHour: Float64(0), ThermalEventPerHour: Float64(0.5)},
		Pool:       &PoolConfig{URL: "stratum+tcp://p:3333", User: "w", ShareDifficulty: 65536, PoolFee: 0.02},
		HostMemory: "pageable", KVContextTokens: Uint64(0), KeepEvents: Bool(false), Threads: 1,
	}
	text := `{"dt_seconds": 30, "seed": 9, "ambient_c": 0, "record_every_steps": 2, "settle_every_seconds": 600,
		"faults": {"gpu_xid_fatal_per_hour": 0, "thermal_event_per_hour": 0.5},
		"pool": {"url": "stratum+tcp://p:3333", "user": "w", "share_difficulty": 65536, "pool_fee": 0.02},
		"host_memory": "pageable", "kv_context_tokens": 0, "keep_events": false, "threads": 1}`
	sameJSON(t, "FleetConfig", cfg, text)
	market := SyntheticConfig{BTCUSD: 120_000, BTCJumpsPerYear: Float64(0), Height: Uint64(900_000), SpikesPerDay: Float64(2)}
	marketText := `{"btc_usd": 120000, "btc_jumps_per_year": 0, "height": 900000, "spikes_per_day": 2}`
	sameJSON(t, "SyntheticConfig", market, marketText)
	observe := func(f *Fleet, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.AddGPUs("sxm", 2); err != nil {
			t.Fatal(err)
		}
		if _, err := f.AddMiners("S21", 3); err != nil {
			t.Fatal(err)
		}
		if err := f.SetMarketSynthetic(4, market); err != nil {
			t.Fatal(err)
		}
		if err := f.Command([]int64{0}, SwitchCommand(ModelSpec{Params: 8e9, BytesPerParam: 2}, 16, "pinned", false)); err != nil {
			t.Fatal(err)
		}
		if err := f.Command([]int64{2, 3}, MineCommand("low")); err != nil {
			t.Fatal(err)
		}
		if err := f.Run(240); err != nil {
			t.Fatal(err)
		}
		series, err := f.Series()
		if err != nil {
			t.Fatal(err)
		}
		sum, err := f.Summary()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal([]any{series, sum})
		return string(b)
	}
	typed, raw := observe(NewFleet(cfg)), observe(NewFleetJSON(text))
	if typed != raw {
		t.Fatal("a fleet from the typed config ran differently from one from the JSON")
	}
	// The market config: the typed and JSON forms give the same series, unlike the default.
	a, err := SyntheticSeries(context.Background(), market, 4, 48, 3600)
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarketSeries("synthetic", marketText, "", 4, 48, 3600)
	if err != nil {
		t.Fatal(err)
	}
	d, err := SyntheticSeries(context.Background(), SyntheticConfig{}, 4, 48, 3600)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, d) || a["btc_usd"][0] != 120_000 {
		t.Fatal("SyntheticConfig did not reach the core as its JSON does")
	}
	// Commands: each constructor marshals to the JSON the core documents.
	sameJSON(t, "ServeCommand", ServeCommand(ModelSpec{Params: 8e9, BytesPerParam: 2}, 32), `{"command":"serve","model":{"params":8e9,"bytes_per_param":2},"batch":32}`)
	sameJSON(t, "SwitchCommand", SwitchCommand(ModelSpec{Params: 8e9, BytesPerParam: 2}, 8, "pageable", false),
		`{"command":"switch","model":{"params":8e9,"bytes_per_param":2},"batch":8,"host_memory":"pageable","warm_context":false}`)
	sameJSON(t, "MineCommand", MineCommand("low"), `{"command":"mine","mode":"low"}`)
	sameJSON(t, "SleepCommand", SleepCommand(), `{"command":"sleep"}`)
	sameJSON(t, "WakeCommand", WakeCommand(), `{"command":"wake"}`)
	for _, c := range []struct {
		cfg   FleetConfig
		field string
	}{
		{FleetConfig{DTSeconds: -1}, "dt_seconds"},
		{FleetConfig{DTSeconds: math.NaN()}, "dt_seconds"},
		{FleetConfig{AmbientC: Float64(200)}, "ambient_c"},
		{FleetConfig{Faults: &FaultRates{GPUResetSeconds: Float64(math.Inf(-1))}}, "faults.gpu_reset_seconds"},
		{FleetConfig{Pool: &PoolConfig{URL: "u", User: "w", ShareDifficulty: 1, PoolFee: 1}}, "pool_fee"},
		{FleetConfig{HostMemory: "swap"}, "config"},
		{FleetConfig{Threads: 5000}, "threads"},
	} {
		_, err := NewFleet(c.cfg)
		wantConfigField(t, c.field, err, c.field)
	}
	f, err := NewFleet(FleetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantConfigField(t, "SyntheticConfig.btc_usd", f.SetMarketSynthetic(1, SyntheticConfig{BTCUSD: -5}), "btc_usd")
	wantConfigField(t, "SyntheticConfig.spikes_per_day", f.SetMarketSynthetic(1, SyntheticConfig{SpikesPerDay: Float64(-1)}), "spikes_per_day")
	if _, err := f.AddGPUs("sxm", 1); err != nil {
		t.Fatal(err)
	}
	wantConfigField(t, "ServeCommand(batch 0)", f.Command([]int64{0}, ServeCommand(ModelSpec{Params: 8e9, BytesPerParam: 2}, 0)), "command")
	wantConfigField(t, "MineCommand(turbo)", f.Command([]int64{0}, MineCommand("turbo")), "command")
}

func TestGPUSpecOverridesRoundTrip(t *testing.T) {
	o := GPUSpecOverrides{Power: &GPUPowerOverrides{LimitWatts: Float64(450)}, Thermal: &GPUThermalOverrides{InletTempC: Float64(35)}}
	text := `{"power": {"limit_watts": 450}, "thermal": {"inlet_temp_c": 35}}`
	sameJSON(t, "GPUSpecOverrides", o, text)
	decode := func(g *H100, err error) Decode {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		d, err := g.Decode(ModelSpec{Params: 8e9, BytesPerParam: 2}, 64, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	typed, raw, plain := decode(NewH100("sxm", o)), decode(NewH100JSON("sxm", text)), decode(NewH100("sxm", GPUSpecOverrides{}))
	if typed != raw || typed == plain || typed.PowerWatts > 450 {
		t.Fatalf("overrides did not reach the core as their JSON does: %+v / %+v / %+v", typed, raw, plain)
	}
	_, err := NewH100("sxm", GPUSpecOverrides{Power: &GPUPowerOverrides{LimitWatts: Float64(-5)}})
	wantConfigField(t, "limit_watts -5", err, "power.limit_watts")
	_, err = NewH100("sxm", GPUSpecOverrides{Decode: &GPUDecodeOverrides{}, Power: &GPUPowerOverrides{IdleWatts: Float64(math.NaN())}})
	wantConfigField(t, "idle_watts NaN", err, "power.idle_watts")
}

// TestGPUSpecOverridesCoverSpec sets every leaf field of GPUSpecOverrides alone: the core must
// know each JSON name (an unknown one is refused as "unknown field"), so a field renamed or
// removed in hcpcore::sim::GpuSpec fails here.
func TestGPUSpecOverridesCoverSpec(t *testing.T) {
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) { // every field set: pointers to 1, strings "x"
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			switch {
			case f.Kind() == reflect.String:
				f.SetString("x")
			case f.Type().Elem().Kind() == reflect.Struct:
				f.Set(reflect.New(f.Type().Elem()))
				fill(f.Elem())
			default:
				f.Set(reflect.New(f.Type().Elem()))
				f.Elem().Set(reflect.ValueOf(1).Convert(f.Type().Elem()))
			}
		}
	}
	var all GPUSpecOverrides
	fill(reflect.ValueOf(&all).Elem())
	text, err := marshalConfig("overrides", all)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	leaves := 0
	for name, v := range doc {
		section, isSection := v.(map[string]any)
		if !isSection {
			section = map[string]any{"": v}
		}
		for field, value := range section {
			one := map[string]any{name: value}
			if isSection {
				one = map[string]any{name: map[string]any{field: value}}
			}
			b, _ := json.Marshal(one)
			g, err := NewH100JSON("sxm", string(b))
			if err == nil {
				g.Close()
			} else if !errors.Is(err, ErrInvalidInput) || strings.Contains(err.Error(), "unknown field") {
				t.Errorf("%s: the core does not take it: %v", b, err)
			}
			leaves++
		}
	}
	if leaves < 50 {
		t.Fatalf("only %d leaf fields", leaves)
	}
}

func TestChargeConfigRoundTrip(t *testing.T) {
	for _, c := range []struct {
		cfg  ChargeConfig
		text string
	}{
		{ChargeConfig{Model: "standard", Amount: "0.25"}, `{"model": "standard", "amount": "0.25"}`},
		{ChargeConfig{Model: "graduated", Tiers: []ChargeTier{{UpTo: "10", PerUnitAmount: "10", FlatAmount: "2"}, {PerUnitAmount: "5"}}},
			`{"model": "graduated", "tiers": [{"up_to": "10", "per_unit_amount": "10", "flat_amount": "2"}, {"per_unit_amount": "5"}]}`},
		{ChargeConfig{Model: "volume", Tiers: []ChargeTier{{UpTo: "100", PerUnitAmount: "1"}, {PerUnitAmount: "0.5", FlatAmount: "10"}}},
			`{"model": "volume", "tiers": [{"up_to": "100", "per_unit_amount": "1"}, {"per_unit_amount": "0.5", "flat_amount": "10"}]}`},
		{ChargeConfig{Model: "package", Amount: "5", PackageSize: "100", FreeUnits: "50"},
			`{"model": "package", "amount": "5", "package_size": "100", "free_units": "50"}`},
		{ChargeConfig{Model: "percentage", Rate: "2.5", FixedAmount: "0.1", FreeUnitsPerEvents: Uint64(0), PerTransactionMinAmount: "0.2", PerTransactionMaxAmount: "3"},
			`{"model": "percentage", "rate": "2.5", "fixed_amount": "0.1", "free_units_per_events": 0, "per_transaction_min_amount": "0.2", "per_transaction_max_amount": "3"}`},
		{ChargeConfig{Model: "graduated_percentage", Tiers: []ChargeTier{{UpTo: "1000", Rate: "2"}, {Rate: "1", FlatAmount: "1"}}},
			`{"model": "graduated_percentage", "tiers": [{"up_to": "1000", "rate": "2"}, {"rate": "1", "flat_amount": "1"}]}`},
		{ChargeConfig{Model: "standard", Amount: "2.49", TransformQuantity: &QuantityTransform{DivideBy: "3600", Round: "down"}},
			`{"model": "standard", "amount": "2.49", "transform_quantity": {"divide_by": "3600", "round": "down"}}`},
	} {
		sameJSON(t, c.cfg.Model, c.cfg, c.text)
		typed, err := NewCharge(c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.cfg.Model, err)
		}
		raw, err := NewChargeJSON(c.text)
		if err != nil {
			t.Fatal(err)
		}
		events := []ChargeEvent{{Quantity: "40"}, {Quantity: "700"}, {Quantity: "9000"}}
		for _, units := range []string{"0", "7", "150", "12345.5"} {
			a, errA := typed.Amount(units)
			b, errB := raw.Amount(units)
			if a != b || (errA == nil) != (errB == nil) {
				t.Fatalf("%s at %s: typed %s %v, JSON %s %v", c.cfg.Model, units, a, errA, b, errB)
			}
		}
		a, errA := typed.AmountForEvents(events)
		b, errB := raw.AmountForEventsJSON(`[{"quantity": "40"}, {"quantity": 700}, {"quantity": "9000"}]`)
		if a != b || (errA == nil) != (errB == nil) {
			t.Fatalf("%s for events: typed %s %v, JSON %s %v", c.cfg.Model, a, errA, b, errB)
		}
		typed.Close()
		raw.Close()
	}
	for _, c := range []struct {
		cfg   ChargeConfig
		field string
	}{
		{ChargeConfig{Model: "standard", Amount: "-1"}, "amount"},
		{ChargeConfig{Model: "standard"}, "amount"},
		{ChargeConfig{Model: "tiered"}, "model"},
		{ChargeConfig{Model: "package", Amount: "1", PackageSize: "0"}, "package_size"},
		{ChargeConfig{Model: "graduated", Tiers: []ChargeTier{{UpTo: "10", PerUnitAmount: "1"}, {UpTo: "5", PerUnitAmount: "1"}}}, "tiers"},
		{ChargeConfig{Model: "percentage", Rate: "1", PerTransactionMinAmount: "5", PerTransactionMaxAmount: "1"}, "per_transaction_min_amount"},
		{ChargeConfig{Model: "standard", Amount: "1", TransformQuantity: &QuantityTransform{DivideBy: "0"}}, "transform_quantity.divide_by"},
	} {
		_, err := NewCharge(c.cfg)
		wantConfigField(t, c.field, err, c.field)
	}
}

func TestPlanConfigRoundTrip(t *testing.T) {
	cfg := PlanConfig{
		Code: "gpu", Currency: CurrencyConfig{Code: "USD"}, Interval: "monthly", Rounding: "half_even",
		Meters: []MeterConfig{
			{Code: "gpu_hours", Aggregation: "sum", FieldName: "hours", GroupBy: []string{"gpu_model"}, Name: "GPU hours"},
			{Code: "requests", Aggregation: "count"},
		},
		Charges: []PlanCharge{
			{MeterCode: "gpu_hours", ChargeConfig: ChargeConfig{Model: "graduated", Tiers: []ChargeTier{{UpTo: "100", PerUnitAmount: "2.49"}, {PerUnitAmount: "1.99"}}}},
			{MeterCode: "requests", Name: "API calls", PayInAdvance: true, ChargeConfig: ChargeConfig{Model: "standard", Amount: "0.001"}},
		},
		MinimumCommitment: "50",
		Versions: []PlanVersion{{EffectiveFrom: "2026-12-01T00:00:00Z", MinimumCommitment: "60",
			Charges: []PlanCharge{{MeterCode: "gpu_hours", ChargeConfig: ChargeConfig{Model: "standard", Amount: "2"}}}}},
	}
	text := `{"code": "gpu", "currency": "USD", "interval": "monthly", "rounding": "half_even",
		"meters": [{"code": "gpu_hours", "aggregation": "sum", "field_name": "hours", "group_by": ["gpu_model"], "name": "GPU hours"},
		           {"code": "requests", "aggregation": "count"}],
		"charges": [{"meter_code": "gpu_hours", "model": "graduated", "tiers": [{"up_to": "100", "per_unit_amount": "2.49"}, {"per_unit_amount": "1.99"}]},
		            {"meter_code": "requests", "name": "API calls", "pay_in_advance": true, "model": "standard", "amount": "0.001"}],
		"minimum_commitment": "50",
		"versions": [{"effective_from": "2026-12-01T00:00:00Z", "minimum_commitment": "60",
		              "charges": [{"meter_code": "gpu_hours", "model": "standard", "amount": "2"}]}]}`
	sameJSON(t, "PlanConfig", cfg, text)
	sameJSON(t, "CurrencyConfig", CurrencyConfig{Code: "XBT", MinorUnits: Uint32(8)}, `{"code": "XBT", "minor_units": 8}`)
	sub := Subscription{CustomerID: "acme", Start: "2026-11-01", BillingAnchor: "subscription", TaxRate: "20", WalletCredits: "5",
		Coupons: []Coupon{{Code: "WELCOME", CouponType: "percentage", PercentageRate: "10", Frequency: "recurring", FrequencyDuration: 2}}}
	subText := `{"customer_id": "acme", "start": "2026-11-01", "billing_anchor": "subscription", "tax_rate": "20", "wallet_credits": "5",
		"coupons": [{"code": "WELCOME", "coupon_type": "percentage", "percentage_rate": "10", "frequency": "recurring", "frequency_duration": 2}]}`
	sameJSON(t, "Subscription", sub, subText)
	usage := []PlannedUsage{{MeterCode: "gpu_hours", Quantity: "150", Properties: map[string]any{"hours": "150", "gpu_model": "H100"}}, {MeterCode: "requests", Quantity: "2000"}}
	typed, err := NewPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer typed.Close()
	raw, err := NewPlanJSON(text)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var rawSub Subscription
	strictDecode(t, []byte(subText), &rawSub)
	for _, at := range []string{"2026-11-05", "2026-12-05"} {
		a, err := typed.Estimate(sub, at, usage)
		if err != nil {
			t.Fatal(err)
		}
		b, err := raw.Estimate(rawSub, at, usage)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) || a.Total == "0.00" {
			t.Fatalf("estimate at %s: typed %+v, JSON %+v", at, a, b)
		}
	}
	for _, c := range []struct {
		cfg   PlanConfig
		field string
	}{
		{PlanConfig{}, "currency"},
		{PlanConfig{Currency: CurrencyConfig{Code: "US$"}}, "currency"},
		{PlanConfig{Currency: CurrencyConfig{Code: "XBT", MinorUnits: Uint32(9)}}, "currency.minor_units"},
		{PlanConfig{Currency: CurrencyConfig{Code: "USD"}, Interval: "daily"}, "interval"},
		{PlanConfig{Currency: CurrencyConfig{Code: "USD"}, Charges: []PlanCharge{{MeterCode: "nope", ChargeConfig: ChargeConfig{Model: "standard", Amount: "1"}}}}, "charges[0].meter_code"},
		{PlanConfig{Currency: CurrencyConfig{Code: "USD"}, Meters: []MeterConfig{{Code: "m", Aggregation: "median"}}}, "meters[0]"},
	} {
		_, err := NewPlan(c.cfg)
		wantConfigField(t, c.field, err, c.field)
	}
	l := NewMemoryLedger()
	defer l.Close()
	_, err = l.PreviewInvoice(typed, Subscription{CustomerID: "acme", Start: "soon"}, "2026-11-05")
	wantConfigField(t, "Subscription.Start", err, "start")
	_, err = l.PreviewInvoice(typed, Subscription{CustomerID: "acme", Start: "2026-11-01", Coupons: []Coupon{{Code: "X", CouponType: "bogus"}}}, "2026-11-05")
	wantConfigField(t, "Coupon.CouponType", err, "coupons[0].coupon_type")
}

func TestServeConfigRoundTrip(t *testing.T) {
	cfg := ServeConfig{MaxBatch: 64, MaxTokensPerStep: 4096, Replicas: 2, MemoryUtilization: 0.8, Dispatch: "round_robin", Seed: 3,
		InletC: Float64(30), Switches: []ServeModelSwitch{{AtSeconds: 60, Replica: 1, Model: ModelSpec{Params: 8e9, BytesPerParam: 1}, WarmContext: Bool(false)}}}
	text := `{"max_batch": 64, "max_tokens_per_step": 4096, "replicas": 2, "memory_utilization": 0.8, "dispatch": "round_robin", "seed": 3,
		"inlet_c": 30, "switches": [{"at_seconds": 60, "replica": 1, "model": {"params": 8e9, "bytes_per_param": 1}, "warm_context": false}]}`
	sameJSON(t, "ServeConfig", cfg, text)
	gpu, err := NewH100("sxm", GPUSpecOverrides{})
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Close()
	model := ModelSpec{Params: 8e9, BytesPerParam: 2}
	typed, err := NewServer(gpu, model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := NewServerJSON(gpu, model, text)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := NewServer(gpu, model, ServeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	a, errA := typed.KVCapacityTokens()
	b, errB := raw.KVCapacityTokens()
	c, errC := plain.KVCapacityTokens()
	if errA != nil || errB != nil || errC != nil || a != b || a == c {
		t.Fatalf("KV capacity: typed %d %v, JSON %d %v, default %d %v", a, errA, b, errB, c, errC)
	}
	for _, c := range []struct {
		cfg   ServeConfig
		field string
	}{
		{ServeConfig{MaxBatch: 512, MaxTokensPerStep: 256}, "max_tokens_per_step"},
		{ServeConfig{MemoryUtilization: 1.5}, "memory_utilization"},
		{ServeConfig{InletC: Float64(math.NaN())}, "inlet_c"},
	} {
		_, err := NewServer(gpu, model, c.cfg)
		wantConfigField(t, c.field, err, c.field)
	}
}

func TestRequestStreamAndScaleRuleRoundTrip(t *testing.T) {
	stream := RequestStream{RatePerSecond: 3, Requests: 500, Burstiness: 2, Prompt: UniformLength(10, 100), Output: LogNormalLength(100, 0.5, 512), Seed: 7}
	text := `{"rate_per_second": 3, "requests": 500, "burstiness": 2, "prompt": {"kind": "uniform", "min": 10, "max": 100},
		"output": {"kind": "log_normal", "median": 100, "sigma": 0.5, "max": 512}, "seed": 7}`
	sameJSON(t, "RequestStream", stream, text)
	sameJSON(t, "FixedLength", FixedLength(64), `{"kind": "fixed", "tokens": 64}`)
	a, err := SyntheticRequests(stream)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SyntheticRequestsJSON(text)
	if err != nil {
		t.Fatal(err)
	}
	d, err := SyntheticRequests(RequestStream{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || len(a.ArrivalSeconds) != 500 || len(d.ArrivalSeconds) != 1000 {
		t.Fatalf("RequestStream did not reach the core as its JSON does: %d / %d / %d requests", len(a.ArrivalSeconds), len(b.ArrivalSeconds), len(d.ArrivalSeconds))
	}
	rule := ScaleRule{MeanRatePerSecond: 2, DurationSeconds: 600, DiurnalAmplitude: 0.3, PeakHour: Float64(0), WeekendFactor: Float64(0.5), StartWeekday: 5}
	ruleText := `{"mean_rate_per_second": 2, "duration_seconds": 600, "diurnal_amplitude": 0.3, "peak_hour": 0, "weekend_factor": 0.5, "start_weekday": 5}`
	sameJSON(t, "ScaleRule", rule, ruleText)
	x, err := ScaleTrace(a, rule)
	if err != nil {
		t.Fatal(err)
	}
	y, err := ScaleTraceJSON(a, ruleText)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x, y) || len(x.ArrivalSeconds) == 0 {
		t.Fatal("ScaleRule did not reach the core as its JSON does")
	}
	_, err = SyntheticRequests(RequestStream{Burstiness: math.Inf(1)})
	wantConfigField(t, "burstiness", err, "burstiness")
	_, err = ScaleTrace(a, ScaleRule{DiurnalAmplitude: 2})
	wantConfigField(t, "diurnal_amplitude", err, "diurnal_amplitude")
}
