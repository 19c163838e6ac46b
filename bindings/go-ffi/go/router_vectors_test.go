package hcpcore

// Replays tests/vectors/router.json, the scenarios the Rust, Python and Node suites replay too:
// each scenario builds a router from its config and runs its steps on one goroutine, checking
// every expected result and error kind.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"
)

type routerScenario struct {
	Name        string           `json:"name"`
	Config      json.RawMessage  `json:"config"`
	ConfigError string           `json:"config_error"`
	Steps       []map[string]any `json:"steps"`
}

func str(v any) string { s, _ := v.(string); return s }

func optF(v any) *float64 {
	if v == nil {
		return nil
	}
	f := num(v)
	return &f
}

func optI(v any) *int64 {
	if v == nil {
		return nil
	}
	i := int64(num(v))
	return &i
}

// toMap turns a result struct into the JSON shape the vectors use.
func toMap(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	dec := json.NewDecoder(bytesReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		panic(err)
	}
	return out
}

func optU32(v any) *uint32 {
	if v == nil {
		return nil
	}
	u := uint32(num(v))
	return &u
}

func submitOptions(s map[string]any) SubmitOptions {
	return SubmitOptions{
		Priority: optI(s["priority"]), GPUs: optI(s["gpus"]), GPUMemoryGB: optF(s["gpu_memory_gb"]), Site: str(s["site"]),
		LatencyBoundMS: optF(s["latency_bound_ms"]), DeadlineSeconds: optF(s["deadline_seconds"]),
	}
}

func runRouterStep(r *Router, s map[string]any) (any, error) {
	id := uint64(0)
	if v, ok := s["workload_id"]; ok {
		id = uint64(num(v))
	}
	var cust []string
	if c, ok := s["customer_id"].(string); ok && s["op"] != "submit" {
		cust = []string{c}
	}
	switch s["op"] {
	case "add_device":
		mem := 0.0
		if v, ok := s["gpu_memory_gb"]; ok {
			mem = num(v)
		}
		return nil, r.AddDevice(str(s["device_id"]), str(s["kind"]), str(s["model"]), str(s["site"]), mem)
	case "submit":
		wid, err := r.Submit(str(s["customer_id"]), str(s["workload_type"]), submitOptions(s))
		return map[string]any{"workload_id": json.Number(fmt.Sprint(wid))}, err
	case "try_submit":
		sub, err := r.TrySubmit(str(s["customer_id"]), str(s["workload_type"]), submitOptions(s))
		return toMap(sub), err
	case "dispatch":
		a, err := r.Dispatch()
		if a == nil || err != nil {
			return nil, err
		}
		return toMap(a), nil
	case "dispatch_batch":
		out, err := r.DispatchBatch(int(num(s["max"])))
		return toMap(map[string]any{"workload_ids": out.WorkloadIDs}), err
	case "start":
		return nil, r.Start(id, cust...)
	case "complete":
		return nil, r.Complete(id, cust...)
	case "fail":
		return nil, r.Fail(id, cust...)
	case "cancel":
		return nil, r.Cancel(id, cust...)
	case "preempt":
		return nil, r.Preempt(id)
	case "workload":
		w, err := r.Workload(id, cust...)
		return toMap(w), err
	case "counts":
		c, err := r.Counts()
		return toMap(c), err
	case "queue_depths":
		d, err := r.QueueDepths()
		return toMap(map[string]any{"depths": d}), err
	case "device":
		d, err := r.Device(str(s["device_id"]))
		return toMap(d), err
	case "advance_time":
		return nil, r.AdvanceTime(num(s["seconds"]))
	case "age":
		n, err := r.Age()
		return toMap(map[string]any{"promoted": n}), err
	case "set_market":
		o := s["market"].(map[string]any)
		m := Market{BTCUSD: num(o["btc_usd"]), Difficulty: num(o["difficulty"]), Height: int64(num(o["height"])),
			FeesBTCPerBlock: optF(o["fees_btc_per_block"]), FeeShare: optF(o["fee_share"]),
			ElectricityUSDPerKWh: num(orZero(o["electricity_usd_per_kwh"])), GPUUSDPerHour: num(orZero(o["gpu_usd_per_hour"]))}
		return nil, r.SetMarket(m)
	case "set_site_power_cap_kw":
		return nil, r.SetSitePowerCapKW(str(s["site"]), optF(s["power_cap_kw"]))
	case "site_load_kw":
		kw, err := r.SiteLoadKW(str(s["site"]))
		return toMap(map[string]any{"kw": kw}), err
	case "resume_miners":
		ids, err := r.ResumeMiners(str(s["site"]))
		return toMap(map[string]any{"device_ids": ids}), err
	case "set_device_available":
		return nil, r.SetDeviceAvailable(str(s["device_id"]), s["available"].(bool))
	case "remove_device":
		ids, err := r.RemoveDevice(str(s["device_id"]))
		return toMap(map[string]any{"workload_ids": ids}), err
	case "set_customer":
		return nil, r.SetCustomer(str(s["customer_id"]), CustomerConfig{
			Weight: uint32(num(s["weight"])), MaxGPUs: optU32(s["max_gpus"]), MaxQueued: optU32(s["max_queued"]),
		})
	case "customer":
		c, err := r.Customer(str(s["customer_id"]))
		return toMap(c), err
	case "customer_workloads":
		ws, err := r.CustomerWorkloads(str(s["customer_id"]))
		ids := []uint64{}
		for _, w := range ws {
			ids = append(ids, w.ID)
		}
		return toMap(map[string]any{"workload_ids": ids}), err
	case "now_seconds":
		sec, err := r.NowSeconds()
		return toMap(map[string]any{"seconds": sec}), err
	}
	return nil, fmt.Errorf("unknown op %v", s["op"])
}

func orZero(v any) any {
	if v == nil {
		return json.Number("0")
	}
	return v
}

// matchJSON compares want (from the vectors) with got on want's keys.
func matchJSON(t *testing.T, where string, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case json.Number:
		g := num(got)
		if math.Abs(g-num(w)) > 1e-9 {
			t.Errorf("%s: got %v, want %v", where, g, w)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %v, want %v", where, got, w)
			return
		}
		for i := range w {
			matchJSON(t, fmt.Sprintf("%s[%d]", where, i), g[i], w[i])
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %v, want an object", where, got)
			return
		}
		for k, wv := range w {
			gv := g[k]
			if wv != nil && gv == nil {
				if _, isList := wv.([]any); isList {
					gv = []any{} // a Go nil slice marshals to null
				}
			}
			matchJSON(t, where+"."+k, gv, wv)
		}
	default:
		if got != want {
			t.Errorf("%s: got %v, want %v", where, got, want)
		}
	}
}

func TestRouterVectors(t *testing.T) {
	f, err := os.Open("../../../tests/vectors/router.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var doc struct {
		Scenarios []routerScenario `json:"scenarios"`
	}
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Scenarios) < 10 {
		t.Fatalf("only %d scenarios", len(doc.Scenarios))
	}
	// Each scenario runs twice: with its config as JSON text (NewRouterJSON) and decoded into a
	// RouterConfig (NewRouter), so the typed struct is held to the same vectors.
	for _, sc := range doc.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			runRouterScenario(t, sc, func() (*Router, error) { return NewRouterJSON(string(sc.Config)) })
		})
		var typed RouterConfig
		dec := json.NewDecoder(bytes.NewReader(sc.Config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&typed); err != nil {
			if sc.ConfigError == "" {
				t.Fatalf("%s: config %s does not decode into RouterConfig: %v", sc.Name, sc.Config, err)
			}
			continue // a malformed config has no typed form
		}
		t.Run(sc.Name+"/typed", func(t *testing.T) { runRouterScenario(t, sc, func() (*Router, error) { return NewRouter(typed) }) })
	}
}

// runRouterScenario runs one scenario on the router open makes.
func runRouterScenario(t *testing.T, sc routerScenario, open func() (*Router, error)) {
	r, err := open()
	if sc.ConfigError != "" {
		var he *Error
		if !errors.As(err, &he) || he.Kind().String() != sc.ConfigError {
			t.Fatalf("config: want error %s, got %v", sc.ConfigError, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, s := range sc.Steps {
		where := fmt.Sprintf("step %d %v", i, s)
		got, err := runRouterStep(r, s)
		if want, ok := s["error"]; ok {
			var he *Error
			if !errors.As(err, &he) || he.Kind().String() != want {
				t.Fatalf("%s: want error %v, got %v", where, want, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		want, ok := s["expect"]
		if !ok {
			continue
		}
		if want == nil {
			if got != nil {
				t.Fatalf("%s: want nil, got %v", where, got)
			}
			continue
		}
		matchJSON(t, where, got, want)
	}
	c, err := r.Counts()
	if err != nil || c.Submitted != c.Queued+c.Assigned+c.Running+c.Completed+c.Failed+c.Cancelled+c.Rejected {
		t.Fatalf("counts do not add up: %+v %v", c, err)
	}
}
