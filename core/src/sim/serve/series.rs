//! Per-replica time series of a serving run, in fixed intervals from the first arrival: mean
//! batch, output and prefill tokens per second, mean power, energy and peak KV-cache use. Power
//! is integrated exactly over steps, switch phases and idle gaps (a span crossing an interval
//! boundary is split); tokens count in the interval where their step ends.

use serde::Serialize;

use crate::limits::MAX_STEPS;
use crate::{Error, Result};

/// Series columns, replica-major: the rows of replica 0 in time order, then replica 1, …
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServeSeries {
    /// Start of the interval, s.
    pub time_seconds: Vec<f64>,
    /// Replica.
    pub replica: Vec<u32>,
    /// Mean sequences running (time-weighted over the interval).
    pub batch_size: Vec<f64>,
    /// Output tokens per second.
    pub output_tokens_per_second: Vec<f64>,
    /// Prompt tokens computed per second (prefill, including recomputation).
    pub prefill_tokens_per_second: Vec<f64>,
    /// Mean power of the replica's GPUs, W.
    pub power_watts: Vec<f64>,
    /// Energy of the replica's GPUs in the interval, J.
    pub energy_joules: Vec<f64>,
    /// Highest KV-cache use at a step start, share of capacity.
    pub kv_used_fraction: Vec<f64>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    energy: f64,
    batch_seconds: f64,
    output_tokens: f64,
    prefill_tokens: f64,
    kv_max: f64,
}

/// Accumulates the series during a run.
#[derive(Debug)]
pub(super) struct SeriesBuilder {
    origin: f64,
    sample: f64,
    max_buckets: usize,
    overflow: bool,
    end: f64,
    last: Vec<f64>,
    idle_watts: Vec<f64>,
    buckets: Vec<Vec<Bucket>>,
}

impl SeriesBuilder {
    pub fn new(replicas: usize, origin: f64, sample: f64, idle_watts: f64) -> SeriesBuilder {
        SeriesBuilder {
            origin,
            sample,
            max_buckets: MAX_STEPS / replicas.max(1),
            overflow: false,
            end: origin,
            last: vec![origin; replicas],
            idle_watts: vec![idle_watts; replicas],
            buckets: vec![Vec::new(); replicas],
        }
    }

    pub fn set_idle_watts(&mut self, r: usize, watts: f64) {
        self.idle_watts[r] = watts;
    }

    #[inline]
    fn bucket(&mut self, r: usize, b: usize) -> Option<&mut Bucket> {
        if b >= self.max_buckets {
            self.overflow = true;
            return None;
        }
        let v = &mut self.buckets[r];
        if v.len() <= b {
            v.resize(b + 1, Bucket::default());
        }
        Some(&mut v[b])
    }

    #[inline]
    fn index(&self, t: f64) -> usize {
        ((t - self.origin) / self.sample).max(0.0) as usize
    }

    fn spread(&mut self, r: usize, t0: f64, t1: f64, watts: f64, batch: f64) {
        let mut t = t0;
        let mut b = self.index(t0);
        while t < t1 {
            let e = t1.min(self.origin + (b + 1) as f64 * self.sample);
            if e > t {
                let dt = e - t;
                let Some(k) = self.bucket(r, b) else { return };
                k.energy += watts * dt;
                k.batch_seconds += batch * dt;
                t = e;
            }
            b += 1;
        }
    }

    /// Replica `r` busy from `t0` to `t1` at `watts` with `batch` sequences, KV use `kv` at the start.
    #[inline]
    pub fn busy(&mut self, r: usize, t0: f64, t1: f64, watts: f64, batch: u32, kv: f64) -> Result<()> {
        let last = self.last[r];
        if t0 > last {
            self.spread(r, last, t0, self.idle_watts[r], 0.0);
        }
        let b = self.index(t0);
        if let Some(k) = self.bucket(r, b) {
            k.kv_max = k.kv_max.max(kv);
        }
        if t1 - t0 < self.sample && self.index(t1) == b {
            // The common case: a step inside one interval.
            if let Some(k) = self.bucket(r, b) {
                k.energy += watts * (t1 - t0);
                k.batch_seconds += f64::from(batch) * (t1 - t0);
            }
        } else {
            self.spread(r, t0, t1, watts, f64::from(batch));
        }
        self.last[r] = t1;
        Ok(())
    }

    /// Tokens of a step that ended at `now`.
    #[inline]
    pub fn tokens(&mut self, r: usize, now: f64, output: u32, prefill: u32) {
        let b = self.index(now);
        if let Some(k) = self.bucket(r, b) {
            k.output_tokens += f64::from(output);
            k.prefill_tokens += f64::from(prefill);
        }
    }

    /// Idle to `end` (the end of the run).
    pub fn close(&mut self, r: usize, end: f64) {
        self.end = self.end.max(end);
        let last = self.last[r];
        if end > last {
            self.spread(r, last, end, self.idle_watts[r], 0.0);
            self.last[r] = end;
        }
    }

    /// The columns.
    pub fn finish(self) -> Result<ServeSeries> {
        if self.overflow {
            return Err(Error::invalid_input(
                "sample_seconds",
                format!("the run needs more than {} series rows; raise sample_seconds", MAX_STEPS),
            ));
        }
        let span = self.end - self.origin;
        let n = if span > 0.0 { ((span / self.sample).ceil() as usize).min(self.max_buckets) } else { 0 };
        let mut s = ServeSeries::default();
        for (r, buckets) in self.buckets.iter().enumerate() {
            for b in 0..n {
                let k = buckets.get(b).copied().unwrap_or_default();
                let t = self.origin + b as f64 * self.sample;
                let width = (self.end - t).min(self.sample).max(f64::MIN_POSITIVE);
                s.time_seconds.push(t);
                s.replica.push(r as u32);
                s.batch_size.push(k.batch_seconds / width);
                s.output_tokens_per_second.push(k.output_tokens / width);
                s.prefill_tokens_per_second.push(k.prefill_tokens / width);
                s.power_watts.push(k.energy / width);
                s.energy_joules.push(k.energy);
                s.kv_used_fraction.push(k.kv_max);
            }
        }
        Ok(s)
    }
}
