//! [`spin_until`]: waiting awake for a moment before parking, shared by the executor's idle
//! workers, the waiters of its futures and `as_completed`; off while the machine is crowded.
//!
//! A parked thread on this kind of VM takes tens of microseconds to wake (a futex wake, then
//! the scheduler, often a halted vCPU), while a short task's hand-over or result comes within
//! a microsecond or two. So a thread about to park first watches the state it waits for: a few
//! rounds of pure spinning (the other side is on the other core, the answer is close), then
//! rounds that yield the CPU (the other side may need this core), until the limit. Only then
//! does it park, and only then is it registered with the deadlock detector.
//!
//! # A crowded machine
//!
//! When more threads want to run than there are CPUs (other programs' builds, say), it is the
//! other way round. No CPU is idle, so a wake-up is quick; and a thread that spins or yields
//! keeps the CPU from the worker it waits for, or is put behind every other runnable thread
//! (a yield moves its scheduling deadline a whole time slice on) and gets the CPU back
//! milliseconds later. Measured on 2 loaded vCPUs, submit + result took 8-14 µs spinning and
//! 4-9 µs parking at once.
//!
//! So a yield that comes back later than [`LATE_YIELD`] marks the machine crowded: for the
//! next [`CROWDED_FOR`], `spin_until` only looks once, and its caller parks. The first wait
//! after that spins again and so tests whether the machine is still crowded. On a quiet
//! machine a yield returns within a microsecond or two (or once the thread waited for has
//! answered), so the spinning stays on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::thread::{look_for, Looked};

/// Rounds of pure spinning (with a growing number of `spin_loop` hints, as crossbeam's
/// `Backoff` does) before the rounds start yielding.
const PURE_ROUNDS: u32 = 7;

/// A yield that takes longer than this gave the CPU to other threads for a good part of a
/// time slice: more threads want to run than there are CPUs. (The executor's own hand-overs
/// take a few microseconds.)
const LATE_YIELD: Duration = Duration::from_micros(200);

/// How long a late yield keeps the spinning off.
const CROWDED_FOR: Duration = Duration::from_millis(100);

/// When a yield last came back late, in nanoseconds after [`epoch`]; 0 if never.
static LATE_AT: AtomicU64 = AtomicU64::new(0);

/// The process's reference point for [`LATE_AT`].
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// `at` in nanoseconds after [`epoch`], at least 1 (0 means "never").
fn stamp(at: Instant) -> u64 {
    let nanos = at.saturating_duration_since(epoch()).as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX).max(1)
}

/// Whether a yield came back late less than [`CROWDED_FOR`] ago.
fn crowded() -> bool {
    let late = LATE_AT.load(Ordering::Relaxed);
    late != 0 && stamp(Instant::now()).saturating_sub(late) < CROWDED_FOR.as_nanos() as u64
}

/// Watches `ready` for up to `limit` (and not past `deadline`); returns whether it held. On a
/// crowded machine it looks once (see the module docs). The yielding rounds are the joiner's
/// ([`look_for`]).
pub(crate) fn spin_until(
    limit: Duration,
    deadline: Option<Instant>,
    mut ready: impl FnMut() -> bool,
) -> bool {
    if ready() {
        return true;
    }
    if crowded() {
        return false;
    }
    for round in 0..PURE_ROUNDS {
        for _ in 0..1u32 << round {
            std::hint::spin_loop();
        }
        if ready() {
            return true;
        }
    }
    match look_for(limit, deadline, Some(LATE_YIELD), ready) {
        Looked::Ready => true,
        Looked::Expired => false,
        Looked::LateYield => {
            LATE_AT.store(stamp(Instant::now()), Ordering::Relaxed);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_yield_is_told_apart() {
        // Every yield takes longer than nothing.
        let looked = look_for(Duration::from_secs(5), None, Some(Duration::ZERO), || false);
        assert_eq!(looked, Looked::LateYield);
        let looked = look_for(Duration::from_millis(1), None, None, || false);
        assert_eq!(looked, Looked::Expired);
    }

    #[test]
    fn a_crowded_machine_only_looks_once() {
        // Within the window after a late yield, a wait that never comes true gives up at
        // once instead of after its limit. (Retried: a thread descheduled for longer than the
        // window between the two lines would spin.)
        for _ in 0..5 {
            LATE_AT.store(stamp(Instant::now()), Ordering::Relaxed);
            let start = Instant::now();
            let mut looks = 0;
            let ready = spin_until(Duration::from_secs(1), None, || {
                looks += 1;
                false
            });
            if start.elapsed() < CROWDED_FOR {
                assert!(!ready);
                assert_eq!(looks, 1);
                return;
            }
        }
        panic!("never ran the check inside the crowded window");
    }
}
