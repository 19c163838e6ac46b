//! Crash safety for real: this test re-executes its own binary as a child process that ingests
//! batches into a SQLite ledger and prints the range of each batch once `ingest` has returned.
//! The parent kills the child with SIGKILL (`Child::kill`) at random moments, many times, then
//! reopens the ledger and checks that every acknowledged event is present exactly once and that
//! rating gives the same invoices as an uninterrupted run in memory.

use hcpcore::billing::{
    preview_invoice, Anchor, MemoryLedger, Plan, SqliteLedger, Subscription, Timestamp, UsageEvent, UsageStore,
};
use rand::{RngExt, SeedableRng};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "HCP_BILLING_CRASH_CHILD";
const TOTAL_EVENTS: usize = 80_000;
const ROUNDS: usize = 100;
const BATCH: usize = 250;
const CUSTOMERS: usize = 7;

/// Event `i` of the deterministic stream every run sends.
fn event(i: usize) -> UsageEvent {
    let ts = Timestamp::parse("2026-11-01T00:00:00Z").unwrap().unix_micros() + (i as i64) * 60_000_000;
    let quantity = rust_decimal::Decimal::new((i % 13 + 1) as i64 * 125, 3); // 0.125 … 1.625
    let mut props = serde_json::Map::new();
    props.insert("gpu_model".into(), serde_json::json!(if i.is_multiple_of(3) { "H100" } else { "A100" }));
    UsageEvent::new(
        format!("ev{i}"),
        format!("c{}", i % CUSTOMERS),
        "gpu_hours",
        quantity,
        Timestamp::from_unix_micros(ts),
        props,
    )
    .unwrap()
}

fn plan() -> Plan {
    Plan::from_json(&serde_json::json!({
        "code": "crash", "currency": "USD", "interval": "monthly",
        "meters": [{"code": "gpu_hours", "aggregation": "sum", "group_by": ["gpu_model"]}],
        "charges": [{"meter_code": "gpu_hours", "model": "graduated", "tiers": [
            {"up_to": 100, "per_unit_amount": "2.49", "flat_amount": "5"},
            {"up_to": null, "per_unit_amount": "1.999"}]}]
    }))
    .unwrap()
}

/// Child: ingest from `start` to the end in batches, acknowledging each one on stdout.
fn child(path: &str, start: usize) {
    let mut ledger = SqliteLedger::open(path).expect("child opens the ledger");
    let mut lo = start;
    while lo < TOTAL_EVENTS {
        let hi = (lo + BATCH).min(TOTAL_EVENTS);
        let batch: Vec<UsageEvent> = (lo..hi).map(event).collect();
        let new = ledger.ingest(&batch).expect("child ingest");
        println!("ack {lo} {hi} {new}");
        lo = hi;
    }
    println!("done");
}

fn spawn(path: &std::path::Path, start: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["crash_safety_under_sigkill", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .env("HCP_BILLING_CRASH_START", start.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child")
}

fn acknowledged(output: &str, acked: &mut BTreeSet<usize>) -> bool {
    let mut done = false;
    for line in output.lines() {
        // libtest prints "test name ... " without a newline before the child's first line.
        let line = ["ack ", "done"].iter().filter_map(|m| line.find(m)).min().map_or("", |at| &line[at..]);
        let mut parts = line.split_whitespace();
        match parts.next() {
            Some("ack") => {
                let lo: usize = parts.next().unwrap().parse().unwrap();
                let hi: usize = parts.next().unwrap().parse().unwrap();
                acked.extend(lo..hi);
            }
            Some("done") => done = true,
            _ => {}
        }
    }
    done
}

#[test]
fn crash_safety_under_sigkill() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        let start = std::env::var("HCP_BILLING_CRASH_START").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
        child(&path, start);
        return;
    }
    let dir = std::env::temp_dir().join(format!("hcp-billing-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ledger.db");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5EED);
    let mut acked = BTreeSet::new();
    let mut kills = 0;
    let mut interrupted = 0;
    let mut finished = false;
    for round in 0..ROUNDS {
        // Restart a little before the last acknowledged event: a client retrying what it
        // cannot be sure was stored.
        let resume: usize = acked.iter().next_back().map_or(0, |last| last + 1);
        let start = resume.saturating_sub(rng.random_range(0..3 * BATCH));
        let mut child = spawn(&path, start);
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut out = String::new();
        let last_round = round == ROUNDS - 1;
        if !last_round {
            // Kill after a random number of acknowledged batches plus a random pause, so the
            // SIGKILL lands at a random point of the next batch (or of start-up) whatever the
            // machine's speed.
            let wait_for_acks = rng.random_range(0..6);
            let mut seen = 0;
            while seen < wait_for_acks {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 {
                    break;
                }
                seen += usize::from(line.contains("ack "));
                out.push_str(&line);
            }
            std::thread::sleep(Duration::from_micros(rng.random_range(0..3000)));
            if child.kill().is_ok() {
                kills += 1;
            }
        }
        reader.read_to_string(&mut out).unwrap();
        child.wait().unwrap();
        finished |= acknowledged(&out, &mut acked);
        if !last_round && !out.contains("done") {
            interrupted += 1;
        }
        // After every crash the ledger opens cleanly and holds each acknowledged event once.
        let ledger = SqliteLedger::open(&path).expect("reopen after SIGKILL");
        let count = ledger.event_count().unwrap() as usize;
        assert!(
            count >= acked.len() && count <= TOTAL_EVENTS,
            "round {round}: {count} stored, {} acknowledged",
            acked.len()
        );
    }
    eprintln!("crash test: {kills} SIGKILLs, {interrupted} of them before the child finished");
    assert!(interrupted >= 80, "only {interrupted} kills landed mid-ingestion");
    assert!(finished, "the final uninterrupted child did not finish");
    let missing: Vec<usize> = (0..TOTAL_EVENTS).filter(|i| !acked.contains(i)).collect();
    assert!(missing.is_empty(), "never acknowledged: {:?}..{:?} ({})", missing.first(), missing.last(), missing.len());

    let ledger = SqliteLedger::open(&path).unwrap();
    assert_eq!(ledger.event_count().unwrap() as usize, TOTAL_EVENTS, "every event exactly once");
    let mut seen = BTreeSet::new();
    for c in 0..CUSTOMERS {
        for e in ledger.events(&format!("c{c}"), &["gpu_hours"], Timestamp::MIN, Timestamp::MAX).unwrap() {
            let i: usize = e.event_id[2..].parse().unwrap();
            assert_eq!(e, event(i), "stored exactly as sent");
            assert!(seen.insert(i), "event {i} stored twice");
        }
    }
    assert_eq!(seen.len(), TOTAL_EVENTS);

    // Rating the crashed ledger equals rating an uninterrupted in-memory run.
    let mut clean = MemoryLedger::new();
    clean.ingest(&(0..TOTAL_EVENTS).map(event).collect::<Vec<_>>()).unwrap();
    let plan = plan();
    for c in 0..CUSTOMERS {
        let sub = Subscription::new(&format!("c{c}"), Timestamp::parse("2026-11-01").unwrap(), Anchor::Calendar);
        for at in ["2026-11-15T00:00:00Z", "2026-12-05T00:00:00Z"] {
            let at = Timestamp::parse(at).unwrap();
            let a = preview_invoice(&ledger, &plan, &sub, at).unwrap();
            let b = preview_invoice(&clean, &plan, &sub, at).unwrap();
            assert_eq!(a.lines, b.lines);
            assert_eq!(a.total, b.total);
            assert!(a.total > rust_decimal::Decimal::ZERO);
        }
    }
    drop(ledger);
    let _ = std::fs::remove_dir_all(&dir);
}
