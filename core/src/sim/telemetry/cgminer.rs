//! cgminer/bmminer API replies (`summary`, `stats`, `pools`) with the field names Antminer
//! firmware uses: `"GHS 5s"` (a string, as bmminer writes it), `"GHS av"`, `Accepted`, `Rejected`,
//! `Stale`, `"Hardware Errors"`, `Elapsed`, `fan1..4`, `temp*`, per-chain `chain_rateN` (GH/s as a
//! string), and the `STATUS` block.

use serde_json::{json, Map, Value};

use super::jitter;
use crate::sim::asic::miner::MinerStatus;

/// Hashes per nonce the chips report (the ASIC-side difficulty behind the 5 s hashrate), so the
/// 5-second figure carries the counting noise a real miner shows.
pub const CHIP_NONCE_DIFFICULTY: f64 = 256.0;

fn status(when_unix: i64, code: u32, msg: &str) -> Value {
    json!([{ "STATUS": "S", "When": when_unix, "Code": code, "Msg": msg, "Description": "bmminer 1.0.0" }])
}

fn ghs_5s(s: &MinerStatus, key: u64) -> f64 {
    let ghs = s.hashrate_ths * 1000.0;
    if ghs <= 0.0 {
        return 0.0;
    }
    let nonces = s.hashrate_ths * 1e12 * 5.0 / (CHIP_NONCE_DIFFICULTY * 4_294_967_296.0);
    (ghs * (1.0 + jitter(key) / nonces.sqrt())).max(0.0)
}

fn key(device: u32, elapsed: f64, salt: u64) -> u64 {
    ((device as u64) << 40) ^ (elapsed.to_bits().rotate_left(7)) ^ salt
}

/// `{"command":"summary"}` reply of miner `device` at Unix time `when_unix`.
///
/// ```
/// use hcpcore::sim::{Fleet, FleetConfig};
/// let mut fleet = Fleet::new(FleetConfig::default()).unwrap();
/// let id = fleet.add_miner("S21").unwrap();
/// fleet.run(30).unwrap();
/// fleet.settle(); // draw the shares found so far
/// let s = fleet.miner_status(id).unwrap();
/// let reply = hcpcore::sim::telemetry::cgminer::summary(id as u32, &s, 1_700_000_000);
/// assert!(reply["SUMMARY"][0]["GHS 5s"].is_string());
/// assert!(reply["SUMMARY"][0]["Accepted"].as_u64().unwrap() > 0);
/// ```
pub fn summary(device: u32, s: &MinerStatus, when_unix: i64) -> Value {
    let c = &s.shares;
    let diff = s.pool.share_difficulty;
    let total = (c.accepted + c.rejected + c.stale).max(1) as f64;
    json!({
        "STATUS": status(when_unix, 11, "Summary"),
        "SUMMARY": [{
            "Elapsed": s.elapsed_seconds.floor() as u64,
            "GHS 5s": format!("{:.2}", ghs_5s(s, key(device, s.elapsed_seconds, 1))),
            "GHS av": (s.hashrate_avg_ths * 1000.0 * 100.0).round() / 100.0,
            "Found Blocks": 0,
            "Getworks": (s.elapsed_seconds / 30.0).floor() as u64,
            "Accepted": c.accepted,
            "Rejected": c.rejected,
            "Hardware Errors": c.hardware_errors,
            "Utility": if s.elapsed_seconds > 0.0 { c.accepted as f64 * 60.0 / s.elapsed_seconds } else { 0.0 },
            "Discarded": 0,
            "Stale": c.stale,
            "Get Failures": 0,
            "Local Work": 0,
            "Remote Failures": 0,
            "Network Blocks": 0,
            "Total MH": (c.total_terahashes * 1e6).floor(),
            "Work Utility": 0.0,
            "Difficulty Accepted": c.accepted as f64 * diff,
            "Difficulty Rejected": c.rejected as f64 * diff,
            "Difficulty Stale": c.stale as f64 * diff,
            "Best Share": if c.accepted > 0 { diff as u64 } else { 0 },
            "Device Hardware%": if c.accepted > 0 { c.hardware_errors as f64 / (c.accepted + c.hardware_errors) as f64 * 100.0 } else { 0.0 },
            "Device Rejected%": c.rejected as f64 / total * 100.0,
            "Pool Rejected%": c.rejected as f64 / total * 100.0,
            "Pool Stale%": c.stale as f64 / total * 100.0,
            "Last getwork": when_unix,
        }],
        "id": 1
    })
}

/// `{"command":"stats"}` reply: fans, board and chip temperatures, per-chain rates.
pub fn stats(device: u32, s: &MinerStatus, when_unix: i64) -> Value {
    let mut m = Map::new();
    m.insert("STATS".into(), json!(0));
    m.insert("ID".into(), json!("BTM_SOC0"));
    m.insert("Elapsed".into(), json!(s.elapsed_seconds.floor() as u64));
    m.insert("Calls".into(), json!(0));
    m.insert("Wait".into(), json!(0.0));
    m.insert("Max".into(), json!(0.0));
    m.insert("Min".into(), json!(99_999_999.0));
    m.insert("GHS 5s".into(), json!(format!("{:.2}", ghs_5s(s, key(device, s.elapsed_seconds, 1)))));
    m.insert("GHS av".into(), json!((s.hashrate_avg_ths * 1000.0 * 100.0).round() / 100.0));
    m.insert("miner_count".into(), json!(s.hash_boards));
    m.insert("frequency".into(), json!(if s.hashrate_ths > 0.0 { 490 } else { 0 }));
    m.insert("fan_num".into(), json!(s.fan_rpm.len()));
    for (i, rpm) in s.fan_rpm.iter().enumerate() {
        let j = 1.0 + 0.01 * jitter(key(device, s.elapsed_seconds, 100 + i as u64));
        m.insert(format!("fan{}", i + 1), json!((rpm * j).round() as u64));
    }
    m.insert("temp_num".into(), json!(s.hash_boards));
    let boards = s.hash_boards.max(1);
    let ideal_chain = s.hashrate_ideal_ths * 1000.0 / boards as f64;
    let mut total_hw = 0u64;
    for b in 1..=boards {
        let jb = jitter(key(device, 0.0, 200 + b as u64));
        let board_c = (s.board_temp_c + 1.5 * jb).round();
        let chip_c = (s.chip_temp_c + 2.0 * jb).round();
        m.insert(format!("temp{b}"), json!(board_c as i64));
        m.insert(format!("temp2_{b}"), json!(chip_c as i64));
        // Inlet, inlet, outlet, outlet sensors as the S19/S21 firmware lists them.
        m.insert(
            format!("temp_pcb{b}"),
            json!(format!("{}-{}-{}-{}", board_c - 4.0, board_c - 3.0, board_c + 3.0, board_c + 4.0)),
        );
        m.insert(
            format!("temp_chip{b}"),
            json!(format!("{}-{}-{}-{}", chip_c - 4.0, chip_c - 3.0, chip_c + 3.0, chip_c + 4.0)),
        );
        m.insert(format!("chain_acn{b}"), json!(s.chips_per_board));
        let share = 1.0 + 0.01 * jitter(key(device, s.elapsed_seconds, 300 + b as u64));
        let rate = (s.hashrate_ths * 1000.0 / boards as f64 * share).max(0.0);
        m.insert(format!("chain_rate{b}"), json!(format!("{rate:.2}")));
        m.insert(format!("chain_rateideal{b}"), json!((ideal_chain * 100.0).round() / 100.0));
        let hw = s.shares.hardware_errors / boards as u64
            + u64::from(b <= (s.shares.hardware_errors % boards as u64) as u32);
        total_hw += hw;
        m.insert(format!("chain_hw{b}"), json!(hw));
    }
    m.insert("total_rateideal".into(), json!((s.hashrate_ideal_ths * 1000.0 * 100.0).round() / 100.0));
    m.insert("total_rate".into(), json!((s.hashrate_ths * 1000.0 * 100.0).round() / 100.0));
    m.insert("total_acn".into(), json!(s.chips_per_board * boards));
    m.insert("rate_unit".into(), json!("GH"));
    m.insert("chain_hw_total".into(), json!(total_hw));
    m.insert("miner_mode".into(), json!(s.mode.code()));
    json!({
        "STATUS": status(when_unix, 70, "BMMiner stats"),
        "STATS": [
            { "BMMiner": "1.0.0", "Miner": "uart_trans.1.3", "CompileTime": "simulated by hcp", "Type": s.product_name },
            Value::Object(m)
        ],
        "id": 1
    })
}

/// `{"command":"pools"}` reply.
pub fn pools(s: &MinerStatus, when_unix: i64) -> Value {
    let c = &s.shares;
    let diff = s.pool.share_difficulty;
    let total = (c.accepted + c.rejected + c.stale).max(1) as f64;
    json!({
        "STATUS": status(when_unix, 7, "1 Pool(s)"),
        "POOLS": [{
            "POOL": 0,
            "URL": s.pool.url,
            "Status": "Alive",
            "Priority": 0,
            "Quota": 1,
            "Long Poll": "N",
            "Getworks": (s.elapsed_seconds / 30.0).floor() as u64,
            "Accepted": c.accepted,
            "Rejected": c.rejected,
            "Discarded": 0,
            "Stale": c.stale,
            "Get Failures": 0,
            "Remote Failures": 0,
            "User": s.pool.user,
            "Last Share Time": when_unix,
            "Diff": format!("{:.0}", diff),
            "Diff1 Shares": 0,
            "Proxy Type": "",
            "Proxy": "",
            "Difficulty Accepted": c.accepted as f64 * diff,
            "Difficulty Rejected": c.rejected as f64 * diff,
            "Difficulty Stale": c.stale as f64 * diff,
            "Last Share Difficulty": diff,
            "Has Stratum": true,
            "Stratum Active": true,
            "Stratum URL": s.pool.url.trim_start_matches("stratum+tcp://"),
            "Has GBT": false,
            "Best Share": if c.accepted > 0 { diff as u64 } else { 0 },
            "Pool Rejected%": c.rejected as f64 / total * 100.0,
            "Pool Stale%": c.stale as f64 / total * 100.0,
        }],
        "id": 1
    })
}
