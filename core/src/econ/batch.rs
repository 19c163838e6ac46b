//! Batch form of the per-device maths over contiguous arrays (structure of arrays), for fleets
//! of millions of devices and for the bindings' numpy / TypedArray / slice entry points.
//!
//! Market-wide factors are computed once; the inner loop is branch-free arithmetic that LLVM
//! vectorises. Inputs are validated in the same pass (a branch-free `&` of range checks), so a
//! NaN, an infinity or a negative value costs no extra pass: on failure the outputs are zeroed
//! and the error names the field and the first bad index.

use super::bitcoin::{hashprice_usd_per_th_day, MiningTerms};
use super::gpu::gpu_revenue_usd_per_hour;
use super::market::Market;
use super::terms::Terms;
use crate::limits as L;
use crate::{Error, Result};

/// Output columns of [`miner_daily_batch`], one entry per device, all the same length as the inputs.
#[derive(Debug)]
pub struct DailyBatchOutput<'a> {
    /// Revenue per day, USD (after the pool fee for miners).
    pub revenue_usd_per_day: &'a mut [f64],
    /// Facility energy cost per day, USD.
    pub energy_cost_usd_per_day: &'a mut [f64],
    /// `revenue − energy cost` per day, USD.
    pub profit_usd_per_day: &'a mut [f64],
    /// Electricity price at which the device's profit is zero, USD/kWh.
    pub breakeven_usd_per_kwh: &'a mut [f64],
}

impl DailyBatchOutput<'_> {
    fn check_lengths(&self, n: usize) -> Result<()> {
        for (field, len) in [
            ("revenue_usd_per_day", self.revenue_usd_per_day.len()),
            ("energy_cost_usd_per_day", self.energy_cost_usd_per_day.len()),
            ("profit_usd_per_day", self.profit_usd_per_day.len()),
            ("breakeven_usd_per_kwh", self.breakeven_usd_per_kwh.len()),
        ] {
            check_len(field, len, n)?;
        }
        Ok(())
    }

    fn zero(&mut self) {
        self.revenue_usd_per_day.fill(0.0);
        self.energy_cost_usd_per_day.fill(0.0);
        self.profit_usd_per_day.fill(0.0);
        self.breakeven_usd_per_kwh.fill(0.0);
    }
}

fn check_len(field: &str, len: usize, n: usize) -> Result<()> {
    if len == n {
        Ok(())
    } else {
        Err(Error::invalid_input(field, format!("length {len} differs from the input length {n}")))
    }
}

/// `lo <= x < ∞`, false for NaN; branch-free so that it vectorises inside the loops.
#[inline(always)]
fn at_least(x: f64, lo: f64) -> bool {
    (x >= lo) & (x < f64::INFINITY)
}

/// `lo <= x <= hi`, false for NaN; branch-free.
#[inline(always)]
fn in_band(x: f64, lo: f64, hi: f64) -> bool {
    (x >= lo) & (x <= hi)
}

/// `lo < x < ∞`, false for NaN.
#[inline(always)]
fn above(x: f64, lo: f64) -> bool {
    (x > lo) & (x < f64::INFINITY)
}

use crate::simd::dispatch as simd;

/// `0 <= x <= 1`, false for NaN; `&` rather than `RangeInclusive::contains` keeps it branch-free.
#[inline(always)]
#[allow(clippy::manual_range_contains)]
fn unit(x: f64) -> bool {
    (x >= 0.0) & (x <= 1.0)
}

/// The first index of `values` failing `ok`, as an `InvalidInput` naming `field`.
fn first_bad(field: &str, values: &[f64], ok: impl Fn(f64) -> bool, rule: &str) -> Option<Error> {
    values
        .iter()
        .position(|&x| !ok(x))
        .map(|i| Error::invalid_input(field, format!("[{i}] must be finite and {rule}, got {}", values[i])))
}

/// Mining economics per day for `n` miners given as columns: hashrate (TH/s, ≥ 0) and power
/// (W, > 0) per device, and optionally an electricity price per device (USD/kWh, ≥ 0; the
/// market's price otherwise). Fills `out` with revenue, energy cost, profit and break-even.
///
/// Mismatched lengths, or a NaN / infinite / out-of-range input anywhere, give `InvalidInput`
/// naming the field (and index); the outputs are then all zero.
///
/// ```
/// use hcpcore::econ::{batch::{miner_daily_batch, DailyBatchOutput}, Fees, Market, MiningTerms};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
/// let (ths, watts) = ([200.0, 270.0], [3500.0, 3645.0]);
/// let (mut r, mut c, mut p, mut b) = ([0.0; 2], [0.0; 2], [0.0; 2], [0.0; 2]);
/// let out = DailyBatchOutput { revenue_usd_per_day: &mut r, energy_cost_usd_per_day: &mut c,
///     profit_usd_per_day: &mut p, breakeven_usd_per_kwh: &mut b };
/// miner_daily_batch(&m, MiningTerms::default(), &ths, &watts, None, out).unwrap();
/// assert!((r[0] - 12.572).abs() < 1e-3 && (c[0] - 4.2).abs() < 1e-12);
/// assert!((b[0] - 0.14967).abs() < 1e-4);
/// ```
pub fn miner_daily_batch(
    market: &Market,
    terms: MiningTerms,
    hashrate_ths: &[f64],
    power_watts: &[f64],
    electricity_usd_per_kwh: Option<&[f64]>,
    mut out: DailyBatchOutput<'_>,
) -> Result<()> {
    let terms = terms.validated()?;
    let n = hashrate_ths.len();
    check_len("power_watts", power_watts.len(), n)?;
    if let Some(e) = electricity_usd_per_kwh {
        check_len("electricity_usd_per_kwh", e.len(), n)?;
    }
    out.check_lengths(n)?;

    // Market constants, once: net USD per TH/s per day, and facility kWh per device-watt per day.
    let usd_per_th_day = hashprice_usd_per_th_day(market) * (1.0 - terms.pool_fee);
    let kwh_per_watt_day = 24.0 / 1000.0 * terms.pue;
    let DailyBatchOutput { revenue_usd_per_day, energy_cost_usd_per_day, profit_usd_per_day, breakeven_usd_per_kwh } =
        &mut out;

    let ok = simd(
        #[inline(always)]
        || match electricity_usd_per_kwh {
            None => {
                let price = market.electricity_usd_per_kwh();
                let mut ok = true;
                for i in 0..n {
                    let (ths, w) = (hashrate_ths[i], power_watts[i]);
                    ok &= in_band(ths, 0.0, L::MAX_HASHRATE_THS) & in_band(w, L::MIN_POWER_WATTS, L::MAX_POWER_WATTS);
                    let revenue = ths * usd_per_th_day;
                    let kwh = w * kwh_per_watt_day;
                    let cost = kwh * price;
                    revenue_usd_per_day[i] = revenue;
                    energy_cost_usd_per_day[i] = cost;
                    profit_usd_per_day[i] = revenue - cost;
                    breakeven_usd_per_kwh[i] = revenue / kwh;
                }
                ok
            }
            Some(prices) => {
                let mut ok = true;
                for i in 0..n {
                    let (ths, w, price) = (hashrate_ths[i], power_watts[i], prices[i]);
                    ok &= in_band(ths, 0.0, L::MAX_HASHRATE_THS)
                        & in_band(w, L::MIN_POWER_WATTS, L::MAX_POWER_WATTS)
                        & in_band(price, 0.0, L::MAX_USD_PER_KWH);
                    let revenue = ths * usd_per_th_day;
                    let kwh = w * kwh_per_watt_day;
                    let cost = kwh * price;
                    revenue_usd_per_day[i] = revenue;
                    energy_cost_usd_per_day[i] = cost;
                    profit_usd_per_day[i] = revenue - cost;
                    breakeven_usd_per_kwh[i] = revenue / kwh;
                }
                ok
            }
        },
    );
    if ok {
        return Ok(());
    }
    out.zero();
    let err = first_bad("hashrate_ths", hashrate_ths, |x| in_band(x, 0.0, L::MAX_HASHRATE_THS), "in [0, 1e9]")
        .or_else(|| {
            first_bad(
                "power_watts",
                power_watts,
                |x| in_band(x, L::MIN_POWER_WATTS, L::MAX_POWER_WATTS),
                "in [1e-3, 1e7]",
            )
        })
        .or_else(|| {
            electricity_usd_per_kwh.and_then(|e| {
                first_bad("electricity_usd_per_kwh", e, |x| in_band(x, 0.0, L::MAX_USD_PER_KWH), "in [0, 1e4]")
            })
        });
    Err(err.unwrap_or_else(|| Error::invalid_input("hashrate_ths", "invalid input")))
}

/// GPU economics per day for `n` serving GPUs given as columns: TDP and idle power (W) and
/// utilisation (0–1) per device, earning the market's rental rate (or tokens, per `terms`) ×
/// utilisation and drawing `idle + utilisation × (tdp − idle)`, × PUE. `terms.gpu_utilisation`
/// is ignored in favour of the per-device column. Optionally an electricity price per device.
///
/// ```
/// use hcpcore::econ::{batch::{gpu_daily_batch, DailyBatchOutput}, Fees, Market, Terms};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 2.0, 0.0).unwrap();
/// let (mut r, mut c, mut p, mut b) = ([0.0; 1], [0.0; 1], [0.0; 1], [0.0; 1]);
/// let out = DailyBatchOutput { revenue_usd_per_day: &mut r, energy_cost_usd_per_day: &mut c,
///     profit_usd_per_day: &mut p, breakeven_usd_per_kwh: &mut b };
/// gpu_daily_batch(&m, &Terms::default(), &[700.0], &[125.0], &[1.0], None, out).unwrap();
/// assert_eq!(r[0], 48.0);
/// assert!((c[0] - 0.7 * 24.0 * 0.05).abs() < 1e-12);
/// ```
pub fn gpu_daily_batch(
    market: &Market,
    terms: &Terms,
    power_watts: &[f64],
    idle_watts: &[f64],
    utilisation: &[f64],
    electricity_usd_per_kwh: Option<&[f64]>,
    mut out: DailyBatchOutput<'_>,
) -> Result<()> {
    let terms = Terms { gpu_utilisation: 1.0, ..*terms }.validated()?;
    let n = power_watts.len();
    check_len("idle_watts", idle_watts.len(), n)?;
    check_len("utilisation", utilisation.len(), n)?;
    if let Some(e) = electricity_usd_per_kwh {
        check_len("electricity_usd_per_kwh", e.len(), n)?;
    }
    out.check_lengths(n)?;

    let usd_per_busy_day = gpu_revenue_usd_per_hour(market, &terms)? * 24.0;
    let kwh_per_watt_day = 24.0 / 1000.0 * terms.pue;
    let market_price = market.electricity_usd_per_kwh();
    let DailyBatchOutput { revenue_usd_per_day, energy_cost_usd_per_day, profit_usd_per_day, breakeven_usd_per_kwh } =
        &mut out;
    let ok = simd(
        #[inline(always)]
        || {
            let mut ok = true;
            for i in 0..n {
                let (tdp, idle, u) = (power_watts[i], idle_watts[i], utilisation[i]);
                let price = match electricity_usd_per_kwh {
                    Some(e) => e[i],
                    None => market_price,
                };
                ok &= in_band(tdp, L::MIN_POWER_WATTS, L::MAX_POWER_WATTS)
                    & at_least(idle, 0.0)
                    & (idle <= tdp)
                    & unit(u)
                    & in_band(price, 0.0, L::MAX_USD_PER_KWH);
                let revenue = usd_per_busy_day * u;
                let kwh = (idle + u * (tdp - idle)) * kwh_per_watt_day;
                let cost = kwh * price;
                revenue_usd_per_day[i] = revenue;
                energy_cost_usd_per_day[i] = cost;
                profit_usd_per_day[i] = revenue - cost;
                // kwh > 0 unless idle = 0 and u = 0, where the revenue is 0 too: break-even 0.
                breakeven_usd_per_kwh[i] = if kwh > 0.0 { revenue / kwh } else { 0.0 };
            }
            ok
        },
    );
    if ok {
        return Ok(());
    }
    out.zero();
    let err =
        first_bad("power_watts", power_watts, |x| in_band(x, L::MIN_POWER_WATTS, L::MAX_POWER_WATTS), "in [1e-3, 1e7]")
            .or_else(|| first_bad("idle_watts", idle_watts, |x| at_least(x, 0.0), ">= 0"))
            .or_else(|| {
                (0..n).find(|&i| idle_watts[i] > power_watts[i]).map(|i| {
                    Error::invalid_input(
                        "idle_watts",
                        format!("[{i}] must not exceed power_watts, got {}", idle_watts[i]),
                    )
                })
            })
            .or_else(|| first_bad("utilisation", utilisation, |x| (0.0..=1.0).contains(&x), "in [0, 1]"))
            .or_else(|| {
                electricity_usd_per_kwh.and_then(|e| {
                    first_bad("electricity_usd_per_kwh", e, |x| in_band(x, 0.0, L::MAX_USD_PER_KWH), "in [0, 1e4]")
                })
            });
    Err(err.unwrap_or_else(|| Error::invalid_input("power_watts", "invalid input")))
}

/// Output columns of [`miner_curtail_batch`], one entry per device.
#[derive(Debug)]
pub struct CurtailBatchOutput<'a> {
    /// 1 where the device should mine, 0 where it should sleep (curtail).
    pub mine: &'a mut [u8],
    /// Profit per hour of the chosen action (revenue + demand-response credit − energy), USD.
    pub profit_usd_per_hour: &'a mut [f64],
    /// Electricity price at which mining and sleeping are worth the same, USD/kWh: mine below it.
    pub breakeven_usd_per_kwh: &'a mut [f64],
}

/// The curtailment decision for a fleet of miners at one snapshot, one pass over columns:
/// per device hashrate (TH/s, ≥ 0), power (W, > 0), sleep power (W, ≥ 0, ≤ power) and the
/// electricity price it pays (USD/kWh, ≥ 0) — e.g. miners spread over sites and tariffs under a
/// "what if power spikes" scenario. Each device mines when that earns at least as much as
/// sleeping (with `terms.demand_response_usd_per_mwh` credited for the load held off), exactly as
/// [`best_action`](super::best_action) decides one device (idle never beats sleep for a miner).
///
/// ```
/// use hcpcore::econ::{batch::{miner_curtail_batch, CurtailBatchOutput}, Fees, Market, Terms};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
/// let (mut mine, mut profit, mut be) = ([0u8; 2], [0.0; 2], [0.0; 2]);
/// let out = CurtailBatchOutput { mine: &mut mine, profit_usd_per_hour: &mut profit, breakeven_usd_per_kwh: &mut be };
/// miner_curtail_batch(&m, &Terms::default(), &[200.0, 200.0], &[3500.0, 3500.0], &[25.0, 25.0], &[0.05, 0.50], out).unwrap();
/// assert_eq!(mine, [1, 0]);
/// assert!((be[0] - 0.1507).abs() < 1e-3);
/// ```
pub fn miner_curtail_batch(
    market: &Market,
    terms: &Terms,
    hashrate_ths: &[f64],
    power_watts: &[f64],
    sleep_watts: &[f64],
    electricity_usd_per_kwh: &[f64],
    out: CurtailBatchOutput<'_>,
) -> Result<()> {
    let terms = terms.validated()?;
    let n = hashrate_ths.len();
    check_len("power_watts", power_watts.len(), n)?;
    check_len("sleep_watts", sleep_watts.len(), n)?;
    check_len("electricity_usd_per_kwh", electricity_usd_per_kwh.len(), n)?;
    check_len("mine", out.mine.len(), n)?;
    check_len("profit_usd_per_hour", out.profit_usd_per_hour.len(), n)?;
    check_len("breakeven_usd_per_kwh", out.breakeven_usd_per_kwh.len(), n)?;

    // Market constants, once: net USD per TH/s per hour; facility kW per device-watt; credit per
    // facility kW held off, USD/h.
    let usd_per_th_hour = hashprice_usd_per_th_day(market) * (1.0 - terms.pool_fee) / 24.0;
    let kw_per_watt = terms.pue / 1000.0;
    let credit_usd_per_kwh = terms.demand_response_usd_per_mwh / 1000.0;
    let CurtailBatchOutput { mine, profit_usd_per_hour, breakeven_usd_per_kwh } = out;
    // Re-sliced to `n` so that LLVM drops the bounds checks and vectorises the loop.
    let (ths_col, w_col, sleep_col, price_col) =
        (&hashrate_ths[..n], &power_watts[..n], &sleep_watts[..n], &electricity_usd_per_kwh[..n]);
    let (mine, profit_col, be_col) = (&mut mine[..n], &mut profit_usd_per_hour[..n], &mut breakeven_usd_per_kwh[..n]);
    let ok = simd(
        #[inline(always)]
        || {
            // The output slices as locals of the kernel: a `u8` store may alias anything, so slices
            // reached through the closure's captures would be reloaded every iteration.
            let (mine, profit_col, be_col) = (&mut *mine, &mut *profit_col, &mut *be_col);
            let mut ok = true;
            for i in 0..n {
                let (ths, w, sleep, price) = (ths_col[i], w_col[i], sleep_col[i], price_col[i]);
                ok &= at_least(ths, 0.0) & above(w, 0.0) & at_least(sleep, 0.0) & (sleep <= w) & at_least(price, 0.0);
                let revenue = ths * usd_per_th_hour;
                let mine_kw = w * kw_per_watt;
                let sleep_kw = sleep * kw_per_watt;
                let held_kw = mine_kw - sleep_kw;
                let mine_profit = revenue - mine_kw * price;
                let sleep_profit = held_kw * credit_usd_per_kwh - sleep_kw * price;
                // Ties go to mining, as best_action's do. Selects, not branches, so the loop vectorises.
                let mines = mine_profit >= sleep_profit;
                mine[i] = u8::from(mines);
                profit_col[i] = if mines { mine_profit } else { sleep_profit };
                let breakeven = (revenue - held_kw * credit_usd_per_kwh) / held_kw;
                be_col[i] = if held_kw > 0.0 { breakeven } else { 0.0 };
            }
            ok
        },
    );
    if ok {
        return Ok(());
    }
    mine.fill(0);
    profit_usd_per_hour.fill(0.0);
    breakeven_usd_per_kwh.fill(0.0);
    let err = first_bad("hashrate_ths", hashrate_ths, |x| at_least(x, 0.0), ">= 0")
        .or_else(|| first_bad("power_watts", power_watts, |x| above(x, 0.0), "> 0"))
        .or_else(|| first_bad("sleep_watts", sleep_watts, |x| at_least(x, 0.0), ">= 0"))
        .or_else(|| {
            (0..n).find(|&i| sleep_watts[i] > power_watts[i]).map(|i| {
                Error::invalid_input(
                    "sleep_watts",
                    format!("[{i}] must not exceed power_watts, got {}", sleep_watts[i]),
                )
            })
        })
        .or_else(|| first_bad("electricity_usd_per_kwh", electricity_usd_per_kwh, |x| at_least(x, 0.0), ">= 0"));
    Err(err.unwrap_or_else(|| Error::invalid_input("hashrate_ths", "invalid input")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::econ::{miner_daily, models, Fees};

    fn market() -> Market {
        Market::new(9e4, 1.1e14, 880_000, Fees::Share(0.03), 0.06, 2.2, 0.0).unwrap()
    }

    fn run(ths: &[f64], w: &[f64], e: Option<&[f64]>) -> (Result<()>, Vec<[f64; 4]>) {
        let n = ths.len();
        let (mut r, mut c, mut p, mut b) = (vec![9.0; n], vec![9.0; n], vec![9.0; n], vec![9.0; n]);
        let out = DailyBatchOutput {
            revenue_usd_per_day: &mut r,
            energy_cost_usd_per_day: &mut c,
            profit_usd_per_day: &mut p,
            breakeven_usd_per_kwh: &mut b,
        };
        let res = miner_daily_batch(&market(), MiningTerms { pool_fee: 0.02, pue: 1.1 }, ths, w, e, out);
        (res, (0..n).map(|i| [r[i], c[i], p[i], b[i]]).collect())
    }

    #[test]
    fn batch_matches_scalar() {
        let terms = MiningTerms { pool_fee: 0.02, pue: 1.1 };
        let fleet = [models::S21(), models::S21_XP(), models::S19_XP(), models::S21_HYDRO()];
        let ths: Vec<f64> = fleet.iter().map(|m| m.hashrate_ths).collect();
        let w: Vec<f64> = fleet.iter().map(|m| m.power_watts).collect();
        let (res, rows) = run(&ths, &w, None);
        res.unwrap();
        for (m, row) in fleet.iter().zip(&rows) {
            let day = miner_daily(m, &market(), terms).unwrap();
            let be = crate::econ::miner_breakeven_usd_per_kwh(m, &market(), terms).unwrap();
            for (a, b) in row.iter().zip([day.revenue_usd, day.energy_cost_usd, day.profit_usd, be]) {
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
        let (res, rows) = run(&ths, &w, Some(&[0.0, 0.1, 0.2, 0.3]));
        res.unwrap();
        assert_eq!(rows[0][1], 0.0);
    }

    #[test]
    fn bad_values_name_field_and_index_and_zero_the_outputs() {
        for (ths, w, e, field) in [
            (vec![1.0, f64::NAN], vec![1.0, 1.0], None, "hashrate_ths: [1]"),
            (vec![1.0, 1.0], vec![1.0, 0.0], None, "power_watts: [1]"),
            (vec![1.0, 1.0], vec![f64::INFINITY, 1.0], None, "power_watts: [0]"),
            (vec![-1.0, 1.0], vec![1.0, 1.0], None, "hashrate_ths: [0]"),
            (vec![1.0, 1.0], vec![1.0, 1.0], Some(vec![0.1, -0.1]), "electricity_usd_per_kwh: [1]"),
        ] {
            let (res, rows) = run(&ths, &w, e.as_deref());
            let err = res.unwrap_err();
            assert!(err.message().starts_with(field), "{} vs {field}", err.message());
            assert!(rows.iter().flatten().all(|&x| x == 0.0));
        }
        let (res, _) = run(&[1.0], &[1.0, 2.0], None);
        assert!(res.unwrap_err().message().starts_with("power_watts"));
    }

    #[test]
    fn curtail_batch_matches_best_action_device_by_device() {
        use crate::econ::{best_action, Action, DeviceModel};
        let terms = Terms { pool_fee: 0.02, pue: 1.1, demand_response_usd_per_mwh: 30.0, ..Default::default() };
        let fleet = [models::S21(), models::S21_XP(), models::S19_XP(), models::S21_HYDRO()];
        let prices = [0.0, 0.02, 0.08, 0.12, 0.2, 0.6];
        let mut rows: Vec<(DeviceModel, f64)> = Vec::new();
        for m in &fleet {
            for &p in &prices {
                rows.push((m.clone(), p));
            }
        }
        let n = rows.len();
        let ths: Vec<f64> = rows.iter().map(|(m, _)| m.hashrate_ths).collect();
        let w: Vec<f64> = rows.iter().map(|(m, _)| m.power_watts).collect();
        let s: Vec<f64> = rows.iter().map(|(m, _)| m.sleep_watts).collect();
        let e: Vec<f64> = rows.iter().map(|(_, p)| *p).collect();
        let (mut mine, mut profit, mut be) = (vec![9u8; n], vec![9.0; n], vec![9.0; n]);
        let out =
            CurtailBatchOutput { mine: &mut mine, profit_usd_per_hour: &mut profit, breakeven_usd_per_kwh: &mut be };
        miner_curtail_batch(&market(), &terms, &ths, &w, &s, &e, out).unwrap();
        let mut both = [false, false];
        for (i, (m, p)) in rows.iter().enumerate() {
            let mk = market().with_electricity_usd_per_kwh(*p).unwrap();
            let best = best_action(m, &mk, &terms).unwrap();
            assert_eq!(mine[i] == 1, best.action == Action::Mine, "device {i} at {p}");
            assert!(
                (profit[i] - best.profit_usd_per_hour).abs() < 1e-9,
                "{} vs {}",
                profit[i],
                best.profit_usd_per_hour
            );
            both[mine[i] as usize] = true;
            // At the break-even price mining and sleeping are worth the same.
            let at = market().with_electricity_usd_per_kwh(be[i]).unwrap();
            let v = crate::econ::action_values(m, &at, &terms).unwrap();
            assert!((v[0].profit_usd_per_hour - v[1].profit_usd_per_hour).abs() < 1e-9);
        }
        assert!(both[0] && both[1], "the cases cover both decisions");
        let out =
            CurtailBatchOutput { mine: &mut mine, profit_usd_per_hour: &mut profit, breakeven_usd_per_kwh: &mut be };
        let err =
            miner_curtail_batch(&market(), &terms, &ths, &w, &w.iter().map(|x| x + 1.0).collect::<Vec<_>>(), &e, out)
                .unwrap_err();
        assert!(err.message().starts_with("sleep_watts: [0]"), "{}", err.message());
        assert!(mine.iter().all(|&x| x == 0));
    }

    #[test]
    fn gpu_batch_matches_scalar_and_rejects_bad_rows() {
        let terms = Terms { pue: 1.2, gpu_utilisation: 0.7, ..Default::default() };
        let gpu = models::H100_SXM();
        let (mut r, mut c, mut p, mut b) = ([0.0; 1], [0.0; 1], [0.0; 1], [0.0; 1]);
        let out = DailyBatchOutput {
            revenue_usd_per_day: &mut r,
            energy_cost_usd_per_day: &mut c,
            profit_usd_per_day: &mut p,
            breakeven_usd_per_kwh: &mut b,
        };
        gpu_daily_batch(&market(), &terms, &[gpu.power_watts], &[gpu.idle_watts], &[0.7], None, out).unwrap();
        let day = crate::econ::gpu_daily(&gpu, &market(), &terms).unwrap();
        assert!((p[0] - day.profit_usd).abs() < 1e-9 && (r[0] - day.revenue_usd).abs() < 1e-9);
        let out = DailyBatchOutput {
            revenue_usd_per_day: &mut r,
            energy_cost_usd_per_day: &mut c,
            profit_usd_per_day: &mut p,
            breakeven_usd_per_kwh: &mut b,
        };
        let e = gpu_daily_batch(&market(), &terms, &[700.0], &[125.0], &[1.5], None, out).unwrap_err();
        assert!(e.message().starts_with("utilisation: [0]"));
        assert_eq!(r[0], 0.0);
    }
}
