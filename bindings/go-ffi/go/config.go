//go:build cgo

package hcpcore

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Typed configurations. Each struct marshals (encoding/json) to the JSON document the core reads
// for the same type, with the core's field names as JSON tags; the constructors marshal it and
// hand it over (NewRouter, NewFleet, NewCharge, NewPlan, NewH100, Fleet.SetMarketSynthetic, ...).
// The core validates every value and reports a bad one as ErrInvalidInput naming the field, as
// for JSON text (the ...JSON constructors take JSON text directly).
//
// Defaults: a field left at its zero value is left out of the JSON (omitempty) and takes the
// core's default, which each field's comment states. Where zero is itself a meaningful value
// that differs from the default (0 turns aging off, a rate of 0 means never), the field is a
// pointer: nil takes the default, Float64(0) / Uint64(0) / Bool(false) set zero. Helpers:
// Float64, Int64, Uint32, Uint64 and Bool return pointers to their argument.

// Bool returns a pointer to v (for the optional bool fields of the configurations).
func Bool(v bool) *bool { return &v }

// Uint64 returns a pointer to v (for the optional counts of the configurations).
func Uint64(v uint64) *uint64 { return &v }

// marshalConfig marshals a configuration for the core. A NaN or infinity, which JSON cannot
// carry, is ErrInvalidInput naming the field by its JSON path ("faults.gpu_reset_seconds").
func marshalConfig(what string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		if path := nonFinitePath(reflect.ValueOf(v), ""); path != "" {
			return "", invalidInput(path, "must be finite")
		}
		return "", invalidInput(what, err.Error())
	}
	return string(b), nil
}

// nonFinitePath is the JSON path of the first NaN or infinity in v ("" if none).
func nonFinitePath(v reflect.Value, path string) string {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return path
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nonFinitePath(v.Elem(), path)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			sub := join(name)
			if f.Anonymous || name == "" {
				sub = path // embedded structs sit beside their parent's fields
			}
			if p := nonFinitePath(v.Field(i), sub); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p := nonFinitePath(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if p := nonFinitePath(iter.Value(), join(fmt.Sprint(iter.Key().Interface()))); p != "" {
				return p
			}
		}
	}
	return ""
}

// ---------------------------------------------------------------- router ----------------------

// RouterConfig is what a router is told at construction (hcpcore::router::RouterConfig; rules in
// docs/router.md). The zero value is the default router.
type RouterConfig struct {
	// WorkloadTypes are extra (or overriding) workload types by name, merged over the built-in
	// four: ai_inference_realtime, ai_inference_batch, model_training, bitcoin_mining.
	WorkloadTypes map[string]WorkloadTypeConfig `json:"workload_types,omitempty"`
	// AgingSeconds: a workload waiting this long climbs one priority level, and one more per
	// further period, seconds in 0..=1e9. nil: 60; Float64(0) turns aging off.
	AgingSeconds *float64 `json:"aging_seconds,omitempty"`
	// PlacementWeights weigh the placement score; nil takes the defaults.
	PlacementWeights *PlacementWeights `json:"placement_weights,omitempty"`
	// MaxCandidates is the number of devices scored per placement, 1..=16. 0: 4.
	MaxCandidates int `json:"max_candidates,omitempty"`
	// CandidatesPerSite is the number of best-fit candidates taken from each site,
	// 1..=MaxCandidates. 0: 1.
	CandidatesPerSite int `json:"candidates_per_site,omitempty"`
	// Customers are the customers known in advance (others get DefaultCustomer).
	Customers map[string]CustomerConfig `json:"customers,omitempty"`
	// DefaultCustomer is the weight and quotas of customers not listed. nil: weight 1, no quotas.
	DefaultCustomer *CustomerConfig `json:"default_customer,omitempty"`
	// Sites are power caps by site name; sites not listed are uncapped.
	Sites map[string]RouterSite `json:"sites,omitempty"`
	// Preemption is the global switch for preemption (per type: CanPreempt, Preemptible).
	// nil: true.
	Preemption *bool `json:"preemption,omitempty"`
	// ManualClock makes time come from Router.AdvanceTime instead of the system clock
	// (deterministic replays and tests). Default false.
	ManualClock bool `json:"manual_clock,omitempty"`
	// MaxCustomers is the most distinct customers the router tracks, 1..=1048576. 0: 4096.
	MaxCustomers int `json:"max_customers,omitempty"`
	// FirstWorkloadID is the id of the first workload, 1..2^40. 0: 1.
	FirstWorkloadID uint64 `json:"first_workload_id,omitempty"`
}

// WorkloadTypeConfig is what a workload type implies when a submission leaves a field out.
type WorkloadTypeConfig struct {
	// Priority is the default priority, 1 (highest) … 10 (lowest). Required.
	Priority int `json:"priority"`
	// DeviceKind is the kind of device it runs on: "gpu" or "asic". Required.
	DeviceKind string `json:"device_kind"`
	// GPUs is the default number of GPUs (ASIC work takes one whole miner), 1..=1024. 0: 1.
	GPUs uint32 `json:"gpus,omitempty"`
	// GPUMemoryGB is the default GPU memory per GPU, GB. Default 0 (any).
	GPUMemoryGB float64 `json:"gpu_memory_gb,omitempty"`
	// LatencyBoundMS is the latency bound, ms; nil for none.
	LatencyBoundMS *float64 `json:"latency_bound_ms,omitempty"`
	// DeadlineSeconds is the dispatch deadline after submission, s; nil for none.
	DeadlineSeconds *float64 `json:"deadline_seconds,omitempty"`
	// Preemptible says whether higher-priority work may preempt this type's work. nil: true.
	Preemptible *bool `json:"preemptible,omitempty"`
	// CanPreempt says whether this type may preempt lower-priority work when nothing fits.
	// Default false.
	CanPreempt bool `json:"can_preempt,omitempty"`
	// OnMiss is what happens to work still queued past its latency bound or deadline:
	// "run_late" (the default), "drop" or "reject" (docs/router.md §8).
	OnMiss string `json:"on_miss,omitempty"`
}

// PlacementWeights weigh the terms of the placement score (each >= 0). A nil field takes its
// default.
type PlacementWeights struct {
	Fit             *float64 `json:"fit,omitempty"`              // free memory left after placing (less is better); nil: 1
	OpportunityCost *float64 `json:"opportunity_cost,omitempty"` // profit of the device's current use; nil: 1
	Locality        *float64 `json:"locality,omitempty"`         // the device is at the preferred site; nil: 2
	Thermal         *float64 `json:"thermal,omitempty"`          // thermal headroom of the device; nil: 0.5
}

// RouterSite is a site's power budget in a RouterConfig.
type RouterSite struct {
	// PowerCapKW is the power cap, kW of device draw before PUE, in (0, 1e9]. Required.
	PowerCapKW float64 `json:"power_cap_kw"`
}

// ---------------------------------------------------------------- sim -------------------------

// FleetConfig configures a simulated fleet (hcpcore::sim::FleetConfig). The zero value is the
// default fleet.
type FleetConfig struct {
	// DTSeconds is the step, seconds in [MinDTSeconds, MaxDTSeconds]. 0: 60.
	DTSeconds float64 `json:"dt_seconds,omitempty"`
	// Seed seeds every random process. Default 0.
	Seed uint64 `json:"seed,omitempty"`
	// AmbientC is the room air (miner ambient), °C in -50..=80; GPU inlets sit at their fitted
	// inlet plus AmbientC − 25. nil: 25.
	AmbientC *float64 `json:"ambient_c,omitempty"`
	// RecordEverySteps records the fleet totals every this many steps (>= 1). 0: 1.
	RecordEverySteps uint32 `json:"record_every_steps,omitempty"`
	// SettleEverySeconds draws the shares found every this many simulated seconds. 0: 3600.
	SettleEverySeconds float64 `json:"settle_every_seconds,omitempty"`
	// Faults are the fault rates; nil takes the defaults (field by field: see FaultRates).
	Faults *FaultRates `json:"faults,omitempty"`
	// Pool is the pool every miner submits to; nil takes the default pool.
	Pool *PoolConfig `json:"pool,omitempty"`
	// HostMemory is the host memory of GPU transfers: "pinned" (the default) or "pageable".
	HostMemory string `json:"host_memory,omitempty"`
	// KVContextTokens is the tokens of KV cache per live sequence saved when a serving GPU
	// switches or sleeps. nil: 1024.
	KVContextTokens *uint64 `json:"kv_context_tokens,omitempty"`
	// KeepEvents keeps every event (false: count them only). nil: true.
	KeepEvents *bool `json:"keep_events,omitempty"`
	// Threads settle the miners' shares in parallel: 0 (the default) uses the available cores,
	// at most 8; 1 stays on the caller's thread. The results do not depend on it.
	Threads uint32 `json:"threads,omitempty"`
}

// FaultRates are fault rates per device-hour and recovery times (hcpcore::sim::FaultRates). A nil
// field takes its default; Float64(0) turns that fault off.
type FaultRates struct {
	GPUXIDFatalPerHour           *float64 `json:"gpu_xid_fatal_per_hour,omitempty"`          // fatal XIDs (79, 94, 95) per GPU-hour; nil: 6e-6
	GPUXIDRecoverablePerHour     *float64 `json:"gpu_xid_recoverable_per_hour,omitempty"`    // recoverable XIDs (13, 31, 43) per GPU-hour; nil: 2e-5
	GPUECCUncorrectablePerHour   *float64 `json:"gpu_ecc_uncorrectable_per_hour,omitempty"`  // uncorrectable ECC (XID 48) per GPU-hour; nil: 3.4e-6
	GPUECCCorrectablePerHour     *float64 `json:"gpu_ecc_correctable_per_hour,omitempty"`    // correctable ECC per GPU-hour
	ThermalEventPerHour          *float64 `json:"thermal_event_per_hour,omitempty"`          // cooling degraded, per device-hour
	ASICChainFaultPerHour        *float64 `json:"asic_chain_fault_per_hour,omitempty"`       // hash-board failures per miner-hour
	GPUResetSeconds              *float64 `json:"gpu_reset_seconds,omitempty"`               // GPU downtime after a fatal error, s
	ThermalEventSeconds          *float64 `json:"thermal_event_seconds,omitempty"`           // duration of a thermal event, s
	ThermalEventResistanceFactor *float64 `json:"thermal_event_resistance_factor,omitempty"` // thermal resistance multiplier during one
	ASICRepairSeconds            *float64 `json:"asic_repair_seconds,omitempty"`             // time until a failed hash board is replaced, s
}

// PoolConfig is the mining pool of a fleet. When given, every field is required.
type PoolConfig struct {
	URL             string  `json:"url"`              // stratum URL (reported in cgminer's pools)
	User            string  `json:"user"`             // worker name
	ShareDifficulty float64 `json:"share_difficulty"` // share difficulty the pool assigns, > 0
	PoolFee         float64 `json:"pool_fee"`         // fraction of revenue, in [0, 1)
}

// SyntheticConfig parameterises the seeded synthetic market (hcpcore::sim::SyntheticConfig).
// Defaults are late-2024 levels, electricity fitted roughly to ERCOT HB_SOUTH, the GPU rate near
// the 2025 H100 index. The zero value is the default market; a nil pointer takes its default.
type SyntheticConfig struct {
	BTCUSD                           float64  `json:"btc_usd,omitempty"`                              // starting BTC price, USD; 0: 95,000
	BTCDriftPerYear                  float64  `json:"btc_drift_per_year,omitempty"`                   // BTC drift per year (log); default 0
	BTCVolatilityPerSqrtYear         *float64 `json:"btc_volatility_per_sqrt_year,omitempty"`         // per √year; nil: 0.5
	BTCJumpsPerYear                  *float64 `json:"btc_jumps_per_year,omitempty"`                   // nil: 6
	BTCJumpSD                        *float64 `json:"btc_jump_sd,omitempty"`                          // standard deviation of a jump (log); nil: 0.06
	Difficulty                       float64  `json:"difficulty,omitempty"`                           // starting difficulty; 0: 1.1e14
	Height                           *uint64  `json:"height,omitempty"`                               // starting block height; nil: 880,000
	BlocksIntoEpoch                  uint64   `json:"blocks_into_epoch,omitempty"`                    // blocks mined in the current retarget epoch, < 2016; default 0
	HashrateGrowthPerYear            *float64 `json:"hashrate_growth_per_year,omitempty"`             // network hashrate growth per year (log); nil: 0.4
	HashrateVolatilityPerSqrtYear    *float64 `json:"hashrate_volatility_per_sqrt_year,omitempty"`    // nil: 0.1
	FeesBTCPerBlock                  *float64 `json:"fees_btc_per_block,omitempty"`                   // fees per block, BTC; nil: 0.03
	ElectricityMeanUSDPerMWh         *float64 `json:"electricity_mean_usd_per_mwh,omitempty"`         // mean electricity price, USD/MWh; nil: 27
	ElectricityReversionPerHour      *float64 `json:"electricity_reversion_per_hour,omitempty"`       // mean reversion of the deviation, per hour; nil: 0.5
	ElectricityVolatilityPerSqrtHour *float64 `json:"electricity_volatility_per_sqrt_hour,omitempty"` // USD/MWh per √hour; nil: 6
	SpikesPerDay                     *float64 `json:"spikes_per_day,omitempty"`                       // spike onsets per day; nil: 0.1
	SpikeMeanUSDPerMWh               *float64 `json:"spike_mean_usd_per_mwh,omitempty"`               // mean spike height above the base, USD/MWh; nil: 800
	SpikeHalfLifeHours               *float64 `json:"spike_half_life_hours,omitempty"`                // spike half-life, hours; nil: 0.75
	ElectricityCapUSDPerMWh          *float64 `json:"electricity_cap_usd_per_mwh,omitempty"`          // price cap, USD/MWh; nil: 5,000 (ERCOT's)
	ElectricityFloorUSDPerMWh        *float64 `json:"electricity_floor_usd_per_mwh,omitempty"`        // price floor, USD/MWh; nil: -250
	StartHourOfDay                   float64  `json:"start_hour_of_day,omitempty"`                    // hour of day at time 0 (daily shape); default 0
	GPUUSDPerHour                    *float64 `json:"gpu_usd_per_hour,omitempty"`                     // mean GPU rental, USD per GPU-hour; nil: 2.9
	GPUReversionPerDay               *float64 `json:"gpu_reversion_per_day,omitempty"`                // GPU rate reversion per day; nil: 0.05
	GPUVolatilityPerSqrtDay          *float64 `json:"gpu_volatility_per_sqrt_day,omitempty"`          // GPU rate volatility (log) per √day; nil: 0.02
}

// FleetCommand is a command to fleet devices (hcpcore::sim::Command). Build it with ServeCommand,
// SwitchCommand, MineCommand, SleepCommand or WakeCommand.
type FleetCommand struct {
	// Command is "serve", "switch", "mine", "sleep" or "wake".
	Command string `json:"command"`
	// Model is the model a GPU serves (serve, switch).
	Model *ModelSpec `json:"model,omitempty"`
	// Batch is the batch a GPU serves at (serve, switch).
	Batch int64 `json:"batch,omitempty"`
	// HostMemory of the transfers, "pinned" or "pageable" (switch).
	HostMemory string `json:"host_memory,omitempty"`
	// WarmContext keeps the serving process (switch; false is a cold start).
	WarmContext *bool `json:"warm_context,omitempty"`
	// Mode is a miner's mode: "normal", "low" or "high" (mine).
	Mode string `json:"mode,omitempty"`
}

// ServeCommand has GPUs serve model at batch (a switch with the fleet's host memory; the process
// stays warm once started).
func ServeCommand(model ModelSpec, batch int64) FleetCommand {
	return FleetCommand{Command: "serve", Model: &model, Batch: batch}
}

// SwitchCommand has GPUs switch to model at batch with explicit host memory ("pinned",
// "pageable") and context (warm keeps the serving process).
func SwitchCommand(model ModelSpec, batch int64, hostMemory string, warm bool) FleetCommand {
	return FleetCommand{Command: "switch", Model: &model, Batch: batch, HostMemory: hostMemory, WarmContext: &warm}
}

// MineCommand has miners hash in mode ("normal", "low", "high").
func MineCommand(mode string) FleetCommand { return FleetCommand{Command: "mine", Mode: mode} }

// SleepCommand curtails devices (a GPU parks after saving its state; a miner sleeps).
func SleepCommand() FleetCommand { return FleetCommand{Command: "sleep"} }

// WakeCommand undoes a sleep (GPU to idle; miner hashes in normal mode).
func WakeCommand() FleetCommand { return FleetCommand{Command: "wake"} }

// ServeConfig configures a Server's replicas and run (hcpcore::sim::serve::ServeConfig; rules in
// docs/serving.md). Defaults follow vLLM's; the zero value is the default server.
type ServeConfig struct {
	// MaxBatch is the most sequences running together on a replica (vLLM max_num_seqs). 0: 256.
	MaxBatch uint32 `json:"max_batch,omitempty"`
	// MaxTokensPerStep is the most tokens one step computes, decode tokens and prefill chunks
	// together (vLLM max_num_batched_tokens), >= MaxBatch. 0: 8192.
	MaxTokensPerStep uint32 `json:"max_tokens_per_step,omitempty"`
	// TensorParallel is the GPUs per replica. 0: 1.
	TensorParallel uint32 `json:"tensor_parallel,omitempty"`
	// Replicas is the number of replicas, each with its own GPUs. 0: 1.
	Replicas uint32 `json:"replicas,omitempty"`
	// MemoryUtilization is the share of each card's memory the engine may use (vLLM
	// gpu_memory_utilization). 0: 0.9.
	MemoryUtilization float64 `json:"memory_utilization,omitempty"`
	// KVBlockTokens is the KV-cache block size, tokens. 0: 16.
	KVBlockTokens uint32 `json:"kv_block_tokens,omitempty"`
	// Dispatch is the rule over replicas: "least_requests" (the default), "least_tokens" or
	// "round_robin".
	Dispatch string `json:"dispatch,omitempty"`
	// Seed seeds the dispatch tie-break stream. Default 0.
	Seed uint64 `json:"seed,omitempty"`
	// StepOverheadSeconds is host time added to every step, s. Default 0.
	StepOverheadSeconds float64 `json:"step_overhead_seconds,omitempty"`
	// TTFTSLOSeconds is the time-to-first-token objective of a request given none, s. 0: 2.
	TTFTSLOSeconds float64 `json:"ttft_slo_seconds,omitempty"`
	// TPOTSLOSeconds is the mean time-per-output-token objective of a request given none, s.
	// 0: 0.1.
	TPOTSLOSeconds float64 `json:"tpot_slo_seconds,omitempty"`
	// SampleSeconds is the interval of the per-replica series, s. 0: 1.
	SampleSeconds float64 `json:"sample_seconds,omitempty"`
	// InletC is the cooling inlet, °C; nil: the card's calibrated inlet.
	InletC *float64 `json:"inlet_c,omitempty"`
	// Switches are model switches to play.
	Switches []ServeModelSwitch `json:"switches,omitempty"`
}

// ServeModelSwitch is a replica changing model at a given time.
type ServeModelSwitch struct {
	AtSeconds   float64   `json:"at_seconds"`             // when the switch is ordered, s (it starts after the step in flight)
	Replica     uint32    `json:"replica"`                // replica index
	Model       ModelSpec `json:"model"`                  // the model served afterwards
	HostMemory  string    `json:"host_memory,omitempty"`  // "pinned" (the default) or "pageable"
	WarmContext *bool     `json:"warm_context,omitempty"` // the serving process stays up; nil: true
}

// ScaleRule says how ScaleTrace scales and stretches a trace (hcpcore::sim::serve::ScaleRule; the
// rule is docs/serving.md's). The zero value is the default rule.
type ScaleRule struct {
	MeanRatePerSecond float64  `json:"mean_rate_per_second,omitempty"` // mean arrival rate over the output, requests/s; 0: 5
	DurationSeconds   float64  `json:"duration_seconds,omitempty"`     // length of the output, s; 0: 3600
	DiurnalAmplitude  float64  `json:"diurnal_amplitude,omitempty"`    // the rate is 1 ± this times its daily mean; default 0
	PeakHour          *float64 `json:"peak_hour,omitempty"`            // hour (0–24 from time 0) of the highest rate; nil: 14
	WeekendFactor     *float64 `json:"weekend_factor,omitempty"`       // weekend rate as a share of the weekday rate; nil: 1 (no weekly cycle)
	StartWeekday      uint32   `json:"start_weekday,omitempty"`        // day of the week of time 0, 0 = Monday … 6 = Sunday; default 0
}

// RequestStream is a seeded synthetic request stream for SyntheticRequests
// (hcpcore::sim::serve::SyntheticStream). The zero value is Poisson at 5 requests/s, 1,000 requests,
// with lengths shaped like the Azure conversational trace.
type RequestStream struct {
	RatePerSecond float64             `json:"rate_per_second,omitempty"` // mean arrival rate, requests/s; 0: 5
	Requests      uint64              `json:"requests,omitempty"`        // requests to draw; 0: 1000
	Burstiness    float64             `json:"burstiness,omitempty"`      // coefficient of variation of the gaps (1: Poisson); 0: 1
	Prompt        *LengthDistribution `json:"prompt,omitempty"`          // prompt tokens; nil: log-normal, median 1020, sigma 0.8, max 8192
	Output        *LengthDistribution `json:"output,omitempty"`          // output tokens; nil: log-normal, median 129, sigma 1, max 2048
	Seed          uint64              `json:"seed,omitempty"`            // seed; default 0
}

// LengthDistribution is a distribution of prompt or output tokens, draws clamped to 1..=max. Make
// it with FixedLength, UniformLength or LogNormalLength.
type LengthDistribution struct {
	Kind   string  `json:"kind"`             // "fixed", "uniform" or "log_normal"
	Tokens int64   `json:"tokens,omitempty"` // fixed: always this many
	Min    int64   `json:"min,omitempty"`    // uniform: smallest
	Max    int64   `json:"max,omitempty"`    // uniform: largest; log_normal: largest kept
	Median float64 `json:"median,omitempty"` // log_normal: median tokens
	Sigma  float64 `json:"sigma,omitempty"`  // log_normal: standard deviation of the logarithm
}

// FixedLength is always tokens.
func FixedLength(tokens int64) *LengthDistribution {
	return &LengthDistribution{Kind: "fixed", Tokens: tokens}
}

// UniformLength is uniform on min..=max.
func UniformLength(min, max int64) *LengthDistribution {
	return &LengthDistribution{Kind: "uniform", Min: min, Max: max}
}

// LogNormalLength is log-normal with the given median and log-space standard deviation, draws
// above max clamped.
func LogNormalLength(median, sigma float64, max int64) *LengthDistribution {
	return &LengthDistribution{Kind: "log_normal", Median: median, Sigma: sigma, Max: max}
}
