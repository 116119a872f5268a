//! Handles an argument keeps alive while its child runs.
//!
//! A shared memory segment belongs to its creator's handles (the last one unlinks the name),
//! and an argument handed to a [`Process`](super::Process) travels as the segment's name. If
//! the parent's handle was the only one and went away once the argument was sent, the child
//! would look the name up after it was unlinked. So, while an argument is encoded, every
//! segment in it leaves a clone of its handle here ([`keep`]); the parent holds the clones
//! ([`Kept`]) until the child has ended, as Python's `Process` keeps its `args`.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;

thread_local! {
    static KEPT: RefCell<Option<Vec<Box<dyn Any + Send>>>> = const { RefCell::new(None) };
}

/// Handles collected while an argument was encoded; dropping it lets them go.
#[derive(Default)]
pub(crate) struct Kept(Vec<Box<dyn Any + Send>>);

impl fmt::Debug for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kept({} handles)", self.0.len())
    }
}

/// Runs `encode`, collecting what it [`keep`]s.
pub(crate) fn keeping<T>(encode: impl FnOnce() -> T) -> (T, Kept) {
    let outer = KEPT.with(|k| k.borrow_mut().replace(Vec::new()));
    let result = encode();
    let kept = KEPT.with(|k| std::mem::replace(&mut *k.borrow_mut(), outer));
    (result, Kept(kept.unwrap_or_default()))
}

/// Keeps `handle` alive with the argument being encoded (nothing when none is).
pub(crate) fn keep(handle: impl Any + Send) {
    KEPT.with(|k| {
        if let Some(kept) = k.borrow_mut().as_mut() {
            kept.push(Box::new(handle));
        }
    });
}
