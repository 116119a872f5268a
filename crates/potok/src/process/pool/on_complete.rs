//! [`OnComplete`]: a call's results as a [`Sink`] that also runs something, once, when the
//! last outcome is in: how `map_async`'s callbacks and the lazy `imap_unordered` learn that a
//! call (or a chunk) is done without a thread watching it.

use std::fmt;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::de::DeserializeOwned;

use super::job::{Indices, Sink};
use super::results::Results;

use crate::process::error::TaskErrorKind;

/// What runs when the results are complete, with them.
pub(super) type Then<R> = Box<dyn FnOnce(&Arc<Results<R>>) + Send>;

/// Forwards every outcome to `results`; the thread that stores the last one then runs `then`
/// (a pool thread that received a worker's answer, or the caller's thread when the pool
/// refused the work).
pub(super) struct OnComplete<R> {
    results: Arc<Results<R>>,
    then: Mutex<Option<Then<R>>>,
}

impl<R: DeserializeOwned + Send + 'static> OnComplete<R> {
    pub(super) fn sink(results: &Arc<Results<R>>, then: Then<R>) -> Arc<dyn Sink> {
        Arc::new(OnComplete {
            results: Arc::clone(results),
            then: Mutex::new(Some(then)),
        })
    }

    fn check(&self) {
        if !self.results.is_complete() {
            return;
        }
        let then = self.then.lock().take();
        if let Some(then) = then {
            then(&self.results);
        }
    }
}

impl<R: DeserializeOwned + Send + 'static> Sink for OnComplete<R> {
    fn deliver(&self, indices: &Indices, outcomes: &[u8]) {
        self.results.deliver(indices, outcomes);
        self.check();
    }

    fn fail(&self, index: usize, kind: TaskErrorKind) {
        self.results.fail(index, kind);
        self.check();
    }
}

impl<R> fmt::Debug for OnComplete<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnComplete")
            .field("fired", &self.then.lock().is_none())
            .finish_non_exhaustive()
    }
}
