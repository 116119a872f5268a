//! [`spin_until`]: waiting awake for a moment before parking, shared by the executor's idle
//! workers, the waiters of its futures and `as_completed`.
//!
//! A parked thread on this kind of VM takes tens of microseconds to wake when its CPU has
//! halted, while a short task's hand-over or result comes within a microsecond or two. So a
//! thread about to park first watches the state it waits for: a few rounds of pure spinning
//! (the other side is on the other core, the answer is close), then rounds that yield the CPU
//! (the other side may need this core), until the limit. Only then does it park, and only
//! then is it registered with the deadlock detector.
//!
//! **Where the other side runs.** [`spin_until`]'s `peer` is the CPU where the thread that will
//! end the wait last ran (the worker running a future, or the idle worker expected to take
//! it; for an idle worker, the thread that waited for its last result, who submits the next
//! job). When it is this CPU, that thread cannot run while this one spins: the waiter skips
//! the pure spinning and hands the CPU over at once (a yield; a park while the machine is
//! crowded). Beside the queue bench on 2 vCPUs the caller, the worker and a queue thread often
//! all share one CPU; there each leg of a round trip used to be the other side's pure spin
//! (127 `spin_loop` hints, about 8 µs here) before its yield.
//!
//! **When the machine is crowded** (the process's one verdict, `thread/crowded.rs`: a yield
//! came back late lately). Under Linux's EEVDF scheduler (6.6 and later) a `sched_yield`
//! pushes the yielder's virtual deadline a whole time slice later: when the CPU also holds a
//! busy process, the yield hands it a full slice, milliseconds, and a thread that yields
//! again and again falls further behind; a thread that parks is woken with a fresh deadline
//! and runs soon. So every yield here is timed through `thread::crowded`, and while the
//! verdict holds nobody yields: a waiter whose peer shares its CPU parks at once, any other
//! spins up to the limit (its peer runs elsewhere, the answer may be close), then parks.
//!
//! Tried and not kept: parking for 100 ms after a yield that came back 200 µs late,
//! whatever the CPUs (a round trip took 118 µs once the load dropped, a halted vCPU waking);
//! never yielding where the peer is known, parking at once on a shared CPU while the machine
//! is not crowded (beside builds, where a yield usually goes to the other side of the
//! hand-over, `submit` + `result` and `map` were 1.5-2x slower); an executor verdict of its
//! own (a yield 500 µs late started a "dear spell" of 10 ms, doubling): one verdict for the
//! process now, the queue's, with its parameters (the executor's yields counted late only
//! past 500 µs measured the same beside the queue bench and others' builds).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::thread::crowded;

/// Rounds of pure spinning (with a growing number of `spin_loop` hints, as crossbeam's
/// `Backoff` does) before [`spin_then_yield`]'s rounds start yielding.
const PURE_ROUNDS: u32 = 7;

/// Where the thread that will end a wait runs: no CPU known.
pub(crate) const NO_CPU: u32 = u32::MAX;

/// The CPU the calling thread runs on now (a vDSO call, a few nanoseconds).
pub(crate) fn cpu() -> u32 {
    u32::try_from(rustix::thread::sched_getcpu()).unwrap_or(NO_CPU)
}

/// Watches `ready` for up to `limit` (and not past `deadline`); returns whether it held.
/// `peer` is the CPU where the thread expected to make it hold last ran ([`NO_CPU`] if
/// unknown), read again as the wait goes on (see the module docs).
pub(crate) fn spin_until(
    limit: Duration,
    deadline: Option<Instant>,
    peer: &AtomicU32,
    mut ready: impl FnMut() -> bool,
) -> bool {
    if ready() {
        return true;
    }
    let crowded = crowded::holds();
    let shared = || peer.load(Ordering::Relaxed) == cpu();
    let until = || {
        let end = Instant::now() + limit;
        deadline.map_or(end, |d| d.min(end))
    };
    if shared() {
        // The other side cannot run while this thread spins: hand the CPU over at once.
        return !crowded && yield_until(until(), ready);
    }
    if pure_spin(&mut ready) {
        return true;
    }
    let until = until();
    if !crowded {
        return yield_until(until, ready);
    }
    // Crowded: spin on, unless the other side is (now) on this CPU.
    let mut round = 0u32;
    loop {
        for _ in 0..16 {
            std::hint::spin_loop();
        }
        if ready() {
            return true;
        }
        round += 1;
        if round & 3 == 0 && (Instant::now() >= until || shared()) {
            return false;
        }
    }
}

/// Yields until `ready` holds or `until` passes (false); a late yield (the machine is
/// crowded: `thread::crowded` records it) ends the watch.
fn yield_until(until: Instant, mut ready: impl FnMut() -> bool) -> bool {
    while Instant::now() < until {
        if !crowded::yield_now() {
            return ready();
        }
        if ready() {
            return true;
        }
    }
    false
}

/// The plain watch, for a wait nobody in particular ends (`as_completed`'s consumer; an idle
/// worker whose last job nobody waited for, a burst of submits): a few rounds of pure
/// spinning, then rounds that yield, as a joiner looks before it sleeps, whether yields are
/// crowded or not. There a parked worker would cost each submit a wake-up (measured: 20,000
/// futures' `as_completed` 1.3-1.9x slower), and a yield usually goes to the submitter.
pub(crate) fn spin_then_yield(
    limit: Duration,
    deadline: Option<Instant>,
    mut ready: impl FnMut() -> bool,
) -> bool {
    if ready() {
        return true;
    }
    if pure_spin(&mut ready) {
        return true;
    }
    crate::thread::try_for(limit, deadline, ready)
}

/// The rounds of pure spinning, a growing number of `spin_loop` hints between looks; returns
/// whether `ready` held.
fn pure_spin(ready: &mut impl FnMut() -> bool) -> bool {
    for round in 0..PURE_ROUNDS {
        for _ in 0..1u32 << round {
            std::hint::spin_loop();
        }
        if ready() {
            return true;
        }
    }
    false
}
