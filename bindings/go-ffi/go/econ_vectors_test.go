package hcpcore

// Replays tests/vectors/econ.json, the cases the Rust, Python and Node suites replay too. Each case
// names an op (the Python API name), its arguments, and the expected value (compared within
// max(abs_tol, rel_tol·|want|), integers, strings and booleans exactly, objects on the keys given)
// or the expected error kind and the field its message must start with.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

const vectorsPath = "../../../tests/vectors/econ.json"

type vectorCase struct {
	Name   string          `json:"name"`
	Op     string          `json:"op"`
	Args   map[string]any  `json:"args"`
	Expect map[string]any  `json:"expect"`
	RelTol json.RawMessage `json:"rel_tol"`
	AbsTol json.RawMessage `json:"abs_tol"`
}

func loadEconVectors(t *testing.T) []vectorCase {
	t.Helper()
	f, err := os.Open(vectorsPath)
	if err != nil {
		t.Fatalf("open %s: %v", vectorsPath, err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var doc struct {
		Cases []vectorCase `json:"cases"`
	}
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode %s: %v", vectorsPath, err)
	}
	return doc.Cases
}

// num reads a number, or one of the strings "NaN", "Infinity", "-Infinity".
func num(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			panic(fmt.Sprintf("bad number %v", x))
		}
		return f
	case string:
		switch x {
		case "NaN":
			return math.NaN()
		case "Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
	}
	panic(fmt.Sprintf("not a number: %#v", v))
}

func integer(v any) int64 {
	n, err := v.(json.Number).Int64()
	if err != nil {
		panic(fmt.Sprintf("not an integer: %v", v))
	}
	return n
}

func optNum(o map[string]any, key string) *float64 {
	if v, ok := o[key]; ok && v != nil {
		return Float64(num(v))
	}
	return nil
}

func vectorMarket(v any) Market {
	o := v.(map[string]any)
	m := Market{
		BTCUSD:          num(o["btc_usd"]),
		Difficulty:      num(o["difficulty"]),
		Height:          integer(o["height"]),
		FeesBTCPerBlock: optNum(o, "fees_btc_per_block"),
		FeeShare:        optNum(o, "fee_share"),
	}
	if p := optNum(o, "electricity_usd_per_kwh"); p != nil {
		m.ElectricityUSDPerKWh = *p
	}
	if p := optNum(o, "gpu_usd_per_hour"); p != nil {
		m.GPUUSDPerHour = *p
	}
	if p := optNum(o, "usd_per_million_tokens"); p != nil {
		m.USDPerMillionTokens = *p
	}
	return m
}

func vectorModel(v any) (DeviceModel, error) {
	switch x := v.(type) {
	case string:
		return GetModel(x)
	case map[string]any:
		return NewASICModel(x["name"].(string), num(x["hashrate_ths"]), num(x["joules_per_th"]))
	}
	panic(fmt.Sprintf("bad model argument %#v", v))
}

func vectorTerms(a map[string]any) Terms {
	t := DefaultTerms()
	if p := optNum(a, "pool_fee"); p != nil {
		t.PoolFee = *p
	}
	if p := optNum(a, "pue"); p != nil {
		t.PUE = *p
	}
	if p := optNum(a, "gpu_utilisation"); p != nil {
		t.GPUUtilisation = *p
	}
	t.TokensPerSecond = optNum(a, "tokens_per_second")
	if p := optNum(a, "demand_response_usd_per_mwh"); p != nil {
		t.DemandResponseUSDPerMWh = *p
	}
	return t
}

func vectorPolicy(v any) SwitchPolicy {
	o := v.(map[string]any)
	var p SwitchPolicy
	if x := optNum(o, "switch_seconds"); x != nil {
		p.SwitchSeconds = *x
	}
	if x := optNum(o, "wear_usd_per_switch"); x != nil {
		p.WearUSDPerSwitch = *x
	}
	if x := optNum(o, "min_dwell_seconds"); x != nil {
		p.MinDwellSeconds = *x
	}
	p.OverrideGainUSDPerHour = optNum(o, "override_gain_usd_per_hour")
	return p
}

func optValue(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func actionValueMap(v ActionValue) map[string]any {
	return map[string]any{
		"action":                   v.Action.String(),
		"facility_watts":           v.FacilityWatts,
		"btc_per_hour":             v.BTCPerHour,
		"revenue_usd_per_hour":     v.RevenueUSDPerHour,
		"energy_cost_usd_per_hour": v.EnergyCostUSDPerHour,
		"credit_usd_per_hour":      v.CreditUSDPerHour,
		"profit_usd_per_hour":      v.ProfitUSDPerHour,
	}
}

func sitePlanMap(p SitePlan) map[string]any {
	groups := make([]any, len(p.Groups))
	running := make([]any, len(p.Groups))
	curtailed := make([]any, len(p.Groups))
	for i, g := range p.Groups {
		groups[i] = map[string]any{
			"model": g.Model, "kind": g.Kind.String(), "count": int64(g.Count), "running": int64(g.Running),
			"curtailed": int64(g.Curtailed), "running_value": actionValueMap(g.RunningValue),
			"curtailed_value": actionValueMap(g.CurtailedValue), "usd_per_kwh": g.USDPerKWh,
		}
		running[i] = int64(g.Running)
		curtailed[i] = int64(g.Curtailed)
	}
	return map[string]any{
		"groups": groups, "running": running, "curtailed": curtailed,
		"cap_kw": p.CapKW, "facility_kw": p.FacilityKW, "mining_kw": p.MiningKW, "gpu_kw": p.GPUKW,
		"curtailed_kw": p.CurtailedKW, "devices_running": int64(p.DevicesRunning),
		"devices_curtailed": int64(p.DevicesCurtailed), "btc_per_hour": p.BTCPerHour,
		"mining_revenue_usd_per_hour": p.MiningRevenueUSDPerHour, "gpu_revenue_usd_per_hour": p.GPURevenueUSDPerHour,
		"energy_cost_usd_per_hour": p.EnergyCostUSDPerHour, "credit_usd_per_hour": p.CreditUSDPerHour,
		"profit_usd_per_hour": p.ProfitUSDPerHour,
	}
}

// runVector performs one case's op through the public Go API and returns its result as JSON-like data.
func runVector(op string, a map[string]any) (any, error) {
	switch op {
	case "block_subsidy_btc":
		return BlockSubsidyBTC(integer(a["height"]))
	case "block_subsidy_sats":
		v, err := BlockSubsidySats(integer(a["height"]))
		return int64(v), err
	case "hashprice_usd_per_ph_day":
		return HashpriceUSDPerPHDay(vectorMarket(a["market"]))
	case "hashprice_usd_per_th_day":
		return HashpriceUSDPerTHDay(vectorMarket(a["market"]))
	case "hashprice_btc_per_ph_day":
		return HashpriceBTCPerPHDay(vectorMarket(a["market"]))
	case "hashprice_btc_per_th_day":
		return HashpriceBTCPerTHDay(vectorMarket(a["market"]))
	case "network_hashrate_hs":
		return NetworkHashrateHs(num(a["difficulty"]))
	case "expected_btc_per_day":
		return ExpectedBTCPerDay(num(a["hashrate_ths"]), vectorMarket(a["market"]))
	case "market":
		m := vectorMarket(a["market"])
		if err := m.Validate(); err != nil {
			return nil, err
		}
		return map[string]any{
			"btc_usd": m.BTCUSD, "difficulty": m.Difficulty, "height": m.Height,
			"fees_btc_per_block": optValue(m.FeesBTCPerBlock), "fee_share": optValue(m.FeeShare),
			"electricity_usd_per_kwh": m.ElectricityUSDPerKWh, "gpu_usd_per_hour": m.GPUUSDPerHour,
			"usd_per_million_tokens": m.USDPerMillionTokens,
		}, nil
	case "miner_daily":
		model, err := vectorModel(a["model"])
		if err != nil {
			return nil, err
		}
		d, err := MinerDailyFor(model, vectorMarket(a["market"]), vectorTerms(a))
		return map[string]any{
			"btc": d.BTC, "revenue_usd": d.RevenueUSD, "energy_kwh": d.EnergyKWh,
			"energy_cost_usd": d.EnergyCostUSD, "profit_usd": d.ProfitUSD,
		}, err
	case "breakeven_usd_per_kwh":
		model, err := vectorModel(a["model"])
		if err != nil {
			return nil, err
		}
		return BreakevenUSDPerKWh(model, vectorMarket(a["market"]), vectorTerms(a))
	case "gpu_hourly":
		model, err := vectorModel(a["model"])
		if err != nil {
			return nil, err
		}
		g, err := GPUHourly(model, vectorMarket(a["market"]), vectorTerms(a))
		return map[string]any{
			"hours": g.Hours, "revenue_usd": g.RevenueUSD, "energy_kwh": g.EnergyKWh,
			"energy_cost_usd": g.EnergyCostUSD, "profit_usd": g.ProfitUSD,
		}, err
	case "site_plan":
		var groups []DeviceGroup
		for _, d := range a["devices"].([]any) {
			o := d.(map[string]any)
			model, err := vectorModel(o["model"])
			if err != nil {
				return nil, err
			}
			groups = append(groups, DeviceGroup{Model: model, Count: uint32(integer(o["count"]))})
		}
		site, err := NewSite(groups, num(a["cap_kw"]), vectorTerms(a))
		if err != nil {
			return nil, err
		}
		defer site.Close()
		plan, err := site.Plan(vectorMarket(a["market"]))
		if err != nil {
			return nil, err
		}
		return sitePlanMap(plan), nil
	case "decide_series":
		model, err := vectorModel(a["model"])
		if err != nil {
			return nil, err
		}
		initial, err := ParseAction(a["initial"].(string))
		if err != nil {
			return nil, err
		}
		d, err := NewDecider(model, vectorTerms(a), vectorPolicy(a["policy"]), initial)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		base := vectorMarket(a["market"])
		var markets []Market
		for _, p := range a["electricity_usd_per_kwh"].([]any) {
			m := base
			m.ElectricityUSDPerKWh = num(p)
			markets = append(markets, m)
		}
		actions, err := d.StepSeries(markets, num(a["dt_seconds"]))
		if err != nil {
			return nil, err
		}
		switches, err := d.Switches()
		names := make([]any, len(actions))
		for i, x := range actions {
			names[i] = x.String()
		}
		return map[string]any{"switches": int64(switches), "actions": names}, err
	}
	panic("unknown op " + op)
}

// isInteger reports whether a JSON number was written as an integer.
func isInteger(n json.Number) bool { return !strings.ContainsAny(string(n), ".eE") }

// closeTo compares got (Go data) with want (decoded JSON) as the vectors' conventions say.
func closeTo(got, want any, rel, abs float64, path string) error {
	switch w := want.(type) {
	case json.Number:
		var g float64
		switch x := got.(type) {
		case float64:
			g = x
		case int64:
			if isInteger(w) {
				if wi, err := w.Int64(); err != nil || wi != x {
					return fmt.Errorf("%s: got %d, want %s", path, x, w)
				}
				return nil
			}
			g = float64(x)
		default:
			return fmt.Errorf("%s: got %#v, want the number %s", path, got, w)
		}
		wf := num(w)
		tol := math.Max(abs, rel*math.Abs(wf))
		if math.IsNaN(g) || math.IsInf(g, 0) || math.Abs(g-wf) > tol {
			return fmt.Errorf("%s: got %v, want %v (tol %g)", path, g, wf, tol)
		}
		return nil
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %#v, want an object", path, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s: missing key %s", path, k)
			}
			if err := closeTo(gv, wv, rel, abs, path+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: got %#v, want %d elements", path, got, len(w))
		}
		for i := range w {
			if err := closeTo(g[i], w[i], rel, abs, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	default:
		if got != want {
			return fmt.Errorf("%s: got %#v, want %#v", path, got, want)
		}
		return nil
	}
}

func tolerance(raw json.RawMessage, def float64) float64 {
	if len(raw) == 0 {
		return def
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	return num(v)
}

func TestEconVectors(t *testing.T) {
	cases := loadEconVectors(t)
	if len(cases) < 60 {
		t.Fatalf("only %d cases in %s", len(cases), vectorsPath)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := runVector(c.Op, c.Args)
			if kind, ok := c.Expect["error"].(string); ok {
				field := c.Expect["field"].(string)
				var he *Error
				switch {
				case err == nil:
					t.Fatalf("got %#v, want error %s naming %s", got, kind, field)
				case !errors.As(err, &he):
					t.Fatalf("error %v is not an *hcpcore.Error", err)
				case he.Kind().String() != kind:
					t.Fatalf("got error kind %s (%v), want %s", he.Kind(), err, kind)
				case !strings.HasPrefix(he.Message(), field+":"):
					t.Fatalf("message %q does not name %s", he.Message(), field)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if err := closeTo(got, c.Expect["value"], tolerance(c.RelTol, 1e-9), tolerance(c.AbsTol, 0), "value"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The sentinel errors match on the kind, as the vectors' error cases rely on.
func TestVectorErrorsMatchSentinels(t *testing.T) {
	_, err := HashpriceUSDPerPHDay(Market{BTCUSD: math.NaN(), Difficulty: 1e14, Height: 840_000})
	if !errors.Is(err, ErrInvalidInput) || errors.Is(err, ErrNotFound) {
		t.Fatalf("errors.Is: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "hcpcore: btc_usd:") {
		t.Fatalf("Error() = %q", err.Error())
	}
}
