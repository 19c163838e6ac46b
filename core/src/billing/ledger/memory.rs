//! In-memory ledger: same semantics as the SQLite one, nothing survives the process.

use super::UsageStore;
use crate::billing::event::UsageEvent;
use crate::billing::invoice::Invoice;
use crate::billing::time::Timestamp;
use crate::{Error, ErrorKind, Result};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Default, Debug)]
struct CustomerUsage {
    ids: HashSet<String>,
    /// Sorted by (timestamp, seq).
    events: Vec<(Timestamp, u64, UsageEvent)>,
    invoices: BTreeMap<Timestamp, Invoice>,
}

/// A [`UsageStore`] in memory.
///
/// ```
/// use hcpcore::billing::{MemoryLedger, UsageEvent, UsageStore};
/// let mut ledger = MemoryLedger::new();
/// let e = UsageEvent::from_json(&serde_json::json!({"event_id": "1", "customer_id": "c", "meter_code": "m",
///     "quantity": 1, "timestamp": "2026-11-01T00:00:00Z"})).unwrap();
/// assert_eq!(ledger.ingest(&[e.clone(), e.clone()]).unwrap(), 1);
/// assert_eq!(ledger.ingest(&[e]).unwrap(), 0);
/// ```
#[derive(Default, Debug)]
pub struct MemoryLedger {
    customers: HashMap<String, CustomerUsage>,
    seq: u64,
    count: u64,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }
}

impl UsageStore for MemoryLedger {
    fn ingest(&mut self, events: &[UsageEvent]) -> Result<usize> {
        for e in events {
            e.validate()?;
        }
        // Same order as the SQLite ledger: in-batch duplicates dropped (first wins), then a stable
        // sort by (customer, timestamp), so both stores number the events identically.
        let mut seen = HashSet::with_capacity(events.len());
        let mut order: Vec<&UsageEvent> =
            events.iter().filter(|e| seen.insert((e.customer_id.as_str(), e.event_id.as_str()))).collect();
        order.sort_by(|a, b| a.customer_id.cmp(&b.customer_id).then(a.timestamp.cmp(&b.timestamp)));
        let mut new = 0;
        for e in order {
            let usage = self.customers.entry(e.customer_id.clone()).or_default();
            if !usage.ids.insert(e.event_id.clone()) {
                continue;
            }
            self.seq += 1;
            let key = (e.timestamp, self.seq);
            let at = usage.events.partition_point(|(t, s, _)| (*t, *s) <= key);
            usage.events.insert(at, (e.timestamp, self.seq, e.clone()));
            new += 1;
        }
        self.count += new as u64;
        Ok(new)
    }

    fn events(
        &self,
        customer_id: &str,
        meter_codes: &[&str],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<UsageEvent>> {
        let Some(usage) = self.customers.get(customer_id) else { return Ok(Vec::new()) };
        let lo = usage.events.partition_point(|(t, _, _)| *t < from);
        let hi = usage.events.partition_point(|(t, _, _)| *t < to);
        Ok(usage.events[lo..hi.max(lo)]
            .iter()
            .filter(|(_, _, e)| meter_codes.contains(&e.meter_code.as_str()))
            .map(|(_, _, e)| e.clone())
            .collect())
    }

    fn customers(&self) -> Result<Vec<String>> {
        let mut all: Vec<String> =
            self.customers.iter().filter(|(_, u)| !u.events.is_empty()).map(|(c, _)| c.clone()).collect();
        all.sort();
        Ok(all)
    }

    fn max_seq(&self) -> Result<u64> {
        Ok(self.seq)
    }

    fn earliest_late(&self, customer_id: &str, after_seq: u64, before: Timestamp) -> Result<Option<Timestamp>> {
        let Some(usage) = self.customers.get(customer_id) else { return Ok(None) };
        Ok(usage.events.iter().filter(|(t, s, _)| *s > after_seq && *t < before).map(|(t, _, _)| *t).min())
    }

    fn record_invoice(&mut self, invoice: &Invoice) -> Result<()> {
        let usage = self.customers.entry(invoice.customer_id.clone()).or_default();
        if usage.invoices.contains_key(&invoice.period.start) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "customer {} already has an invoice for the period starting {}",
                    invoice.customer_id, invoice.period.start
                ),
            ));
        }
        usage.invoices.insert(invoice.period.start, invoice.clone());
        Ok(())
    }

    fn record_invoices(&mut self, invoices: &[Invoice]) -> Result<()> {
        // All or nothing, like the SQLite ledger: check every key before inserting any.
        let mut keys = HashSet::new();
        for invoice in invoices {
            let taken = self
                .customers
                .get(&invoice.customer_id)
                .is_some_and(|u| u.invoices.contains_key(&invoice.period.start));
            if taken || !keys.insert((invoice.customer_id.as_str(), invoice.period.start)) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "customer {} already has an invoice for the period starting {}",
                        invoice.customer_id, invoice.period.start
                    ),
                ));
            }
        }
        for invoice in invoices {
            self.record_invoice(invoice)?;
        }
        Ok(())
    }

    fn invoices(&self, customer_id: &str) -> Result<Vec<Invoice>> {
        Ok(self.customers.get(customer_id).map(|u| u.invoices.values().cloned().collect()).unwrap_or_default())
    }

    fn event_count(&self) -> Result<u64> {
        Ok(self.count)
    }
}
