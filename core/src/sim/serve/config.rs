//! What a serving run is given: the replica configuration (batching limits, KV cache, parallelism,
//! dispatch, SLO defaults, series interval) and the model switches to play. Validation names the
//! field of every bad value.

use serde::{Deserialize, Serialize};

use crate::error::check;
use crate::sim::gpu::decode::ModelSpec;
use crate::sim::gpu::switch::HostMemory;
use crate::{Error, Result};

pub use crate::limits::{MAX_REPLICAS, MAX_REQUEST_TOKENS};

/// Most tensor-parallel GPUs per replica.
pub const MAX_TENSOR_PARALLEL: u32 = 64;
/// Most sequences one replica batches.
pub const MAX_BATCH_SEQUENCES: u32 = 1 << 16;
/// Most tokens one step computes.
pub const MAX_TOKENS_PER_STEP: u32 = 1 << 22;

/// How arriving requests are spread over replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dispatch {
    /// Join the shortest queue: the replica with the fewest requests waiting or running (ties
    /// broken by the seeded random stream).
    LeastRequests,
    /// The replica with the fewest tokens still to compute (prompt left plus output left).
    LeastTokens,
    /// Replica `i mod n` for the `i`-th request.
    RoundRobin,
}

impl Dispatch {
    /// Parses `"least_requests"`, `"least_tokens"` or `"round_robin"`.
    pub fn parse(s: &str) -> Result<Dispatch> {
        match s {
            "least_requests" => Ok(Dispatch::LeastRequests),
            "least_tokens" => Ok(Dispatch::LeastTokens),
            "round_robin" => Ok(Dispatch::RoundRobin),
            other => Err(Error::invalid_input(
                "dispatch",
                format!("must be \"least_requests\", \"least_tokens\" or \"round_robin\", got {other:?}"),
            )),
        }
    }
}

/// A replica changing model at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSwitch {
    /// When the switch is ordered, s (it starts at the end of the step in flight).
    pub at_seconds: f64,
    /// Replica index.
    pub replica: u32,
    /// The model served afterwards.
    pub model: ModelSpec,
    /// Host memory the new weights come from.
    #[serde(default = "pinned")]
    pub host_memory: HostMemory,
    /// The serving process stays up (`false`: a cold process start).
    #[serde(default = "yes")]
    pub warm_context: bool,
}

fn pinned() -> HostMemory {
    HostMemory::Pinned
}
fn yes() -> bool {
    true
}

/// Replica and run configuration (defaults follow vLLM's: 256 sequences, 8192 tokens per step,
/// 90 % of the card's memory, 16-token KV blocks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Most sequences running together on a replica (vLLM `max_num_seqs`).
    pub max_batch: u32,
    /// Most tokens one step computes, decode tokens and prefill chunks together (vLLM
    /// `max_num_batched_tokens`); must be at least `max_batch` so every running sequence decodes
    /// each step.
    pub max_tokens_per_step: u32,
    /// GPUs per replica (tensor parallel).
    pub tensor_parallel: u32,
    /// Replicas, each with its own GPUs.
    pub replicas: u32,
    /// Share of each card's memory the engine may use (vLLM `gpu_memory_utilization`).
    pub memory_utilization: f64,
    /// KV-cache block size, tokens; each sequence holds whole blocks.
    pub kv_block_tokens: u32,
    /// Dispatch rule over replicas.
    pub dispatch: Dispatch,
    /// Seed of the dispatch tie-break stream.
    pub seed: u64,
    /// Host time added to every step (scheduling, sampling), s. The calibration measured the GPU
    /// alone, so the default is 0.
    pub step_overhead_seconds: f64,
    /// TTFT objective of a request given none, s.
    pub ttft_slo_seconds: f64,
    /// Mean-TPOT objective of a request given none, s.
    pub tpot_slo_seconds: f64,
    /// Interval of the per-replica series, s.
    pub sample_seconds: f64,
    /// Cooling inlet, °C (default: the card's calibrated inlet).
    pub inlet_c: Option<f64>,
    /// Model switches to play.
    pub switches: Vec<ModelSwitch>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_batch: 256,
            max_tokens_per_step: 8192,
            tensor_parallel: 1,
            replicas: 1,
            memory_utilization: 0.9,
            kv_block_tokens: 16,
            dispatch: Dispatch::LeastRequests,
            seed: 0,
            step_overhead_seconds: 0.0,
            ttft_slo_seconds: 2.0,
            tpot_slo_seconds: 0.1,
            sample_seconds: 1.0,
            inlet_c: None,
            switches: Vec::new(),
        }
    }
}

impl ServeConfig {
    /// A config from a JSON object of the fields to change, validated.
    pub fn from_json(json: &str) -> Result<ServeConfig> {
        let c: ServeConfig =
            serde_json::from_str(json).map_err(|e| Error::invalid_input("config", format!("malformed: {e}")))?;
        c.validated()
    }

    /// Checks every field.
    pub fn validated(self) -> Result<ServeConfig> {
        let in_range = |field: &str, v: u32, lo: u32, hi: u32| {
            if v < lo || v > hi {
                Err(Error::invalid_input(field, format!("must be in {lo}..={hi}, got {v}")))
            } else {
                Ok(())
            }
        };
        in_range("max_batch", self.max_batch, 1, MAX_BATCH_SEQUENCES)?;
        in_range("max_tokens_per_step", self.max_tokens_per_step, 1, MAX_TOKENS_PER_STEP)?;
        if self.max_tokens_per_step < self.max_batch {
            return Err(Error::invalid_input(
                "max_tokens_per_step",
                format!("must be >= max_batch ({}), got {}", self.max_batch, self.max_tokens_per_step),
            ));
        }
        in_range("tensor_parallel", self.tensor_parallel, 1, MAX_TENSOR_PARALLEL)?;
        in_range("replicas", self.replicas, 1, MAX_REPLICAS)?;
        in_range("kv_block_tokens", self.kv_block_tokens, 1, 1 << 16)?;
        check::in_range("memory_utilization", self.memory_utilization, 0.05, 1.0)?;
        check::in_range("step_overhead_seconds", self.step_overhead_seconds, 0.0, 10.0)?;
        check::positive("ttft_slo_seconds", self.ttft_slo_seconds)?;
        check::positive("tpot_slo_seconds", self.tpot_slo_seconds)?;
        check::in_range(
            "sample_seconds",
            self.sample_seconds,
            crate::limits::MIN_DT_SECONDS,
            crate::limits::MAX_DT_SECONDS,
        )?;
        if let Some(t) = self.inlet_c {
            check::in_range("inlet_c", t, -40.0, 80.0)?;
        }
        crate::limits::count("switches", self.switches.len() as i128, crate::limits::MAX_BATCH)?;
        for (i, s) in self.switches.iter().enumerate() {
            check::non_negative(&format!("switches[{i}].at_seconds"), s.at_seconds)?;
            if s.replica >= self.replicas {
                return Err(Error::invalid_input(
                    &format!("switches[{i}].replica"),
                    format!("must be < replicas ({}), got {}", self.replicas, s.replica),
                ));
            }
            s.model.validated().map_err(|e| Error::new(e.kind(), format!("switches[{i}].{}", e.message())))?;
        }
        Ok(self)
    }
}
