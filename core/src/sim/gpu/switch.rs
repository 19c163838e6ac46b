//! Taking a GPU from one model to another, phase by phase, from measured bandwidths and
//! latencies: save the old model's state (KV cache) to host, free and clear its memory, load the
//! new weights from host memory, start the serving context (cold process or warm), run the first
//! decode step.

use serde::{Deserialize, Serialize};

use super::decode::{decode, DecodeOptions, ModelSpec};
use super::spec::GpuSpec;
use crate::error::check;
use crate::{Error, ErrorKind, Result};

/// Host memory the transfers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostMemory {
    /// Page-locked buffers (DMA at full PCIe/NVLink-C2C rate).
    Pinned,
    /// Ordinary pageable memory (staged through a bounce buffer).
    Pageable,
}

impl HostMemory {
    /// Parses `"pinned"` / `"pageable"`.
    pub fn parse(s: &str) -> Result<HostMemory> {
        match s {
            "pinned" => Ok(HostMemory::Pinned),
            "pageable" => Ok(HostMemory::Pageable),
            other => {
                Err(Error::invalid_input("host_memory", format!("must be \"pinned\" or \"pageable\", got {other:?}")))
            }
        }
    }

    /// `"pinned"` / `"pageable"`.
    pub fn name(self) -> &'static str {
        match self {
            HostMemory::Pinned => "pinned",
            HostMemory::Pageable => "pageable",
        }
    }
}

/// What a switch moves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchRequest {
    /// State saved to host before the old model goes (KV cache of live sequences), bytes.
    pub kv_bytes: f64,
    /// Weights of the new model, bytes.
    pub weights_bytes: f64,
    /// Device memory freed and zeroed (default: `weights_bytes + kv_bytes`, an old model of the
    /// same size), bytes.
    #[serde(default)]
    pub clear_bytes: Option<f64>,
    /// Host memory of both transfers.
    pub host_memory: HostMemory,
    /// The serving process and its CUDA context stay up (`false`: a fresh process).
    pub warm_context: bool,
    /// The new model and batch, to time the first step exactly (default: a batch-1 step of a
    /// bf16 model of `weights_bytes`).
    #[serde(default)]
    pub first_step: Option<(ModelSpec, u64)>,
}

impl SwitchRequest {
    /// A request with the defaults for clearing and the first step.
    pub fn new(kv_bytes: f64, weights_bytes: f64, host_memory: HostMemory, warm_context: bool) -> SwitchRequest {
        SwitchRequest { kv_bytes, weights_bytes, clear_bytes: None, host_memory, warm_context, first_step: None }
    }
}

/// Seconds of each phase of a switch, and the total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SwitchPhases {
    /// Device → host copy of the state.
    pub save_state_seconds: f64,
    /// Free the old allocations and zero the memory.
    pub free_and_clear_seconds: f64,
    /// Host → device copy of the new weights (plus the lazy allocation).
    pub load_weights_seconds: f64,
    /// Process and CUDA context start (cold) or nothing (warm).
    pub context_start_seconds: f64,
    /// First decode step of the new model.
    pub first_step_seconds: f64,
    /// Sum of the phases.
    pub total_seconds: f64,
}

/// The phases of `request` on a GPU with `spec`.
///
/// ```
/// use hcpcore::sim::{switch_phases, GpuSpec, HostMemory, SwitchRequest};
/// let p = switch_phases(&GpuSpec::h100_sxm(), &SwitchRequest::new(8e9, 16e9, HostMemory::Pinned, true)).unwrap();
/// assert!((p.load_weights_seconds - 16e9 / 46.678e9 - 0.0032).abs() < 1e-9);
/// assert!(p.total_seconds > p.save_state_seconds + p.load_weights_seconds);
/// ```
pub fn switch_phases(spec: &GpuSpec, request: &SwitchRequest) -> Result<SwitchPhases> {
    let kv = check::non_negative("kv_bytes", request.kv_bytes)?;
    let weights = check::positive("weights_bytes", request.weights_bytes)?;
    let clear = match request.clear_bytes {
        Some(c) => check::non_negative("clear_bytes", c)?,
        None => weights + kv,
    };
    if weights > spec.memory_usable_bytes() {
        return Err(Error::new(
            ErrorKind::OutOfMemory,
            format!(
                "weights_bytes: {:.2} GB do not fit the {:.2} GB usable on {}",
                weights / 1e9,
                spec.memory_usable_bytes() / 1e9,
                spec.name
            ),
        ));
    }
    let x = &spec.transfer;
    let (h2d, d2h) = match request.host_memory {
        HostMemory::Pinned => (x.h2d_pinned_bytes_per_second, x.d2h_pinned_bytes_per_second),
        HostMemory::Pageable => (x.h2d_pageable_bytes_per_second, x.d2h_pageable_bytes_per_second),
    };
    let save = kv / d2h;
    let free_and_clear = x.free_seconds + clear / x.clear_bytes_per_second;
    let load = x.alloc_seconds + weights / h2d;
    let context =
        if request.warm_context { x.warm_context_seconds } else { x.cold_import_seconds + x.cold_context_seconds };
    let first = match request.first_step {
        Some((model, batch)) => {
            let b = i64::try_from(batch).map_err(|_| Error::invalid_input("batch", "too large"))?;
            decode(spec, &model, b, DecodeOptions::default(), spec.thermal.inlet_temp_c)?.step_seconds
        }
        None => {
            let model = ModelSpec::new(weights / 2.0, 2.0)?;
            decode(spec, &model, 1, DecodeOptions::default(), spec.thermal.inlet_temp_c)?.step_seconds
        }
    };
    Ok(SwitchPhases {
        save_state_seconds: save,
        free_and_clear_seconds: free_and_clear,
        load_weights_seconds: load,
        context_start_seconds: context,
        first_step_seconds: first,
        total_seconds: save + free_and_clear + load + context + first,
    })
}
