//! Telemetry of simulated devices in the formats existing tools read: a Prometheus exposition
//! with dcgm-exporter's field names and labels for GPUs ([`dcgm`]), the cgminer/bmminer API of an
//! Antminer (`version`, `devs`, `summary`, `stats` in both forms, `pools`, and the request
//! protocol; [`cgminer`]), and a Prometheus exposition for miners ([`miners`]).

pub mod cgminer;
pub mod dcgm;
pub mod miners;
pub mod xid;

/// A Prometheus label value escaped (backslash, double quote, newline).
pub(crate) fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// SplitMix64: a stateless hash giving stable identifiers and reporting jitter from a key, so that
/// reading telemetry never advances a simulation's random streams.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A standard-normal-ish value from a key (sum of four uniforms, rescaled): for reporting noise.
pub(crate) fn jitter(key: u64) -> f64 {
    let mut s = 0.0;
    let mut k = key;
    for _ in 0..4 {
        k = splitmix64(k);
        s += (k >> 11) as f64 / 9_007_199_254_740_992.0;
    }
    (s - 2.0) * (3.0f64).sqrt()
}
