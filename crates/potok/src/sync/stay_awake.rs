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
//! most [`SPIN`] later.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a waiter stays awake, watching, before it sleeps.
pub(crate) const SPIN: Duration = Duration::from_micros(10);

/// The credit of a primitive whose waiters' spins see what they watch for: spins that end
/// without it halve the credit, down to zero.
const MAX_CREDIT: u32 = 8;

/// With no credit, one wait in this many (a power of two) spins all the same.
const PROBE_EVERY: u32 = 32;

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
        let start = Instant::now();
        let until = deadline.map_or(start + SPIN, |d| d.min(start + SPIN));
        let mut spins = 0u32;
        while !changed() {
            spins += 1;
            if spins & 15 == 0 && Instant::now() >= until {
                self.credit.store(credit / 2, Ordering::Relaxed);
                return;
            }
            std::hint::spin_loop();
        }
        if credit != MAX_CREDIT {
            self.credit.store(MAX_CREDIT, Ordering::Relaxed);
        }
    }
}

impl Default for StayAwake {
    fn default() -> Self {
        StayAwake::new()
    }
}
