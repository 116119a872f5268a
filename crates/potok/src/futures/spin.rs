//! [`spin_until`]: waiting awake for a moment before parking, shared by the executor's idle
//! workers, the waiters of its futures and `as_completed`.
//!
//! A parked thread on this kind of VM takes tens of microseconds to wake (a futex wake, then
//! the scheduler, often a halted vCPU), while a short task's hand-over or result comes within
//! a microsecond or two. So a thread about to park first watches the state it waits for: a few
//! rounds of pure spinning (the other side is on the other core, the answer is close), then
//! rounds that yield the CPU (the other side may need this core), until the limit. Only then
//! does it park, and only then is it registered with the deadlock detector.
//!
//! On a crowded machine (more runnable threads than CPUs) a yield can come back milliseconds
//! later, and parking at once is sometimes faster. Tried and measured on 2 loaded vCPUs:
//! parking for 100 ms after a yield that came back more than 200 µs late gave submit + result
//! 0.4-0.9× the time in one series of runs and no difference in three others, and made
//! `as_completed` over 20,000 futures 1.2-1.5× slower (idle workers that park cost each
//! submit a wake-up). Not kept: the helper is the same on a quiet and a loaded machine.

use std::time::{Duration, Instant};

/// Rounds of pure spinning (with a growing number of `spin_loop` hints, as crossbeam's
/// `Backoff` does) before the rounds start yielding.
const PURE_ROUNDS: u32 = 7;

/// Watches `ready` for up to `limit` (and not past `deadline`); returns whether it held.
/// The yielding rounds are [`try_for`](crate::thread::try_for)'s, as a joiner's.
pub(crate) fn spin_until(
    limit: Duration,
    deadline: Option<Instant>,
    mut ready: impl FnMut() -> bool,
) -> bool {
    if ready() {
        return true;
    }
    for round in 0..PURE_ROUNDS {
        for _ in 0..1u32 << round {
            std::hint::spin_loop();
        }
        if ready() {
            return true;
        }
    }
    // Then the rounds that yield: the joiner's look-before-sleeping, shared.
    crate::thread::try_for(limit, deadline, ready)
}
