//! Antminer specifications as data: nameplate figures from `hcpcore::econ`'s catalog plus the physical
//! layout (hash boards × chips, fans), the power modes, the cooling and the pool behaviour.
//!
//! Power modes follow `P ∝ f·V²` with hashrate `∝ f`: low mode runs 0.8× clock at 0.95× voltage
//! (0.8× hashrate, 0.72× power), high mode 1.1× clock at 1.05× voltage (1.1× hashrate, 1.21×
//! power). Bitmain publishes no per-mode figures for the S21 family; these are overridable.

use serde::{Deserialize, Serialize};

use crate::econ::models::{Catalog, DeviceKind, DeviceModel};
use crate::error::check;
use crate::sim::json::merge_overrides;
use crate::{Error, Result};

/// Operating mode of a miner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerMode {
    /// Stock frequency and voltage.
    Normal,
    /// Lower frequency and voltage: better J/TH, less hashrate.
    Low,
    /// Overclocked: more hashrate, worse J/TH.
    High,
    /// Hashing stopped, control board only.
    Sleep,
}

impl PowerMode {
    /// Parses `"normal" | "low" | "high" | "sleep"`.
    pub fn parse(s: &str) -> Result<PowerMode> {
        match s {
            "normal" => Ok(PowerMode::Normal),
            "low" => Ok(PowerMode::Low),
            "high" => Ok(PowerMode::High),
            "sleep" => Ok(PowerMode::Sleep),
            other => Err(Error::invalid_input("mode", format!("must be normal, low, high or sleep, got {other:?}"))),
        }
    }

    /// The mode's name.
    pub fn name(self) -> &'static str {
        match self {
            PowerMode::Normal => "normal",
            PowerMode::Low => "low",
            PowerMode::High => "high",
            PowerMode::Sleep => "sleep",
        }
    }

    /// Stable code used in columnar output (0 normal, 1 low, 2 high, 3 sleep).
    pub fn code(self) -> u8 {
        match self {
            PowerMode::Normal => 0,
            PowerMode::Low => 1,
            PowerMode::High => 2,
            PowerMode::Sleep => 3,
        }
    }
}

/// Hashrate and power of a mode relative to normal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeFactors {
    /// Hashrate relative to nominal.
    pub hashrate: f64,
    /// Power relative to nominal.
    pub power: f64,
}

/// How long the firmware takes to sleep and to wake: nothing changes for `delay`, then power and
/// hashrate move linearly to the target over `ramp`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionProfile {
    /// Seconds before a sleep command acts.
    pub sleep_delay_seconds: f64,
    /// Seconds from acting to sleep power.
    pub sleep_ramp_seconds: f64,
    /// Seconds before a wake command acts (boot, pool connect).
    pub wake_delay_seconds: f64,
    /// Seconds from acting to full hashrate.
    pub wake_ramp_seconds: f64,
}

impl TransitionProfile {
    /// Stock Bitmain firmware (sleep through the web config, `miner-mode` 1): a minute before it
    /// acts, and a reboot-like two minutes of ramp on wake.
    pub fn stock() -> TransitionProfile {
        TransitionProfile {
            sleep_delay_seconds: 60.0,
            sleep_ramp_seconds: 10.0,
            wake_delay_seconds: 60.0,
            wake_ramp_seconds: 120.0,
        }
    }

    /// LuxOS-like `curtail sleep|wakeup`: ~25 W within 5 s, full hashrate within 10 s.
    pub fn luxos() -> TransitionProfile {
        TransitionProfile {
            sleep_delay_seconds: 0.0,
            sleep_ramp_seconds: 5.0,
            wake_delay_seconds: 0.0,
            wake_ramp_seconds: 10.0,
        }
    }

    /// `"stock"` or `"luxos"`.
    pub fn by_name(name: &str) -> Result<TransitionProfile> {
        match name {
            "stock" => Ok(TransitionProfile::stock()),
            "luxos" => Ok(TransitionProfile::luxos()),
            other => Err(Error::invalid_input("profile", format!("must be \"stock\" or \"luxos\", got {other:?}"))),
        }
    }

    fn validated(self) -> Result<TransitionProfile> {
        check::non_negative("sleep_delay_seconds", self.sleep_delay_seconds)?;
        check::non_negative("sleep_ramp_seconds", self.sleep_ramp_seconds)?;
        check::non_negative("wake_delay_seconds", self.wake_delay_seconds)?;
        check::non_negative("wake_ramp_seconds", self.wake_ramp_seconds)?;
        Ok(self)
    }
}

/// One ASIC model: nameplate, layout, modes, cooling, pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsicSpec {
    /// Catalog name (`"S21"`, `"S21_PRO"`, …).
    pub name: String,
    /// Name reported in `stats` (`Type`).
    pub product_name: String,
    /// Nominal hashrate in normal mode, TH/s.
    pub hashrate_ths: f64,
    /// Power in normal mode, W.
    pub power_watts: f64,
    /// Power asleep, W.
    pub sleep_watts: f64,
    /// Hash boards (chains).
    pub hash_boards: u32,
    /// ASIC chips per board.
    pub chips_per_board: u32,
    /// Fans (0 for hydro-cooled).
    pub fans: u32,
    /// Low mode relative to normal.
    pub low_mode: ModeFactors,
    /// High mode relative to normal.
    pub high_mode: ModeFactors,
    /// Chip temperature the fan controller holds, °C.
    pub chip_target_c: f64,
    /// Ambient (or coolant inlet) above which the firmware derates, °C.
    pub derate_ambient_c: f64,
    /// Ambient above which it shuts down, °C.
    pub shutdown_ambient_c: f64,
    /// Ambient below which a thermally shut-down miner restarts, °C.
    pub restart_ambient_c: f64,
    /// Slowest fan speed, RPM.
    pub fan_min_rpm: f64,
    /// Fastest fan speed, RPM.
    pub fan_max_rpm: f64,
    /// Chip temperature time constant, s.
    pub thermal_tau_seconds: f64,
    /// Board (PCB) rise as a share of the chip rise over ambient.
    pub board_rise_share: f64,
    /// Standard deviation of the slow hashrate wander (relative).
    pub hashrate_noise: f64,
    /// Share of submitted shares the pool rejects.
    pub reject_fraction: f64,
    /// Share of submitted shares that arrive stale.
    pub stale_fraction: f64,
    /// Hardware errors (bad nonces) per share found, at or below the chip target.
    pub hw_errors_per_share: f64,
    /// Sleep and wake timing.
    pub transitions: TransitionProfile,
}

impl AsicSpec {
    /// The spec of a catalog model (`"S21"`, `"S21 Pro"`, `"S21 XP"`, `"S21 Hydro"`, `"S19 XP"`).
    ///
    /// ```
    /// let s = hcpcore::sim::AsicSpec::by_name("S21").unwrap();
    /// assert_eq!((s.hash_boards, s.chips_per_board, s.fans), (3, 108, 4));
    /// assert!(hcpcore::sim::AsicSpec::by_name("S9").is_err());
    /// ```
    pub fn by_name(name: &str) -> Result<AsicSpec> {
        AsicSpec::from_model(Catalog::builtin().get(name)?)
    }

    /// The spec of any ASIC in an `econ` catalog (layout by family, defaults for the rest).
    pub fn from_model(model: &DeviceModel) -> Result<AsicSpec> {
        if model.kind != DeviceKind::Asic {
            return Err(Error::invalid_input("model", format!("{} is not an ASIC", model.name)));
        }
        // Chips per board: S21 from data/README; the others from public teardowns (overridable).
        let (chips, fans, product) = match model.name.as_str() {
            "S21" => (108, 4, "Antminer S21"),
            "S21_PRO" => (65, 4, "Antminer S21 Pro"),
            "S21_XP" => (91, 4, "Antminer S21 XP"),
            "S21_HYDRO" => (156, 0, "Antminer S21 Hydro"),
            "S19_XP" => (110, 4, "Antminer S19 XP"),
            _ => (100, 4, "Antminer"),
        };
        AsicSpec {
            name: model.name.clone(),
            product_name: product.into(),
            hashrate_ths: model.hashrate_ths,
            power_watts: model.power_watts,
            sleep_watts: model.sleep_watts,
            hash_boards: 3,
            chips_per_board: chips,
            fans,
            low_mode: ModeFactors { hashrate: 0.8, power: 0.8 * 0.95 * 0.95 },
            high_mode: ModeFactors { hashrate: 1.1, power: 1.1 * 1.05 * 1.05 },
            chip_target_c: 75.0,
            derate_ambient_c: 40.0,
            shutdown_ambient_c: 47.0,
            restart_ambient_c: 45.0,
            fan_min_rpm: 1_200.0,
            fan_max_rpm: 6_000.0,
            thermal_tau_seconds: 60.0,
            board_rise_share: 0.6,
            hashrate_noise: 0.01,
            reject_fraction: 0.001,
            stale_fraction: 0.002,
            hw_errors_per_share: 0.0005,
            transitions: TransitionProfile::stock(),
        }
        .validated()
    }

    /// This spec with the fields of a JSON object replaced, validated.
    pub fn with_overrides(&self, json: &str) -> Result<AsicSpec> {
        merge_overrides(self, json, "asic_spec")?.validated()
    }

    /// Checks every field.
    pub fn validated(self) -> Result<AsicSpec> {
        check::positive("hashrate_ths", self.hashrate_ths)?;
        check::positive("power_watts", self.power_watts)?;
        check::non_negative("sleep_watts", self.sleep_watts)?;
        if self.hash_boards == 0 || self.chips_per_board == 0 {
            return Err(Error::invalid_input("hash_boards", "boards and chips must be > 0"));
        }
        for (f, m) in [("low_mode", self.low_mode), ("high_mode", self.high_mode)] {
            check::positive(f, m.hashrate)?;
            check::positive(f, m.power)?;
        }
        check::finite("chip_target_c", self.chip_target_c)?;
        check::in_range("derate_ambient_c", self.derate_ambient_c, -50.0, self.chip_target_c - 1.0)?;
        check::in_range("shutdown_ambient_c", self.shutdown_ambient_c, self.derate_ambient_c, self.chip_target_c)?;
        check::in_range("restart_ambient_c", self.restart_ambient_c, -50.0, self.shutdown_ambient_c)?;
        check::non_negative("fan_min_rpm", self.fan_min_rpm)?;
        check::in_range("fan_max_rpm", self.fan_max_rpm, self.fan_min_rpm, 1e6)?;
        check::positive("thermal_tau_seconds", self.thermal_tau_seconds)?;
        check::in_range("board_rise_share", self.board_rise_share, 0.0, 1.0)?;
        check::in_range("hashrate_noise", self.hashrate_noise, 0.0, 0.5)?;
        check::in_range("reject_fraction", self.reject_fraction, 0.0, 0.5)?;
        check::in_range("stale_fraction", self.stale_fraction, 0.0, 0.5)?;
        check::non_negative("hw_errors_per_share", self.hw_errors_per_share)?;
        self.transitions.validated()?;
        Ok(self)
    }

    /// Hashrate and power factors of a mode (sleep: zero hashrate, sleep power).
    pub fn mode_factors(&self, mode: PowerMode) -> ModeFactors {
        match mode {
            PowerMode::Normal => ModeFactors { hashrate: 1.0, power: 1.0 },
            PowerMode::Low => self.low_mode,
            PowerMode::High => self.high_mode,
            PowerMode::Sleep => ModeFactors { hashrate: 0.0, power: self.sleep_watts / self.power_watts },
        }
    }
}
