//! A growable table indexed by `u64` whose reads and writes take no lock: fixed-size leaves of
//! `LEAF` slots under a two-level index, each allocated once (through `OnceLock`) the first time
//! an index lands in it. Growth is the only moment a thread may wait, and only for the
//! allocation of one leaf (about 2.5 MB of workload slots).
//!
//! Leaves are all the same size on purpose: with doubling segments (the first design) the table
//! allocated — and zeroed — one segment as large as everything before it, so a router that had
//! handed out 64 M workload ids would stop for a 2.7 GB allocation inside a `submit`.

use std::sync::OnceLock;

/// Slots per leaf.
const LEAF_BITS: u32 = 16;
/// Leaves per middle table.
const MID_BITS: u32 = 12;
/// Middle tables: together the levels cover indices below 2^40 (the width of a workload id).
const TOP_BITS: u32 = 40 - LEAF_BITS - MID_BITS;

type Leaf<T> = Box<[T]>;
type Mid<T> = Box<[OnceLock<Leaf<T>>]>;

/// A table of `T: Default` slots, allocated leaf by leaf.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    top: Box<[OnceLock<Mid<T>>]>,
}

impl<T: Default> Slab<T> {
    pub(crate) fn new() -> Self {
        Slab { top: (0..1usize << TOP_BITS).map(|_| OnceLock::new()).collect() }
    }

    /// `(middle table, leaf, offset)` of an index.
    #[inline]
    fn locate(index: u64) -> (usize, usize, usize) {
        let offset = (index & ((1 << LEAF_BITS) - 1)) as usize;
        let leaf = ((index >> LEAF_BITS) & ((1 << MID_BITS) - 1)) as usize;
        let mid = (index >> (LEAF_BITS + MID_BITS)) as usize;
        (mid, leaf, offset)
    }

    /// The slot at `index` if its leaf exists.
    #[inline]
    pub(crate) fn get(&self, index: u64) -> Option<&T> {
        let (mid, leaf, offset) = Self::locate(index);
        self.top.get(mid)?.get()?.get(leaf)?.get()?.get(offset)
    }

    /// The slot at `index`, allocating its leaf (and middle table) if needed; `None` past the
    /// table's end.
    #[inline]
    pub(crate) fn get_or_alloc(&self, index: u64) -> Option<&T> {
        let (mid, leaf, offset) = Self::locate(index);
        let mid = self.top.get(mid)?.get_or_init(|| (0..1usize << MID_BITS).map(|_| OnceLock::new()).collect());
        mid.get(leaf)?.get_or_init(|| (0..1usize << LEAF_BITS).map(|_| T::default()).collect()).get(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    #[test]
    fn indices_map_to_distinct_slots_in_fixed_leaves() {
        assert_eq!(Slab::<u8>::locate(0), (0, 0, 0));
        assert_eq!(Slab::<u8>::locate(65_535), (0, 0, 65_535));
        assert_eq!(Slab::<u8>::locate(65_536), (0, 1, 0));
        assert_eq!(Slab::<u8>::locate(1 << 28), (1, 0, 0));
        assert_eq!(Slab::<u8>::locate((1 << 40) - 1), ((1 << TOP_BITS) - 1, (1 << MID_BITS) - 1, 65_535));
        let s: Slab<AtomicU64> = Slab::new();
        assert!(s.get(5000).is_none());
        s.get_or_alloc(5000).unwrap().store(7, Relaxed);
        assert_eq!(s.get(5000).unwrap().load(Relaxed), 7);
        assert!(s.get(70_000).is_none(), "a neighbouring leaf is not allocated with this one");
        // A far index allocates one leaf, not everything below it.
        s.get_or_alloc(1 << 39).unwrap().store(9, Relaxed);
        assert_eq!(s.get(1 << 39).unwrap().load(Relaxed), 9);
        assert!(s.get((1 << 39) - 1).is_none());
        assert!(s.get_or_alloc(1 << 40).is_none(), "past the end");
    }
}
