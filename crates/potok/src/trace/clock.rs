//! The clock of trace events: the CPU's time-stamp counter where there is one (about 15 ns to
//! read on the development machine, against about 34 ns for `Instant::now`), turned into
//! nanoseconds of wall time when the trace is built.
//!
//! Each process keeps its own [`Calibration`]: pairs of (ticks, wall nanoseconds) read side by
//! side. Wall time (not the monotonic clock, which std does not expose as a number) is what
//! lines processes up with each other; within a process it advances with `Instant`, so a
//! change of the system clock during a run does not bend a process's own timeline.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Ticks of the trace clock: the time-stamp counter on x86_64, nanoseconds since the process's
/// first reading elsewhere.
#[inline]
pub(crate) fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` has no preconditions and exists on every x86_64 CPU; it only reads
        // a counter. The kernel exposes an invariant, synchronised counter when it picks `tsc`
        // as its clock source; elsewhere the calibration below still keeps each process's
        // timeline monotonic per thread.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        u64::try_from(origin().0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// The process's first reading: an `Instant` and the wall time at that instant.
fn origin() -> &'static (Instant, u64) {
    static ORIGIN: OnceLock<(Instant, u64)> = OnceLock::new();
    ORIGIN.get_or_init(|| {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        (Instant::now(), wall)
    })
}

/// Wall nanoseconds now, advancing with `Instant` from the process's first reading.
pub(crate) fn wall_ns() -> u64 {
    let (at, wall) = origin();
    wall + u64::try_from(at.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// One reading of both clocks, side by side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pair {
    pub(crate) ticks: u64,
    pub(crate) wall: u64,
}

impl Pair {
    /// Both clocks now.
    pub(crate) fn now() -> Pair {
        let ticks = ticks();
        Pair {
            ticks,
            wall: wall_ns(),
        }
    }
}

/// Ticks to wall nanoseconds for one process, from its first and latest [`Pair`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Calibration {
    first: Pair,
    ns_per_tick: f64,
}

impl Calibration {
    /// From the process's first and last pairs; with too short a run between them (under a
    /// millisecond) the rate is measured now, over two milliseconds.
    pub(crate) fn new(first: Pair, last: Pair) -> Calibration {
        let (a, b) = if last.wall.saturating_sub(first.wall) >= 1_000_000 {
            (first, last)
        } else {
            measure()
        };
        let dt = b.ticks.saturating_sub(a.ticks).max(1) as f64;
        let dw = b.wall.saturating_sub(a.wall) as f64;
        Calibration {
            first,
            ns_per_tick: dw / dt,
        }
    }

    /// The wall nanoseconds of a tick reading.
    pub(crate) fn wall(&self, ticks: u64) -> f64 {
        let d = ticks as f64 - self.first.ticks as f64;
        self.first.wall as f64 + d * self.ns_per_tick
    }
}

/// The rate of this machine's counter, over two milliseconds (same machine for every process
/// of a trace).
fn measure() -> (Pair, Pair) {
    static RATE: OnceLock<(Pair, Pair)> = OnceLock::new();
    *RATE.get_or_init(|| {
        let a = Pair::now();
        let until = Instant::now() + std::time::Duration::from_millis(2);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        (a, Pair::now())
    })
}
