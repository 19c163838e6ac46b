//! loom models of the router's lock-free core: the level occupancy mask and the per-customer
//! ticket protocol of `LevelQueues` (see `core/src/router/queues.rs`). Under `cfg(loom)` the
//! queues are loom-visible, so every interleaving of pushes, pops, mask clears and ticket drops
//! is explored up to the preemption bound.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p hcp --test router_loom --release`
#![cfg(loom)]

use hcp::router::LevelQueues;
use loom::sync::Arc;
use loom::thread;

/// Pops everything left; panics on a duplicate; checks the mask is clear afterwards.
fn drain(q: &LevelQueues, seen: &mut Vec<u64>) {
    while let Some((_, _, item)) = q.pop() {
        seen.push(item);
    }
    assert_eq!(q.mask(), 0, "empty queues must leave the mask clear");
}

fn assert_exactly(mut seen: Vec<u64>, expected: &[u64]) {
    seen.sort_unstable();
    let mut e = expected.to_vec();
    e.sort_unstable();
    assert_eq!(seen, e, "every item exactly once");
}

#[test]
fn push_races_pop_nothing_lost_or_duplicated() {
    loom::model(|| {
        let q = Arc::new(LevelQueues::new(2));
        q.touch(0);
        q.touch(1);
        let p = {
            let q = q.clone();
            thread::spawn(move || q.push(0, 3, 1))
        };
        let c = {
            let q = q.clone();
            thread::spawn(move || q.pop().map(|(_, _, i)| i))
        };
        q.push(1, 3, 2);
        p.join().unwrap();
        let mut seen: Vec<u64> = c.join().unwrap().into_iter().collect();
        drain(&q, &mut seen);
        assert_exactly(seen, &[1, 2]);
    });
}

#[test]
fn clear_bit_and_concurrent_push_never_strand_an_item() {
    // The consumer finds level 0 empty and clears its bit while the producer pushes there: the
    // re-check after the clear (or the producer's mark) must keep the item reachable.
    loom::model(|| {
        let q = Arc::new(LevelQueues::new(1));
        q.touch(0);
        q.push(0, 0, 10);
        let c = {
            let q = q.clone();
            thread::spawn(move || {
                let a = q.pop().map(|(_, _, i)| i);
                let b = q.pop().map(|(_, _, i)| i);
                [a, b]
            })
        };
        q.push(0, 0, 11);
        let mut seen: Vec<u64> = c.join().unwrap().into_iter().flatten().collect();
        drain(&q, &mut seen);
        assert_exactly(seen, &[10, 11]);
    });
}

#[test]
fn two_consumers_share_without_duplicates_and_priority_holds_when_quiet() {
    loom::model(|| {
        let q = Arc::new(LevelQueues::new(2));
        q.touch(0);
        q.touch(1);
        q.push(0, 5, 50);
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || q.pop().map(|(_, _, i)| i))
            })
            .collect();
        q.push(1, 0, 10);
        let mut seen: Vec<u64> = consumers.into_iter().filter_map(|c| c.join().unwrap()).collect();
        // Once the producer is done, strict priority: level 0 before level 5.
        if !seen.contains(&10) && !seen.contains(&50) {
            assert_eq!(q.pop().map(|(l, _, i)| (l, i)), Some((0, 10)));
            seen.push(10);
        }
        drain(&q, &mut seen);
        assert_exactly(seen, &[10, 50]);
    });
}

#[test]
fn weighted_tickets_survive_concurrent_drop_and_push() {
    // Weight 2: two tickets may circulate. A consumer dropping a ticket on an empty queue races
    // a producer that sees the ticket count at its maximum and adds none.
    loom::model(|| {
        let q = Arc::new(LevelQueues::new(1));
        q.set_weight(0, 2);
        q.push(0, 1, 1);
        q.push(0, 1, 2);
        let c = {
            let q = q.clone();
            thread::spawn(move || {
                let a = q.pop().map(|(_, _, i)| i);
                let b = q.pop().map(|(_, _, i)| i);
                [a, b]
            })
        };
        q.push(0, 1, 3);
        let mut seen: Vec<u64> = c.join().unwrap().into_iter().flatten().collect();
        drain(&q, &mut seen);
        assert_exactly(seen, &[1, 2, 3]);
    });
}

#[test]
fn per_producer_fifo_within_a_level() {
    loom::model(|| {
        let q = Arc::new(LevelQueues::new(1));
        q.touch(0);
        let p = {
            let q = q.clone();
            thread::spawn(move || {
                q.push(0, 2, 1);
                q.push(0, 2, 2);
            })
        };
        let first = q.pop().map(|(_, _, i)| i);
        p.join().unwrap();
        let mut seen: Vec<u64> = first.into_iter().collect();
        drain(&q, &mut seen);
        assert_eq!(seen, vec![1, 2], "one producer's items leave in order");
    });
}

#[test]
fn ticket_put_back_in_front_slot_is_seen_by_a_clearing_popper() {
    // One customer, two items: the first popper serves item 1 and puts the ticket back in the
    // level's front slot (the ring being empty) while a second popper finds slot and ring empty
    // and clears the level's bit. The clearer's re-check of the slot (or the putter's mark) must
    // keep item 2 reachable.
    loom::model(|| {
        let q = Arc::new(LevelQueues::new(1));
        q.touch(0);
        q.push(0, 4, 1);
        q.push(0, 4, 2);
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || q.pop().map(|(_, _, i)| i))
            })
            .collect();
        let mut seen: Vec<u64> = consumers.into_iter().filter_map(|c| c.join().unwrap()).collect();
        drain(&q, &mut seen);
        assert_exactly(seen, &[1, 2]);
    });
}

#[test]
fn run_pop_races_push_and_pop_nothing_lost_and_fifo_per_popper() {
    // A batch dispatcher takes a run (one ticket turn, several items) while a producer pushes a
    // run of its own and another consumer pops: every item exactly once, each consumer sees the
    // customer's items in FIFO order, and a run never strands the ticket (the final drain finds
    // everything with the mask clear).
    loom::model(|| {
        let q = Arc::new(LevelQueues::new(2));
        q.touch(0);
        q.touch(1);
        q.push(0, 2, 1);
        q.push(0, 2, 2);
        let runner = {
            let q = q.clone();
            thread::spawn(move || {
                let mut out = Vec::new();
                q.pop_run(3, &mut out);
                out.into_iter().map(|(_, _, i)| i).collect::<Vec<u64>>()
            })
        };
        let popper = {
            let q = q.clone();
            thread::spawn(move || q.pop().map(|(_, _, i)| i))
        };
        q.push_run(0, 2, &[3, 4]);
        let ran = runner.join().unwrap();
        assert!(ran.windows(2).all(|w| w[0] < w[1]), "a run keeps FIFO order: {ran:?}");
        let mut seen = ran;
        seen.extend(popper.join().unwrap());
        drain(&q, &mut seen);
        assert_exactly(seen, &[1, 2, 3, 4]);
    });
}

#[test]
fn run_pop_stops_for_a_higher_level_and_another_customer() {
    // While a run is taken at level 5, work arrives at level 1 and another customer joins level
    // 5: the run may end early, but nothing is lost and the mask ends clear.
    loom::model(|| {
        let q = Arc::new(LevelQueues::new(2));
        q.touch(0);
        q.touch(1);
        q.push_run(0, 5, &[50, 51, 52]);
        let runner = {
            let q = q.clone();
            thread::spawn(move || {
                let mut out = Vec::new();
                q.pop_run(3, &mut out);
                out.into_iter().map(|(_, _, i)| i).collect::<Vec<u64>>()
            })
        };
        q.push(1, 1, 10);
        q.push(1, 5, 60);
        let mut seen = runner.join().unwrap();
        drain(&q, &mut seen);
        assert_exactly(seen, &[10, 50, 51, 52, 60]);
    });
}
