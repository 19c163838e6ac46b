//! Customers: interning of customer ids into small indices without a lock (an open-addressing
//! table of write-once slots), and each customer's quotas and live counters.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::*};
use std::sync::OnceLock;

use super::config::CustomerConfig;
use crate::{Error, ErrorKind, Result};

/// FNV-1a: short keys (customer ids, type names) hash in a few nanoseconds.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

/// `HashMap` hasher for short string keys.
pub(crate) type FnvBuild = BuildHasherDefault<Fnv>;

fn hash(s: &str) -> u64 {
    let mut h = Fnv::default();
    h.write(s.as_bytes());
    // Spread the low bits (the table index) with a final multiply.
    h.finish().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16
}

/// One customer's limits and live counters.
#[derive(Debug)]
pub(crate) struct Customer {
    pub name: Box<str>,
    pub max_queued: u32,
    pub max_gpus: u32,
    /// Workloads waiting (queued or parked); counted only under a `max_queued` quota.
    pub queued: AtomicU32,
    /// GPUs (or miners) held by its active workloads; counted only under a `max_gpus` quota.
    pub gpus: AtomicU32,
}

impl Customer {
    /// Counts one more waiting workload unless `max_queued` is reached. Unlimited customers are
    /// not counted at all: no shared write on the hot path for a quota nobody set.
    pub(crate) fn take_queued(&self) -> bool {
        self.max_queued == u32::MAX || try_add(&self.queued, 1, self.max_queued)
    }
    pub(crate) fn give_queued(&self) {
        if self.max_queued != u32::MAX {
            self.queued.fetch_sub(1, Relaxed);
        }
    }
    /// Takes `n` GPUs of the customer's `max_gpus` quota (always succeeds when unlimited).
    pub(crate) fn take_gpus(&self, n: u32) -> bool {
        self.max_gpus == u32::MAX || try_add(&self.gpus, n, self.max_gpus)
    }
    pub(crate) fn give_gpus(&self, n: u32) {
        if self.max_gpus != u32::MAX {
            self.gpus.fetch_sub(n, Relaxed);
        }
    }
}

/// Open-addressing table from customer id to index; slots are written once, read without lock.
#[derive(Debug)]
pub(crate) struct Customers {
    slots: Box<[OnceLock<Customer>]>,
    count: AtomicUsize,
    max: usize,
}

impl Customers {
    /// A table for up to `max` customers (capacity is the next power of two ≥ 2·max).
    pub(crate) fn new(max: usize) -> Customers {
        let cap = (2 * max).next_power_of_two();
        Customers { slots: (0..cap).map(|_| OnceLock::new()).collect(), count: AtomicUsize::new(0), max }
    }

    /// Table capacity (customer indices are below it).
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn get(&self, index: u32) -> Option<&Customer> {
        self.slots.get(index as usize)?.get()
    }

    /// Index of an existing customer.
    pub(crate) fn find(&self, name: &str) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let start = hash(name) as usize;
        for probe in 0..self.slots.len() {
            let i = (start + probe) & mask;
            match self.slots[i].get() {
                Some(c) if &*c.name == name => return Some(i as u32),
                Some(_) => continue,
                None => return None,
            }
        }
        None
    }

    /// Index of `name`, creating it with `config` (and calling `on_create(index, config)`) the
    /// first time it is seen. `CapacityExceeded` beyond `max` customers.
    pub(crate) fn intern(
        &self,
        name: &str,
        config: impl Fn(&str) -> CustomerConfig,
        on_create: impl Fn(u32, &CustomerConfig),
    ) -> Result<u32> {
        let mask = self.slots.len() - 1;
        let start = hash(name) as usize;
        for probe in 0..self.slots.len() {
            let i = (start + probe) & mask;
            let slot = &self.slots[i];
            if let Some(c) = slot.get() {
                if &*c.name == name {
                    return Ok(i as u32);
                }
                continue;
            }
            if self.count.fetch_add(1, Relaxed) >= self.max {
                self.count.fetch_sub(1, Relaxed);
                return Err(Error::new(
                    ErrorKind::CapacityExceeded,
                    format!("customer_id: more than {} customers", self.max),
                ));
            }
            let mut created = false;
            let c = slot.get_or_init(|| {
                created = true;
                let cfg = config(name);
                on_create(i as u32, &cfg);
                Customer {
                    name: name.into(),
                    max_queued: cfg.max_queued.unwrap_or(u32::MAX),
                    max_gpus: cfg.max_gpus.unwrap_or(u32::MAX),
                    queued: AtomicU32::new(0),
                    gpus: AtomicU32::new(0),
                }
            });
            if !created {
                self.count.fetch_sub(1, Relaxed);
            }
            if &*c.name == name {
                return Ok(i as u32);
            }
        }
        Err(Error::new(ErrorKind::CapacityExceeded, "customer_id: customer table full"))
    }
}

/// Adds `n` to `counter` unless that would pass `limit`; `false` (and no change) if it would.
pub(crate) fn try_add(counter: &AtomicU32, n: u32, limit: u32) -> bool {
    if limit == u32::MAX {
        counter.fetch_add(n, Relaxed);
        return true;
    }
    let mut cur = counter.load(Relaxed);
    loop {
        if cur.saturating_add(n) > limit {
            return false;
        }
        match counter.compare_exchange_weak(cur, cur + n, Relaxed, Relaxed) {
            Ok(_) => return true,
            Err(now) => cur = now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable_and_bounded() {
        let c = Customers::new(2);
        let d = |_: &str| CustomerConfig::default();
        let a = c.intern("a", d, |_, _| {}).unwrap();
        let b = c.intern("b", d, |_, _| {}).unwrap();
        assert_ne!(a, b);
        assert_eq!(c.intern("a", d, |_, _| {}).unwrap(), a);
        assert_eq!(c.find("b"), Some(b));
        assert_eq!(c.find("zz"), None);
        assert_eq!(c.intern("c", d, |_, _| {}).unwrap_err().kind(), ErrorKind::CapacityExceeded);
        let n = AtomicU32::new(0);
        assert!(try_add(&n, 2, 3));
        assert!(!try_add(&n, 2, 3));
        assert_eq!(n.load(Relaxed), 2);
    }
}
