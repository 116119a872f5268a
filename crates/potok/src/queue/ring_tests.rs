//! Unit tests of [`Ring`](super::ring::Ring) on std's atomics (its loom models are in
//! `store_loom.rs`): order and bounds over many laps, values dropped with the ring, and threads
//! racing through a small ring.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::list_tests::three_by_three_exactly_once;
use super::ring::Ring;

#[test]
fn first_in_first_out_over_many_laps() {
    for cap in [1, 2, 3, 7, 8, 1024] {
        let ring = Ring::new(cap);
        let mut next_in = 0;
        let mut next_out = 0;
        for round in 0..10 {
            while ring.push(next_in).is_ok() {
                next_in += 1;
            }
            assert_eq!(ring.len(), cap, "cap {cap} round {round}");
            assert_eq!(ring.push(usize::MAX), Err(usize::MAX));
            for _ in 0..(round % cap) + 1 {
                assert_eq!(ring.pop(), Some(next_out));
                next_out += 1;
            }
            assert_eq!(ring.len(), next_in - next_out);
        }
        while let Some(value) = ring.pop() {
            assert_eq!(value, next_out);
            next_out += 1;
        }
        assert_eq!((next_out, ring.len()), (next_in, 0));
    }
}

#[test]
fn drop_frees_what_is_left() {
    let item = Arc::new(());
    let ring = Ring::new(5);
    for _ in 0..12 {
        let _ = ring.push(Arc::clone(&item));
        let _ = ring.push(Arc::clone(&item));
        drop(ring.pop());
    }
    assert_eq!(Arc::strong_count(&item), 1 + ring.len());
    drop(ring);
    assert_eq!(Arc::strong_count(&item), 1);
}

#[test]
fn many_threads_through_a_small_ring_lose_and_duplicate_nothing() {
    let ring = Ring::new(4);
    let deadline = Instant::now() + Duration::from_secs(60);
    let push = |mut value| {
        while let Err(back) = ring.push(value) {
            assert!(Instant::now() < deadline, "push never found room");
            value = back;
            std::thread::yield_now();
        }
        assert!(ring.len() <= 4);
    };
    three_by_three_exactly_once(push, || ring.pop());
    assert_eq!((ring.len(), ring.pop()), (0, None));
}
