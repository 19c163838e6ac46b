//! Steady operating point of a miner (hashrate, power, chip and board temperatures, fan speed)
//! for a mode and an ambient temperature, the sleep/wake ramps, and the pool's share arithmetic.
//! Pure functions: the single [`super::miner::Miner`] and the fleet both call them.
//!
//! Cooling: the fan controller holds the chips at `chip_target_c`; airflow conductance grows as
//! fan speed^0.8. The cooling is sized so that at nominal power the fans reach full speed exactly
//! at `derate_ambient_c` (40 °C); above it the firmware lowers frequency until the chips are back
//! at target (hashrate and power scale together), and above `shutdown_ambient_c` (47 °C) it stops.

use super::spec::{AsicSpec, PowerMode};
use crate::econ::bitcoin::{block_reward_btc, HASHES_PER_DIFFICULTY};
use crate::econ::Market;

/// Fan speed exponent of airflow conductance.
const FAN_CONDUCTANCE_EXPONENT: f64 = 0.8;

/// A miner's steady state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OperatingPoint {
    /// Hashrate, TH/s.
    pub hashrate_ths: f64,
    /// Power, W.
    pub power_watts: f64,
    /// Chip temperature, °C.
    pub chip_temp_c: f64,
    /// Board (PCB) temperature, °C.
    pub board_temp_c: f64,
    /// Fan speed, RPM (0 without fans).
    pub fan_rpm: f64,
    /// Frequency derate applied for heat (1 = none).
    pub derate: f64,
    /// Thermal shutdown in force.
    pub shutdown: bool,
}

/// The steady state of `spec` in `mode` at `ambient_c`. `was_shutdown` applies the restart
/// hysteresis: a miner that stopped for heat restarts only below `restart_ambient_c`.
pub fn operating_point(spec: &AsicSpec, mode: PowerMode, ambient_c: f64, was_shutdown: bool) -> OperatingPoint {
    let shutdown = ambient_c > spec.shutdown_ambient_c || (was_shutdown && ambient_c >= spec.restart_ambient_c);
    let idle_fan = if spec.fans > 0 { spec.fan_min_rpm } else { 0.0 };
    if shutdown || mode == PowerMode::Sleep {
        return OperatingPoint {
            hashrate_ths: 0.0,
            power_watts: spec.sleep_watts,
            chip_temp_c: ambient_c,
            board_temp_c: ambient_c,
            fan_rpm: if shutdown && spec.fans > 0 { spec.fan_max_rpm } else { idle_fan },
            derate: 1.0,
            shutdown,
        };
    }
    let m = spec.mode_factors(mode);
    let power = spec.power_watts * m.power;
    let hashrate = spec.hashrate_ths * m.hashrate;
    // Thermal resistance chip → air at full fan, sized to hit the target at the derate ambient.
    let r_full = (spec.chip_target_c - spec.derate_ambient_c) / spec.power_watts;
    let headroom = spec.chip_target_c - ambient_c;
    let (fan_share, derate) = if headroom <= 0.0 {
        (1.0, 0.0)
    } else {
        let needed_r = headroom / power;
        if needed_r >= r_full {
            let u = (r_full / needed_r).powf(1.0 / FAN_CONDUCTANCE_EXPONENT);
            (u, 1.0)
        } else {
            (1.0, (needed_r / r_full).min(1.0))
        }
    };
    let (fan_share, fan_rpm) = if spec.fans == 0 {
        (1.0, 0.0)
    } else {
        let u_min = spec.fan_min_rpm / spec.fan_max_rpm;
        let u = fan_share.max(u_min);
        (u, u * spec.fan_max_rpm)
    };
    let power = power * derate;
    let chip = ambient_c + power * r_full / fan_share.powf(FAN_CONDUCTANCE_EXPONENT);
    OperatingPoint {
        hashrate_ths: hashrate * derate,
        power_watts: power.max(spec.sleep_watts),
        chip_temp_c: chip,
        board_temp_c: ambient_c + spec.board_rise_share * (chip - ambient_c),
        fan_rpm,
        derate,
        shutdown: false,
    }
}

/// Expected shares per second at `hashrate_ths` and pool share difficulty `share_difficulty`.
#[inline]
pub fn shares_per_second(hashrate_ths: f64, share_difficulty: f64) -> f64 {
    hashrate_ths * 1e12 / (share_difficulty * HASHES_PER_DIFFICULTY)
}

/// BTC one accepted share earns under full pay-per-share before the pool fee:
/// `share_difficulty / network_difficulty × block reward` (subsidy plus fees).
pub fn btc_per_share(share_difficulty: f64, market: &Market) -> f64 {
    share_difficulty / market.difficulty() * block_reward_btc(market)
}

/// A linear move of power and hashrate from one operating point to another after a delay.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ramp {
    /// Seconds since the command.
    pub elapsed_seconds: f64,
    /// Seconds before anything changes.
    pub delay_seconds: f64,
    /// Seconds of the linear move.
    pub ramp_seconds: f64,
}

impl Ramp {
    /// Progress 0–1 at the current elapsed time.
    #[inline]
    pub fn progress(&self) -> f64 {
        let t = self.elapsed_seconds - self.delay_seconds;
        if t <= 0.0 {
            0.0
        } else if self.ramp_seconds <= 0.0 || t >= self.ramp_seconds {
            1.0
        } else {
            t / self.ramp_seconds
        }
    }

    /// Whether the move is complete.
    #[inline]
    pub fn done(&self) -> bool {
        self.elapsed_seconds >= self.delay_seconds + self.ramp_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derates_above_40_and_shuts_down_above_47() {
        let s = AsicSpec::by_name("S21").unwrap();
        let at = |t: f64| operating_point(&s, PowerMode::Normal, t, false);
        assert_eq!(at(25.0).derate, 1.0);
        assert_eq!(at(40.0).derate, 1.0);
        assert!((at(25.0).hashrate_ths - 200.0).abs() < 1e-9);
        assert!(at(25.0).fan_rpm < s.fan_max_rpm);
        let hot = at(44.0);
        assert!(hot.derate < 1.0 && hot.derate > 0.8, "{}", hot.derate);
        assert!((hot.chip_temp_c - s.chip_target_c).abs() < 1e-9);
        assert_eq!(hot.fan_rpm, s.fan_max_rpm);
        assert!(at(47.5).shutdown);
        assert_eq!(at(47.5).hashrate_ths, 0.0);
        // Hysteresis: stays down until below the restart temperature.
        assert!(operating_point(&s, PowerMode::Normal, 46.0, true).shutdown);
        assert!(!operating_point(&s, PowerMode::Normal, 44.0, true).shutdown);
    }

    #[test]
    fn modes_trade_hashrate_for_efficiency() {
        let s = AsicSpec::by_name("S21").unwrap();
        let n = operating_point(&s, PowerMode::Normal, 25.0, false);
        let l = operating_point(&s, PowerMode::Low, 25.0, false);
        let h = operating_point(&s, PowerMode::High, 25.0, false);
        assert!(l.power_watts / l.hashrate_ths < n.power_watts / n.hashrate_ths);
        assert!(h.power_watts / h.hashrate_ths > n.power_watts / n.hashrate_ths);
        assert_eq!(operating_point(&s, PowerMode::Sleep, 25.0, false).power_watts, 25.0);
    }
}
