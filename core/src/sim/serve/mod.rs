//! `hcpcore::sim::serve` — LLM serving on simulated H100s, request by request (issue 12).
//!
//! Owns: the replica scheduler (continuous batching, chunked prefill, KV cache, preemption by
//! recomputation: [`replica`]), the step cost from the calibrated GPU model ([`cost`]), the
//! event loop with dispatch over replicas and model switches ([`engine`]), the result columns
//! ([`series`], [`summary`]), the aggregate model a site loop uses for long spans
//! ([`aggregate`]) and the request generators ([`generate`]: the Azure traces, scaling and
//! stretching them, seeded synthetic streams). Uses `sim::gpu` for every physical figure and
//! `sim::rng` for every random draw; touches nothing else. The rules, with examples and the
//! model's validity, are in `docs/serving.md`.
//!
//! ```
//! use hcpcore::sim::serve::{run, RequestColumns, ServeConfig};
//! use hcpcore::sim::{GpuSpec, ModelSpec};
//! let arrivals = [0.0, 0.1, 0.2];
//! let prompts = [512, 1024, 128];
//! let outputs = [64, 32, 16];
//! let r = run(&GpuSpec::h100_sxm(), &ModelSpec::new(8e9, 2.0).unwrap(), &ServeConfig::default(),
//!             RequestColumns::new(&arrivals, &prompts, &outputs)).unwrap();
//! assert_eq!(r.summary.output_tokens, 112);
//! assert!(r.ttft_seconds.iter().zip(&r.e2e_seconds).all(|(t, e)| t <= e));
//! ```

pub mod aggregate;
pub mod config;
pub mod cost;
pub mod engine;
pub mod generate;
mod replica;
pub mod requests;
pub mod series;
pub mod summary;

pub use aggregate::{aggregate, AggregateLoad, AggregateServe};
pub use config::{Dispatch, ModelSwitch, ServeConfig};
pub use engine::{kv_capacity_tokens, run, ServeResult, SwitchRecord};
pub use generate::{azure_trace, scale_trace, synthetic, AzureTrace, LengthDistribution, ScaleRule, SyntheticStream};
pub use requests::{RequestColumns, Requests};
pub use series::ServeSeries;
pub use summary::{Percentiles, ServeSummary, TenantSummary};
