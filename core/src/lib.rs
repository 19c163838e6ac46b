//! # hcpcore — the embeddable core of a hybrid compute platform
//!
//! Sites that run Bitcoin-mining ASICs beside AI-inference GPUs on one power budget use hcpcore to
//! decide, every few minutes, what each device does and what each customer owes.
//!
//! | module | owns |
//! | --- | --- |
//! | [`econ`] | mining and inference economics, per-device decisions, site power allocation |
//! | [`router`] | priority routing of workloads onto devices (rules: `docs/router.md`) |
//! | [`billing`] | meters, charge models, plans, rating, invoices and the usage ledger |
//! | [`sim`] | H100 and S21 device models, market series, fleets and telemetry |
//!
//! Each module stands alone: `econ` needs nothing, `router` and `sim` use `econ`'s types,
//! `billing` needs none of them. Every fallible call returns [`Result`], whose [`Error`]
//! carries an [`ErrorKind`] and a message naming the offending field.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod billing;
pub mod cancel;
pub mod econ;
mod error;
pub mod limits;
pub mod router;
pub mod sim;
mod simd;

pub use error::{Error, ErrorKind, Result};

/// The Rust snippets of the repository's README and of this crate's README, compiled and run as
/// doctests so that neither can drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
