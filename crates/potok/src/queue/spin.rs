//! [`Spin`]: what a blocked `get` or `put` does before it sleeps, and when it stops yielding.
//!
//! On a busy queue the other side usually acts within a microsecond, while a thread that
//! sleeps costs a futex wait, the other side's futex wake and tens of microseconds to get a CPU
//! back on this kind of VM. So a get that finds the queue empty (a put that finds it full)
//! first spins a few rounds of `spin_loop` hints, doubling each round (about 2.7 µs over all
//! here), then yields a few times (the steps of crossbeam's `Backoff`, which crossbeam-channel
//! uses too), and only then parks.
//!
//! A yield is cheap while the machine has a CPU to spare (0.5 µs here), or when the thread it
//! waits for is runnable on this CPU (the yield hands over to it). On a crowded machine (more
//! runnable threads than CPUs) it hands the core to another process for its whole time slice,
//! milliseconds: beside three busy loops, 1 producer / 1 consumer bounded 1024 took 160-290 ms
//! per 100,000 items with crossbeam's yields (4 ms quiet), and crossbeam-channel as long. A
//! thread that parks instead is woken by the peer's next put or get, and the scheduler runs a
//! thread that has just woken ahead of the busy loops. So a yield that comes back later than
//! [`SLOW_YIELD`] marks the machine crowded ([`Crowded`], one for the process: the load is the
//! machine's): the thread parks at once, and for a while (1 ms, doubling with every further
//! slow yield up to about a second, halving with each quick one) blocked operations skip the
//! yields and park after their spin. The first yield after that while is the probe.
//!
//! Measured beside three busy loops, in-process A/B rounds against crossbeam-channel: 1p1c
//! bounded 1024 went from about 1x crossbeam-channel (both 450-580 ms) to 5-9x; never
//! yielding at all was as good there but 0.87x crossbeam-channel beside other engineers'
//! builds, where the yields pay.
//!
//! The waits inside the stores (a consumer waiting for the write of a slot it claimed, whose
//! producer was preempted; `list.rs`) still yield: the thread that holds things up needs a
//! CPU, possibly this one.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Rounds of spinning: round `r` spins `1 << r` times.
const SPIN_ROUNDS: u32 = 7;
/// Then at most this many yields, unless the machine is crowded.
const YIELDS: u32 = 4;
/// A yield that comes back later than this gave the CPU to another process for a while.
pub(crate) const SLOW_YIELD: Duration = Duration::from_micros(100);
/// The longest a crowded verdict lasts: `1 ms << MAX_LEVEL`.
const MAX_LEVEL: u32 = 10;

/// A blocked operation's spin: call [`Spin::spin`] until it says to park.
pub(crate) struct Spin {
    round: u32,
}

impl Spin {
    pub(crate) fn new() -> Self {
        Spin { round: 0 }
    }

    /// Spins (or yields) one round and returns true, or returns false: then the caller parks.
    #[inline]
    pub(crate) fn spin(&mut self) -> bool {
        if self.round < SPIN_ROUNDS {
            for _ in 0..1u32 << self.round {
                std::hint::spin_loop();
            }
            self.round += 1;
            return true;
        }
        self.yield_once()
    }

    #[cold]
    fn yield_once(&mut self) -> bool {
        if self.round >= SPIN_ROUNDS + YIELDS {
            return false;
        }
        let crowded = Crowded::get();
        let before = Instant::now();
        if crowded.holds_at(before) {
            return false;
        }
        std::thread::yield_now();
        if before.elapsed() > SLOW_YIELD {
            crowded.slow_yield();
            return false;
        }
        crowded.quick_yield();
        self.round += 1;
        true
    }
}

/// Whether the machine looked crowded lately (see the module docs): one for the process,
/// written only when a yield's verdict changes it.
struct Crowded {
    /// What `Instant`s are counted from.
    epoch: Instant,
    /// Until when (nanoseconds after `epoch`) blocked operations park without yielding.
    until: AtomicU64,
    /// How long the next verdict lasts: `1 ms << level`; 0 also means "not crowded".
    level: AtomicU32,
}

impl Crowded {
    fn new() -> Crowded {
        Crowded {
            epoch: Instant::now(),
            until: AtomicU64::new(0),
            level: AtomicU32::new(0),
        }
    }

    /// The process's.
    fn get() -> &'static Crowded {
        static CROWDED: OnceLock<Crowded> = OnceLock::new();
        CROWDED.get_or_init(Crowded::new)
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether a verdict of "crowded" still holds at `at`.
    fn holds_at(&self, at: Instant) -> bool {
        let until = self.until.load(Relaxed);
        until != 0 && self.nanos(at) < until
    }

    fn slow_yield(&self) {
        let level = self.level.load(Relaxed);
        let lasts = Duration::from_millis(1 << level);
        self.until
            .store(self.nanos(Instant::now() + lasts).max(1), Relaxed);
        self.level.store((level + 1).min(MAX_LEVEL), Relaxed);
    }

    fn quick_yield(&self) {
        let level = self.level.load(Relaxed);
        if level > 0 {
            self.level.store(level / 2, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_yield_makes_the_machine_crowded_for_a_while_that_grows() {
        let crowded = Crowded::new();
        let before = Instant::now();
        assert!(!crowded.holds_at(before));
        crowded.slow_yield();
        let after = Instant::now();
        assert!(crowded.holds_at(before));
        assert!(
            !crowded.holds_at(after + Duration::from_millis(2)),
            "the first verdict lasts 1 ms"
        );
        crowded.slow_yield();
        let before = Instant::now();
        crowded.slow_yield();
        let after = Instant::now();
        assert!(
            crowded.holds_at(before + Duration::from_millis(3)),
            "the third lasts 4 ms"
        );
        assert!(!crowded.holds_at(after + Duration::from_millis(5)));
        crowded.quick_yield();
        assert_eq!(
            crowded.level.load(Relaxed),
            1,
            "a quick yield halves the next verdict"
        );
        for _ in 0..20 {
            crowded.slow_yield();
        }
        assert_eq!(crowded.level.load(Relaxed), MAX_LEVEL);
    }

    #[test]
    fn a_spin_ends_after_its_rounds_and_yields() {
        let mut spin = Spin::new();
        let rounds = std::iter::from_fn(|| spin.spin().then_some(())).count();
        assert!((SPIN_ROUNDS as usize..=(SPIN_ROUNDS + YIELDS) as usize).contains(&rounds));
        assert!(!spin.spin(), "a spin that said park stays so");
    }
}
