//! Who reaps a forked worker: its pool's thread (through the worker's `Child`), or the caller
//! that terminates the pool (through the pool's state), whichever comes first; the other
//! learns how it ended.
//!
//! A terminated pool used to leave its workers to its threads, each woken to kill and hand its
//! worker over, the last one asking the fork server to reap them all, and the caller waiting
//! for the threads: on a loaded machine each of those wake-ups may wait milliseconds for a CPU.
//! Now the caller asks the server itself, at once, and a thread that comes to reap the same
//! worker finds it done. A worker is reaped once: the server must never be asked twice for the
//! same pid (by then it may name a new worker).
//!
//! ```text
//!   Running ──claimed by whoever reaps first──▶ Reaping ──the server answered──▶ Reaped(exit)
//!                 (anyone else waits for Reaped, or takes it if it is there)
//! ```

use parking_lot::{Condvar, Mutex};

use super::error::ChildExit;

/// Where a forked worker is in being reaped (the diagram above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reap {
    Running,
    Reaping,
    Reaped(ChildExit),
}

/// What [`ReapCell::claim`] found.
pub(crate) enum Claim {
    /// Nobody had begun: the caller reaps it, then calls [`ReapCell::finish`].
    Mine,
    /// Somebody else is reaping it ([`ReapCell::wait`] for the outcome).
    Theirs,
    /// Reaped already.
    Done(ChildExit),
}

/// One forked worker's reaping, shared by everything that may reap it.
pub(crate) struct ReapCell {
    state: Mutex<Reap>,
    reaped: Condvar,
}

impl ReapCell {
    pub(crate) fn new() -> ReapCell {
        ReapCell {
            state: Mutex::new(Reap::Running),
            reaped: Condvar::new(),
        }
    }

    /// Claims the reaping of the worker, unless somebody has claimed it already.
    pub(crate) fn claim(&self) -> Claim {
        let mut state = self.state.lock();
        match *state {
            Reap::Running => {
                *state = Reap::Reaping;
                Claim::Mine
            }
            Reap::Reaping => Claim::Theirs,
            Reap::Reaped(exit) => Claim::Done(exit),
        }
    }

    /// The claimant reaped the worker: this is how it ended.
    pub(crate) fn finish(&self, exit: ChildExit) {
        *self.state.lock() = Reap::Reaped(exit);
        self.reaped.notify_all();
    }

    /// Waits until whoever claimed it has reaped the worker (one round trip to the fork
    /// server), and says how it ended.
    pub(crate) fn wait(&self) -> ChildExit {
        let mut state = self.state.lock();
        loop {
            if let Reap::Reaped(exit) = *state {
                return exit;
            }
            self.reaped.wait(&mut state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_first_claim_reaps_and_the_others_learn_the_exit() {
        let cell = Arc::new(ReapCell::new());
        assert!(matches!(cell.claim(), Claim::Mine));
        assert!(matches!(cell.claim(), Claim::Theirs));
        let waiter = {
            let cell = Arc::clone(&cell);
            std::thread::spawn(move || cell.wait())
        };
        cell.finish(ChildExit::Signal(9));
        assert_eq!(waiter.join().unwrap(), ChildExit::Signal(9));
        assert!(matches!(cell.claim(), Claim::Done(ChildExit::Signal(9))));
        assert_eq!(cell.wait(), ChildExit::Signal(9));
    }
}
