//! Which processes hold a primitive's permits, or take part in it: a table in the primitive's
//! segment, so that a waiter can find a process that died and say which.
//!
//! Each slot is one word, `pid << 32 | count` (0: free), changed by compare-and-swap only, and
//! a label (what the process calls itself, for the report when its pid names no `Process`
//! this process started). A process adds to its own slot (claiming a free one the first time)
//! and subtracts from it; a waiter that has slept a while [`reap`](Table::reap)s a slot whose
//! process is gone, clearing it in one compare-and-swap (so exactly one waiter reports each
//! death). With more than [`SLOTS`] processes in the table at once, the rest are not
//! tracked (their deaths are not noticed).

use std::sync::atomic::{AtomicU64, Ordering};

use super::segment::{load_str, Segment, State};
use super::word;

/// How many processes a table tracks at once.
pub(crate) const SLOTS: usize = 64;

/// The table, at the end of a primitive's state.
#[repr(C)]
pub(crate) struct Table {
    slots: [AtomicU64; SLOTS],
    labels: [[AtomicU64; 4]; SLOTS],
}

/// A process found dead in a table, its slot cleared.
#[derive(Clone, Debug)]
pub(crate) struct Dead {
    pub(crate) pid: u32,
    /// Its count when it died (permits held, handles open).
    pub(crate) count: u32,
    /// Its `Process` name if this process started it, else what it recorded.
    pub(crate) name: String,
}

fn pid_of(slot: u64) -> u32 {
    (slot >> 32) as u32
}

fn count_of(slot: u64) -> u32 {
    slot as u32
}

impl Table {
    /// Adds `n` to this process's count.
    pub(crate) fn add(&self, n: u32) {
        let (pid, label) = word::me();
        let pid = *pid;
        for slot in &self.slots {
            let mut seen = slot.load(Ordering::Relaxed);
            while pid_of(seen) == pid {
                let next = (u64::from(pid) << 32) | u64::from(count_of(seen).saturating_add(n));
                match slot.compare_exchange_weak(seen, next, Ordering::AcqRel, Ordering::Relaxed) {
                    Ok(_) => return,
                    Err(now) => seen = now,
                }
            }
        }
        for (i, slot) in self.slots.iter().enumerate() {
            let claimed = (u64::from(pid) << 32) | u64::from(n);
            if slot
                .compare_exchange(0, claimed, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                for (cell, word) in self.labels[i].iter().zip(label) {
                    cell.store(*word, Ordering::Relaxed);
                }
                return;
            }
        }
    }

    /// Takes up to `n` off this process's count (freeing its slot at 0).
    pub(crate) fn sub(&self, mut n: u32) {
        let pid = word::me().0;
        for slot in &self.slots {
            let mut seen = slot.load(Ordering::Relaxed);
            while n > 0 && pid_of(seen) == pid {
                let take = n.min(count_of(seen));
                let left = count_of(seen) - take;
                let next = if left == 0 {
                    0
                } else {
                    (u64::from(pid) << 32) | u64::from(left)
                };
                match slot.compare_exchange_weak(seen, next, Ordering::AcqRel, Ordering::Relaxed) {
                    Ok(_) => {
                        n -= take;
                        break;
                    }
                    Err(now) => seen = now,
                }
            }
            if n == 0 {
                return;
            }
        }
    }

    /// Finds a process of the table that is gone, clears its slot and says who it was.
    pub(crate) fn reap(&self) -> Option<Dead> {
        let me = word::me().0;
        for (i, slot) in self.slots.iter().enumerate() {
            let seen = slot.load(Ordering::Acquire);
            let pid = pid_of(seen);
            if seen == 0 || pid == me || !word::process_dead(pid) {
                continue;
            }
            let label = load_str(&self.labels[i]);
            if slot
                .compare_exchange(seen, 0, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return Some(Dead {
                    pid,
                    count: count_of(seen),
                    name: super::super::proc::name_of(pid).unwrap_or(label),
                });
            }
        }
        None
    }
}

/// A state that ends with a [`Table`] of the processes that have the primitive open.
pub(crate) trait WithTable: State {
    fn table(&self) -> &Table;
}

/// This process's share in a primitive: counted in its table from creation or opening until
/// dropped (a clone counts again), so that a process that dies with it open is found.
pub(crate) struct Member<S: WithTable> {
    seg: Segment,
    _state: std::marker::PhantomData<fn() -> S>,
}

impl<S: WithTable> Member<S> {
    pub(crate) fn join(seg: Segment) -> Member<S> {
        seg.state::<S>().table().add(1);
        Member {
            seg,
            _state: std::marker::PhantomData,
        }
    }

    pub(crate) fn segment(&self) -> &Segment {
        &self.seg
    }

    pub(crate) fn state(&self) -> &S {
        self.seg.state()
    }
}

impl<S: WithTable> Clone for Member<S> {
    fn clone(&self) -> Self {
        Member::join(self.seg.clone())
    }
}

impl<S: WithTable> Drop for Member<S> {
    fn drop(&mut self) {
        self.state().table().sub(1);
    }
}

/// The last process found dead in a table, kept for every waiter's report.
#[repr(C)]
pub(crate) struct Obituary {
    pid: AtomicU64,
    name: [AtomicU64; 8],
}

impl Obituary {
    pub(crate) fn record(&self, dead: &Dead) {
        super::segment::store_str(&self.name, &dead.name);
        self.pid.store(u64::from(dead.pid), Ordering::Release);
    }

    /// The pid and name recorded (`None` before any death).
    pub(crate) fn read(&self) -> Option<(u32, String)> {
        let pid = self.pid.load(Ordering::Acquire) as u32;
        (pid != 0).then(|| (pid, load_str(&self.name)))
    }
}
