//! Handles an argument keeps alive while its child runs.
//!
//! A shared memory segment belongs to its creator's handles (the last one unlinks the name),
//! and an argument handed to a [`Process`](super::Process) travels as the segment's name. If
//! the parent's handle was the only one and went away once the argument was sent, the child
//! would look the name up after it was unlinked. So, while an argument is encoded, every
//! segment in it leaves a clone of its handle here ([`keep`]); the parent holds the clones
//! ([`Kept`]) until the child has ended, as Python's `Process` keeps its `args`. A pool task's
//! job holds the handles of its arguments until its answer is in (`pool/submit.rs`), and a
//! pool those of its initializer's argument for as long as it lives.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

type Handle = Box<dyn Any + Send + Sync>;

thread_local! {
    static KEPT: RefCell<Option<Vec<Handle>>> = const { RefCell::new(None) };
}

/// Handles collected while an argument was encoded; dropping it lets them go.
#[derive(Default)]
pub(crate) struct Kept(Vec<Handle>);

impl fmt::Debug for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kept({} handles)", self.0.len())
    }
}

impl Kept {
    /// `self` and `also` together, to share (`None` when both are empty). A pool job's
    /// handles: `also` is what the job held already.
    pub(crate) fn with(mut self, also: Option<Arc<Kept>>) -> Option<Arc<Kept>> {
        match also {
            None if self.0.is_empty() => None,
            Some(also) if self.0.is_empty() => Some(also),
            None => Some(Arc::new(self)),
            Some(also) => {
                self.0.push(Box::new(also));
                Some(Arc::new(self))
            }
        }
    }
}

/// Runs `encode`, collecting what it [`keep`]s.
pub(crate) fn keeping<T>(encode: impl FnOnce() -> T) -> (T, Kept) {
    let collecting = Collecting::start();
    let result = encode();
    (result, collecting.take())
}

/// Collects what this thread [`keep`]s until dropped (when the collection started before it
/// goes on); [`take`](Self::take) hands over what has been collected so far. A pool call takes
/// once per job, not once per item.
pub(crate) struct Collecting {
    outer: Option<Vec<Handle>>,
}

impl Collecting {
    pub(crate) fn start() -> Collecting {
        Collecting {
            outer: KEPT.with(|k| k.borrow_mut().replace(Vec::new())),
        }
    }

    /// What was kept since the start or the last `take`.
    pub(crate) fn take(&self) -> Kept {
        Kept(KEPT.with(|k| {
            k.borrow_mut()
                .as_mut()
                .map(std::mem::take)
                .unwrap_or_default()
        }))
    }
}

impl Drop for Collecting {
    fn drop(&mut self) {
        let outer = self.outer.take();
        KEPT.with(|k| *k.borrow_mut() = outer);
    }
}

impl fmt::Debug for Collecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Collecting")
    }
}

/// Keeps `handle` alive with the argument being encoded (nothing when none is).
pub(crate) fn keep(handle: impl Any + Send + Sync) {
    KEPT.with(|k| {
        if let Some(kept) = k.borrow_mut().as_mut() {
            kept.push(Box::new(handle));
        }
    });
}
