package hcpcore

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestDecodeAndSwitch(t *testing.T) {
	gpu, err := NewH100("sxm", GPUSpecOverrides{})
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Close()
	d, err := gpu.Decode(ModelSpec{Params: 8e9, BytesPerParam: 2}, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.StepSeconds < 0.005 || d.StepSeconds > 0.007 || d.PowerWatts < 300 || d.PowerWatts > 700 {
		t.Fatalf("decode %+v", d)
	}
	p, err := gpu.Switch(8e9, 16e9, "pinned", true)
	if err != nil {
		t.Fatal(err)
	}
	sum := p.SaveStateSeconds + p.FreeAndClearSeconds + p.LoadWeightsSeconds + p.ContextStartSeconds + p.FirstStepSeconds
	if math.Abs(sum-p.TotalSeconds) > 1e-12 {
		t.Fatalf("phases %+v", p)
	}
	if _, err := gpu.Decode(ModelSpec{Params: 8e9, BytesPerParam: 2}, -1, 0); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("negative batch: %v", err)
	}
	if _, err := gpu.Decode(ModelSpec{Params: 70e9, BytesPerParam: 2}, 1, 0); !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("70B bf16: %v", err)
	}
	gpu.Close()
	gpu.Close()
	if _, err := gpu.Decode(ModelSpec{Params: 8e9, BytesPerParam: 2}, 1, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestFleetErrorsAndDeterminism(t *testing.T) {
	if _, err := NewFleet(FleetConfig{DTSeconds: -1}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("dt 0: %v", err)
	}
	run := func(seed int) (map[string][]float64, FleetSummary) {
		f, err := NewFleet(FleetConfig{DTSeconds: 60, Seed: uint64(seed)})
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
		if _, err := f.AddMiners("S9", 1); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("S9: %v", err)
		}
		if err := f.SetMarketSynthetic(uint64(seed), SyntheticConfig{}); err != nil {
			t.Fatal(err)
		}
		if err := f.Command([]int64{0, 1}, ServeCommand(ModelSpec{Params: 8e9, BytesPerParam: 2}, 32)); err != nil {
			t.Fatal(err)
		}
		if err := f.Command([]int64{9}, SleepCommand()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing device: %v", err)
		}
		if err := f.Command([]int64{0}, MineCommand("low")); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("mine on GPU: %v", err)
		}
		if err := f.Run(200); err != nil {
			t.Fatal(err)
		}
		s, err := f.Series()
		if err != nil {
			t.Fatal(err)
		}
		sum, err := f.Summary()
		if err != nil {
			t.Fatal(err)
		}
		text, err := f.DCGMMetrics("node-1")
		if err != nil || strings.Count(text, "DCGM_FI_DEV_POWER_USAGE{") != 2 {
			t.Fatalf("dcgm: %v", err)
		}
		var reply map[string]any
		if err := f.View("cgminer:3:summary", &reply); err != nil {
			t.Fatal(err)
		}
		// A number, as S21 firmware writes it.
		if _, ok := reply["SUMMARY"].([]any)[0].(map[string]any)["GHS 5s"].(float64); !ok {
			t.Fatalf("GHS 5s not a number: %v", reply)
		}
		var stats map[string]any
		if err := f.View(`cgminer:3:{"command":"stats","new_api":true}`, &stats); err != nil {
			t.Fatal(err)
		}
		chain := stats["STATS"].([]any)[0].(map[string]any)["chain"].([]any)
		if len(chain) != 3 || chain[0].(map[string]any)["asic_num"].(float64) != 108 {
			t.Fatalf("new-API stats: %v", chain)
		}
		miners, err := f.MinerMetrics("rack")
		if err != nil || !strings.Contains(miners, `miner_hashboard_chips{miner="rack-3",board="0"} 108`) {
			t.Fatalf("miner metrics: %v %q", err, miners)
		}
		return s, sum
	}
	a, sa := run(3)
	b, sb := run(3)
	for _, k := range SeriesColumns {
		if len(a[k]) != 200 {
			t.Fatalf("%s: %d rows", k, len(a[k]))
		}
		for i := range a[k] {
			if math.Float64bits(a[k][i]) != math.Float64bits(b[k][i]) {
				t.Fatalf("%s[%d] differs", k, i)
			}
		}
	}
	ja, _ := json.Marshal(sa)
	jb, _ := json.Marshal(sb)
	if string(ja) != string(jb) {
		t.Fatal("summaries differ for one seed")
	}
}

// --- shared vectors ---------------------------------------------------------------------------

func simClose(t *testing.T, path string, got, want any, rel float64) {
	t.Helper()
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok {
			t.Errorf("%s: got %v (%T), want %v", path, got, got, w)
			return
		}
		if math.Abs(g-w) > rel*math.Abs(w) {
			t.Errorf("%s: got %v, want %v", path, g, w)
		}
	case map[string]any:
		gm, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want an object", path, got)
			return
		}
		for k, wv := range w {
			gv, ok := gm[k]
			if !ok {
				t.Errorf("%s: missing key %s", path, k)
				continue
			}
			simClose(t, path+"."+k, gv, wv, rel)
		}
	case []any:
		ga, ok := got.([]any)
		if !ok || len(ga) != len(w) {
			t.Errorf("%s: got %v, want %d items", path, got, len(w))
			return
		}
		for i := range w {
			simClose(t, fmt.Sprintf("%s[%d]", path, i), ga[i], w[i], rel)
		}
	default:
		if got != want {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
}

// simGeneric turns a Go value into the JSON-shaped value (map / slice / float64) the vectors hold.
func simGeneric(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func simStr(v any) string { s, _ := v.(string); return s }
func simNum(v any) float64 {
	f, _ := v.(float64)
	return f
}

func runSimCase(root, section string, c map[string]any) (any, error) {
	switch section {
	case "decode":
		gpu, err := NewH100(simStr(c["gpu"]), GPUSpecOverrides{})
		if err != nil {
			return nil, err
		}
		defer gpu.Close()
		var m ModelSpec
		if err := json.Unmarshal([]byte(simJSON(c["model"])), &m); err != nil {
			return nil, err
		}
		d, err := gpu.Decode(m, int64(simNum(c["batch"])), uint64(simNum(c["context_tokens"])))
		return simGeneric(d), err
	case "switch":
		gpu, err := NewH100(simStr(c["gpu"]), GPUSpecOverrides{})
		if err != nil {
			return nil, err
		}
		defer gpu.Close()
		p, err := gpu.Switch(simNum(c["kv_bytes"]), simNum(c["weights_bytes"]), simStr(c["host_memory"]), c["warm_context"] == true)
		return simGeneric(p), err
	case "market":
		cfg := "{}"
		if c["config"] != nil {
			cfg = simJSON(c["config"])
		}
		s, err := MarketSeries("synthetic", cfg, "", uint64(simNum(c["seed"])), uint64(simNum(c["steps"])), simNum(c["dt_seconds"]))
		return simGeneric(s), err
	case "replay":
		s, err := MarketSeries("replay", filepath.Join(root, simStr(c["dir"])), simStr(c["start"]), 0, uint64(simNum(c["steps"])), simNum(c["dt_seconds"]))
		return simGeneric(s), err
	case "fleet":
		f, err := buildSimFleet(c)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		s, err := f.Series()
		if err != nil {
			return nil, err
		}
		last := map[string]any{}
		for _, k := range []string{"power_watts", "gpu_power_watts", "asic_power_watts", "hashrate_ths", "tokens_per_second", "max_gpu_temp_c"} {
			last[k] = s[k][len(s[k])-1]
		}
		total := 0.0
		for _, v := range s["power_watts"] {
			total += v
		}
		ev, err := f.Events()
		if err != nil {
			return nil, err
		}
		kinds := map[string]any{}
		for _, k := range ev.KindName {
			kinds[k] = simNum(kinds[k]) + 1
		}
		sum, err := f.Summary()
		var sumMap map[string]any // compared key by key with the vector's numbers
		if err == nil {
			err = json.Unmarshal([]byte(simJSON(sum)), &sumMap)
		}
		return map[string]any{"summary": sumMap, "last": last, "power_watts_sum": total, "events_by_kind": kinds}, err
	case "telemetry":
		f, err := buildSimFleet(c)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var reply any
		if err := f.View(fmt.Sprintf("cgminer:%d:%s", int64(simNum(c["device"])), simStr(c["request"])), &reply); err != nil {
			return nil, err
		}
		text, err := f.MinerMetrics(simStr(c["hostname"]))
		if err != nil {
			return nil, err
		}
		return map[string]any{"reply": reply, "miner_metrics": expositionSamples(text)}, nil
	}
	return nil, fmt.Errorf("unknown section %s", section)
}

// buildSimFleet builds the fleet of a fleet or telemetry case and runs its steps and commands.
func buildSimFleet(c map[string]any) (*Fleet, error) {
	f, err := NewFleetJSON(simJSON(c["config"]))
	if err != nil {
		return nil, err
	}
	built := false
	defer func() {
		if !built {
			f.Close()
		}
	}()
	for _, pair := range c["gpus"].([]any) {
		p := pair.([]any)
		if _, err := f.AddGPUs(simStr(p[0]), uint32(simNum(p[1]))); err != nil {
			return nil, err
		}
	}
	for _, pair := range c["miners"].([]any) {
		p := pair.([]any)
		if _, err := f.AddMiners(simStr(p[0]), uint32(simNum(p[1]))); err != nil {
			return nil, err
		}
	}
	if m, ok := c["market"].(map[string]any); ok {
		if s, ok := m["synthetic"].(map[string]any); ok {
			if err := f.SetMarketSynthetic(uint64(simNum(s["seed"])), SyntheticConfig{}); err != nil {
				return nil, err
			}
		}
	}
	steps := int(simNum(c["steps"]))
	for step := 0; step < steps; step++ {
		for _, x := range c["commands"].([]any) {
			cmd := x.(map[string]any)
			if int(simNum(cmd["step"])) == step {
				if err := f.CommandJSON([]int64{int64(simNum(cmd["device"]))}, simJSON(cmd["command"])); err != nil {
					return nil, err
				}
			}
		}
		if err := f.Run(1); err != nil {
			return nil, err
		}
	}
	built = true
	return f, nil
}

// expositionSamples maps series{labels} to the value of every sample of a Prometheus exposition.
func expositionSamples(text string) map[string]any {
	out := map[string]any{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		at := strings.LastIndex(line, " ")
		v, err := strconv.ParseFloat(line[at+1:], 64)
		if err != nil {
			v = math.NaN()
		}
		out[line[:at]] = v
	}
	return out
}

func simJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSimVectors(t *testing.T) {
	root, _ := filepath.Abs("../../..")
	raw, err := os.ReadFile(filepath.Join(root, "tests", "vectors", "sim.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	rel := simNum(doc["tolerance"].(map[string]any)["relative"])
	for _, section := range []string{"decode", "switch", "market", "replay", "fleet", "telemetry"} {
		for _, x := range doc[section].([]any) {
			c := x.(map[string]any)
			name := section + "/" + simStr(c["name"])
			t.Run(name, func(t *testing.T) {
				got, err := runSimCase(root, section, c)
				if want, ok := c["error"].(string); ok {
					var he *Error
					if !errors.As(err, &he) || he.Kind().String() != want {
						t.Fatalf("want %s error, got %v", want, err)
					}
					if m := simStr(c["message_contains"]); m != "" && !strings.Contains(err.Error(), m) {
						t.Fatalf("message %q lacks %q", err.Error(), m)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				simClose(t, name, got, c["expect"], rel)
			})
		}
	}
}
