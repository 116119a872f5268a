//! A waiter's short, adaptive spin before it sleeps, shared by [`Condition`](super::Condition)
//! and [`Event`](super::Event).
//!
//! In a ping-pong the other side usually notifies within a microsecond or two, while a thread
//! that slept takes several microseconds to wake on a VM (tens on a busy one), and a notifier
//! that finds the waiter awake makes no system call. A spin pays off only while the notifier
//! runs on another CPU, though: when the two share one (a loaded machine), the spinner only
//! delays it. So each primitive keeps a credit: a spin that ends without the change it
//! watches for halves it, one that sees the change fills it again, and with no credit left
//! only one wait in [`PROBE_EVERY`] spins, to find out whether spinning pays off again. The
//! deadlock detector only hears of a wait when the thread sleeps, so a stall is declared at
//! most [`PROBE_SPIN`] later.
//!
//! The probe watches longer than a usual spin ([`PROBE_SPIN`]): once both sides of a
//! ping-pong sleep, each notify first has to wake a sleeping thread, which takes longer than
//! [`SPIN`] here, so a probe of the usual length never saw it and the primitive stayed asleep
//! for good (a `Condition` ping-pong measured 0.5 µs or 12–45 µs depending on which mode a
//! run fell into, against std `Condvar`'s 13–27 µs). A probe that pays gives one step of
//! credit, which a usual spin must confirm before the credit is full: on a crowded machine
//! the long watch may see a change that a usual one would not. Measured, main's build and
//! this one interleaved: quiet, 3.1–4.5 µs in every run (before: 0.5–12 µs; a run that stays
//! spinning throughout, 0.5 µs, is no longer seen); beside three busy loops, 24–33 µs
//! (before: 25–36 µs; std `Condvar` 21–43 µs).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a waiter stays awake, watching, before it sleeps.
pub(crate) const SPIN: Duration = Duration::from_micros(10);

/// How long a probe (a wait that spins without credit) stays awake: longer than a sleeping
/// thread takes to wake here, so that when both sides of a ping-pong had stopped spinning
/// (each notify then wakes a sleeper, which takes longer than [`SPIN`]), the probe still sees
/// the other side's notify and spinning starts again.
const PROBE_SPIN: Duration = Duration::from_micros(50);

/// The credit of a primitive whose waiters' spins see what they watch for: spins that end
/// without it halve the credit, down to zero.
const MAX_CREDIT: u32 = 8;

/// With no credit, one wait in this many (a power of two) spins all the same.
const PROBE_EVERY: u32 = 128;

/// One primitive's spin credit (see the module docs).
#[derive(Debug)]
pub(crate) struct StayAwake {
    /// Whether waiters should spin before they sleep.
    credit: AtomicU32,
    /// Waits that did not spin, for lack of credit.
    skips: AtomicU32,
}

impl StayAwake {
    /// Full credit: the first waits spin.
    pub(crate) const fn new() -> Self {
        StayAwake {
            credit: AtomicU32::new(MAX_CREDIT),
            skips: AtomicU32::new(0),
        }
    }

    /// Stays awake, spinning, until `changed()` holds, [`SPIN`] has passed or `deadline` has,
    /// if spinning has paid off lately. What changed is checked again by the caller, under
    /// its own lock: the spin only decides whether it sleeps first.
    pub(crate) fn watch(&self, deadline: Option<Instant>, changed: impl Fn() -> bool) {
        let credit = self.credit.load(Ordering::Relaxed);
        if credit == 0 && self.skips.fetch_add(1, Ordering::Relaxed) & (PROBE_EVERY - 1) != 0 {
            return;
        }
        // A probe watches longer: with no credit the other side sleeps too, and a notify
        // from a thread that must first be woken comes later than `SPIN`.
        let spin = if credit == 0 { PROBE_SPIN } else { SPIN };
        let start = Instant::now();
        let until = deadline.map_or(start + spin, |d| d.min(start + spin));
        let mut spins = 0u32;
        while !changed() {
            spins += 1;
            if spins & 15 == 0 && Instant::now() >= until {
                self.credit.store(credit / 2, Ordering::Relaxed);
                return;
            }
            std::hint::spin_loop();
        }
        // A probe that pays gives one spin of credit, to be confirmed by a spin of the usual
        // length before the credit is full again: on a crowded machine the probe's long
        // watch may see a change that a usual one would not.
        let refill = if credit == 0 { 1 } else { MAX_CREDIT };
        if credit != refill {
            self.credit.store(refill, Ordering::Relaxed);
        }
    }
}

impl Default for StayAwake {
    fn default() -> Self {
        StayAwake::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change that comes `after` the first look, as a sleeping notifier's does.
    fn changes_after(after: Duration) -> impl Fn() -> bool {
        let start = Instant::now();
        move || start.elapsed() >= after
    }

    #[test]
    fn a_probe_sees_a_change_later_than_a_usual_spin_and_gives_one_step_of_credit() {
        let stay = StayAwake::new();
        stay.credit.store(0, Ordering::Relaxed);
        // The first wait without credit is a probe; the change comes after `SPIN`.
        stay.watch(None, changes_after(SPIN * 2));
        assert_eq!(stay.credit.load(Ordering::Relaxed), 1, "the probe paid");
        stay.watch(None, || true);
        assert_eq!(
            stay.credit.load(Ordering::Relaxed),
            MAX_CREDIT,
            "a usual spin that pays fills the credit"
        );
    }

    #[test]
    fn spins_that_miss_drain_the_credit_and_then_only_probes_spin() {
        let stay = StayAwake::new();
        let mut rounds = 0;
        while stay.credit.load(Ordering::Relaxed) > 0 {
            stay.watch(None, || false);
            rounds += 1;
            assert!(rounds <= 8, "each miss halves the credit");
        }
        // The probe (the first wait without credit) misses too: still no credit, and the
        // waits after it do not spin (a change that is never seen costs them nothing).
        stay.watch(None, || false);
        assert_eq!(stay.credit.load(Ordering::Relaxed), 0);
        let start = Instant::now();
        for _ in 1..PROBE_EVERY {
            stay.watch(None, || false);
        }
        assert_eq!(stay.credit.load(Ordering::Relaxed), 0);
        assert!(
            start.elapsed() < PROBE_SPIN * PROBE_EVERY / 2,
            "the waits between probes did not spin"
        );
    }
}
