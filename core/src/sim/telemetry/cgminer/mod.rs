//! The cgminer/bmminer API of a simulated Antminer, as S21-era firmware answers on port 4028:
//! `version`, `devs`, `summary`, `pools`, and `stats` in both forms — the classic one (`STATS[1]`
//! with `fanN`, `tempN`, `temp_pcbN`, `chain_rateN`, `chain_acnN`, …) and the one asked for with
//! `"new_api": true` (`STATS[0].chain[]` with `rate_real`, `asic_num`, `temp_pcb`, `temp_chip`,
//! `chain_power`, …), which current pyasic reads for per-board data. Hashrates are JSON numbers in
//! GH/s, as S21 firmware writes them.
//!
//! [`reading`] computes what a miner reports at one moment; the functions here only lay it out in
//! each reply's shape, [`api`] answers a raw request (JSON, `+`-joined commands, errors) the way
//! cgminer's API does, and [`web`] gives the JSON pages of the miner's web interface.

pub mod api;
pub mod reading;
pub mod web;

use serde_json::{json, Map, Value};

pub use self::api::{is_complete, respond, MAX_REQUEST_BYTES};
pub use self::reading::{BoardReading, MinerReading, CHIP_NONCE_DIFFICULTY};
use crate::sim::asic::miner::MinerStatus;

/// The bmminer version the simulated firmware reports.
pub const BMMINER_VERSION: &str = "1.0.0";
/// The cgminer API version the simulated firmware reports (`version` → `API`).
pub const API_VERSION: &str = "3.1";
/// The firmware build the simulated miners report (`CompileTime`, read by pyasic as the firmware
/// version).
pub const COMPILE_TIME: &str = "Mon Nov 13 17:25:38 CST 2023";

fn description() -> String {
    format!("bmminer {BMMINER_VERSION}")
}

/// A classic `STATUS` section: severity `S` (success) or `E` (error), cgminer's message code.
pub fn status(when_unix: i64, severity: &str, code: u32, msg: &str) -> Value {
    json!([{ "STATUS": severity, "When": when_unix, "Code": code, "Msg": msg, "Description": description() }])
}

fn pct(part: u64, total: u64) -> f64 {
    if total > 0 {
        part as f64 / total as f64 * 100.0
    } else {
        0.0
    }
}

/// `{"command":"version"}`: firmware and API versions and the model (`Type`), which pyasic's
/// miner factory uses to pick its `Antminer S21` class.
///
/// ```
/// use hcpcore::sim::{Fleet, FleetConfig};
/// let mut fleet = Fleet::new(FleetConfig::default()).unwrap();
/// let id = fleet.add_miner("S21").unwrap();
/// let v = hcpcore::sim::telemetry::cgminer::version(&fleet.miner_status(id).unwrap(), 1_700_000_000);
/// assert_eq!(v["VERSION"][0]["Type"], "Antminer S21");
/// ```
pub fn version(s: &MinerStatus, when_unix: i64) -> Value {
    json!({
        "STATUS": status(when_unix, "S", 22, "BMMiner versions"),
        "VERSION": [{
            "BMMiner": BMMINER_VERSION,
            "API": API_VERSION,
            "Miner": "uart_trans.1.3",
            "CompileTime": COMPILE_TIME,
            "Type": s.product_name,
        }],
        "id": 1
    })
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
/// assert!(reply["SUMMARY"][0]["GHS 5s"].as_f64().unwrap() > 150_000.0);
/// assert!(reply["SUMMARY"][0]["Accepted"].as_u64().unwrap() > 0);
/// ```
pub fn summary(device: u32, s: &MinerStatus, when_unix: i64) -> Value {
    summary_from(&MinerReading::new(device, s), s, when_unix)
}

fn summary_from(r: &MinerReading, s: &MinerStatus, when_unix: i64) -> Value {
    let c = &s.shares;
    let diff = s.pool.share_difficulty;
    let submitted = c.accepted + c.rejected + c.stale;
    json!({
        "STATUS": status(when_unix, "S", 11, "Summary"),
        "SUMMARY": [{
            "Elapsed": r.elapsed_seconds,
            "GHS 5s": r.ghs_5s,
            "GHS av": r.ghs_avg,
            "GHS 30m": r.ghs_30m,
            "Found Blocks": 0,
            "Getworks": r.elapsed_seconds / 30,
            "Accepted": c.accepted,
            "Rejected": c.rejected,
            "Hardware Errors": c.hardware_errors,
            "Utility": r.utility,
            "Discarded": 0,
            "Stale": c.stale,
            "Get Failures": 0,
            "Local Work": 0,
            "Remote Failures": 0,
            "Network Blocks": 0,
            "Total MH": (c.total_terahashes * 1e6).floor(),
            "Work Utility": r.work_utility,
            "Difficulty Accepted": c.accepted as f64 * diff,
            "Difficulty Rejected": c.rejected as f64 * diff,
            "Difficulty Stale": c.stale as f64 * diff,
            "Best Share": if c.accepted > 0 { diff as u64 } else { 0 },
            "Device Hardware%": r.hardware_error_pct(s),
            "Device Rejected%": pct(c.rejected, submitted),
            "Pool Rejected%": pct(c.rejected, submitted),
            "Pool Stale%": pct(c.stale, submitted),
            "Last getwork": when_unix,
        }],
        "id": 1
    })
}

/// `{"command":"summary","new_api":true}`: the newer firmware's summary (`rate_5s`, `rate_30m`,
/// `rate_avg`, `rate_ideal` in GH/s, and a `status` list of the self-checks).
pub fn summary_new_api(device: u32, s: &MinerStatus, when_unix: i64) -> Value {
    let r = MinerReading::new(device, s);
    let check =
        |kind: &str, ok: bool| json!({ "type": kind, "status": if ok { "s" } else { "e" }, "code": 0, "msg": "" });
    let boards_ok = s.failed_boards == 0;
    json!({
        "STATUS": new_api_status(when_unix, "summary"),
        "INFO": new_api_info(s),
        "SUMMARY": [{
            "elapsed": r.elapsed_seconds,
            "rate_5s": r.ghs_5s,
            "rate_30m": r.ghs_30m,
            "rate_avg": r.ghs_avg,
            "rate_ideal": r.ghs_ideal,
            "rate_unit": "GH/s",
            "hw_all": s.shares.hardware_errors,
            "bestshare": if s.shares.accepted > 0 { s.pool.share_difficulty as u64 } else { 0 },
            "status": [check("rate", boards_ok), check("network", true), check("fans", true), check("temp", true)],
        }]
    })
}

fn new_api_status(when_unix: i64, msg: &str) -> Value {
    json!({ "STATUS": "S", "when": when_unix, "timestamp": when_unix, "api_version": "1.0.0", "Msg": msg })
}

fn new_api_info(s: &MinerStatus) -> Value {
    json!({ "miner_version": "uart_trans.1.3", "CompileTime": COMPILE_TIME, "type": s.product_name })
}

/// `{"command":"devs"}`: one ASC entry per hash board, with its hashrate (MH/s, as cgminer's
/// `devs` reports), temperature, shares and hardware errors.
pub fn devs(device: u32, s: &MinerStatus, when_unix: i64) -> Value {
    let r = MinerReading::new(device, s);
    let diff = s.pool.share_difficulty;
    let boards = r.boards.len().max(1) as f64;
    let list: Vec<Value> = r
        .boards
        .iter()
        .map(|b| {
            let up = b.chips > 0;
            let submitted = b.accepted + b.rejected;
            json!({
                "ASC": b.index,
                "Name": "BTM_SOC",
                "ID": b.index,
                "Enabled": "Y",
                "Status": if up { "Alive" } else { "Dead" },
                "Temperature": b.temp_chip_c.iter().copied().max().unwrap_or(0),
                "MHS av": (r.ghs_avg * 1000.0 / boards).round(),
                "MHS 5s": (b.rate_ghs * 1000.0).round(),
                "Accepted": b.accepted,
                "Rejected": b.rejected,
                "Hardware Errors": b.hardware_errors,
                "Utility": if r.elapsed_seconds > 0 { b.accepted as f64 * 60.0 / r.elapsed_seconds as f64 } else { 0.0 },
                "Last Share Pool": 0,
                "Last Share Time": if b.accepted > 0 { when_unix } else { 0 },
                "Total MH": (s.shares.total_terahashes * 1e6 / boards).floor(),
                "Diff1 Work": (r.diff1_work / boards).floor(),
                "Difficulty Accepted": b.accepted as f64 * diff,
                "Difficulty Rejected": b.rejected as f64 * diff,
                "Last Share Difficulty": diff,
                "Last Valid Work": when_unix,
                "Device Hardware%": b.hardware_error_pct(r.diff1_work / boards),
                "Device Rejected%": pct(b.rejected, submitted),
                "Device Elapsed": r.elapsed_seconds,
            })
        })
        .collect();
    json!({
        "STATUS": status(when_unix, "S", 9, &format!("{} ASC(s)", list.len())),
        "DEVS": list,
        "id": 1
    })
}

/// `{"command":"stats"}` reply, classic form: `STATS[0]` names the firmware and model, `STATS[1]`
/// has fans, board and chip temperatures and per-chain rates (GH/s as numbers).
pub fn stats(device: u32, s: &MinerStatus, when_unix: i64) -> Value {
    let r = MinerReading::new(device, s);
    let mut m = Map::new();
    m.insert("STATS".into(), json!(0));
    m.insert("ID".into(), json!("BTM_SOC0"));
    m.insert("Elapsed".into(), json!(r.elapsed_seconds));
    m.insert("Calls".into(), json!(0));
    m.insert("Wait".into(), json!(0.0));
    m.insert("Max".into(), json!(0.0));
    m.insert("Min".into(), json!(99_999_999.0));
    m.insert("GHS 5s".into(), json!(r.ghs_5s));
    m.insert("GHS av".into(), json!(r.ghs_avg));
    m.insert("GHS 30m".into(), json!(r.ghs_30m));
    m.insert("miner_count".into(), json!(r.boards.len()));
    m.insert("frequency".into(), json!(r.frequency_mhz));
    m.insert("fan_num".into(), json!(r.fans_rpm.len()));
    for (i, rpm) in r.fans_rpm.iter().enumerate() {
        m.insert(format!("fan{}", i + 1), json!(rpm));
    }
    m.insert("temp_num".into(), json!(r.boards.len()));
    let mut total_hw = 0;
    for b in &r.boards {
        let n = b.index + 1;
        let dashed = |t: &[i64; 4]| t.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("-");
        m.insert(format!("temp{n}"), json!(b.temp_pcb_c.iter().copied().max().unwrap_or(0)));
        m.insert(format!("temp2_{n}"), json!(b.temp_chip_c.iter().copied().max().unwrap_or(0)));
        // Inlet, inlet, outlet, outlet sensors as the S19/S21 firmware lists them.
        m.insert(format!("temp_pcb{n}"), json!(dashed(&b.temp_pcb_c)));
        m.insert(format!("temp_chip{n}"), json!(dashed(&b.temp_chip_c)));
        m.insert(format!("chain_acn{n}"), json!(b.chips));
        m.insert(format!("chain_acs{n}"), json!(chip_map(b.chips)));
        m.insert(format!("chain_rate{n}"), json!(b.rate_ghs));
        m.insert(format!("chain_rateideal{n}"), json!(b.ideal_ghs));
        m.insert(format!("chain_hw{n}"), json!(b.hardware_errors));
        m.insert(format!("freq_avg{n}"), json!(b.frequency_mhz));
        total_hw += b.hardware_errors;
    }
    m.insert("total_rateideal".into(), json!(r.ghs_ideal));
    m.insert("total_rate".into(), json!(r.ghs_5s));
    m.insert("total_freqavg".into(), json!(r.frequency_mhz));
    m.insert("total_acn".into(), json!(r.boards.iter().map(|b| b.chips).sum::<u32>()));
    m.insert("rate_unit".into(), json!("GH"));
    m.insert("chain_hw_total".into(), json!(total_hw));
    m.insert("miner_mode".into(), json!(web::bitmain_work_mode(s.mode)));
    json!({
        "STATUS": status(when_unix, "S", 70, "BMMiner stats"),
        "STATS": [
            { "BMMiner": BMMINER_VERSION, "Miner": "uart_trans.1.3", "CompileTime": COMPILE_TIME, "Type": s.product_name },
            Value::Object(m)
        ],
        "id": 1
    })
}

/// `{"command":"stats","new_api":true}` reply, the form current pyasic asks S19/S21 firmware
/// for: one `STATS[0]` object with the miner's rates (GH/s), fans, and a `chain[]` entry per hash
/// board (`index`, `rate_real`, `rate_ideal`, `asic_num`, `temp_pcb`, `temp_pic`, `temp_chip`,
/// `chain_power`, `hw`, `sn`, …).
///
/// ```
/// use hcpcore::sim::{Fleet, FleetConfig};
/// let mut fleet = Fleet::new(FleetConfig::default()).unwrap();
/// let id = fleet.add_miner("S21").unwrap();
/// fleet.run(5).unwrap();
/// let s = fleet.miner_status(id).unwrap();
/// let reply = hcpcore::sim::telemetry::cgminer::stats_new_api(id as u32, &s, 1_700_000_000);
/// let chain = &reply["STATS"][0]["chain"];
/// assert_eq!(chain.as_array().unwrap().len(), 3);
/// assert_eq!(chain[0]["asic_num"], 108);
/// assert!(chain[2]["rate_real"].as_f64().unwrap() > 50_000.0);
/// ```
pub fn stats_new_api(device: u32, s: &MinerStatus, when_unix: i64) -> Value {
    let r = MinerReading::new(device, s);
    let chains: Vec<Value> = r
        .boards
        .iter()
        .map(|b| {
            json!({
                "index": b.index,
                "freq_avg": b.frequency_mhz,
                "rate_ideal": b.ideal_ghs,
                "rate_real": b.rate_ghs,
                "asic_num": b.chips,
                "asic": chip_map(b.chips),
                "temp_pic": b.temp_pcb_c,
                "temp_pcb": b.temp_pcb_c,
                "temp_chip": b.temp_chip_c,
                "chain_power": b.power_watts.round(),
                "hw": b.hardware_errors,
                "eeprom_loaded": true,
                "sn": b.serial,
                "hwp": b.hardware_error_pct(r.diff1_work / r.boards.len().max(1) as f64),
            })
        })
        .collect();
    json!({
        "STATUS": new_api_status(when_unix, "stats"),
        "INFO": new_api_info(s),
        "STATS": [{
            "elapsed": r.elapsed_seconds,
            "rate_5s": r.ghs_5s,
            "rate_30m": r.ghs_30m,
            "rate_avg": r.ghs_avg,
            "rate_ideal": r.ghs_ideal,
            "rate_unit": "GH/s",
            "chain_num": r.boards.len(),
            "fan_num": r.fans_rpm.len(),
            "fan": r.fans_rpm,
            "hwp_total": r.hardware_error_pct(s),
            "miner-mode": web::bitmain_work_mode(s.mode),
            "freq-level": if r.hashing { 100 } else { 0 },
            "chain": chains,
        }]
    })
}

/// The chip map of a chain (`chain_acsN`, `asic`): one `o` per answering chip, in groups of eight.
fn chip_map(chips: u32) -> String {
    let mut out = String::with_capacity(chips as usize * 9 / 8 + 1);
    for i in 0..chips {
        if i > 0 && i % 8 == 0 {
            out.push(' ');
        }
        out.push('o');
    }
    out
}

/// `{"command":"pools"}` reply.
pub fn pools(s: &MinerStatus, when_unix: i64) -> Value {
    let c = &s.shares;
    let diff = s.pool.share_difficulty;
    let submitted = c.accepted + c.rejected + c.stale;
    let elapsed = s.elapsed_seconds.max(0.0).floor() as u64;
    json!({
        "STATUS": status(when_unix, "S", 7, "1 Pool(s)"),
        "POOLS": [{
            "POOL": 0,
            "URL": s.pool.url,
            "Status": "Alive",
            "Priority": 0,
            "Quota": 1,
            "Long Poll": "N",
            "Getworks": elapsed / 30,
            "Accepted": c.accepted,
            "Rejected": c.rejected,
            "Discarded": 0,
            "Stale": c.stale,
            "Get Failures": 0,
            "Remote Failures": 0,
            "User": s.pool.user,
            "Last Share Time": if c.accepted > 0 { when_unix } else { 0 },
            "Diff": format!("{diff:.0}"),
            "Diff1 Shares": (c.total_terahashes * 1e12 / crate::econ::bitcoin::HASHES_PER_DIFFICULTY).floor(),
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
            "Pool Rejected%": pct(c.rejected, submitted),
            "Pool Stale%": pct(c.stale, submitted),
        }],
        "id": 1
    })
}

/// The reply to one command by name (`version`, `devs`, `summary`, `stats`, `pools`), in the
/// new-API form where `new_api` is set and the command has one (`stats`, `summary`); `None` for
/// a command the simulated firmware does not answer.
pub fn reply(command: &str, new_api: bool, device: u32, s: &MinerStatus, when_unix: i64) -> Option<Value> {
    Some(match (command, new_api) {
        ("version", _) => version(s, when_unix),
        ("devs", _) => devs(device, s, when_unix),
        ("summary", false) => summary(device, s, when_unix),
        ("summary", true) => summary_new_api(device, s, when_unix),
        ("stats", false) => stats(device, s, when_unix),
        ("stats", true) => stats_new_api(device, s, when_unix),
        ("pools", _) => pools(s, when_unix),
        _ => return None,
    })
}

/// The commands [`reply`] answers.
pub const COMMANDS: [&str; 5] = ["version", "devs", "summary", "stats", "pools"];
