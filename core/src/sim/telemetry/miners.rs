//! Prometheus text exposition for miners: hashrate, power, temperatures, fans, shares and errors,
//! per miner and per hash board, from the same [`MinerReading`] the cgminer replies use.
//!
//! Names follow the miner exporters operators already scrape — Braiins OS+'s built-in exporter
//! (`hashboard_temperature`, `chip_temperature_celsius{location=…}`, `fan_rpm_feedback`,
//! `miner_power`) and the Prometheus naming rules (a `miner_` namespace, the unit as suffix,
//! `_total` on counters, an `_info` series carrying the descriptive labels):
//!
//! | series | labels | what |
//! |---|---|---|
//! | `miner_info` | `miner, model, firmware, pool, worker` | 1 |
//! | `miner_hashing` | `miner` | 1 hashing, 0 asleep or shut down |
//! | `miner_uptime_seconds` | `miner` | seconds since start |
//! | `miner_hashrate_ghs` | `miner` | last 5 s (`GHS 5s`) |
//! | `miner_hashrate_30m_ghs`, `miner_hashrate_average_ghs`, `miner_hashrate_nominal_ghs` | `miner` | |
//! | `miner_power_watts` | `miner` | wall power |
//! | `miner_fan_rpm` | `miner, fan` | each fan (0-based) |
//! | `miner_shares_total` | `miner, result` | `accepted`, `rejected`, `stale` |
//! | `miner_hardware_errors_total` | `miner` | bad nonces |
//! | `miner_failed_hashboards` | `miner` | boards down |
//! | `miner_hashboard_hashrate_ghs`, `miner_hashboard_nominal_hashrate_ghs` | `miner, board` | board 0-based |
//! | `miner_hashboard_chips` | `miner, board` | chips answering |
//! | `miner_hashboard_temperature_celsius` | `miner, board, location` | PCB, `inlet`/`outlet` |
//! | `miner_chip_temperature_celsius` | `miner, board, location` | chips, `inlet`/`outlet` |
//! | `miner_hashboard_power_watts` | `miner, board` | |
//! | `miner_hashboard_frequency_mhz` | `miner, board` | |
//! | `miner_hashboard_hardware_errors_total` | `miner, board` | |

use std::fmt::Write;

use super::cgminer::{MinerReading, COMPILE_TIME};
use super::escape_label;
use crate::sim::asic::miner::MinerStatus;

/// Labels that identify a miner.
#[derive(Debug, Clone, PartialEq)]
pub struct MinerLabels {
    /// `miner`: the miner's name (host name or address).
    pub miner: String,
}

impl MinerLabels {
    /// Labels of the miner called `miner`.
    pub fn new(miner: &str) -> MinerLabels {
        MinerLabels { miner: miner.to_string() }
    }
}

/// (name, type, help) of every series, in the order written.
pub const FIELDS: [(&str, &str, &str); 20] = [
    ("miner_info", "gauge", "Miner model, firmware and pool (value 1)."),
    ("miner_hashing", "gauge", "Whether the miner is hashing (1) or asleep, ramping or shut down (0)."),
    ("miner_uptime_seconds", "gauge", "Seconds since the miner started."),
    ("miner_hashrate_ghs", "gauge", "Hashrate over the last 5 seconds (in GH/s)."),
    ("miner_hashrate_30m_ghs", "gauge", "Hashrate over the last 30 minutes (in GH/s)."),
    ("miner_hashrate_average_ghs", "gauge", "Average hashrate since start (in GH/s)."),
    ("miner_hashrate_nominal_ghs", "gauge", "Nominal hashrate of the current mode (in GH/s)."),
    ("miner_power_watts", "gauge", "Power draw at the wall (in W)."),
    ("miner_fan_rpm", "gauge", "Fan speed (in RPM)."),
    ("miner_shares_total", "counter", "Shares submitted to the pool, by result."),
    ("miner_hardware_errors_total", "counter", "Hardware errors (bad nonces returned by the chips)."),
    ("miner_failed_hashboards", "gauge", "Hash boards down after a chain fault."),
    ("miner_hashboard_hashrate_ghs", "gauge", "Hash board hashrate over the last 5 seconds (in GH/s)."),
    ("miner_hashboard_nominal_hashrate_ghs", "gauge", "Hash board nominal hashrate (in GH/s)."),
    ("miner_hashboard_chips", "gauge", "ASIC chips answering on the hash board."),
    ("miner_hashboard_temperature_celsius", "gauge", "Hash board PCB temperature (in C)."),
    ("miner_chip_temperature_celsius", "gauge", "Hash board chip temperature (in C)."),
    ("miner_hashboard_power_watts", "gauge", "Hash board power draw (in W)."),
    ("miner_hashboard_frequency_mhz", "gauge", "Hash board average chip frequency (in MHz)."),
    ("miner_hashboard_hardware_errors_total", "counter", "Hash board hardware errors."),
];

fn mean(a: i64, b: i64) -> f64 {
    (a + b) as f64 / 2.0
}

/// The exposition for a set of miners `(labels, device id, status)`: each series' `# HELP` and
/// `# TYPE` once, then one sample per miner (and per board, fan or result).
///
/// ```
/// use hcpcore::sim::{Fleet, FleetConfig};
/// use hcpcore::sim::telemetry::miners::{exposition, MinerLabels};
/// let mut fleet = Fleet::new(FleetConfig::default()).unwrap();
/// let id = fleet.add_miner("S21").unwrap();
/// fleet.step().unwrap();
/// let text = exposition(&[(MinerLabels::new("s21-a"), id as u32, fleet.miner_status(id).unwrap())]);
/// assert!(text.contains("# TYPE miner_shares_total counter"));
/// assert!(text.contains("miner_hashboard_chips{miner=\"s21-a\",board=\"2\"} 108"));
/// ```
pub fn exposition(miners: &[(MinerLabels, u32, MinerStatus)]) -> String {
    let readings: Vec<(String, &MinerStatus, MinerReading)> = miners
        .iter()
        .map(|(l, device, s)| (format!("miner=\"{}\"", escape_label(&l.miner)), s, MinerReading::new(*device, s)))
        .collect();
    let mut out = String::with_capacity(1024 + miners.len() * 6000);
    for (i, (name, kind, help)) in FIELDS.iter().enumerate() {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (m, s, r) in &readings {
            let mut line = |labels: &str, value: String| {
                let _ = writeln!(out, "{name}{{{m}{labels}}} {value}");
            };
            match i {
                0 => line(
                    &format!(
                        ",model=\"{}\",firmware=\"{}\",pool=\"{}\",worker=\"{}\"",
                        escape_label(&s.product_name),
                        escape_label(COMPILE_TIME),
                        escape_label(&s.pool.url),
                        escape_label(&s.pool.user)
                    ),
                    "1".into(),
                ),
                1 => line("", u8::from(r.hashing).to_string()),
                2 => line("", r.elapsed_seconds.to_string()),
                3 => line("", r.ghs_5s.to_string()),
                4 => line("", r.ghs_30m.to_string()),
                5 => line("", r.ghs_avg.to_string()),
                6 => line("", r.ghs_ideal.to_string()),
                7 => line("", format!("{:.1}", r.power_watts)),
                8 => {
                    for (f, rpm) in r.fans_rpm.iter().enumerate() {
                        line(&format!(",fan=\"{f}\""), rpm.to_string());
                    }
                }
                9 => {
                    line(",result=\"accepted\"", s.shares.accepted.to_string());
                    line(",result=\"rejected\"", s.shares.rejected.to_string());
                    line(",result=\"stale\"", s.shares.stale.to_string());
                }
                10 => line("", s.shares.hardware_errors.to_string()),
                11 => line("", s.failed_boards.to_string()),
                _ => {
                    for b in &r.boards {
                        let board = format!(",board=\"{}\"", b.index);
                        match i {
                            12 => line(&board, b.rate_ghs.to_string()),
                            13 => line(&board, b.ideal_ghs.to_string()),
                            14 => line(&board, b.chips.to_string()),
                            15 | 16 => {
                                let t = if i == 15 { &b.temp_pcb_c } else { &b.temp_chip_c };
                                line(&format!("{board},location=\"inlet\""), mean(t[0], t[1]).to_string());
                                line(&format!("{board},location=\"outlet\""), mean(t[2], t[3]).to_string());
                            }
                            17 => line(&board, format!("{:.1}", b.power_watts)),
                            18 => line(&board, b.frequency_mhz.to_string()),
                            _ => line(&board, b.hardware_errors.to_string()),
                        }
                    }
                }
            }
        }
    }
    out
}
