//! Run-time SIMD dispatch for the hot loops over columns.
//!
//! One build serves every x86-64 CPU: [`dispatch`] runs a loop compiled for AVX2 + FMA where the
//! CPU has them (checked once per process by `pulp`, which holds the `unsafe` of calling a
//! `#[target_feature]` function) and for the x86-64 baseline elsewhere; aarch64 has NEON as its
//! baseline. The loops it runs use no fused multiply-add (Rust never contracts `a * b + c`), so
//! every level computes the same bits; only the vector width differs.

/// Runs `kernel` compiled for the widest SIMD level this CPU supports. Mark the closure
/// `#[inline(always)]` (`dispatch(#[inline(always)] || ...)`): it is called from one function per
/// level, and only when it is inlined into each is its loop compiled for that level (a closure
/// left out of line runs baseline code on every CPU).
#[inline(always)]
pub(crate) fn dispatch<R>(kernel: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(kernel)
}

/// The SIMD level [`dispatch`] uses on this CPU, by name (`"x86-64-v3"`, `"baseline"`, or the
/// architecture's own level), for tests and diagnostics.
#[allow(dead_code)]
pub(crate) fn level() -> &'static str {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        match pulp::Arch::new() {
            pulp::Arch::V3(_) => "x86-64-v3",
            _ => "baseline",
        }
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        "baseline"
    }
}

#[cfg(test)]
mod tests {
    /// Names the level in the test output: `make baseline-cpu-test` runs these tests on an
    /// emulated x86-64 CPU without AVX (qemu64) and expects `baseline` there.
    #[test]
    fn dispatch_level_is_known() {
        let level = super::level();
        println!("simd level: {level}");
        if let Ok(want) = std::env::var("HCPCORE_EXPECT_SIMD_LEVEL") {
            assert_eq!(level, want);
        }
        assert!(["x86-64-v3", "baseline"].contains(&level));
    }

    #[test]
    fn dispatch_runs_the_kernel_once_and_returns_its_value() {
        let mut calls = 0;
        let sum = super::dispatch(|| {
            calls += 1;
            (0..1000).map(f64::from).sum::<f64>()
        });
        assert_eq!((calls, sum), (1, 499_500.0));
    }
}
