package hcpcore

/*
#include <stdlib.h>
#include "hcp.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// ModelSpec is a model to serve: parameter count and bytes per parameter, optionally its layer
// shapes (otherwise assumed from the parameter count, Llama proportions).
type ModelSpec struct {
	Params            float64      `json:"params"`
	BytesPerParam     float64      `json:"bytes_per_param"`
	Layers            *LayerShapes `json:"layers,omitempty"`
	KVBytesPerElement *float64     `json:"kv_bytes_per_element,omitempty"`
}

// LayerShapes are the shapes of a decoder-only transformer.
type LayerShapes struct {
	Layers       uint32 `json:"layers"`
	Hidden       uint32 `json:"hidden"`
	Intermediate uint32 `json:"intermediate"`
	Heads        uint32 `json:"heads"`
	KVHeads      uint32 `json:"kv_heads"`
}

// Decode is a decode step in steady state on one GPU.
type Decode struct {
	Batch           float64 `json:"batch"`
	StepSeconds     float64 `json:"step_seconds"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	PowerWatts      float64 `json:"power_watts"`
	JoulesPerToken  float64 `json:"joules_per_token"`
	SMClockMHz      float64 `json:"sm_clock_mhz"`
	GPUTempC        float64 `json:"gpu_temp_c"`
	MemoryTempC     float64 `json:"memory_temp_c"`
	TensorActivity  float64 `json:"tensor_activity"`
	DRAMActivity    float64 `json:"dram_activity"`
	PowerLimited    bool    `json:"power_limited"`
	ThermalLimited  bool    `json:"thermal_limited"`
	WeightsBytes    float64 `json:"weights_bytes"`
	KVBytesPerToken float64 `json:"kv_bytes_per_token"`
	KVCacheBytes    float64 `json:"kv_cache_bytes"`
	MemoryUsedBytes float64 `json:"memory_used_bytes"`
	MemoryFreeBytes float64 `json:"memory_free_bytes"`
}

// SwitchPhases are the seconds of each phase of a workload switch, and the total.
type SwitchPhases struct {
	SaveStateSeconds    float64 `json:"save_state_seconds"`
	FreeAndClearSeconds float64 `json:"free_and_clear_seconds"`
	LoadWeightsSeconds  float64 `json:"load_weights_seconds"`
	ContextStartSeconds float64 `json:"context_start_seconds"`
	FirstStepSeconds    float64 `json:"first_step_seconds"`
	TotalSeconds        float64 `json:"total_seconds"`
}

// takeJSON decodes an owned JSON string returned by the library into out (and frees it).
func takeJSON(p *C.char, e *C.hcp_error_t, out any) error {
	if err := takeError(e); err != nil {
		return err
	}
	return json.Unmarshal([]byte(takeString(p)), out)
}

// H100 is one simulated GPU ("sxm" or "pcie"). Safe for concurrent use; Close releases it.
type H100 struct {
	mu  sync.Mutex
	ptr *C.hcp_h100_t
}

// NewH100 opens an H100 of variant ("sxm", "pcie") with spec overrides (the zero
// GPUSpecOverrides for none), e.g. GPUSpecOverrides{Power: &GPUPowerOverrides{LimitWatts: Float64(500)}}.
func NewH100(variant string, overrides GPUSpecOverrides) (*H100, error) {
	text, err := marshalConfig("overrides", overrides)
	if err != nil {
		return nil, err
	}
	if text == "{}" {
		text = ""
	}
	return NewH100JSON(variant, text)
}

// NewH100JSON is NewH100 with the overrides as a JSON object ("" for none), e.g.
// `{"power": {"limit_watts": 500}}`.
func NewH100JSON(variant, overridesJSON string) (*H100, error) {
	cv, err := cString("variant", variant)
	if err != nil {
		return nil, err
	}
	defer freeCString(cv)
	var co *C.char
	if overridesJSON != "" {
		if co, err = cString("overrides_json", overridesJSON); err != nil {
			return nil, err
		}
		defer freeCString(co)
	}
	var e *C.hcp_error_t
	ptr := C.hcp_h100_new(cv, co, &e)
	if err := takeError(e); err != nil {
		return nil, err
	}
	g := &H100{ptr: ptr}
	runtime.SetFinalizer(g, (*H100).Close)
	return g, nil
}

// Close releases the GPU. It is idempotent; later calls return ErrClosed.
func (g *H100) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ptr != nil {
		C.hcp_h100_free(g.ptr)
		g.ptr = nil
		runtime.SetFinalizer(g, nil)
	}
	return nil
}

// Decode is the steady-state decode of model at batch (contextTokens of KV cache per sequence).
func (g *H100) Decode(model ModelSpec, batch int64, contextTokens uint64) (Decode, error) {
	var out Decode
	js, err := json.Marshal(model)
	if err != nil {
		return out, invalidInput("model", err.Error())
	}
	cm, err := cString("model", string(js))
	if err != nil {
		return out, err
	}
	defer freeCString(cm)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ptr == nil {
		return out, closedError("H100")
	}
	var e *C.hcp_error_t
	p := C.hcp_h100_decode_json(g.ptr, cm, C.int64_t(batch), C.uint64_t(contextTokens), &e)
	runtime.KeepAlive(g)
	return out, takeJSON(p, e, &out)
}

// Switch gives the phases of moving the GPU to a model of weightsBytes after saving kvBytes;
// hostMemory is "pinned" or "pageable"; warmContext keeps the serving process.
func (g *H100) Switch(kvBytes, weightsBytes float64, hostMemory string, warmContext bool) (SwitchPhases, error) {
	var out SwitchPhases
	ch, err := cString("host_memory", hostMemory)
	if err != nil {
		return out, err
	}
	defer freeCString(ch)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ptr == nil {
		return out, closedError("H100")
	}
	var e *C.hcp_error_t
	p := C.hcp_h100_switch_json(g.ptr, C.double(kvBytes), C.double(weightsBytes), ch, C.bool(warmContext), &e)
	runtime.KeepAlive(g)
	return out, takeJSON(p, e, &out)
}

// Step advances the GPU dtSeconds under tensor and DRAM activity (0–1) and returns the reading
// (power_watts, gpu_temp_c, sm_clock_mhz, clocks_event_reasons, …).
func (g *H100) Step(dtSeconds, tensor, dram float64) (map[string]any, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ptr == nil {
		return nil, closedError("H100")
	}
	var e *C.hcp_error_t
	p := C.hcp_h100_step_json(g.ptr, C.double(dtSeconds), C.double(tensor), C.double(dram), &e)
	runtime.KeepAlive(g)
	var out map[string]any
	return out, takeJSON(p, e, &out)
}

// SeriesColumns names the columns of Fleet.Series, in order.
var SeriesColumns = []string{
	"time_seconds", "power_watts", "gpu_power_watts", "asic_power_watts", "hashrate_ths", "tokens_per_second",
	"gpus_serving", "gpus_switching", "gpus_sleeping", "gpus_faulted", "miners_hashing", "miners_sleeping",
	"devices_throttled", "max_gpu_temp_c", "electricity_usd_per_mwh", "energy_kwh", "energy_cost_usd",
	"mining_revenue_usd", "gpu_revenue_usd",
}

// Events are a fleet's events as columns.
type Events struct {
	TimeSeconds []float64
	Device      []uint32
	Kind        []uint8
	KindName    []string
	Code        []uint32
	Value       []float64
}

// Fleet is a fleet of simulated GPUs and miners. Safe for concurrent use (calls are serialised);
// Close releases it.
type Fleet struct {
	mu  sync.Mutex
	ptr *C.hcp_fleet_t
}

// NewFleet opens a fleet (the zero FleetConfig for defaults), e.g. FleetConfig{DTSeconds: 60, Seed: 1}.
func NewFleet(config FleetConfig) (*Fleet, error) {
	text, err := marshalConfig("config", config)
	if err != nil {
		return nil, err
	}
	return NewFleetJSON(text)
}

// NewFleetJSON opens a fleet from FleetConfig JSON ("" for defaults), e.g. `{"dt_seconds": 60, "seed": 1}`.
func NewFleetJSON(configJSON string) (*Fleet, error) {
	var cc *C.char
	if configJSON != "" {
		var err error
		if cc, err = cString("config", configJSON); err != nil {
			return nil, err
		}
		defer freeCString(cc)
	}
	var e *C.hcp_error_t
	ptr := C.hcp_fleet_new(cc, &e)
	if err := takeError(e); err != nil {
		return nil, err
	}
	f := &Fleet{ptr: ptr}
	runtime.SetFinalizer(f, (*Fleet).Close)
	return f, nil
}

// Close releases the fleet. It is idempotent; later calls return ErrClosed.
func (f *Fleet) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr != nil {
		C.hcp_fleet_free(f.ptr)
		f.ptr = nil
		runtime.SetFinalizer(f, nil)
	}
	return nil
}

func (f *Fleet) add(kind, name string, count uint32) (int64, error) {
	if err := checkCount("count", count, MaxFleetDevices); err != nil {
		return -1, err
	}
	ck, err := cString("kind", kind)
	if err != nil {
		return -1, err
	}
	defer freeCString(ck)
	cn, err := cString("name", name)
	if err != nil {
		return -1, err
	}
	defer freeCString(cn)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr == nil {
		return -1, closedError("fleet")
	}
	var e *C.hcp_error_t
	id := C.hcp_fleet_add(f.ptr, ck, cn, C.uint32_t(count), &e)
	runtime.KeepAlive(f)
	return int64(id), takeError(e)
}

// AddGPUs adds count idle GPUs of variant ("sxm", "pcie"); returns the first new id.
func (f *Fleet) AddGPUs(variant string, count uint32) (int64, error) {
	return f.add("gpu", variant, count)
}

// AddMiners adds count miners of model ("S21", "S21 XP", …) hashing in normal mode.
func (f *Fleet) AddMiners(model string, count uint32) (int64, error) {
	return f.add("asic", model, count)
}

// Command applies a command (ServeCommand, MineCommand, SleepCommand, ...) to every device in
// devices.
func (f *Fleet) Command(devices []int64, command FleetCommand) error {
	text, err := marshalConfig("command", command)
	if err != nil {
		return err
	}
	return f.CommandJSON(devices, text)
}

// CommandJSON is Command with the command as JSON: {"command":"serve","model":{...},"batch":32},
// {"command":"mine","mode":"low"}, {"command":"sleep"}, ...
func (f *Fleet) CommandJSON(devices []int64, commandJSON string) error {
	if err := checkCount("devices", len(devices), MaxFleetDevices); err != nil {
		return err
	}
	cc, err := cString("command", commandJSON)
	if err != nil {
		return err
	}
	defer freeCString(cc)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr == nil {
		return closedError("fleet")
	}
	var ids *C.int64_t
	if len(devices) > 0 {
		ids = (*C.int64_t)(unsafe.Pointer(&devices[0]))
	}
	var e *C.hcp_error_t
	C.hcp_fleet_command(f.ptr, ids, C.size_t(len(devices)), cc, &e)
	runtime.KeepAlive(devices)
	runtime.KeepAlive(f)
	return takeError(e)
}

// Run advances steps steps (RunContext stops early when a context is done).
func (f *Fleet) Run(steps uint64) error {
	_, err := f.RunContext(context.Background(), steps)
	return err
}

// RunContext advances up to steps steps and returns the steps taken. When ctx is done first the
// fleet stops after its current step and the error wraps ctx.Err() (errors.Is(err,
// context.Canceled)); the fleet has then taken whole steps only and stays usable. A ctx already
// done returns at once with 0 steps.
func (f *Fleet) RunContext(ctx context.Context, steps uint64) (uint64, error) {
	if err := checkCount("steps", steps, MaxSteps); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr == nil {
		return 0, closedError("fleet")
	}
	var taken uint64
	err := withCancel(ctx, "fleet run", func(flag *C.hcp_cancel_t) (bool, error) {
		var e *C.hcp_error_t
		taken = uint64(C.hcp_fleet_run_cancellable(f.ptr, C.uint64_t(steps), flag, &e))
		return taken < steps, takeError(e)
	})
	runtime.KeepAlive(f)
	return taken, err
}

// Settle draws the shares found since the last settlement now.
func (f *Fleet) Settle() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr == nil {
		return closedError("fleet")
	}
	var e *C.hcp_error_t
	C.hcp_fleet_settle(f.ptr, &e)
	runtime.KeepAlive(f)
	return takeError(e)
}

func (f *Fleet) setMarket(kind, arg, start string, seed uint64) error {
	ck, err := cString("kind", kind)
	if err != nil {
		return err
	}
	defer freeCString(ck)
	ca, err := cString("arg", arg)
	if err != nil {
		return err
	}
	defer freeCString(ca)
	cs, err := cString("start", start)
	if err != nil {
		return err
	}
	defer freeCString(cs)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr == nil {
		return closedError("fleet")
	}
	var e *C.hcp_error_t
	C.hcp_fleet_set_market(f.ptr, ck, ca, cs, C.uint64_t(seed), &e)
	runtime.KeepAlive(f)
	return takeError(e)
}

// SetMarketSynthetic prices the fleet with a seeded synthetic market (the zero SyntheticConfig
// for the default market).
func (f *Fleet) SetMarketSynthetic(seed uint64, config SyntheticConfig) error {
	text, err := marshalConfig("config", config)
	if err != nil {
		return err
	}
	return f.SetMarketSyntheticJSON(seed, text)
}

// SetMarketSyntheticJSON is SetMarketSynthetic with the config as SyntheticConfig JSON ("" for
// defaults).
func (f *Fleet) SetMarketSyntheticJSON(seed uint64, configJSON string) error {
	if configJSON == "" {
		configJSON = "{}"
	}
	return f.setMarket("synthetic", configJSON, "", seed)
}

// SetMarketReplay prices the fleet with the real history in directory, time 0 at start.
func (f *Fleet) SetMarketReplay(directory, start string) error {
	return f.setMarket("replay", directory, start, 0)
}

// Series returns the fleet totals per recorded step, one slice per column (SeriesColumns).
func (f *Fleet) Series() (map[string][]float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr == nil {
		return nil, closedError("fleet")
	}
	n := int(C.hcp_fleet_series_len(f.ptr))
	out := make(map[string][]float64, len(SeriesColumns))
	for _, name := range SeriesColumns {
		col := make([]float64, n)
		cn, err := cString("name", name)
		if err != nil {
			return nil, err
		}
		var p *C.double
		if n > 0 {
			p = (*C.double)(unsafe.Pointer(&col[0]))
		}
		var e *C.hcp_error_t
		C.hcp_fleet_series_column(f.ptr, cn, p, C.size_t(n), &e)
		freeCString(cn)
		runtime.KeepAlive(col)
		if err := takeError(e); err != nil {
			return nil, err
		}
		out[name] = col
	}
	runtime.KeepAlive(f)
	return out, nil
}

// Events returns the events logged so far as columns.
func (f *Fleet) Events() (Events, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr == nil {
		return Events{}, closedError("fleet")
	}
	n := int(C.hcp_fleet_events_len(f.ptr))
	ev := Events{
		TimeSeconds: make([]float64, n), Device: make([]uint32, n), Kind: make([]uint8, n),
		KindName: make([]string, n), Code: make([]uint32, n), Value: make([]float64, n),
	}
	if n == 0 {
		return ev, nil
	}
	var e *C.hcp_error_t
	C.hcp_fleet_events(f.ptr, (*C.double)(unsafe.Pointer(&ev.TimeSeconds[0])), (*C.uint32_t)(unsafe.Pointer(&ev.Device[0])),
		(*C.uint8_t)(unsafe.Pointer(&ev.Kind[0])), (*C.uint32_t)(unsafe.Pointer(&ev.Code[0])),
		(*C.double)(unsafe.Pointer(&ev.Value[0])), C.size_t(n), &e)
	runtime.KeepAlive(ev)
	runtime.KeepAlive(f)
	if err := takeError(e); err != nil {
		return Events{}, err
	}
	for i, k := range ev.Kind {
		ev.KindName[i] = C.GoString(C.hcp_event_kind_name(C.uint8_t(k)))
	}
	return ev, nil
}

// View returns a JSON view decoded into out: "summary", "devices", "state:<id>", "gpu:<id>",
// "cgminer:<id>:<command>" (command: version, devs, summary, stats, pools, or a JSON request such
// as {"command":"stats","new_api":true}), "dcgm:<hostname>", "miners:<hostname>".
func (f *Fleet) View(what string, out any) error {
	cw, err := cString("what", what)
	if err != nil {
		return err
	}
	defer freeCString(cw)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr == nil {
		return closedError("fleet")
	}
	var e *C.hcp_error_t
	p := C.hcp_fleet_json(f.ptr, cw, &e)
	runtime.KeepAlive(f)
	return takeJSON(p, e, out)
}

// FleetSummary is the totals of a fleet's run (hcpcore::sim::FleetSummary).
type FleetSummary struct {
	Steps            uint64  `json:"steps"`              // steps taken
	TimeSeconds      float64 `json:"time_seconds"`       // simulated time, s
	Devices          uint32  `json:"devices"`            // devices in the fleet
	EnergyKWh        float64 `json:"energy_kwh"`         // energy, kWh
	EnergyCostUSD    float64 `json:"energy_cost_usd"`    // electricity cost, USD
	MinedBTC         float64 `json:"mined_btc"`          // BTC mined (settled accepted shares)
	MiningRevenueUSD float64 `json:"mining_revenue_usd"` // mining revenue, USD
	GPURevenueUSD    float64 `json:"gpu_revenue_usd"`    // GPU rental revenue, USD
	Tokens           float64 `json:"tokens"`             // tokens generated
	SharesAccepted   uint64  `json:"shares_accepted"`
	SharesRejected   uint64  `json:"shares_rejected"`
	SharesStale      uint64  `json:"shares_stale"`
	HardwareErrors   uint64  `json:"hardware_errors"`
	Events           uint64  `json:"events"` // events logged
	XIDErrors        uint64  `json:"xid_errors"`
}

// Summary returns the run's totals.
func (f *Fleet) Summary() (FleetSummary, error) {
	var out FleetSummary
	return out, f.View("summary", &out)
}

// DCGMMetrics returns the Prometheus exposition of every GPU with dcgm-exporter names and labels.
func (f *Fleet) DCGMMetrics(hostname string) (string, error) {
	var out string
	return out, f.View("dcgm:"+hostname, &out)
}

// MinerMetrics returns the Prometheus exposition of every miner (hashrate, power, temperatures,
// fans, shares and errors, per miner and per hash board; miners named hostname-id).
func (f *Fleet) MinerMetrics(hostname string) (string, error) {
	var out string
	return out, f.View("miners:"+hostname, &out)
}

// MarketSeries samples a market as columns: kind "synthetic" (arg = SyntheticConfig JSON or "",
// seed) or "replay" (arg = directory, start). SyntheticSeries and ReplaySeries are the typed
// forms, with a context.
func MarketSeries(kind, arg, start string, seed uint64, steps uint64, dtSeconds float64) (map[string][]float64, error) {
	return MarketSeriesContext(context.Background(), kind, arg, start, seed, steps, dtSeconds)
}

// SyntheticSeries samples the seeded synthetic market (the zero SyntheticConfig for the default
// market) as columns: steps points dtSeconds apart. It stops when ctx is done, returning an error
// that wraps ctx.Err(); a ctx already done returns at once.
func SyntheticSeries(ctx context.Context, config SyntheticConfig, seed uint64, steps uint64, dtSeconds float64) (map[string][]float64, error) {
	text, err := marshalConfig("config", config)
	if err != nil {
		return nil, err
	}
	return MarketSeriesContext(ctx, "synthetic", text, "", seed, steps, dtSeconds)
}

// ReplaySeries samples the real history in directory (shared/data/market's layout), time 0 at
// start (RFC 3339), as columns: steps points dtSeconds apart. It stops when ctx is done, returning
// an error that wraps ctx.Err(); a ctx already done returns at once.
func ReplaySeries(ctx context.Context, directory, start string, steps uint64, dtSeconds float64) (map[string][]float64, error) {
	return MarketSeriesContext(ctx, "replay", directory, start, 0, steps, dtSeconds)
}

// MarketSeriesContext is MarketSeries that stops when ctx is done, returning an error that wraps
// ctx.Err() (errors.Is(err, context.Canceled)); a ctx already done returns at once.
func MarketSeriesContext(ctx context.Context, kind, arg, start string, seed uint64, steps uint64, dtSeconds float64) (map[string][]float64, error) {
	if err := checkCount("steps", steps, MaxSteps); err != nil {
		return nil, err
	}
	if !(dtSeconds >= MinDTSeconds && dtSeconds <= MaxDTSeconds) {
		return nil, invalidInput("dt_seconds", fmt.Sprintf("must be in %g..=%g seconds, got %g", float64(MinDTSeconds), float64(MaxDTSeconds), dtSeconds))
	}
	if kind == "synthetic" && arg == "" {
		arg = "{}"
	}
	var out map[string][]float64
	err := withCStrings([]string{"kind", "arg", "start"}, []string{kind, arg, start}, func(c []*C.char) error {
		return withCancel(ctx, "market series", func(flag *C.hcp_cancel_t) (bool, error) {
			var e *C.hcp_error_t
			var cancelled C.bool
			p := C.hcp_market_series_json_cancellable(c[0], c[1], c[2], C.uint64_t(seed), C.uint64_t(steps), C.double(dtSeconds), flag, &cancelled, &e)
			if bool(cancelled) {
				return true, takeError(e)
			}
			return false, takeJSON(p, e, &out)
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
