//! What the lock-free stores, [`List`](super::list::List) and [`Ring`](super::ring::Ring), are
//! built from: std's atomics, a value cell, a lock and a backoff. The loom models
//! (`store_loom.rs`) compile the same `list.rs` and `ring.rs` over loom's instead, with smaller
//! blocks, to check them over every interleaving.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

pub(crate) use std::sync::atomic::{fence, AtomicPtr, AtomicUsize};
pub(crate) use std::sync::Mutex;

/// Indices per block: `LAP - 1` slots, and one index that marks "moving to the next block".
pub(crate) const LAP: usize = 32;

/// Spins, then yields (crossbeam's `Backoff`).
pub(crate) type Backoff = crossbeam_utils::Backoff;

/// One slot's value: written once by its producer, read once by its consumer, who are ordered
/// by the slot's state (see `list.rs`).
pub(crate) struct ValueCell<T>(UnsafeCell<MaybeUninit<T>>);

impl<T> ValueCell<T> {
    pub(crate) fn new() -> Self {
        ValueCell(UnsafeCell::new(MaybeUninit::uninit()))
    }

    /// # Safety
    ///
    /// No other thread accesses the cell meanwhile, and it holds no value.
    pub(crate) unsafe fn write(&self, value: T) {
        // SAFETY: exclusive access, by the caller's contract.
        unsafe { (*self.0.get()).write(value) };
    }

    /// # Safety
    ///
    /// The cell holds a value, no other thread accesses it meanwhile, and it is never read
    /// again.
    pub(crate) unsafe fn take(&self) -> T {
        // SAFETY: initialised and exclusively ours, by the caller's contract.
        unsafe { (*self.0.get()).assume_init_read() }
    }
}
