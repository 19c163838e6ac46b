//! Properties of the H100 model over random inputs: physical bounds hold and bad input is an
//! error, never a panic or a NaN.

use hcpcore::sim::{Activity, GpuSpec, ModelSpec, H100};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Larger batches never make a step faster; tokens/s never fall by more than 1 % (under a
    /// tight power limit throughput is set by energy per token and plateaus: with the
    /// memory-bound clock relief of docs/serving.md it may dip by a fraction of a percent past the
    /// plateau); power stays between idle and the limit; memory accounting adds up.
    #[test]
    fn decode_is_monotone_and_bounded(params in 0.5e9f64..40e9, bpp in prop::sample::select(vec![0.5, 1.0, 2.0]), b in 1i64..300, limit in 200.0f64..700.0) {
        let mut gpu = H100::new("sxm").unwrap();
        gpu.set_power_limit_watts(limit).unwrap();
        let model = ModelSpec::new(params, bpp).unwrap();
        let (Ok(a), Ok(c)) = (gpu.decode(&model, b), gpu.decode(&model, b + 1)) else { return Ok(()) };
        prop_assert!(c.step_seconds >= a.step_seconds * (1.0 - 1e-9));
        prop_assert!(c.tokens_per_second >= a.tokens_per_second * (1.0 - 1e-2));
        for d in [a, c] {
            prop_assert!(d.power_watts.is_finite() && d.power_watts <= limit + 1e-6);
            prop_assert!(d.power_watts >= 100.0);
            prop_assert!((d.memory_used_bytes + d.memory_free_bytes - GpuSpec::h100_sxm().memory_total_bytes).abs() < 1.0);
        }
    }

    /// Stepping the stateful GPU under any activity keeps every reading finite and the power
    /// under the limit once the limiter has settled.
    #[test]
    fn stepping_stays_finite(tensor in -1.0f64..2.0, dram in -1.0f64..2.0, dt in 0.001f64..120.0) {
        let mut gpu = H100::new("sxm").unwrap();
        let mut last = gpu.reading();
        for _ in 0..50 {
            last = gpu.step(dt, Activity { tensor, dram }).unwrap();
        }
        prop_assert!(last.power_watts.is_finite() && last.gpu_temp_c.is_finite() && last.sm_clock_mhz.is_finite());
        prop_assert!(last.power_instant_watts <= 700.0 + 1.0 || dt < 0.5);
    }

    /// Any float as a parameter: an error or a finite result, never a panic.
    #[test]
    fn arbitrary_floats_never_panic(params in prop::num::f64::ANY, bpp in prop::num::f64::ANY, batch in any::<i64>()) {
        if let Ok(model) = ModelSpec::new(params, bpp) {
            if let Ok(d) = H100::new("sxm").unwrap().decode(&model, batch) {
                prop_assert!(d.step_seconds.is_finite() && d.power_watts.is_finite());
            }
        }
        let gpu = H100::new("sxm").unwrap();
        if let Ok(p) = gpu.switch(params, bpp, "pinned", true) {
            prop_assert!(p.total_seconds.is_finite());
        }
    }
}
