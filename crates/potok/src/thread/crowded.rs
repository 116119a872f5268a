//! Whether the machine is crowded: more runnable threads than CPUs, so that a `yield_now`
//! hands the core to another process for its whole time slice (milliseconds) instead of
//! coming back within a microsecond. Threads that wait awake for another thread (a queue's
//! blocked `get` / `put`; an executor's idle worker and a future's waiter,
//! `futures/spin.rs`) yield only while yields come back quickly; once one comes
//! back later than [`SLOW_YIELD`], they park instead for a while: 1 ms, doubling with each
//! further late yield up to about a second, shortening by one step with each quick one. The first yield after
//! that while is the probe. One verdict for the process: the load is the machine's.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A yield that comes back later than this gave the CPU to another process for a while.
pub(crate) const SLOW_YIELD: Duration = Duration::from_micros(100);
/// The longest a crowded verdict lasts: `1 ms << MAX_LEVEL`.
const MAX_LEVEL: u32 = 10;

/// Whether a verdict of "crowded" holds now: then a waiter should park, not yield.
pub(crate) fn holds() -> bool {
    Crowded::get().holds_at(Instant::now())
}

/// Yields the CPU and returns whether the yield came back quickly (it records the verdict).
pub(crate) fn yield_now() -> bool {
    let crowded = Crowded::get();
    let before = Instant::now();
    std::thread::yield_now();
    if before.elapsed() > SLOW_YIELD {
        crowded.slow_yield();
        false
    } else {
        crowded.quick_yield();
        true
    }
}

/// Whether the machine looked crowded lately (see the module docs), written only when a
/// yield's verdict changes it.
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
            self.level.store(level - 1, Relaxed);
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
            2,
            "a quick yield shortens the next verdict by a step"
        );
        for _ in 0..20 {
            crowded.slow_yield();
        }
        assert_eq!(crowded.level.load(Relaxed), MAX_LEVEL);
    }
}
