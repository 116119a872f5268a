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
//! thread that has just woken ahead of the busy loops. So the yields are skipped while the
//! machine looks crowded (`thread/crowded.rs`: a yield came back late lately), and the thread
//! parks after its spin.
//!
//! Beside three busy loops (criterion, old and new binaries interleaved): 1p1c bounded 1024
//! went from 0.55-1.15x crossbeam-channel (both 270-600 ms per 100,000 items) to 16-20x
//! between std threads and 7-8x between potok threads. Never yielding at all was as good
//! there, but 0.87x crossbeam-channel beside other engineers' builds, where the yields pay.
//!
//! The waits inside the stores (a consumer waiting for the write of a slot it claimed, whose
//! producer was preempted; `list.rs`) still yield: the thread that holds things up needs a
//! CPU, possibly this one.

use crate::thread::crowded;

/// Rounds of spinning: round `r` spins `1 << r` times.
const SPIN_ROUNDS: u32 = 7;
/// Then at most this many yields, unless the machine is crowded.
const YIELDS: u32 = 4;

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
        if crowded::holds() || !crowded::yield_now() {
            return false;
        }
        self.round += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spin_ends_after_its_rounds_and_yields() {
        let mut spin = Spin::new();
        let rounds = std::iter::from_fn(|| spin.spin().then_some(())).count();
        assert!((SPIN_ROUNDS as usize..=(SPIN_ROUNDS + YIELDS) as usize).contains(&rounds));
        assert!(!spin.spin(), "a spin that said park stays so");
    }
}
