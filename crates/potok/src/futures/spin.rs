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
//! **When yields are dear.** Under Linux's EEVDF scheduler (6.6 and later) a `sched_yield`
//! pushes the yielder's virtual deadline a whole time slice later: when the CPU also holds a
//! busy process (`yes > /dev/null`, a long build step), the yield hands it a full slice,
//! milliseconds, and a thread that yields again and again falls further behind. On 2 vCPUs
//! beside two busy loops, `submit(f).result()` took 0.4-6.9 ms per round trip with yielding
//! waits (rayon's, which yield too, 0.4-5.7 ms), against CPython's 20-38 µs there; a thread
//! that parks is woken with a fresh deadline and runs soon. So every yield is timed, and one
//! that comes back more than [`LATE`] later starts a *dear spell*, process-wide: 10 ms at
//! first, twice as long when a yield is late again soon after a spell ends (up to 1 s), so
//! that beside busy loops the spells join up, while a rare late yield on a machine that is
//! busy with ordinary work costs little. During a spell nobody yields:
//!
//! - where the thread that will end the wait last ran is known ([`spin_until`]'s `peer`: the
//!   worker running a future, or the idle worker expected to take it; for an idle worker,
//!   the thread that waited for its last result, who submits the next job) and it is this
//!   CPU, the waiter parks at once (that thread cannot run while this one spins);
//! - otherwise it spins, up to the limit, then parks.
//!
//! Tried and not kept: parking for 100 ms after a yield that came back 200 µs late,
//! whatever the CPUs (a round trip took 118 µs once the load dropped, a halted vCPU waking);
//! never yielding where the peer is known, parking at once on a shared CPU (beside builds,
//! where a yield usually goes to the other side of the hand-over, `submit` + `result` and
//! `map` were 1.5-2x slower); spells of a shorter [`LATE`] (50 µs: builds made them so
//! frequent that `map` and `as_completed` parked, and slowed, 1.5-2.5x).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Rounds of pure spinning (with a growing number of `spin_loop` hints, as crossbeam's
/// `Backoff` does) before [`spin_then_yield`]'s rounds start yielding.
const PURE_ROUNDS: u32 = 7;

/// Where the thread that will end a wait runs: no CPU known.
pub(crate) const NO_CPU: u32 = u32::MAX;

/// The CPU the calling thread runs on now (a vDSO call, a few nanoseconds).
pub(crate) fn cpu() -> u32 {
    u32::try_from(rustix::thread::sched_getcpu()).unwrap_or(NO_CPU)
}

/// A yield that takes longer than this handed the CPU to another process for a slice.
const LATE: Duration = Duration::from_micros(500);

/// The first dear spell (microseconds).
const FIRST_SPELL_US: u64 = 10_000;

/// The longest dear spell (microseconds).
const LONGEST_SPELL_US: u64 = 1_000_000;

/// The clock of the spells: microseconds since the first look.
fn micros() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// When the current (or last) dear spell ends, in [`micros`]; 0 if there never was one.
static SPELL_UNTIL: AtomicU64 = AtomicU64::new(0);
/// Its length.
static SPELL_LEN: AtomicU64 = AtomicU64::new(FIRST_SPELL_US);

/// Whether yields are dear now.
fn yields_dear() -> bool {
    let until = SPELL_UNTIL.load(Ordering::Relaxed);
    until != 0 && micros() < until
}

/// A yield came back late: a dear spell begins, twice as long as the last if that one ended
/// less than its own length ago.
fn late_yield() {
    let now = micros();
    let until = SPELL_UNTIL.load(Ordering::Relaxed);
    let len = SPELL_LEN.load(Ordering::Relaxed);
    let len = if until != 0 && now < until.saturating_add(len) {
        len.saturating_mul(2).min(LONGEST_SPELL_US)
    } else {
        FIRST_SPELL_US
    };
    SPELL_LEN.store(len, Ordering::Relaxed);
    SPELL_UNTIL.store(now.saturating_add(len).max(1), Ordering::Relaxed);
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
    let dear = yields_dear();
    let shared = || peer.load(Ordering::Relaxed) == cpu();
    if dear && shared() {
        return false;
    }
    if pure_spin(&mut ready) {
        return true;
    }
    let start = Instant::now();
    let until = deadline.map_or(start + limit, |d| d.min(start + limit));
    if !dear {
        return yield_until(until, ready);
    }
    // A dear spell: spin on, unless the other side is (now) on this CPU.
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

/// Yields until `ready` holds or `until` passes (false); a late yield starts a dear spell and
/// ends the watch.
fn yield_until(until: Instant, mut ready: impl FnMut() -> bool) -> bool {
    let mut before = Instant::now();
    while before < until {
        std::thread::yield_now();
        let after = Instant::now();
        if after.saturating_duration_since(before) > LATE {
            late_yield();
            return ready();
        }
        if ready() {
            return true;
        }
        before = after;
    }
    false
}

/// The plain watch, for a wait nobody in particular ends (`as_completed`'s consumer; an idle
/// worker whose last job nobody waited for, a burst of submits): a few rounds of pure
/// spinning, then rounds that yield, as a joiner looks before it sleeps, whether yields are
/// dear or not. There a parked worker would cost each submit a wake-up (measured: 20,000
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
