//! The usage ledger: where events and issued invoices live. One trait, two stores:
//! [`SqliteLedger`] (durable, the default) and [`MemoryLedger`] (tests and notebooks).
//!
//! Idempotency: an event is identified by `(customer_id, event_id)`. Ingesting it again —
//! in the same batch, a later batch, or after a restart — changes nothing and does not count as
//! new. The claim on the id and the event itself are one row written in one transaction, so a
//! batch that fails leaves no claim behind and its retry is not mistaken for a duplicate.
//!
//! Every stored event gets a sequence number, increasing in ingestion order. An invoice records
//! the sequence number it read up to (its watermark); events with a higher number whose
//! timestamp falls in an invoiced period are *late*, and the next invoice corrects for them.

mod memory;
mod sqlite;

pub use memory::MemoryLedger;
pub use sqlite::{Durability, SqliteLedger, SCHEMA_VERSION};

use super::event::UsageEvent;
use super::invoice::Invoice;
use super::time::Timestamp;
use crate::Result;

/// Storage of usage events and issued invoices.
pub trait UsageStore {
    /// Stores the events not seen before for their customer; returns how many were new.
    /// All or nothing: on error nothing of the batch is stored. Durable when it returns
    /// (to the store's [`Durability`]).
    fn ingest(&mut self, events: &[UsageEvent]) -> Result<usize>;

    /// A customer's events of the given meters with `from <= timestamp < to`, sorted by
    /// timestamp then ingestion order.
    fn events(
        &self,
        customer_id: &str,
        meter_codes: &[&str],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<UsageEvent>>;

    /// Every customer with at least one event, sorted.
    fn customers(&self) -> Result<Vec<String>>;

    /// Highest sequence number assigned so far (0 for an empty store).
    fn max_seq(&self) -> Result<u64>;

    /// The earliest timestamp among the customer's events with sequence number > `after_seq`
    /// and timestamp < `before`: the oldest period touched by events that arrived late.
    fn earliest_late(&self, customer_id: &str, after_seq: u64, before: Timestamp) -> Result<Option<Timestamp>>;

    /// Stores an issued invoice; `Conflict` if the customer already has one for that period.
    fn record_invoice(&mut self, invoice: &Invoice) -> Result<()>;

    /// Stores several issued invoices, all or nothing (one transaction in SQLite).
    fn record_invoices(&mut self, invoices: &[Invoice]) -> Result<()> {
        for invoice in invoices {
            self.record_invoice(invoice)?;
        }
        Ok(())
    }

    /// The customer's issued invoices, oldest period first.
    fn invoices(&self, customer_id: &str) -> Result<Vec<Invoice>>;

    /// Number of distinct events stored.
    fn event_count(&self) -> Result<u64>;
}

/// Either store behind one type, for callers (and bindings) that choose at run time.
///
/// ```
/// use hcpcore::billing::{Ledger, UsageStore};
/// let ledger = Ledger::memory();
/// assert_eq!(ledger.event_count().unwrap(), 0);
/// ```
#[derive(Debug)]
pub enum Ledger {
    /// In memory.
    Memory(MemoryLedger),
    /// In a SQLite file.
    Sqlite(SqliteLedger),
}

impl Ledger {
    /// An empty in-memory ledger.
    pub fn memory() -> Self {
        Ledger::Memory(MemoryLedger::new())
    }

    /// Opens (creating if needed) a SQLite ledger.
    pub fn open(path: impl AsRef<std::path::Path>, durability: Durability) -> Result<Self> {
        Ok(Ledger::Sqlite(SqliteLedger::open_with(path, durability)?))
    }

    fn store(&self) -> &dyn UsageStore {
        match self {
            Ledger::Memory(m) => m,
            Ledger::Sqlite(s) => s,
        }
    }

    fn store_mut(&mut self) -> &mut dyn UsageStore {
        match self {
            Ledger::Memory(m) => m,
            Ledger::Sqlite(s) => s,
        }
    }
}

impl UsageStore for Ledger {
    fn ingest(&mut self, events: &[UsageEvent]) -> Result<usize> {
        self.store_mut().ingest(events)
    }
    fn events(
        &self,
        customer_id: &str,
        meter_codes: &[&str],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<UsageEvent>> {
        self.store().events(customer_id, meter_codes, from, to)
    }
    fn customers(&self) -> Result<Vec<String>> {
        self.store().customers()
    }
    fn max_seq(&self) -> Result<u64> {
        self.store().max_seq()
    }
    fn earliest_late(&self, customer_id: &str, after_seq: u64, before: Timestamp) -> Result<Option<Timestamp>> {
        self.store().earliest_late(customer_id, after_seq, before)
    }
    fn record_invoice(&mut self, invoice: &Invoice) -> Result<()> {
        self.store_mut().record_invoice(invoice)
    }
    fn record_invoices(&mut self, invoices: &[Invoice]) -> Result<()> {
        self.store_mut().record_invoices(invoices)
    }
    fn invoices(&self, customer_id: &str) -> Result<Vec<Invoice>> {
        self.store().invoices(customer_id)
    }
    fn event_count(&self) -> Result<u64> {
        self.store().event_count()
    }
}
