//! The request stream a serving run takes, as columns: arrival time, prompt and output tokens,
//! and optionally priority and per-request objectives. Validation names the column and the row.

use crate::error::check;
pub use crate::limits::MAX_REQUESTS;
use crate::limits::{count, MAX_REQUEST_TOKENS};
use crate::{Error, Result};

/// Owned request columns (what the generators return).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requests {
    /// Arrival time, s, non-decreasing.
    pub arrival_seconds: Vec<f64>,
    /// Prompt tokens, ≥ 1.
    pub prompt_tokens: Vec<i64>,
    /// Output tokens, ≥ 1.
    pub output_tokens: Vec<i64>,
}

impl Requests {
    /// Borrowed columns without the optional ones.
    pub fn view(&self) -> RequestColumns<'_> {
        RequestColumns::new(&self.arrival_seconds, &self.prompt_tokens, &self.output_tokens)
    }

    /// Number of requests.
    pub fn len(&self) -> usize {
        self.arrival_seconds.len()
    }

    /// No requests.
    pub fn is_empty(&self) -> bool {
        self.arrival_seconds.is_empty()
    }
}

/// Borrowed request columns, each one entry per request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestColumns<'a> {
    /// Arrival time, s, finite, ≥ 0, non-decreasing.
    pub arrival_seconds: &'a [f64],
    /// Prompt tokens, 1..=2^24.
    pub prompt_tokens: &'a [i64],
    /// Output tokens, 1..=2^24.
    pub output_tokens: &'a [i64],
    /// Priority, 1 (first) … 10 (last); default 5. Equal priorities are served first come, first
    /// served.
    pub priority: Option<&'a [i64]>,
    /// TTFT objective per request, s (default: the config's).
    pub ttft_slo_seconds: Option<&'a [f64]>,
    /// Mean-TPOT objective per request, s (default: the config's).
    pub tpot_slo_seconds: Option<&'a [f64]>,
    /// Tenant (customer) of each request, `0..=4294967295`: the result then carries a summary per
    /// tenant. Scheduling ignores it.
    pub tenant: Option<&'a [i64]>,
}

/// Default priority of a request given none.
pub const DEFAULT_PRIORITY: i64 = 5;

impl<'a> RequestColumns<'a> {
    /// The three required columns.
    pub fn new(arrival_seconds: &'a [f64], prompt_tokens: &'a [i64], output_tokens: &'a [i64]) -> Self {
        RequestColumns {
            arrival_seconds,
            prompt_tokens,
            output_tokens,
            priority: None,
            ttft_slo_seconds: None,
            tpot_slo_seconds: None,
            tenant: None,
        }
    }

    /// Number of requests.
    pub fn len(&self) -> usize {
        self.arrival_seconds.len()
    }

    /// No requests.
    pub fn is_empty(&self) -> bool {
        self.arrival_seconds.is_empty()
    }

    /// Checks lengths, ranges and order; the first bad entry is named (`arrival_seconds[3]: …`).
    pub fn validate(&self) -> Result<()> {
        let n = count("arrival_seconds", self.arrival_seconds.len() as i128, MAX_REQUESTS)?;
        let same_len = |field: &str, len: usize| {
            if len != n {
                Err(Error::invalid_input(field, format!("has {len} entries but arrival_seconds has {n}")))
            } else {
                Ok(())
            }
        };
        same_len("prompt_tokens", self.prompt_tokens.len())?;
        same_len("output_tokens", self.output_tokens.len())?;
        let mut last = 0.0;
        for (i, &t) in self.arrival_seconds.iter().enumerate() {
            if !t.is_finite() || t < 0.0 {
                return Err(Error::invalid_input(
                    &format!("arrival_seconds[{i}]"),
                    format!("must be finite and >= 0, got {t}"),
                ));
            }
            if t < last {
                return Err(Error::invalid_input(
                    &format!("arrival_seconds[{i}]"),
                    format!("arrivals must be in time order: {t} comes after {last}"),
                ));
            }
            last = t;
        }
        for (field, col) in [("prompt_tokens", self.prompt_tokens), ("output_tokens", self.output_tokens)] {
            if let Some(i) = col.iter().position(|&k| !(1..=MAX_REQUEST_TOKENS).contains(&k)) {
                return Err(Error::invalid_input(
                    &format!("{field}[{i}]"),
                    format!("must be in 1..={MAX_REQUEST_TOKENS}, got {}", col[i]),
                ));
            }
        }
        if let Some(p) = self.priority {
            same_len("priority", p.len())?;
            if let Some(i) = p.iter().position(|&k| !(1..=10).contains(&k)) {
                return Err(Error::invalid_input(
                    &format!("priority[{i}]"),
                    format!("must be in 1..=10, got {}", p[i]),
                ));
            }
        }
        if let Some(t) = self.tenant {
            same_len("tenant", t.len())?;
            if let Some(i) = t.iter().position(|&k| !(0..=i64::from(u32::MAX)).contains(&k)) {
                return Err(Error::invalid_input(
                    &format!("tenant[{i}]"),
                    format!("must be in 0..={}, got {}", u32::MAX, t[i]),
                ));
            }
        }
        for (field, col) in [("ttft_slo_seconds", self.ttft_slo_seconds), ("tpot_slo_seconds", self.tpot_slo_seconds)] {
            if let Some(c) = col {
                same_len(field, c.len())?;
                for (i, &v) in c.iter().enumerate() {
                    check::positive(&format!("{field}[{i}]"), v)?;
                }
            }
        }
        Ok(())
    }
}
