//go:build cgo

package hcpcore

// The H100 spec overrides of NewH100, field for field the sections of hcpcore::sim::GpuSpec
// (core/src/sim/gpu/spec.rs, whose doc comments these repeat). TestGPUSpecOverridesCoverSpec
// checks each JSON name against the core, so a field renamed there fails the test.

// GPUSpecOverrides replaces fields of an H100 spec (hcpcore::sim::GpuSpec; nested sections merge field
// by field). A nil field or section keeps the variant's value, so the zero value changes nothing.
// The core validates the result: a value out of range is ErrInvalidInput naming the field.
type GPUSpecOverrides struct {
	// Catalog name, `"H100_SXM"` or `"H100_PCIE"`.
	Name string `json:"name,omitempty"`
	// Name the driver reports (`modelName` label of dcgm-exporter).
	ProductName string `json:"product_name,omitempty"`
	// Where the figures come from.
	Source string `json:"source,omitempty"`
	// Streaming multiprocessors.
	SMCount *uint32 `json:"sm_count,omitempty"`
	// Framebuffer the CUDA runtime reports as total (bytes).
	MemoryTotalBytes *float64 `json:"memory_total_bytes,omitempty"`
	// Framebuffer taken by the CUDA context and allocator before any model loads (bytes).
	MemoryReservedBytes *float64 `json:"memory_reserved_bytes,omitempty"`
	// Published HBM bandwidth (bytes/s).
	HBMBandwidthBytesPerSecond *float64 `json:"hbm_bandwidth_bytes_per_second,omitempty"`
	// Published dense bf16 tensor throughput at the maximum SM clock (FLOP/s).
	BF16DenseFLOPs *float64 `json:"bf16_dense_flops,omitempty"`
	// Maximum (boost) SM clock, MHz.
	MaxSMClockMHz *float64 `json:"max_sm_clock_mhz,omitempty"`
	// Lowest SM clock the power limiter may choose, MHz.
	MinSMClockMHz *float64 `json:"min_sm_clock_mhz,omitempty"`
	// Memory clock, MHz (reported only).
	MemoryClockMHz *float64 `json:"memory_clock_mhz,omitempty"`
	// Power model.
	Power *GPUPowerOverrides `json:"power,omitempty"`
	// Thermal model.
	Thermal *GPUThermalOverrides `json:"thermal,omitempty"`
	// Host transfers and process start (workload switch).
	Transfer *GPUTransferOverrides `json:"transfer,omitempty"`
	// Decode-step performance model.
	Decode *GPUDecodeOverrides `json:"decode,omitempty"`
}

// GPUPowerOverrides replaces fields of the power model: P = idle + leakage·(T_gpu − T_ref) +
// memory·dram + compute·rate·v(f)²; the limiter lowers the clock until the power fits LimitWatts.
type GPUPowerOverrides struct {
	// Thermal design power, W (the default and maximum power limit).
	TDPWatts *float64 `json:"tdp_watts,omitempty"`
	// Lowest settable power limit, W.
	MinLimitWatts *float64 `json:"min_limit_watts,omitempty"`
	// Power limit in force, W.
	LimitWatts *float64 `json:"limit_watts,omitempty"`
	// Power at P0, context open, nothing running, at `idle_ref_temp_c`, W.
	IdleWatts *float64 `json:"idle_watts,omitempty"`
	// GPU temperature at which `idle_watts` was measured, °C.
	IdleRefTempC *float64 `json:"idle_ref_temp_c,omitempty"`
	// Leakage: extra idle power per °C of GPU temperature, W/°C.
	LeakageWattsPerC *float64 `json:"leakage_watts_per_c,omitempty"`
	// Share of idle power dissipated in the HBM stacks (heats the memory sensor), W.
	IdleMemoryWatts *float64 `json:"idle_memory_watts,omitempty"`
	// Extra power at full DRAM activity (the device-copy load), W.
	MemoryWatts *float64 `json:"memory_watts,omitempty"`
	// DRAM throughput (read + write) that counts as full DRAM activity, bytes/s.
	DRAMFullBytesPerSecond *float64 `json:"dram_full_bytes_per_second,omitempty"`
	// Extra power of the tensor cores busy 100 % at the maximum clock, W.
	ComputeWatts *float64 `json:"compute_watts,omitempty"`
	// Relative core voltage at zero clock in the linear V/f curve.
	VoltageFloor *float64 `json:"voltage_floor,omitempty"`
	// Time constant of the power limiter moving the SM clock, s.
	LimiterTauSeconds *float64 `json:"limiter_tau_seconds,omitempty"`
	// Window of the reported power reading (`nvidia-smi power.draw` averages over 1 s), s.
	ReportWindowSeconds *float64 `json:"report_window_seconds,omitempty"`
	// Power while curtailed (parked, lowest clocks), W.
	SleepWatts *float64 `json:"sleep_watts,omitempty"`
}

// GPUThermalOverrides replaces fields of the thermal model.
type GPUThermalOverrides struct {
	// Effective cooling-air (or coolant) temperature at the card, °C.
	InletTempC *float64 `json:"inlet_temp_c,omitempty"`
	// Heat sink rise per watt of total power, °C/W (the cooling parameter).
	SinkCPerWatt *float64 `json:"sink_c_per_watt,omitempty"`
	// Die rise over the sink per watt of core power, °C/W.
	CoreCPerWatt *float64 `json:"core_c_per_watt,omitempty"`
	// HBM rise over the sink per watt of memory power, °C/W.
	MemoryCPerWatt *float64 `json:"memory_c_per_watt,omitempty"`
	// HBM rise over the sink per watt of core power (shared package), °C/W.
	MemoryFromCoreCPerWatt *float64 `json:"memory_from_core_c_per_watt,omitempty"`
	// Fast time constant (die and HBM over the sink), s.
	FastTauSeconds *float64 `json:"fast_tau_seconds,omitempty"`
	// Slow time constant (heat sink), s.
	SlowTauSeconds *float64 `json:"slow_tau_seconds,omitempty"`
	// GPU temperature where software thermal slowdown starts, °C.
	SlowdownTempC *float64 `json:"slowdown_temp_c,omitempty"`
	// GPU temperature where the card shuts down, °C.
	ShutdownTempC *float64 `json:"shutdown_temp_c,omitempty"`
	// HBM maximum operating temperature, °C.
	MemoryMaxTempC *float64 `json:"memory_max_temp_c,omitempty"`
	// Relative clock lost per °C above the slowdown temperature.
	SlowdownClockPerC *float64 `json:"slowdown_clock_per_c,omitempty"`
}

// GPUTransferOverrides replaces fields of the host-transfer and process-start model (workload
// switch).
type GPUTransferOverrides struct {
	// Host → device from pinned memory, bytes/s.
	H2dPinnedBytesPerSecond *float64 `json:"h2d_pinned_bytes_per_second,omitempty"`
	// Host → device from pageable memory, bytes/s.
	H2dPageableBytesPerSecond *float64 `json:"h2d_pageable_bytes_per_second,omitempty"`
	// Device → host into pinned memory, bytes/s.
	D2hPinnedBytesPerSecond *float64 `json:"d2h_pinned_bytes_per_second,omitempty"`
	// Device → host into pageable memory, bytes/s.
	D2hPageableBytesPerSecond *float64 `json:"d2h_pageable_bytes_per_second,omitempty"`
	// Zeroing device memory, bytes/s.
	ClearBytesPerSecond *float64 `json:"clear_bytes_per_second,omitempty"`
	// Freeing the old allocations (`del` + `empty_cache`), s.
	FreeSeconds *float64 `json:"free_seconds,omitempty"`
	// Allocating the new model's memory (lazy), s.
	AllocSeconds *float64 `json:"alloc_seconds,omitempty"`
	// Fresh process: `import torch`, s.
	ColdImportSeconds *float64 `json:"cold_import_seconds,omitempty"`
	// Fresh process: CUDA context and first kernel, s.
	ColdContextSeconds *float64 `json:"cold_context_seconds,omitempty"`
	// Process and context already up, s.
	WarmContextSeconds *float64 `json:"warm_context_seconds,omitempty"`
}

// GPUDecodeOverrides replaces fields of the decode-step performance model.
type GPUDecodeOverrides struct {
	// Effective HBM bandwidth of weight streaming, bytes/s.
	BandwidthBytesPerSecond *float64 `json:"bandwidth_bytes_per_second,omitempty"`
	// Effective tensor throughput of decode GEMMs at the maximum clock, FLOP/s.
	FLOPs *float64 `json:"flops,omitempty"`
	// Smoothness `p` of the memory/compute transition.
	OverlapExponent *float64 `json:"overlap_exponent,omitempty"`
	// Bytes per activation element (bf16 activations whatever the weight format).
	ActivationBytes *float64 `json:"activation_bytes,omitempty"`
}
