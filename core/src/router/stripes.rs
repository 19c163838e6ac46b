//! Counters and histograms that many threads bump without sharing a cache line: each thread
//! writes to its own stripe (picked once per thread), readers sum the stripes. A thread that owns
//! its stripe records with a plain relaxed load + store (no locked instruction, no contention);
//! threads beyond the stripe count share the last stripe through `fetch_add`. A thread returns
//! its stripe when it exits.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crossbeam::utils::CachePadded;

/// Number of stripes; a power of two ≥ the cores we expect to share a router.
pub(crate) const STRIPES: usize = 16;

/// The last stripe is shared (through `fetch_add`) by threads that find every other stripe
/// taken; the others each belong to one live thread.
const SHARED: usize = STRIPES - 1;

/// Stripes not owned by a live thread. A thread takes one on its first counter update and gives
/// it back when it exits, so pools that start and stop threads (criterion samples, Python thread
/// pools) do not run out of single-writer stripes.
static FREE: parking_lot::Mutex<Option<Vec<usize>>> = parking_lot::Mutex::new(None);

struct Owned(usize);

impl Owned {
    fn take() -> Owned {
        let mut free = FREE.lock();
        Owned(free.get_or_insert_with(|| (0..SHARED).rev().collect()).pop().unwrap_or(SHARED))
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // Anything this thread still counts (other thread-locals' destructors) goes to the
        // shared stripe from now on: the owned one is about to belong to another thread.
        let _ = CACHED.try_with(|c| c.set(SHARED));
        if self.0 != SHARED {
            if let Some(free) = FREE.lock().as_mut() {
                free.push(self.0);
            }
        }
    }
}

thread_local! {
    static STRIPE: Owned = Owned::take();
    /// This thread's stripe once known (`usize::MAX` before): a `const` thread-local without a
    /// destructor is a plain load, where `STRIPE` (which has one) checks its registration on
    /// every access — and the router bumps about ten counters per workload.
    static CACHED: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// This thread's stripe. Stripes below `SHARED` have a single writer, so their counters are
/// bumped with a plain load + store (no locked instruction); the shared stripe uses
/// `fetch_add`.
#[inline]
pub(crate) fn stripe() -> usize {
    let cached = CACHED.with(Cell::get);
    if cached != usize::MAX {
        return cached;
    }
    // A thread past its TLS teardown falls back to the shared stripe.
    let owned = STRIPE.try_with(|s| s.0).unwrap_or(SHARED);
    CACHED.with(|c| c.set(owned));
    owned
}

#[inline]
fn bump_u64(a: &AtomicU64, stripe: usize, delta: u64) {
    if stripe == SHARED {
        a.fetch_add(delta, Relaxed);
    } else {
        a.store(a.load(Relaxed).wrapping_add(delta), Relaxed);
    }
}

thread_local! {
    static SAMPLE: Cell<u32> = const { Cell::new(0) };
}

/// Latency histograms record one call in `SAMPLE_EVERY` per thread: a clock read costs
/// ~40 ns on a VM, as much as the rest of a dispatch decision.
pub(crate) const SAMPLE_EVERY: u32 = 8;

/// `true` on every `SAMPLE_EVERY`-th call on this thread (the first call included).
#[inline]
pub(crate) fn sample() -> bool {
    SAMPLE.with(|s| {
        let v = s.get();
        s.set(if v + 1 == SAMPLE_EVERY { 0 } else { v + 1 });
        v == 0
    })
}

/// Bucket `i` counts values in `[2^(i+5), 2^(i+6))` ns (bucket 0 also takes everything below
/// 64 ns); the last bucket is open-ended. 32 buckets reach ~2.3 minutes.
pub(crate) const BUCKETS: usize = 32;

/// Upper bound of bucket `i` in seconds (the Prometheus `le` label).
pub(crate) fn bucket_upper_seconds(i: usize) -> f64 {
    (1u64 << (i + 6)) as f64 * 1e-9
}

#[inline]
fn bucket_of(nanos: u64) -> usize {
    let bits = 64 - nanos.leading_zeros() as usize; // 0 for 0 ns
    bits.saturating_sub(6).min(BUCKETS - 1)
}

/// A latency histogram with atomic buckets (log2 scale), plus count and sum.
#[derive(Debug)]
pub(crate) struct Histogram {
    stripes: Box<[CachePadded<HistogramStripe>]>,
}

#[derive(Debug)]
struct HistogramStripe {
    buckets: [AtomicU64; BUCKETS],
    sum_nanos: AtomicU64,
}

/// A read-out of a [`Histogram`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistogramSnapshot {
    pub buckets: [u64; BUCKETS],
    pub count: u64,
    pub sum_seconds: f64,
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram {
            stripes: (0..STRIPES)
                .map(|_| {
                    CachePadded::new(HistogramStripe {
                        buckets: std::array::from_fn(|_| AtomicU64::new(0)),
                        sum_nanos: AtomicU64::new(0),
                    })
                })
                .collect(),
        }
    }

    #[inline]
    pub(crate) fn record_nanos(&self, nanos: u64) {
        let k = stripe();
        let s = &self.stripes[k];
        bump_u64(&s.buckets[bucket_of(nanos)], k, 1);
        bump_u64(&s.sum_nanos, k, nanos);
    }

    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let mut buckets = [0u64; BUCKETS];
        let mut sum = 0u64;
        for s in self.stripes.iter() {
            for (b, a) in buckets.iter_mut().zip(s.buckets.iter()) {
                *b += a.load(Relaxed);
            }
            sum = sum.wrapping_add(s.sum_nanos.load(Relaxed));
        }
        HistogramSnapshot { count: buckets.iter().sum(), buckets, sum_seconds: sum as f64 * 1e-9 }
    }
}

impl HistogramSnapshot {
    /// The `q`-quantile in seconds, interpolated linearly inside its bucket; 0 when empty.
    pub(crate) fn quantile_seconds(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = (q.clamp(0.0, 1.0) * self.count as f64).max(1.0);
        let mut seen = 0.0;
        for (i, &n) in self.buckets.iter().enumerate() {
            let next = seen + n as f64;
            if n > 0 && next >= rank {
                let lo = if i == 0 { 0.0 } else { bucket_upper_seconds(i - 1) };
                let hi = bucket_upper_seconds(i);
                return lo + (hi - lo) * ((rank - seen) / n as f64);
            }
            seen = next;
        }
        bucket_upper_seconds(BUCKETS - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exiting_threads_give_their_stripe_back() {
        // Far more threads than stripes, one after another: each still gets a stripe of its own.
        for _ in 0..4 * STRIPES {
            let s = std::thread::spawn(stripe).join().unwrap();
            assert_ne!(s, SHARED);
        }
    }

    #[test]
    fn buckets_and_quantiles() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(63), 0);
        assert_eq!(bucket_of(64), 1);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        let h = Histogram::new();
        for _ in 0..99 {
            h.record_nanos(1000);
        }
        h.record_nanos(1_000_000);
        let s = h.snapshot();
        assert_eq!(s.count, 100);
        let p50 = s.quantile_seconds(0.5);
        assert!(p50 > 512e-9 && p50 <= 1024e-9, "{p50}");
        let p999 = s.quantile_seconds(0.999);
        assert!(p999 > 524_288e-9 && p999 <= 1_048_576e-9, "{p999}");
    }
}
