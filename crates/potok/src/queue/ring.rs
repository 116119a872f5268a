//! [`Ring`]: the bounded lock-free FIFO under `Queue(maxsize)` for `maxsize` up to 65,536.
//!
//! A preallocated ring of slots, each with a stamp, and a head and a tail index (the design of
//! crossbeam's `ArrayQueue` and of crossbeam-channel's array flavour, after Dmitry Vyukov's
//! bounded queue). An index is a lap and a slot number: `lap * one_lap + slot`, where
//! `one_lap` is a power of two above the capacity.
//!
//! - A slot's stamp says whose turn it is: `index` when a producer at `index` may write it,
//!   `index + 1` once written (a consumer at `index` may take it), and `index + one_lap` once
//!   taken (the producer one lap later may write it again).
//! - A producer whose tail slot's stamp is the tail claims it with a `SeqCst` compare-exchange of
//!   the tail, writes, then stores `tail + 1` (release). A consumer whose head slot's stamp is
//!   `head + 1` claims it with a compare-exchange of the head, takes the value, then stores
//!   `head + one_lap`.
//! - The difference from crossbeam's: the stamp alone decides "empty" and "full". A consumer
//!   that finds its slot still waiting for this lap's write returns `None` at once; crossbeam's
//!   then fences and reads the tail, the cache line every push writes, so an empty poll pulls
//!   that line away from the producer. Likewise a producer that finds its slot still holding
//!   the item of one lap ago returns "full" without reading the head. A put (get) still in
//!   flight, its index claimed but its stamp not yet stored, has not completed: the operation
//!   that sees the stamp and gives up is ordered before it. A stamp cannot mislead a thread that
//!   read a stale index: once an index is claimed its slot's stamp has moved past both values.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};

use crossbeam_utils::CachePadded;

use super::list_sync::{AtomicUsize, Backoff, ValueCell};

struct Slot<T> {
    stamp: AtomicUsize,
    value: ValueCell<T>,
}

/// A bounded multi-producer multi-consumer FIFO (see the module docs).
pub(crate) struct Ring<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    one_lap: usize,
}

// SAFETY: values move from the pushing thread to the popping one (so `T: Send`); each slot's
// value is accessed only by the thread whose claimed index the slot's stamp matches.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// An empty ring of `cap` slots (`cap` > 0).
    pub(crate) fn new(cap: usize) -> Self {
        assert!(cap > 0, "a ring needs a slot");
        Ring {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            slots: (0..cap)
                .map(|i| Slot {
                    stamp: AtomicUsize::new(i),
                    value: ValueCell::new(),
                })
                .collect(),
            one_lap: (cap + 1).next_power_of_two(),
        }
    }

    fn cap(&self) -> usize {
        self.slots.len()
    }

    /// The index after `index`.
    fn next(&self, index: usize) -> usize {
        if (index & (self.one_lap - 1)) + 1 < self.cap() {
            index + 1
        } else {
            (index & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    fn slot(&self, index: usize) -> &Slot<T> {
        &self.slots[index & (self.one_lap - 1)]
    }

    /// Adds `value`, or gives it back if the ring is full.
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        let backoff = Backoff::new();
        let mut tail = self.tail.load(Relaxed);
        loop {
            let slot = self.slot(tail);
            let stamp = slot.stamp.load(Acquire);
            if stamp == tail {
                match self
                    .tail
                    .compare_exchange_weak(tail, self.next(tail), SeqCst, Relaxed)
                {
                    Ok(_) => {
                        // SAFETY: the stamp gave this slot to the producer at `tail`, which
                        // this thread just claimed; consumers wait for the stamp below.
                        unsafe { slot.value.write(value) };
                        slot.stamp.store(tail + 1, Release);
                        return Ok(());
                    }
                    Err(now) => {
                        tail = now;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds the value put one lap ago: full.
                return Err(value);
            } else {
                // `tail` was stale: another producer claimed it.
                backoff.snooze();
                tail = self.tail.load(Relaxed);
            }
        }
    }

    /// Takes the oldest value, or `None` if the ring is empty.
    pub(crate) fn pop(&self) -> Option<T> {
        let backoff = Backoff::new();
        let mut head = self.head.load(Relaxed);
        loop {
            let slot = self.slot(head);
            let stamp = slot.stamp.load(Acquire);
            if stamp == head + 1 {
                match self
                    .head
                    .compare_exchange_weak(head, self.next(head), SeqCst, Relaxed)
                {
                    Ok(_) => {
                        // SAFETY: the stamp says the producer at `head` wrote the slot, and
                        // this thread claimed `head`; producers wait for the stamp below.
                        let value = unsafe { slot.value.take() };
                        slot.stamp.store(head.wrapping_add(self.one_lap), Release);
                        return Some(value);
                    }
                    Err(now) => {
                        head = now;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                // Not written for this lap yet: empty.
                return None;
            } else {
                // `head` was stale: another consumer claimed it.
                backoff.snooze();
                head = self.head.load(Relaxed);
            }
        }
    }

    /// How many values the ring holds (a `SeqCst` snapshot; a claimed index counts).
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(SeqCst);
            let head = self.head.load(SeqCst);
            if self.tail.load(SeqCst) == tail {
                let (h, t) = (head & (self.one_lap - 1), tail & (self.one_lap - 1));
                return match h.cmp(&t) {
                    std::cmp::Ordering::Less => t - h,
                    std::cmp::Ordering::Greater => self.cap() - h + t,
                    std::cmp::Ordering::Equal if head == tail => 0,
                    std::cmp::Ordering::Equal => self.cap(),
                };
            }
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        let head = self.head.load(Relaxed) & (self.one_lap - 1);
        for i in 0..self.len() {
            let slot = &self.slots[(head + i) % self.cap()];
            // SAFETY: `&mut self`: nothing is in flight, and the `len` slots from the head's
            // hold values.
            drop(unsafe { slot.value.take() });
        }
    }
}
