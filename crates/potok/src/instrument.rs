//! One word saying which instrumentation is on, so that a lock's uncontended path with
//! everything off is one relaxed load and a branch that is always taken the same way.
//!
//! The bits are owned by their subsystems: [`TRACE`] by `trace` (set while a recording runs),
//! [`ORDER`] and [`ORDER_UNDECIDED`] by `deadlock::order` (lock-order checking on; not yet
//! decided from `POTOK_LOCK_ORDER` and the build). A primitive's fast path reads the word once
//! with [`any`]: zero means nothing to record or check, and only then it skips straight to the
//! lock word; otherwise it takes its instrumented path, which asks each subsystem as before.
//!
//! The word starts with [`ORDER_UNDECIDED`] set, so the first lock a process takes goes the
//! instrumented way and decides lock-order checking for good.

use std::sync::atomic::{AtomicU8, Ordering};

/// A recording is on (`trace::start` .. `finish`).
pub(crate) const TRACE: u8 = 1;
/// Lock-order checking is on.
pub(crate) const ORDER: u8 = 2;
/// Lock-order checking is not decided yet (the first check reads `POTOK_LOCK_ORDER`).
pub(crate) const ORDER_UNDECIDED: u8 = 4;

static FLAGS: AtomicU8 = AtomicU8::new(ORDER_UNDECIDED);

/// The word: one relaxed load.
#[inline(always)]
pub(crate) fn load() -> u8 {
    FLAGS.load(Ordering::Relaxed)
}

/// Whether anything is on (or undecided): a primitive must take its instrumented path.
#[inline(always)]
pub(crate) fn any() -> bool {
    load() != 0
}

/// Sets `bits`, with `order` for what the setter wrote before (a recording's session).
pub(crate) fn set(bits: u8, order: Ordering) {
    FLAGS.fetch_or(bits, order);
}

/// Clears `bits`.
pub(crate) fn clear(bits: u8, order: Ordering) {
    FLAGS.fetch_and(!bits, order);
}

/// Replaces the bits in `mask` by `bits` (one atomic step), if `when(word)` holds for the word
/// at that moment; returns the word after.
pub(crate) fn update(mask: u8, bits: u8, when: impl Fn(u8) -> bool) -> u8 {
    match FLAGS.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
        when(w).then_some((w & !mask) | bits)
    }) {
        Ok(before) => (before & !mask) | bits,
        Err(now) => now,
    }
}
