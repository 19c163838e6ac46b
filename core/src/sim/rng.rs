//! The one random source of `hcpcore::sim`: ChaCha8 seeded from a `u64`, with the few distributions
//! the models need written out here so that a seed gives bit-identical draws on every platform and
//! through every binding (no dependence on a distribution crate's algorithm choices).

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded, reproducible random stream.
#[derive(Debug, Clone)]
pub struct SimRng {
    inner: ChaCha8Rng,
    spare_normal: Option<f64>,
}

impl SimRng {
    /// A stream from a seed; `stream` separates independent processes drawn from one seed
    /// (market, faults, miners) so that adding draws to one never shifts another.
    pub fn new(seed: u64, stream: u64) -> SimRng {
        let mixed = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
        SimRng { inner: ChaCha8Rng::seed_from_u64(mixed), spare_normal: None }
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in `(0, 1]`: safe to take the logarithm of.
    #[inline]
    pub fn uniform_open0(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    /// Uniform integer in `[0, n)` (`n > 0`), by multiply-shift.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.inner.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Standard normal (Marsaglia's polar method; the second value is kept for the next call).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let k = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * k);
                return u * k;
            }
        }
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.uniform_open0().ln()
    }

    /// Poisson with mean `lambda` (≥ 0). Exact for any mean: multiplication of uniforms below 30,
    /// Hörmann's transformed rejection (PTRS) above.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda.is_nan() || lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let limit = (-lambda).exp();
            let mut k = 0u64;
            let mut p = self.uniform_open0();
            while p > limit {
                k += 1;
                p *= self.uniform_open0();
            }
            return k;
        }
        // W. Hörmann (1993), "The transformed rejection method for generating Poisson random
        // variables", algorithm PTRS.
        let slam = lambda.sqrt();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        // Most draws are accepted by the quick test; the constants of the full test (a logarithm
        // and a division) are computed only when a draw gets that far.
        let mut slow: Option<(f64, f64)> = None;
        loop {
            let u = self.uniform() - 0.5;
            let v = self.uniform_open0();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let (invalpha, loglam) = *slow.get_or_insert_with(|| (1.1239 + 1.1328 / (b - 3.4), lambda.ln()));
            if (v * invalpha / (a / (us * us) + b)).ln() <= -lambda + k * loglam - ln_factorial(k) {
                return k as u64;
            }
        }
    }
}

/// `ln(k!)`: exact sum below 20, Stirling's series above (error < 1e-10).
fn ln_factorial(k: f64) -> f64 {
    if k < 20.0 {
        let mut s = 0.0;
        let mut i = 2.0;
        while i <= k {
            s += f64::ln(i);
            i += 1.0;
        }
        return s;
    }
    let x = k + 1.0;
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x) - 1.0 / (360.0 * x * x * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        (m, xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0))
    }

    #[test]
    fn poisson_mean_and_variance_match_for_small_and_large_means() {
        for lambda in [0.3, 4.0, 29.0, 31.0, 250.0, 1.0e5] {
            let mut r = SimRng::new(7, 1);
            let xs: Vec<f64> = (0..40_000).map(|_| r.poisson(lambda) as f64).collect();
            let (m, v) = mean_var(&xs);
            // 5 standard errors of the mean; variance within 5 %.
            assert!((m - lambda).abs() < 5.0 * (lambda / 40_000.0).sqrt(), "lambda {lambda}: mean {m}");
            assert!((v / lambda - 1.0).abs() < 0.05, "lambda {lambda}: var {v}");
        }
    }

    #[test]
    fn normal_and_uniform_moments() {
        let mut r = SimRng::new(3, 0);
        let xs: Vec<f64> = (0..100_000).map(|_| r.normal()).collect();
        let (m, v) = mean_var(&xs);
        assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.02);
        let us: Vec<f64> = (0..100_000).map(|_| r.uniform()).collect();
        assert!(us.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(r.below(10) < 10);
    }

    #[test]
    fn same_seed_same_stream_different_streams_differ() {
        let a: Vec<u64> = {
            let mut r = SimRng::new(42, 5);
            (0..8).map(|_| r.poisson(100.0)).collect()
        };
        let mut r = SimRng::new(42, 5);
        assert_eq!(a, (0..8).map(|_| r.poisson(100.0)).collect::<Vec<_>>());
        let mut s = SimRng::new(42, 6);
        assert_ne!(a, (0..8).map(|_| s.poisson(100.0)).collect::<Vec<_>>());
    }
}
