//! Telemetry in the formats real tools read: the cgminer API of a simulated S21 (every command,
//! both `stats` forms, joined and bad requests), the miners' Prometheus exposition, and the DCGM
//! exposition's driver and XID labels — each checked against the fleet's own state, and against
//! each other (one reading, several layouts).

use hcpcore::sim::telemetry::{cgminer, dcgm, miners, xid};
use hcpcore::sim::{Command, FaultRates, Fleet, FleetConfig, PowerMode};
use serde_json::Value;

const WHEN: i64 = 1_765_000_000;

fn fleet(faults: FaultRates) -> Fleet {
    let mut f = Fleet::new(FleetConfig { dt_seconds: 60.0, seed: 11, faults, ..Default::default() }).unwrap();
    f.add_many("sxm", 2, "S21", 3).unwrap();
    f
}

fn request(f: &Fleet, device: i64, req: &str) -> Value {
    let bytes = f.cgminer_request(device, req.as_bytes(), WHEN).unwrap();
    assert_eq!(bytes.last(), Some(&0), "a reply ends with NUL");
    serde_json::from_slice(&bytes[..bytes.len() - 1]).unwrap()
}

/// `name{labels} value` lines of an exposition, as (name, labels, value).
fn samples(text: &str) -> Vec<(String, String, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            let (name, labels) = series.split_once('{').unwrap();
            let v: f64 = value.parse().unwrap_or_else(|_| panic!("{l}"));
            assert!(v.is_finite(), "{l}");
            (name.to_string(), labels.trim_end_matches('}').to_string(), v)
        })
        .collect()
}

#[test]
fn every_command_answers_in_the_firmware_layout() {
    let mut f = fleet(FaultRates::none());
    f.run(45).unwrap();
    f.settle();
    let m = f.miner_ids()[0];
    let s = f.miner_status(m).unwrap();

    let v = request(&f, m, r#"{"command":"version"}"#);
    assert_eq!(v["STATUS"][0]["STATUS"], "S");
    assert_eq!(v["VERSION"][0]["Type"], "Antminer S21");
    assert_eq!(v["VERSION"][0]["API"], cgminer::API_VERSION);

    let sm = request(&f, m, r#"{"command":"summary"}"#);
    let sm = &sm["SUMMARY"][0];
    assert_eq!(sm["Elapsed"], 2700);
    assert_eq!(sm["Accepted"], s.shares.accepted);
    assert!(s.shares.accepted > 0);

    let classic = request(&f, m, r#"{"command":"stats"}"#);
    assert_eq!(classic["STATS"][0]["Type"], "Antminer S21");
    let st = &classic["STATS"][1];
    assert_eq!(st["Elapsed"], 2700);
    assert_eq!(st["total_acn"], 324);

    let new = request(&f, m, r#"{"command":"stats","new_api":true}"#);
    assert_eq!(new["STATUS"]["STATUS"], "S", "the new API's STATUS is an object");
    let n = &new["STATS"][0];
    assert_eq!(n["chain_num"], 3);
    assert_eq!(n["fan"].as_array().unwrap().len(), 4);
    let chains = n["chain"].as_array().unwrap();
    let mut rate_sum = 0.0;
    for (i, c) in chains.iter().enumerate() {
        assert_eq!(c["index"], i);
        assert_eq!(c["asic_num"], 108);
        assert_eq!(c["temp_pcb"].as_array().unwrap().len(), 4);
        assert_eq!(c["temp_chip"].as_array().unwrap().len(), 4);
        let chip_mean: f64 = c["temp_chip"].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).sum::<f64>() / 4.0;
        assert!((chip_mean - s.chip_temp_c).abs() < 5.0, "{chip_mean} vs {}", s.chip_temp_c);
        assert!(c["sn"].as_str().unwrap().len() > 10);
        assert!(c["chain_power"].as_f64().unwrap() > 800.0);
        // Both stats forms report the same board at the same moment.
        assert_eq!(c["rate_real"], st[format!("chain_rate{}", i + 1)]);
        assert_eq!(c["asic_num"], st[format!("chain_acn{}", i + 1)]);
        rate_sum += c["rate_real"].as_f64().unwrap();
    }
    assert!((rate_sum - sm["GHS 5s"].as_f64().unwrap()).abs() < 0.05, "boards add up to the miner");
    let power: f64 = chains.iter().map(|c| c["chain_power"].as_f64().unwrap()).sum();
    assert!((power - s.power_watts).abs() < 2.0, "{power} vs {}", s.power_watts);
    assert_eq!(n["fan"], serde_json::json!((1..=4).map(|i| st[format!("fan{i}")].clone()).collect::<Vec<_>>()));

    let devs = request(&f, m, r#"{"command":"devs"}"#);
    let d = devs["DEVS"].as_array().unwrap();
    assert_eq!(d.len(), 3);
    assert_eq!(d.iter().map(|x| x["Accepted"].as_u64().unwrap()).sum::<u64>(), s.shares.accepted);
    assert_eq!(d[1]["MHS 5s"].as_f64().unwrap(), (chains[1]["rate_real"].as_f64().unwrap() * 1000.0).round());

    let pools = request(&f, m, r#"{"command":"pools"}"#);
    assert_eq!(pools["POOLS"][0]["Accepted"], s.shares.accepted);
    assert_eq!(pools["POOLS"][0]["Status"], "Alive");
}

#[test]
fn joined_commands_and_bad_requests() {
    let mut f = fleet(FaultRates::none());
    f.run(3).unwrap();
    let m = f.miner_ids()[1];
    let joined = request(&f, m, r#"{"command":"version+summary+stats+pools"}"#);
    for k in ["version", "summary", "stats", "pools"] {
        assert_eq!(joined[k][0]["STATUS"][0]["STATUS"], "S", "{k}");
    }
    assert_eq!(joined["summary"][0]["SUMMARY"], request(&f, m, r#"{"command":"summary"}"#)["SUMMARY"]);
    let code = |v: &Value| v["STATUS"][0]["Code"].as_u64().unwrap();
    assert_eq!(code(&request(&f, m, "{\"command\":\"summ")), 23);
    assert_eq!(code(&request(&f, m, r#"{"parameter":1}"#)), 24);
    assert_eq!(code(&request(&f, m, r#"{"command":"ascset","parameter":"0,freq,700"}"#)), 14);
    let big = format!(r#"{{"command":"summary","pad":"{}"}}"#, " ".repeat(cgminer::MAX_REQUEST_BYTES));
    assert_eq!(code(&request(&f, m, &big)), 23);
    let text = f.cgminer_request(m, b"summary", WHEN).unwrap();
    assert!(String::from_utf8_lossy(&text).contains("|SUMMARY,"));
    // A GPU or a missing device is an error of the call, not a reply.
    assert_eq!(f.cgminer_request(0, b"{}", WHEN).unwrap_err().kind(), hcpcore::ErrorKind::InvalidInput);
    assert_eq!(f.cgminer_request(99, b"{}", WHEN).unwrap_err().kind(), hcpcore::ErrorKind::NotFound);
    // The by-name form accepts the new commands and a JSON request, and refuses other names.
    assert_eq!(f.cgminer_reply(m, "devs", WHEN).unwrap()["DEVS"].as_array().unwrap().len(), 3);
    assert_eq!(f.cgminer_reply(m, r#"{"command":"stats","new_api":true}"#, WHEN).unwrap()["STATS"][0]["chain_num"], 3);
    assert_eq!(f.cgminer_reply(m, "bogus", WHEN).unwrap_err().kind(), hcpcore::ErrorKind::InvalidInput);
}

#[test]
fn reading_changes_nothing_and_values_move_with_the_clock() {
    let mut a = fleet(FaultRates::none());
    let mut b = fleet(FaultRates::none());
    a.run(10).unwrap();
    b.run(10).unwrap();
    let m = a.miner_ids()[0];
    let first = request(&a, m, r#"{"command":"summary"}"#);
    assert_eq!(first, request(&a, m, r#"{"command":"summary"}"#), "same moment, same reading");
    for _ in 0..5 {
        let _ = a.miner_exposition("x");
        let _ = a.cgminer_request(m, br#"{"command":"stats","new_api":true}"#, WHEN).unwrap();
    }
    a.run(20).unwrap();
    b.run(20).unwrap();
    assert_eq!(a.summary(), b.summary(), "reading telemetry does not change the run");
    let later = request(&a, m, r#"{"command":"summary"}"#);
    assert_ne!(first["SUMMARY"][0]["GHS 5s"], later["SUMMARY"][0]["GHS 5s"]);
    assert!(later["SUMMARY"][0]["Elapsed"].as_u64() > first["SUMMARY"][0]["Elapsed"].as_u64());
}

#[test]
fn a_failed_board_reports_no_chips_and_no_hashrate() {
    let faults = FaultRates { asic_chain_fault_per_hour: 0.5, asic_repair_seconds: 1e7, ..FaultRates::none() };
    let mut f = fleet(faults);
    f.run(240).unwrap();
    let failed: Vec<_> = f.miner_ids().into_iter().filter(|&m| f.miner_status(m).unwrap().failed_boards > 0).collect();
    assert!(!failed.is_empty(), "at 0.5 faults/hour over 4 hours some board fails");
    let m = failed[0];
    let s = f.miner_status(m).unwrap();
    let new = request(&f, m, r#"{"command":"stats","new_api":true}"#);
    let chains = new["STATS"][0]["chain"].as_array().unwrap();
    let dead: Vec<_> = chains.iter().filter(|c| c["asic_num"] == 0).collect();
    assert_eq!(dead.len(), s.failed_boards as usize);
    assert!(dead.iter().all(|c| c["rate_real"] == 0.0 && c["temp_pcb"][0] == 0));
    if s.failed_boards < 3 {
        assert!(chains.iter().any(|c| c["rate_real"].as_f64().unwrap() > 0.0));
    }
    let text = f.miner_exposition("h");
    let line = format!("miner_failed_hashboards{{miner=\"h-{m}\"}} {}", s.failed_boards);
    assert!(text.contains(&line), "{line}");
}

#[test]
fn miner_exposition_has_every_series_once_and_agrees_with_the_api() {
    let mut f = fleet(FaultRates::none());
    f.run(30).unwrap();
    f.settle();
    let ids = f.miner_ids();
    f.command(ids[2], Command::Mine { mode: PowerMode::Low }).unwrap();
    f.run(2).unwrap();
    let text = f.miner_exposition("site-a");
    for (name, kind, _) in miners::FIELDS {
        assert_eq!(text.matches(&format!("# TYPE {name} {kind}\n")).count(), 1, "{name}");
        assert_eq!(text.matches(&format!("# HELP {name} ")).count(), 1, "{name}");
    }
    let all = samples(&text);
    let get = |name: &str, labels: &str| {
        all.iter()
            .find(|(n, l, _)| n == name && l == labels)
            .map(|(_, _, v)| *v)
            .unwrap_or_else(|| panic!("{name}{{{labels}}}"))
    };
    let m = ids[0];
    let s = f.miner_status(m).unwrap();
    let me = format!("miner=\"site-a-{m}\"");
    let sm = request(&f, m, r#"{"command":"summary"}"#);
    assert_eq!(get("miner_hashrate_ghs", &me), sm["SUMMARY"][0]["GHS 5s"].as_f64().unwrap());
    assert_eq!(get("miner_shares_total", &format!("{me},result=\"accepted\"")), s.shares.accepted as f64);
    assert_eq!(get("miner_uptime_seconds", &me), 1920.0);
    let new = request(&f, m, r#"{"command":"stats","new_api":true}"#);
    for b in 0..3 {
        let c = &new["STATS"][0]["chain"][b];
        let board = format!("{me},board=\"{b}\"");
        assert_eq!(get("miner_hashboard_hashrate_ghs", &board), c["rate_real"].as_f64().unwrap());
        assert_eq!(get("miner_hashboard_chips", &board), 108.0);
        let t = c["temp_chip"].as_array().unwrap();
        let outlet = (t[2].as_f64().unwrap() + t[3].as_f64().unwrap()) / 2.0;
        assert_eq!(get("miner_chip_temperature_celsius", &format!("{board},location=\"outlet\"")), outlet);
    }
    for fan in 0..4 {
        assert_eq!(get("miner_fan_rpm", &format!("{me},fan=\"{fan}\"")), new["STATS"][0]["fan"][fan].as_f64().unwrap());
    }
    // One miner per `miner_power_watts` sample; the low-mode miner draws less.
    assert_eq!(all.iter().filter(|(n, _, _)| n == "miner_power_watts").count(), 3);
    let low = get("miner_power_watts", &format!("miner=\"site-a-{}\"", ids[2]));
    assert!(low < get("miner_power_watts", &me), "{low}");
    assert!(text.contains("model=\"Antminer S21\""));
}

#[test]
fn dcgm_labels_carry_the_driver_and_the_xid_text() {
    let faults = FaultRates { gpu_xid_recoverable_per_hour: 2.0, ..FaultRates::none() };
    let mut f = fleet(faults);
    for g in f.gpu_ids() {
        f.command(g, Command::Serve { model: hcpcore::sim::ModelSpec::new(8e9, 2.0).unwrap(), batch: 8 }).unwrap();
    }
    f.run(120).unwrap();
    let text = f.dcgm_exposition("node");
    for (name, kind, _) in dcgm::FIELDS {
        assert_eq!(text.matches(&format!("# TYPE {name} {kind}\n")).count(), 1, "{name}");
    }
    let all = samples(&text);
    assert_eq!(all.len(), dcgm::FIELDS.len() * 2);
    for (name, labels, _) in &all {
        assert!(labels.contains(&format!("DCGM_FI_DRIVER_VERSION=\"{}\"", dcgm::DRIVER_VERSION)), "{name}");
        assert_eq!(labels.contains("err_code="), name == "DCGM_FI_DEV_XID_ERRORS", "{name}");
    }
    let mut seen_xid = false;
    for g in f.gpu_ids() {
        let t = f.gpu_telemetry(g).unwrap();
        seen_xid |= t.last_xid != 0;
        let line = format!(",err_code=\"{}\",err_msg=\"{}\"}} {}", t.last_xid, xid::xid_text(t.last_xid), t.last_xid);
        assert!(text.contains(&line), "{line}");
    }
    assert!(seen_xid, "at 2 XIDs per hour over 2 hours a GPU reports one");
    assert_eq!(xid::xid_text(79), "GPU has fallen off the bus");
    assert_eq!(xid::xid_text(48), "Double Bit ECC Error");
    assert_eq!(xid::xid_text(100_000), xid::UNKNOWN_XID_TEXT);
    let custom = dcgm::GpuLabels::new(0, "NVIDIA H100 80GB HBM3", "h").with_driver_version("550.54.15");
    let one = dcgm::exposition(&[(custom, f.gpu_telemetry(0).unwrap())]);
    assert!(one.contains("DCGM_FI_DRIVER_VERSION=\"550.54.15\""));
}

mod protocol_properties {
    use super::*;
    use proptest::prelude::*;

    fn one_miner() -> (Fleet, i64) {
        let mut f = Fleet::new(FleetConfig { dt_seconds: 60.0, seed: 3, ..Default::default() }).unwrap();
        let id = f.add_miner("S21").unwrap();
        f.run(5).unwrap();
        (f, id)
    }

    /// Fragments of real requests, so that drawn inputs reach the parser's deeper branches.
    fn request_like() -> impl Strategy<Value = Vec<u8>> {
        let part = prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("\"command\"".to_string()),
            Just(":".to_string()),
            Just(",".to_string()),
            Just("+".to_string()),
            Just("|".to_string()),
            Just("\"new_api\":true".to_string()),
            Just("\"parameter\":".to_string()),
            prop::sample::select(vec!["summary", "stats", "pools", "version", "devs", "restart", ""])
                .prop_map(|c| format!("\"{c}\"")),
            "[a-z0-9 \\\\\"]{0,8}",
        ];
        prop::collection::vec(part, 0..12).prop_map(|parts| parts.concat().into_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any bytes get exactly one reply ending in NUL (and no NUL before), in JSON when the
        /// request is JSON-shaped; nothing panics.
        #[test]
        fn any_request_gets_one_terminated_reply(
            bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..5000), request_like()],
        ) {
            let (f, id) = one_miner();
            let reply = f.cgminer_request(id, &bytes, WHEN).unwrap();
            prop_assert_eq!(reply.last(), Some(&0u8));
            prop_assert!(!reply[..reply.len() - 1].contains(&0u8));
            let json_request = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
            if json_request {
                let v: Value = serde_json::from_slice(&reply[..reply.len() - 1]).unwrap();
                prop_assert!(v.is_object());
            } else {
                // cgminer's text layout: a status section first, or a joined command's header.
                prop_assert!(reply.starts_with(b"STATUS=") || reply.starts_with(b"CMD="), "{:?}", String::from_utf8_lossy(&reply));
            }
        }
    }
}
