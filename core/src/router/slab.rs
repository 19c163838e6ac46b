//! A growable table indexed by `u64` whose reads and writes take no lock: segments of doubling
//! size, each allocated once (through `OnceLock`) the first time an index lands in it. Growth is
//! the only moment a thread may wait, and only for the allocation of one segment.

use std::sync::OnceLock;

/// Number of slots in segment 0; segment `k` holds `FIRST << k`.
const FIRST_BITS: u32 = 10;
const SEGMENTS: usize = 40;

/// A table of `T: Default` slots, allocated segment by segment.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    segments: Box<[OnceLock<Box<[T]>>]>,
}

impl<T: Default> Slab<T> {
    pub(crate) fn new() -> Self {
        Slab { segments: (0..SEGMENTS).map(|_| OnceLock::new()).collect() }
    }

    /// `(segment, offset)` of an index: segment `k` starts at `FIRST·(2^k − 1)`.
    #[inline]
    fn locate(index: u64) -> (usize, usize) {
        let scaled = (index >> FIRST_BITS) + 1;
        let segment = 63 - scaled.leading_zeros() as usize;
        let start = ((1u64 << segment) - 1) << FIRST_BITS;
        (segment, (index - start) as usize)
    }

    /// The slot at `index` if its segment exists.
    #[inline]
    pub(crate) fn get(&self, index: u64) -> Option<&T> {
        let (segment, offset) = Self::locate(index);
        self.segments.get(segment)?.get()?.get(offset)
    }

    /// The slot at `index`, allocating its segment if needed; `None` past the table's end.
    #[inline]
    pub(crate) fn get_or_alloc(&self, index: u64) -> Option<&T> {
        let (segment, offset) = Self::locate(index);
        let seg = self.segments.get(segment)?;
        seg.get_or_init(|| (0..(1usize << (segment + FIRST_BITS as usize))).map(|_| T::default()).collect()).get(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_map_to_distinct_slots() {
        assert_eq!(Slab::<u8>::locate(0), (0, 0));
        assert_eq!(Slab::<u8>::locate(1023), (0, 1023));
        assert_eq!(Slab::<u8>::locate(1024), (1, 0));
        assert_eq!(Slab::<u8>::locate(3071), (1, 2047));
        assert_eq!(Slab::<u8>::locate(3072), (2, 0));
        let s: Slab<std::sync::atomic::AtomicU64> = Slab::new();
        assert!(s.get(5000).is_none());
        s.get_or_alloc(5000).unwrap().store(7, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(s.get(5000).unwrap().load(std::sync::atomic::Ordering::Relaxed), 7);
    }
}
