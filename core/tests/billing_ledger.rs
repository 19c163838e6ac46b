//! The SQLite ledger: idempotency across restarts, atomic batches, schema versioning, and
//! clean `Storage` errors for corrupt or foreign files.

use hcpcore::billing::{Durability, MemoryLedger, SqliteLedger, Timestamp, UsageEvent, UsageStore, SCHEMA_VERSION};
use hcpcore::ErrorKind;
use std::path::PathBuf;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hcp-billing-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn event(customer: &str, id: &str, quantity: i64, ts: &str) -> UsageEvent {
    UsageEvent::new(id, customer, "gpu_seconds", quantity.into(), Timestamp::parse(ts).unwrap(), Default::default())
        .unwrap()
}

#[test]
fn idempotent_across_batches_and_restarts() {
    let dir = TempDir::new("idem");
    let path = dir.file("l.db");
    let batch: Vec<UsageEvent> = (0..100).map(|i| event("a", &format!("e{i}"), i, "2026-11-01T00:00:00Z")).collect();
    {
        let mut l = SqliteLedger::open(&path).unwrap();
        assert_eq!(l.ingest(&batch[..60]).unwrap(), 60);
        assert_eq!(l.ingest(&batch[50..]).unwrap(), 40);
        assert_eq!(l.ingest(&batch).unwrap(), 0);
    }
    let mut l = SqliteLedger::open_with(&path, Durability::Normal).unwrap();
    assert_eq!(l.ingest(&batch).unwrap(), 0);
    assert_eq!(l.event_count().unwrap(), 100);
    // Same event id, different customer: a different event.
    assert_eq!(l.ingest(&[event("b", "e1", 1, "2026-11-01T00:00:00Z")]).unwrap(), 1);
    assert_eq!(l.customers().unwrap(), vec!["a".to_string(), "b".to_string()]);
    assert_eq!(l.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn a_failed_batch_leaves_no_claim_so_its_retry_counts() {
    let dir = TempDir::new("atomic");
    let path = dir.file("l.db");
    let mut l = SqliteLedger::open(&path).unwrap();
    // Make the third insert fail inside the transaction, after two rows were written.
    let side = rusqlite::Connection::open(&path).unwrap();
    side.execute_batch(
        "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.event_id = 'x3'
         BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
    )
    .unwrap();
    let batch: Vec<UsageEvent> = (1..=4).map(|i| event("a", &format!("x{i}"), 1, "2026-11-01T00:00:00Z")).collect();
    let err = l.ingest(&batch).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert_eq!(l.event_count().unwrap(), 0, "the rows written before the failure were rolled back");
    side.execute_batch("DROP TRIGGER poison").unwrap();
    assert_eq!(l.ingest(&batch).unwrap(), 4, "the retry is not mistaken for duplicates");
    // Invalid input is refused before anything is written.
    let mut bad = batch.clone();
    bad.push(event("a", "y", 1, "2026-11-01T00:00:00Z"));
    bad.last_mut().unwrap().quantity = (-1).into();
    assert_eq!(l.ingest(&bad).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(l.event_count().unwrap(), 4);
}

#[test]
fn corrupt_foreign_and_newer_files_are_storage_errors() {
    let dir = TempDir::new("files");
    let garbage = dir.file("garbage.db");
    std::fs::write(&garbage, vec![0xA5u8; 8192]).unwrap();
    let err = SqliteLedger::open(&garbage).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");

    let text = dir.file("notes.txt");
    std::fs::write(&text, "this is a text file, not a ledger\n".repeat(100)).unwrap();
    assert_eq!(SqliteLedger::open(&text).unwrap_err().kind(), ErrorKind::Storage);

    let foreign = dir.file("foreign.db");
    rusqlite::Connection::open(&foreign).unwrap().execute_batch("CREATE TABLE people (name TEXT)").unwrap();
    let err = SqliteLedger::open(&foreign).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.message().contains("not an hcp ledger"), "{err}");

    let newer = dir.file("newer.db");
    drop(SqliteLedger::open(&newer).unwrap());
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
        .unwrap();
    let err = SqliteLedger::open(&newer).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.message().contains("newer"), "{err}");

    // A valid ledger whose header page was then overwritten.
    let smashed = dir.file("smashed.db");
    {
        let mut l = SqliteLedger::open(&smashed).unwrap();
        l.ingest(&[event("a", "1", 1, "2026-11-01T00:00:00Z")]).unwrap();
    }
    let _ = std::fs::remove_file(dir.file("smashed.db-wal"));
    let _ = std::fs::remove_file(dir.file("smashed.db-shm"));
    let mut bytes = std::fs::read(&smashed).unwrap();
    for b in bytes.iter_mut().take(100) {
        *b = 0x5A;
    }
    std::fs::write(&smashed, bytes).unwrap();
    assert_eq!(SqliteLedger::open(&smashed).unwrap_err().kind(), ErrorKind::Storage);

    // A directory where the file should be.
    assert_eq!(SqliteLedger::open(&dir.0).unwrap_err().kind(), ErrorKind::Storage);
}

#[test]
fn events_come_back_sorted_and_filtered() {
    let mut stores: Vec<Box<dyn UsageStore>> =
        vec![Box::new(MemoryLedger::new()), Box::new(SqliteLedger::open_in_memory().unwrap())];
    for store in &mut stores {
        let mut e = vec![
            event("a", "3", 3, "2026-11-03T00:00:00Z"),
            event("a", "1", 1, "2026-11-01T00:00:00Z"),
            event("a", "2", 2, "2026-11-02T00:00:00Z"),
            event("b", "1", 9, "2026-11-02T00:00:00Z"),
        ];
        e[0].properties.insert("k".into(), serde_json::json!({"nested": [1, "x"]}));
        store.ingest(&e).unwrap();
        let got = store
            .events(
                "a",
                &["gpu_seconds"],
                Timestamp::parse("2026-11-01T00:00:00Z").unwrap(),
                Timestamp::parse("2026-11-03T00:00:00Z").unwrap(),
            )
            .unwrap();
        assert_eq!(got.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["1", "2"]);
        let all = store.events("a", &["gpu_seconds"], Timestamp::MIN, Timestamp::MAX).unwrap();
        assert_eq!(all[2], e[0], "properties and decimals round-trip exactly");
        assert!(store.events("a", &["other"], Timestamp::MIN, Timestamp::MAX).unwrap().is_empty());
        assert_eq!(store.max_seq().unwrap(), 4);
        // Within a batch events are numbered in (customer, timestamp) order: "1" got seq 1.
        let late = store.earliest_late("a", 1, Timestamp::parse("2026-11-05T00:00:00Z").unwrap()).unwrap();
        assert_eq!(late, Some(Timestamp::parse("2026-11-02T00:00:00Z").unwrap()));
    }
}

#[test]
fn issuing_many_invoices_is_all_or_nothing() {
    use hcpcore::billing::{issue_invoice, issue_invoices, Anchor, Plan, Subscription};
    let plan = Plan::from_json(
        &serde_json::json!({"currency": "USD", "meters": [{"code": "gpu_seconds", "aggregation": "sum"}],
        "charges": [{"meter_code": "gpu_seconds", "model": "standard", "amount": "1"}]}),
    )
    .unwrap();
    let start = Timestamp::parse("2026-11-01").unwrap();
    let subs: Vec<Subscription> =
        ["a", "b", "c"].iter().map(|c| Subscription::new(c, start, Anchor::Calendar)).collect();
    let at = Timestamp::parse("2026-11-20").unwrap();
    let mut stores: Vec<Box<dyn UsageStore>> =
        vec![Box::new(MemoryLedger::new()), Box::new(SqliteLedger::open_in_memory().unwrap())];
    for store in &mut stores {
        store
            .ingest(&[event("a", "1", 2, "2026-11-02T00:00:00Z"), event("c", "1", 3, "2026-11-02T00:00:00Z")])
            .unwrap();
        issue_invoice(store.as_mut(), &plan, &subs[1], at).unwrap();
        // b is already invoiced: the batch fails and neither a nor c is recorded.
        assert_eq!(issue_invoices(store.as_mut(), &plan, &subs, at).unwrap_err().kind(), ErrorKind::Conflict);
        assert!(store.invoices("a").unwrap().is_empty() && store.invoices("c").unwrap().is_empty());
        let done = issue_invoices(store.as_mut(), &plan, &[subs[0].clone(), subs[2].clone()], at).unwrap();
        assert_eq!(done.iter().map(|i| i.total.to_string()).collect::<Vec<_>>(), ["2.00", "3.00"]);
        assert_eq!(store.invoices("c").unwrap(), vec![done[1].clone()]);
    }
}
