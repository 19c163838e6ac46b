//! Run-time SIMD dispatch for the hot loops over columns.
//!
//! One build serves every x86-64 CPU: [`dispatch`] runs a loop compiled for AVX2 + FMA where the
//! CPU has them (checked once per process by `pulp`, which holds the `unsafe` of calling a
//! `#[target_feature]` function) and for the x86-64 baseline elsewhere; aarch64 has NEON as its
//! baseline. The loops it runs use no fused multiply-add (Rust never contracts `a * b + c`), so
//! every level computes the same bits; only the vector width differs.

/// Runs `kernel` compiled for the widest SIMD level this CPU supports. The closure is inlined into
/// a function built for that level, so its loops (and the `#[inline]` functions it calls)
/// vectorise for it.
#[inline(always)]
pub(crate) fn dispatch<R>(kernel: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(kernel)
}

#[cfg(test)]
mod tests {
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
