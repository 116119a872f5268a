//! [`Tasks`]: a queue's task counts (Python's `unfinished_tasks`), with no cache line that
//! every put or every get writes.
//!
//! Python keeps one `unfinished_tasks` integer under the queue's lock. One shared counter (or
//! even one for puts and one for gets) makes the producers fight over its cache line on every
//! item, and the consumers over theirs: with two producers and two consumers that cost potok's
//! `Queue` about half of crossbeam-channel's throughput, while `SimpleQueue`, which counts
//! nothing, led it (benches/queue.rs).
//!
//! So the counts of items put and got are striped: each thread counts on its own stripe (its
//! own cache line), and only a reader adds the stripes up. A thread's stripe is picked once
//! per thread, in turn (the `STRIPES`-th thread gets the first one again); the first thread to
//! count on a stripe of a queue owns it there, and counts with a plain load and store: no
//! read-modify-write, whose full barrier would make a putter wait for its own store of the
//! item to reach the consumer's CPU (one `fetch_add` per put and per get cost the 1 producer /
//! 1 consumer run more than half its throughput). A thread whose stripe is owned by another
//! counts on a shared line with `fetch_add` instead. Each count only grows, so a sum read
//! stripe by stripe lies between the totals at the start and at the end of the read: a lower
//! bound of the total by the time it is used.
//!
//! - `produced`: items put, counted after the item is in the store;
//! - `got`: items taken out (also those `shutdown(true)` drains);
//! - `done`: `task_done` calls plus drained items; one counter, changed by compare-exchange so
//!   that one call too many is refused exactly. Only consumers that call `task_done` write it.
//!
//! `unfinished = produced - done`; `join` returns once `done >= produced` (`done` is read
//! first: if it then reaches `produced`, every item put by the time `done` was read was done).
//! `task_done` is allowed while `done < max(produced, got)`: `got` covers an item a consumer
//! already holds while its putter has not counted it yet, so `task_done` never fails
//! spuriously, and since every item got was put, it never allows more calls than items put.
//! The stripes are not added up on every `task_done`: the largest sum seen so far (`seen`, a
//! lower bound too) settles the usual call, which follows a get.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;

/// How many stripes a queue's counts are split into: a cache line each, so up to this many
/// threads count without sharing one.
const STRIPES: usize = 8;

/// Counts items put and got.
#[derive(Default)]
struct Counts {
    produced: AtomicUsize,
    got: AtomicUsize,
}

/// One thread's counts, written by its owner only (plain stores).
#[derive(Default)]
struct Stripe {
    /// The token of the thread that writes here (0: nobody yet). Set once.
    owner: AtomicU64,
    counts: Counts,
}

/// What `task_done` writes, apart from what puts and gets write.
#[derive(Default)]
struct Done {
    done: AtomicUsize,
    /// The largest `max(produced, got)` summed so far: `task_done` may go on below it.
    seen: AtomicUsize,
}

/// The task counts of one queue.
pub(crate) struct Tasks {
    stripes: [CachePadded<Stripe>; STRIPES],
    /// For threads whose stripe another thread owns: read-modify-write.
    shared: CachePadded<Counts>,
    done: CachePadded<Done>,
}

/// The calling thread's token (never 0) and stripe, picked the first time it counts.
#[inline]
fn me() -> (u64, usize) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static MINE: Cell<u64> = const { Cell::new(0) };
    }
    let token = MINE.with(|mine| {
        if mine.get() == 0 {
            mine.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        mine.get()
    });
    (token, (token % STRIPES as u64) as usize)
}

/// Which count an operation adds to.
#[derive(Clone, Copy)]
enum Count {
    Produced,
    Got,
}

impl Counts {
    fn get(&self, count: Count) -> &AtomicUsize {
        match count {
            Count::Produced => &self.produced,
            Count::Got => &self.got,
        }
    }
}

impl Tasks {
    pub(crate) fn new() -> Self {
        Tasks {
            stripes: Default::default(),
            shared: Default::default(),
            done: Default::default(),
        }
    }

    /// Adds `n` to the calling thread's `count`.
    #[inline]
    fn add(&self, count: Count, n: usize) {
        let (token, i) = me();
        let stripe = &self.stripes[i];
        let owner = stripe.owner.load(Ordering::Relaxed);
        let mine = owner == token
            || (owner == 0
                && stripe
                    .owner
                    .compare_exchange(0, token, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok());
        if mine {
            // Only the owner writes this count: a plain load and store keep it exact.
            let at = stripe.counts.get(count);
            at.store(at.load(Ordering::Relaxed) + n, Ordering::Release);
        } else {
            self.shared.get(count).fetch_add(n, Ordering::Release);
        }
    }

    /// Counts an item put (after it is in the store).
    #[inline]
    pub(crate) fn put(&self) {
        self.add(Count::Produced, 1);
    }

    /// Counts `n` items taken out of the store.
    #[inline]
    pub(crate) fn got(&self, n: usize) {
        self.add(Count::Got, n);
    }

    /// The total of `count` (a lower bound of it by the time it is used).
    fn sum(&self, count: Count) -> usize {
        let striped: usize = self
            .stripes
            .iter()
            .map(|s| s.counts.get(count).load(Ordering::SeqCst))
            .sum();
        striped + self.shared.get(count).load(Ordering::SeqCst)
    }

    fn produced(&self) -> usize {
        self.sum(Count::Produced)
    }

    /// `max(produced, got)` now, remembered in `seen`.
    fn limit(&self) -> usize {
        let limit = self.produced().max(self.sum(Count::Got));
        self.done.seen.fetch_max(limit, Ordering::Relaxed);
        limit
    }

    /// Python's `unfinished_tasks`.
    pub(crate) fn unfinished(&self) -> usize {
        let done = self.done.done.load(Ordering::SeqCst);
        self.produced().saturating_sub(done)
    }

    /// Whether every item put has been marked done.
    pub(crate) fn all_done(&self) -> bool {
        // `done` first: see the module docs.
        let done = self.done.done.load(Ordering::SeqCst);
        done >= self.produced()
    }

    /// Python's `task_done()`: counts one, or refuses one call too many. On success, whether
    /// every task may now be done (the caller then wakes joiners; `has_joiners` is asked
    /// first, after the count, so the sum is only taken when someone joins).
    pub(crate) fn task_done(&self, has_joiners: impl FnOnce() -> bool) -> Result<bool, ()> {
        let mut done = self.done.done.load(Ordering::Relaxed);
        loop {
            if done >= self.done.seen.load(Ordering::Relaxed) && done >= self.limit() {
                return Err(());
            }
            // SeqCst: with the joiners' SeqCst registration, Dekker's handshake with `join`.
            match self.done.done.compare_exchange_weak(
                done,
                done + 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => done = now,
            }
        }
        Ok(has_joiners() && done + 1 >= self.produced())
    }

    /// Counts `n` items drained by `shutdown(true)` as got and done (never beyond the items
    /// put, so `task_done` calls made for them already are not counted twice).
    pub(crate) fn drained(&self, n: usize) {
        self.got(n);
        let mut done = self.done.done.load(Ordering::Relaxed);
        loop {
            let new = (done + n).min(self.limit()).max(done);
            match self.done.done.compare_exchange_weak(
                done,
                new,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => done = now,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tasks;

    #[test]
    fn counts_like_pythons_unfinished_tasks() {
        let t = Tasks::new();
        assert!(t.all_done());
        assert_eq!(t.task_done(|| true), Err(()));
        t.put();
        t.put();
        assert_eq!(t.unfinished(), 2);
        assert!(!t.all_done());
        t.got(1);
        assert_eq!(t.task_done(|| true), Ok(false));
        // Python allows task_done for an item still in the queue.
        assert_eq!(t.task_done(|| true), Ok(true));
        assert!(t.all_done());
        assert_eq!(t.task_done(|| true), Err(()));
        assert_eq!(t.unfinished(), 0);
    }

    #[test]
    fn an_item_got_before_its_put_was_counted_may_be_done() {
        let t = Tasks::new();
        t.got(1);
        assert_eq!(t.task_done(|| false), Ok(false));
        assert_eq!(t.task_done(|| false), Err(()));
        t.put();
        assert!(t.all_done());
    }

    #[test]
    fn drained_items_are_done_once() {
        let t = Tasks::new();
        (0..3).for_each(|_| t.put());
        assert_eq!(t.task_done(|| false), Ok(false));
        t.drained(3);
        assert!(t.all_done());
        assert_eq!(t.unfinished(), 0);
        assert_eq!(t.task_done(|| false), Err(()));
    }

    #[test]
    fn threads_sharing_a_stripe_count_exactly() {
        let t = Tasks::new();
        // More threads than stripes: some find their stripe owned and count on the shared line.
        std::thread::scope(|s| {
            for _ in 0..3 * super::STRIPES {
                s.spawn(|| {
                    for _ in 0..1000 {
                        t.put();
                        t.got(1);
                    }
                });
            }
        });
        let n = 3 * super::STRIPES * 1000;
        assert_eq!(t.unfinished(), n);
        assert_eq!(t.sum(super::Count::Got), n);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| while t.task_done(|| false).is_ok() {});
            }
        });
        assert!(t.all_done());
        assert_eq!(t.done.done.load(std::sync::atomic::Ordering::SeqCst), n);
    }
}
