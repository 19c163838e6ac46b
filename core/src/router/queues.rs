//! The lock-free heart of the router: ten priority levels, each a weighted round robin of
//! per-customer FIFO queues, with an atomic occupancy mask over the levels.
//!
//! Owns only queue mechanics (what is waiting, in which order it leaves); it knows nothing of
//! workloads, devices or states — items are opaque `u64`s.
//!
//! # Protocol
//! * Level `L` has a *ring* of customer tickets; customer `c` has, per level, a FIFO of items and
//!   a ticket count. A customer holds at most `weight(c)` tickets per level, so when several
//!   customers are backlogged a level serves them in proportion to their weights (deficit round
//!   robin with quantum 1 per ticket).
//! * Bit `L` of the mask is set whenever level `L`'s ring may be non-empty: a pusher sets it
//!   *after* pushing the ticket; a popper that finds the ring empty clears it, then re-checks the
//!   ring and sets it again if it became non-empty meanwhile. A `SeqCst` fence on both sides of
//!   that store/load pair (Dekker's pattern) means a pusher and a clearer cannot both miss each
//!   other, so no item is stranded behind a clear bit.
//! * Tickets follow the same rule: an item push adds a ticket if the customer holds fewer than
//!   its weight; a popper that serves an item puts the ticket back while the customer still has
//!   items, otherwise drops it, re-checks the customer's queue and re-adds a ticket if needed.
//! * **Front slot.** Each level has one atomic slot in front of its ring. A ticket put back when
//!   the ring is empty goes into the slot (one CAS) instead of the ring, and poppers take the
//!   slot before the ring. The common case — one active customer at a level — then costs no ring
//!   operation at all: the ticket moves slot → popper → slot. When the ring is empty the slot
//!   *is* the ring's head, so single-threaded order is exactly the ring's; under concurrency a
//!   ticket added to the ring between the emptiness check and the CAS is served one turn late.
//!   The mask covers slot and ring: a popper clears the bit only after finding both empty, and
//!   re-checks both after the clear; whoever fills the slot marks the bit afterwards.
//!
//! * **Runs.** [`LevelQueues::pop_run`] serves several items in one turn of a ticket while its
//!   customer is alone at the top level (ring and front slot empty, no higher level marked) and
//!   [`LevelQueues::push_run`] pushes a customer's items with one fence and the tickets one-by-one
//!   pushes would add: the same order as single pops and pushes, with the level's shared words
//!   touched once per run.
//!
//! The highest non-empty level is `mask.trailing_zeros()`: O(1) whatever the depth.
//! The loom models in `core/tests/router_loom.rs` check these protocols exhaustively.

use std::sync::OnceLock;

use crossbeam::utils::CachePadded;

use super::sync::{fence, AtomicU32, Queue};
use std::sync::atomic::Ordering::SeqCst;

/// Number of priority levels: 1 (highest) … 10 (lowest).
pub const LEVELS: usize = 10;

#[derive(Debug)]
struct CustomerLevel {
    items: Queue<u64>,
    tickets: AtomicU32,
}

#[derive(Debug)]
struct CustomerQueues {
    weight: AtomicU32,
    levels: Vec<CustomerLevel>,
}

/// A lock-free multi-level, multi-customer queue of `u64` items.
///
/// `push` and `pop` take no lock; strict priority across levels, weighted round robin across
/// customers within a level, FIFO per customer and level.
///
/// ```
/// use hcp::router::LevelQueues;
/// let q = LevelQueues::new(4);
/// q.push(0, 5, 50);            // customer 0, level index 5 (priority 6)
/// q.push(1, 0, 10);            // customer 1, level index 0 (priority 1)
/// assert_eq!(q.pop(), Some((0, 1, 10)));
/// assert_eq!(q.pop(), Some((5, 0, 50)));
/// assert_eq!(q.pop(), None);
/// ```
#[derive(Debug)]
pub struct LevelQueues {
    mask: AtomicU32,
    rings: Vec<Queue<u32>>,
    /// Per level: customer + 1 of the ticket at the head, ahead of the ring (0 = empty). One
    /// cache line each: every pop at a level CASes its slot.
    fronts: Vec<CachePadded<AtomicU32>>,
    customers: Box<[OnceLock<CustomerQueues>]>,
}

impl LevelQueues {
    /// Queues for customers `0 .. max_customers`.
    pub fn new(max_customers: usize) -> LevelQueues {
        LevelQueues {
            mask: AtomicU32::new(0),
            rings: (0..LEVELS).map(|_| Queue::new()).collect(),
            fronts: (0..LEVELS).map(|_| CachePadded::new(AtomicU32::new(0))).collect(),
            customers: (0..max_customers).map(|_| OnceLock::new()).collect(),
        }
    }

    /// How many customers these queues can hold.
    pub fn max_customers(&self) -> usize {
        self.customers.len()
    }

    fn customer(&self, customer: u32) -> &CustomerQueues {
        // Callers pass indices from the customer table, which never exceeds `max_customers`;
        // an index out of range would be a bug in hcp, so fall back to the last slot rather
        // than panic (items stay accounted for, fairness degrades).
        let slot = self.customers.get(customer as usize).unwrap_or_else(|| &self.customers[self.customers.len() - 1]);
        slot.get_or_init(|| CustomerQueues {
            weight: AtomicU32::new(1),
            levels: (0..LEVELS).map(|_| CustomerLevel { items: Queue::new(), tickets: AtomicU32::new(0) }).collect(),
        })
    }

    /// Sets a customer's fair-share weight (≥ 1): its share of a level when all are backlogged.
    pub fn set_weight(&self, customer: u32, weight: u32) {
        self.customer(customer).weight.store(weight.max(1), SeqCst);
    }

    /// A customer's fair-share weight.
    pub fn weight(&self, customer: u32) -> u32 {
        self.customer(customer).weight.load(SeqCst)
    }

    /// Makes sure a customer's queues exist (loom models call this before spawning threads).
    pub fn touch(&self, customer: u32) {
        let _ = self.customer(customer);
    }

    /// The occupancy mask: bit `i` set when level index `i` may hold items.
    pub fn mask(&self) -> u32 {
        self.mask.load(SeqCst)
    }

    /// Enqueues `item` for `customer` at level index `level` (0 = priority 1). Levels above 9 are
    /// clamped to 9.
    pub fn push(&self, customer: u32, level: usize, item: u64) {
        let level = level.min(LEVELS - 1);
        let cq = self.customer(customer);
        let cl = &cq.levels[level];
        cl.items.push(item);
        fence(SeqCst);
        self.add_ticket(customer, cq, level);
    }

    /// Enqueues `items`, in order, for `customer` at level index `level`: the same as pushing
    /// them one by one, with one fence and one ticket check for the run instead of one each.
    pub fn push_run(&self, customer: u32, level: usize, items: &[u64]) {
        if items.is_empty() {
            return;
        }
        let level = level.min(LEVELS - 1);
        let cq = self.customer(customer);
        let cl = &cq.levels[level];
        for &item in items {
            cl.items.push(item);
        }
        fence(SeqCst);
        // One-by-one pushes would each add a ticket while the customer holds fewer than its
        // weight: the same number here.
        let weight = cq.weight.load(SeqCst).max(1) as usize;
        for _ in 0..items.len().min(weight) {
            self.add_ticket(customer, cq, level);
        }
    }

    /// Adds one ticket for `customer` at `level` unless it already holds its weight's worth.
    fn add_ticket(&self, customer: u32, cq: &CustomerQueues, level: usize) {
        let cl = &cq.levels[level];
        let weight = cq.weight.load(SeqCst).max(1);
        let mut held = cl.tickets.load(SeqCst);
        while held < weight {
            match cl.tickets.compare_exchange(held, held + 1, SeqCst, SeqCst) {
                Ok(_) => {
                    // Into the front slot when the ring is empty (the slot is then the ring's
                    // head), else the ring: a level that drains and refills — the usual case
                    // between batches — costs one CAS, not a ring push and pop.
                    self.put_back(customer, level);
                    return;
                }
                Err(now) => held = now,
            }
        }
    }

    /// Sets bit `level` after a ring push.
    #[inline]
    fn mark(&self, level: usize) {
        let bit = 1u32 << level;
        fence(SeqCst);
        if self.mask.load(SeqCst) & bit == 0 {
            self.mask.fetch_or(bit, SeqCst);
        }
    }

    /// Dequeues the next item: from the highest non-empty level, the customer whose ticket
    /// comes up next. Returns `(level index, customer, item)`, or `None` when every level is
    /// empty.
    pub fn pop(&self) -> Option<(usize, u32, u64)> {
        loop {
            let mask = self.mask.load(SeqCst);
            if mask == 0 {
                return None;
            }
            let level = mask.trailing_zeros() as usize;
            let mut found = None;
            self.turn(level, 1, |customer, item| found = Some((level, customer, item)));
            if found.is_some() {
                return found;
            }
        }
    }

    /// Dequeues one *run* into `out`: up to `max` items (at least one unless every level is
    /// empty), all from the highest non-empty level and one customer's turn; returns how many.
    ///
    /// The same items, in the same order, as that many calls of [`LevelQueues::pop`] would give
    /// when nobody else pushes meanwhile — but while the customer served at the top level is
    /// the only one waiting there (ring and front slot empty) and no higher level is marked,
    /// its items are taken in one turn of its ticket: one ticket take and one put-back per
    /// run instead of per item, so a batch of dispatches touches the level's shared words
    /// once per run. Every item is still taken from the highest marked level at the moment it
    /// is taken, and FIFO per customer and level holds as for `pop`.
    ///
    /// ```
    /// use hcp::router::LevelQueues;
    /// let q = LevelQueues::new(2);
    /// for i in 0..3 { q.push(0, 4, i); }
    /// q.push(1, 2, 99);
    /// let mut out = Vec::new();
    /// assert_eq!(q.pop_run(8, &mut out), 1); // level 2 first, then level 4's run
    /// assert_eq!(q.pop_run(8, &mut out), 3);
    /// assert_eq!(out, vec![(2, 1, 99), (4, 0, 0), (4, 0, 1), (4, 0, 2)]);
    /// ```
    pub fn pop_run(&self, max: usize, out: &mut Vec<(usize, u32, u64)>) -> usize {
        let start = out.len();
        while max > 0 && out.len() == start {
            let mask = self.mask.load(SeqCst);
            if mask == 0 {
                break;
            }
            let level = mask.trailing_zeros() as usize;
            self.turn(level, max, |customer, item| out.push((level, customer, item)));
        }
        out.len() - start
    }

    /// One ticket's turn at `level`, the single implementation behind `pop` (`max` 1) and
    /// `pop_run`: its customer's next item, then — up to `max` — more of its items while it is
    /// alone at the level and nothing higher is marked, each handed to `emit(customer, item)`.
    /// Emits nothing, and clears the level's bit, when the level turns out empty.
    fn turn(&self, level: usize, max: usize, mut emit: impl FnMut(u32, u64)) {
        let ring = &self.rings[level];
        let front = &self.fronts[level];
        let higher = (1u32 << level) - 1;
        loop {
            let Some(customer) = self.take_ticket(level) else {
                let bit = 1u32 << level;
                self.mask.fetch_and(!bit, SeqCst);
                fence(SeqCst);
                if front.load(SeqCst) != 0 || !ring.is_empty() {
                    self.mark(level);
                    continue;
                }
                return;
            };
            let cq = self.customer(customer);
            let cl = &cq.levels[level];
            let Some(first) = cl.items.pop() else {
                self.drop_ticket(customer, cq, level);
                continue;
            };
            emit(customer, first);
            let mut taken = 1;
            while taken < max && front.load(SeqCst) == 0 && ring.is_empty() && self.mask.load(SeqCst) & higher == 0 {
                match cl.items.pop() {
                    Some(item) => {
                        emit(customer, item);
                        taken += 1;
                    }
                    None => break,
                }
            }
            if cl.items.is_empty() {
                self.drop_ticket(customer, cq, level);
            } else {
                self.put_back(customer, level);
            }
            return;
        }
    }

    /// The next ticket of a level: the front slot's, else the ring's head.
    #[inline]
    fn take_ticket(&self, level: usize) -> Option<u32> {
        let front = &self.fronts[level];
        let held = front.load(SeqCst);
        if held != 0 && front.compare_exchange(held, 0, SeqCst, SeqCst).is_ok() {
            return Some(held - 1);
        }
        self.rings[level].pop()
    }

    /// Returns a served customer's ticket to the back of the level: the front slot when the ring
    /// is empty (the slot is then the ring's head and tail), else the ring.
    #[inline]
    fn put_back(&self, customer: u32, level: usize) {
        let ring = &self.rings[level];
        let in_front = match customer.checked_add(1) {
            Some(tag) => ring.is_empty() && self.fronts[level].compare_exchange(0, tag, SeqCst, SeqCst).is_ok(),
            None => false,
        };
        if !in_front {
            ring.push(customer);
        }
        self.mark(level);
    }

    /// Gives a ticket back; re-adds one if items arrived while it was being given back.
    fn drop_ticket(&self, customer: u32, cq: &CustomerQueues, level: usize) {
        let cl = &cq.levels[level];
        cl.tickets.fetch_sub(1, SeqCst);
        fence(SeqCst);
        if !cl.items.is_empty() {
            self.add_ticket(customer, cq, level);
        }
    }
}
