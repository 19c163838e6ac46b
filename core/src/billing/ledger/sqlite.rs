//! SQLite ledger (rusqlite, bundled SQLite): WAL journal, versioned schema, batched ingestion.
//!
//! The schema version lives in `PRAGMA user_version` and the file is marked as ours with
//! `PRAGMA application_id`; opening a file written by a newer schema, a foreign SQLite database
//! or a file that is not SQLite at all is a `Storage` error, never a panic. Migrations run in
//! one transaction each, from the file's version up to [`SCHEMA_VERSION`].
//!
//! Each `ingest` call is one transaction: `INSERT OR IGNORE` against the unique
//! `(customer_id, event_id)` key makes the dedupe claim and the write the same row, so they
//! commit or roll back together.

use super::UsageStore;
use crate::billing::event::UsageEvent;
use crate::billing::invoice::Invoice;
use crate::billing::num::parse_decimal;
use crate::billing::time::Timestamp;
use crate::{Error, ErrorKind, Result};
use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use std::path::Path;

/// Schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;
/// `PRAGMA application_id` of an hcp ledger ("HCPB").
const APPLICATION_ID: i64 = 0x4843_5042;

const MIGRATIONS: &[&str] = &[
    // v1: events clustered by (customer, time, seq) so a customer's period is one range read;
    // the unique (customer_id, event_id) index is the dedupe claim. Sequence numbers come from
    // `counters`, advanced inside the same write transaction.
    "CREATE TABLE events (
        customer_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        meter_code TEXT NOT NULL,
        quantity TEXT NOT NULL,
        properties TEXT NOT NULL,
        PRIMARY KEY (customer_id, ts, seq)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX events_dedupe ON events (customer_id, event_id);
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO counters VALUES ('next_seq', 1), ('events', 0);
    CREATE TABLE invoices (
        customer_id TEXT NOT NULL,
        period_start INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (customer_id, period_start)
    ) WITHOUT ROWID;",
];

/// How hard a commit works to survive failures.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: every ingest call is fsynced before it returns; survives power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL` in WAL mode: survives a crash of the process (SIGKILL); the last
    /// commits may be lost on power loss or an OS crash. Faster: fsync only at checkpoints.
    Normal,
}

impl Durability {
    /// Parses `"full"` or `"normal"`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            other => Err(Error::invalid_input("durability", format!("expected \"full\" or \"normal\", got {other:?}"))),
        }
    }
}

/// A durable [`UsageStore`] in one SQLite file.
///
/// ```
/// use hcpcore::billing::{SqliteLedger, UsageEvent, UsageStore};
/// let dir = std::env::temp_dir().join(format!("hcp-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("ledger.db");
/// let e = UsageEvent::from_json(&serde_json::json!({"event_id": "1", "customer_id": "c", "meter_code": "m",
///     "quantity": "2.5", "timestamp": "2026-11-01T00:00:00Z"})).unwrap();
/// {
///     let mut ledger = SqliteLedger::open(&path).unwrap();
///     assert_eq!(ledger.ingest(&[e.clone()]).unwrap(), 1);
/// }
/// let mut reopened = SqliteLedger::open(&path).unwrap();
/// assert_eq!(reopened.ingest(&[e]).unwrap(), 0);
/// # std::fs::remove_dir_all(&dir).ok();
/// ```
#[derive(Debug)]
pub struct SqliteLedger {
    conn: Connection,
    label: String,
}

fn storage(label: &str, e: impl std::fmt::Display) -> Error {
    Error::storage(format!("ledger {label}: {e}"))
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path` with [`Durability::Full`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, Durability::Full)
    }

    /// Opens the ledger at `path` with the given durability.
    pub fn open_with(path: impl AsRef<Path>, durability: Durability) -> Result<Self> {
        let label = path.as_ref().display().to_string();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path.as_ref(), flags).map_err(|e| storage(&label, e))?;
        Self::init(conn, label, durability)
    }

    /// A private in-memory SQLite ledger (same code path as a file, nothing persisted).
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(|e| storage(":memory:", e))?;
        Self::init(conn, ":memory:".into(), Durability::Normal)
    }

    fn init(conn: Connection, label: String, durability: Durability) -> Result<Self> {
        let err = |e: rusqlite::Error| storage(&label, e);
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(err)?;
        // Reading the header fails with "file is not a database" for garbage files.
        let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(err)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(err)?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(err)?;
        if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
            return Err(storage(
                &label,
                format!("not an hcp ledger (application_id {app_id:#x}, {tables} schema objects)"),
            ));
        }
        if version > SCHEMA_VERSION {
            return Err(storage(
                &label,
                format!("written by a newer hcp (schema version {version}); this build reads up to version {SCHEMA_VERSION}"),
            ));
        }
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(err)?;
        if label != ":memory:" && !mode.eq_ignore_ascii_case("wal") {
            return Err(storage(&label, format!("could not enable WAL journal (got {mode})")));
        }
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        // A 64 MiB page cache keeps the dedupe and time indexes of interleaved customers in
        // memory during batched ingestion (the default 2 MiB thrashes above ~100k events). A
        // batch of many customers dirties pages all over both B-trees; checkpointing every 16k
        // pages (64 MiB of WAL) instead of every 1k copies each hot page back once, not once per
        // batch. journal_size_limit trims the WAL file after a checkpoint.
        conn.execute_batch(&format!(
            "PRAGMA synchronous={sync}; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; \
             PRAGMA wal_autocheckpoint=16384; PRAGMA journal_size_limit=67108864;"
        ))
        .map_err(err)?;
        let mut ledger = SqliteLedger { conn, label };
        ledger.migrate(version)?;
        Ok(ledger)
    }

    fn migrate(&mut self, from: i64) -> Result<()> {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(from).unwrap_or(0)) {
            let label = self.label.clone();
            let err = |e: rusqlite::Error| storage(&label, format!("migration to version {}: {e}", i + 1));
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.execute_batch(&format!("PRAGMA application_id={APPLICATION_ID}; PRAGMA user_version={};", i + 1))
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    /// The file's schema version.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| storage(&self.label, e))
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |e| storage(&self.label, e)
    }
}

impl UsageStore for SqliteLedger {
    fn ingest(&mut self, events: &[UsageEvent]) -> Result<usize> {
        for e in events {
            e.validate()?;
        }
        let label = self.label.clone();
        let err = |e: rusqlite::Error| storage(&label, e);
        // IMMEDIATE: take the write lock before reading the sequence counter, so two processes
        // sharing the file never hand out the same numbers.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let mut new = 0;
        {
            let mut seq: i64 =
                tx.query_row("SELECT value FROM counters WHERE name = 'next_seq'", [], |r| r.get(0)).map_err(err)?;
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO events (customer_id, ts, seq, event_id, meter_code, quantity, properties)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(err)?;
            // Insert in key order: a batch interleaving many customers otherwise jumps all over
            // both B-trees. Duplicates inside the batch are dropped first (the first occurrence
            // wins, as in arrival order) and the sort is stable, so equal timestamps keep their
            // arrival order and sequence numbers.
            let mut seen = std::collections::HashSet::with_capacity(events.len());
            let mut order: Vec<&UsageEvent> =
                events.iter().filter(|e| seen.insert((e.customer_id.as_str(), e.event_id.as_str()))).collect();
            order.sort_by(|a, b| a.customer_id.cmp(&b.customer_id).then(a.timestamp.cmp(&b.timestamp)));
            let mut props = String::new();
            for e in order {
                props.clear();
                if e.properties.is_empty() {
                    props.push_str("{}");
                } else {
                    props = serde_json::to_string(&e.properties).map_err(|x| storage(&label, x))?;
                }
                let inserted = stmt
                    .execute(params![
                        e.customer_id,
                        e.timestamp.unix_micros(),
                        seq,
                        e.event_id,
                        e.meter_code,
                        e.quantity.to_string(),
                        props
                    ])
                    .map_err(err)?;
                // Only stored events consume a number, as in the memory ledger.
                seq += inserted as i64;
                new += inserted;
            }
            tx.execute(
                "UPDATE counters SET value = CASE name WHEN 'next_seq' THEN ?1 ELSE value + ?2 END",
                params![seq, new as i64],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(new)
    }

    fn events(
        &self,
        customer_id: &str,
        meter_codes: &[&str],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<UsageEvent>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT event_id, meter_code, quantity, ts, properties FROM events
                 WHERE customer_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY customer_id, ts, seq",
            )
            .map_err(self.err())?;
        let mut rows = stmt.query(params![customer_id, from.unix_micros(), to.unix_micros()]).map_err(self.err())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(self.err())? {
            let meter_code: String = row.get(1).map_err(self.err())?;
            if !meter_codes.contains(&meter_code.as_str()) {
                continue;
            }
            let quantity: String = row.get(2).map_err(self.err())?;
            let props: String = row.get(4).map_err(self.err())?;
            let properties =
                serde_json::from_str(&props).map_err(|e| storage(&self.label, format!("corrupt properties: {e}")))?;
            out.push(UsageEvent {
                event_id: row.get(0).map_err(self.err())?,
                customer_id: customer_id.to_string(),
                meter_code,
                quantity: parse_decimal("quantity", &quantity)
                    .map_err(|e| storage(&self.label, format!("corrupt row: {e}")))?,
                timestamp: Timestamp::from_unix_micros(row.get(3).map_err(self.err())?),
                properties,
            });
        }
        Ok(out)
    }

    fn customers(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT customer_id FROM events ORDER BY customer_id")
            .map_err(self.err())?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(self.err())?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(self.err())
    }

    fn max_seq(&self) -> Result<u64> {
        // The counter, not max(seq): the table is clustered by customer, so max(seq) would scan.
        let next: i64 = self
            .conn
            .query_row("SELECT value FROM counters WHERE name = 'next_seq'", [], |r| r.get(0))
            .map_err(self.err())?;
        Ok((next - 1).max(0) as u64)
    }

    fn earliest_late(&self, customer_id: &str, after_seq: u64, before: Timestamp) -> Result<Option<Timestamp>> {
        let ts: Option<i64> = self
            .conn
            .query_row(
                "SELECT min(ts) FROM events WHERE customer_id = ?1 AND ts < ?2 AND seq > ?3",
                params![customer_id, before.unix_micros(), i64::try_from(after_seq).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(ts.map(Timestamp::from_unix_micros))
    }

    fn record_invoice(&mut self, invoice: &Invoice) -> Result<()> {
        self.record_invoices(std::slice::from_ref(invoice))
    }

    fn record_invoices(&mut self, invoices: &[Invoice]) -> Result<()> {
        let label = self.label.clone();
        let err = |e: rusqlite::Error| storage(&label, e);
        // One transaction: all of the invoices are recorded, or none.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO invoices (customer_id, period_start, body) VALUES (?1, ?2, ?3)")
                .map_err(err)?;
            for invoice in invoices {
                let body =
                    serde_json::to_string(invoice).map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?;
                match stmt.execute(params![invoice.customer_id, invoice.period.start.unix_micros(), body]) {
                    Ok(_) => {}
                    Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "customer {} already has an invoice for the period starting {}",
                                invoice.customer_id, invoice.period.start
                            ),
                        ))
                    }
                    Err(e) => return Err(err(e)),
                }
            }
        }
        tx.commit().map_err(err)
    }

    fn invoices(&self, customer_id: &str) -> Result<Vec<Invoice>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM invoices WHERE customer_id = ?1 ORDER BY period_start")
            .map_err(self.err())?;
        let bodies = stmt.query_map(params![customer_id], |r| r.get::<_, String>(0)).map_err(self.err())?;
        let mut out = Vec::new();
        for body in bodies {
            let body = body.map_err(self.err())?;
            out.push(serde_json::from_str(&body).map_err(|e| storage(&self.label, format!("corrupt invoice: {e}")))?);
        }
        Ok(out)
    }

    fn event_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT value FROM counters WHERE name = 'events'", [], |r| r.get(0))
            .map_err(self.err())?;
        Ok(n.max(0) as u64)
    }
}
