//! The stated maximums every entry point checks before it allocates or loops, in one place so
//! that every binding checks the same bounds (issue #10: sizes are never trusted).
//!
//! A count or length above its maximum is `InvalidInput` naming the argument; nothing is
//! allocated first.

/// Most items one batch call takes or returns (router submissions, completions, dispatches;
/// billing events per ingest call).
pub const MAX_BATCH: usize = 1 << 20;

/// Most devices one simulated fleet holds (all kinds together).
pub const MAX_FLEET_DEVICES: usize = 1 << 20;

/// Most steps one market series or fleet run produces in one call.
pub const MAX_STEPS: usize = 1 << 24;

/// Most requests one serving run (`hcpcore::sim::serve`) or request generator takes or returns.
pub const MAX_REQUESTS: usize = MAX_STEPS;

/// Most prompt or output tokens of one request.
pub const MAX_REQUEST_TOKENS: i64 = 1 << 24;

/// Most replicas one serving run simulates.
pub const MAX_REPLICAS: u32 = 4096;

/// Most nesting levels of a config or override document (dicts, lists, JS objects, JSON)
/// accepted at the language boundary.
pub const MAX_DEPTH: usize = 64;

/// Longest time step of a simulation or market series, seconds (one year).
pub const MAX_DT_SECONDS: f64 = 365.25 * 86_400.0;

/// Shortest time step of a simulation or market series, seconds.
pub const MIN_DT_SECONDS: f64 = 1e-3;

// ---- stated ranges of economic inputs: inside them every derived figure is finite ----------

/// Highest BTC price accepted, USD.
pub const MAX_BTC_USD: f64 = 1e9;
/// Network difficulty range (Bitcoin's minimum difficulty is 1).
pub const MIN_DIFFICULTY: f64 = 1.0;
/// Highest network difficulty accepted.
pub const MAX_DIFFICULTY: f64 = 1e30;
/// Most fees per block, BTC.
pub const MAX_FEES_BTC_PER_BLOCK: f64 = 1e4;
/// Highest fee share of the block reward.
pub const MAX_FEE_SHARE: f64 = 0.99;
/// Highest electricity price, USD/kWh (ERCOT's cap is 5).
pub const MAX_USD_PER_KWH: f64 = 1e4;
/// Highest GPU rental rate, USD per GPU-hour.
pub const MAX_GPU_USD_PER_HOUR: f64 = 1e6;
/// Highest token price, USD per million tokens.
pub const MAX_USD_PER_MILLION_TOKENS: f64 = 1e6;
/// Highest hashrate of one device or fleet figure, TH/s (the whole network is ~1e9).
pub const MAX_HASHRATE_THS: f64 = 1e9;
/// Least and most power of one device, W.
pub const MIN_POWER_WATTS: f64 = 1e-3;
/// Most power of one device, W.
pub const MAX_POWER_WATTS: f64 = 1e7;

/// Most tokens per second one GPU is credited with (an H100 serves ~10^4).
pub const MAX_TOKENS_PER_SECOND: f64 = 1e9;
/// Highest demand-response payment, USD/MWh.
pub const MAX_USD_PER_MWH: f64 = 1e7;

/// Checks a count against its maximum: `InvalidInput` naming `field` when above it (or
/// negative, for callers that receive signed counts).
pub fn count(field: &str, n: i128, max: usize) -> crate::Result<usize> {
    if n < 0 || n > max as i128 {
        return Err(crate::Error::invalid_input(field, format!("must be in 0..={max}, got {n}")));
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_checked_against_their_maximum() {
        assert_eq!(count("n", 5, MAX_BATCH).unwrap(), 5);
        assert!(count("n", -1, MAX_BATCH).unwrap_err().message().starts_with("n:"));
        assert!(count("n", (MAX_BATCH + 1) as i128, MAX_BATCH).is_err());
        assert!(count("n", i128::from(u64::MAX), MAX_BATCH).is_err());
    }
}
