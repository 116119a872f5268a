//! What one thread is doing right now, for [`snapshot`](super::snapshot): a slot in each
//! thread's record, written by the thread itself on the blocking path only (a park, a sleep),
//! read by whoever takes a snapshot.
//!
//! # States of the slot
//!
//! ```text
//!            park / sleep begins                  park / sleep returns
//!   empty ───────────────────────▶ active ──────────────────────────────▶ resumed
//!   (running)                      (blocked,        ◀──────────────────── (running)
//!                                   sleeping)    parks again on the same
//!                                                object soon after: the same
//!                                                wait, `since` kept
//! ```
//!
//! A thread that wakes up without what it waited for (a spurious wake-up, a lost race for a
//! lock, the detector asking it to check again) parks again at once on the same object: that
//! is still the same wait, so `since` is kept when the new park on the same object follows the
//! last one within [`SAME_WAIT`]. The slot is a `std::sync::Mutex` because it is written inside
//! `parking_lot_core`'s callbacks (where `parking_lot` is off limits), like the detector's state;
//! nothing is taken while it is held.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::error::{Resource, ResourceKind};
use super::park::Wait;

/// A park on the same object this soon after the last one returned is the same wait.
const SAME_WAIT: Duration = Duration::from_millis(20);

/// What a thread does, as recorded in its slot.
#[derive(Clone, Debug)]
pub(crate) enum Doing {
    /// In [`crate::sleep`], until `until`.
    Sleeping { until: Option<Instant> },
    /// Parked on a potok primitive.
    Waiting {
        kind: ResourceKind,
        name: Box<str>,
        detail: Option<&'static str>,
        /// The object's identity (its address).
        resource: usize,
        /// Who held it when the thread parked (owned locks), or the joined thread.
        holder: Option<u64>,
        deadline: Option<Instant>,
    },
}

impl Doing {
    pub(crate) fn resource(&self) -> Option<Resource> {
        match self {
            Doing::Sleeping { .. } => None,
            Doing::Waiting {
                kind, name, detail, ..
            } => Some(Resource {
                kind: *kind,
                name: name.to_string(),
                detail: *detail,
            }),
        }
    }
}

/// One record of the slot.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub(crate) doing: Doing,
    /// When this wait or sleep began.
    pub(crate) since: Instant,
    /// Whether the thread is in it now (parked or sleeping); `false` once it returned.
    pub(crate) active: bool,
    /// When it last returned.
    resumed: Option<Instant>,
}

/// The slot.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    slot: Mutex<Option<Record>>,
}

impl Activity {
    pub(crate) const fn new() -> Self {
        Activity {
            slot: Mutex::new(None),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Option<Record>> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The thread parks on `wait` (held by `holder`) until `deadline`. Does not panic, block
    /// or call into parking_lot (it runs under a wait queue's lock).
    pub(crate) fn parks(&self, wait: &Wait<'_>, holder: Option<u64>, deadline: Option<Instant>) {
        let now = Instant::now();
        let mut slot = self.slot();
        if let Some(record) = slot.as_mut() {
            if let Doing::Waiting {
                resource,
                holder: h,
                deadline: d,
                ..
            } = &mut record.doing
            {
                let same = *resource == wait.resource
                    && (record.active
                        || record
                            .resumed
                            .is_some_and(|at| now.saturating_duration_since(at) < SAME_WAIT));
                if same {
                    *h = holder;
                    *d = deadline;
                    record.active = true;
                    return;
                }
            }
        }
        *slot = Some(Record {
            doing: Doing::Waiting {
                kind: wait.kind,
                name: wait.name.into(),
                detail: wait.detail,
                resource: wait.resource,
                holder,
                deadline,
            },
            since: now,
            active: true,
            resumed: None,
        });
    }

    /// The thread sleeps until `until`.
    pub(crate) fn sleeps(&self, until: Option<Instant>) {
        *self.slot() = Some(Record {
            doing: Doing::Sleeping { until },
            since: Instant::now(),
            active: true,
            resumed: None,
        });
    }

    /// The park or sleep returned: the thread runs.
    pub(crate) fn resumes(&self) {
        if let Some(record) = self.slot().as_mut() {
            record.active = false;
            record.resumed = Some(Instant::now());
        }
    }

    /// What the thread is doing, if it is parked or sleeping.
    pub(crate) fn read(&self) -> Option<Record> {
        self.slot().as_ref().filter(|r| r.active).cloned()
    }
}
