//! [`Timer`]: Python's `threading.Timer`.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex as StateMutex;

use super::event::Event;
use crate::thread::{Builder, JoinHandle, Panicked, Thread};

type Function = Box<dyn FnOnce() + Send + 'static>;

/// Why [`Timer::start`] did not start the timer.
#[derive(Debug)]
#[non_exhaustive]
pub enum TimerError {
    /// It was started before (Python: `RuntimeError: threads can only be started once`).
    AlreadyStarted,
    /// The operating system could not create the thread.
    Spawn(io::Error),
}

impl fmt::Display for TimerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimerError::AlreadyStarted => f.write_str("threads can only be started once"),
            TimerError::Spawn(_) => f.write_str("cannot start the timer's thread"),
        }
    }
}

impl std::error::Error for TimerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TimerError::Spawn(e) => Some(e),
            TimerError::AlreadyStarted => None,
        }
    }
}

/// Python's `threading.Timer`: a thread that calls a function after an interval, unless
/// cancelled first.
///
/// The wait is a timed wait, so a pending Timer never counts as a deadlock.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let rang = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&rang);
/// let alarm = potok::Timer::new(Duration::from_millis(5), move || flag.store(true, Ordering::SeqCst));
/// alarm.start().unwrap();
/// assert!(alarm.join().unwrap()); // the function ran
/// assert!(rang.load(Ordering::SeqCst));
///
/// let never = potok::Timer::new(Duration::from_secs(3600), || unreachable!());
/// never.start().unwrap();
/// never.cancel();
/// assert!(!never.join().unwrap()); // cancelled: it did not run
/// ```
pub struct Timer {
    interval: Duration,
    function: StateMutex<Option<Function>>,
    finished: Arc<Event>,
    /// Set by the timer's thread once the function has run (for every joiner to read).
    ran: Arc<AtomicBool>,
    name: Option<String>,
    handle: StateMutex<Option<JoinHandle<bool>>>,
    thread: StateMutex<Option<Thread>>,
}

impl Timer {
    /// A timer that will call `function` `interval` after [`start`](Timer::start): Python's
    /// `Timer(interval, function)`.
    pub fn new(interval: Duration, function: impl FnOnce() + Send + 'static) -> Self {
        Timer {
            interval,
            function: StateMutex::new(Some(Box::new(function))),
            finished: Arc::new(Event::new()),
            ran: Arc::new(AtomicBool::new(false)),
            name: None,
            handle: StateMutex::new(None),
            thread: StateMutex::new(None),
        }
    }

    /// Like [`new`](Timer::new), with a name for the timer's thread.
    pub fn named(
        name: impl Into<String>,
        interval: Duration,
        function: impl FnOnce() + Send + 'static,
    ) -> Self {
        Timer {
            name: Some(name.into()),
            ..Timer::new(interval, function)
        }
    }

    /// Starts the timer's thread: Python's `start()`.
    ///
    /// # Errors
    ///
    /// [`TimerError::AlreadyStarted`] the second time; [`TimerError::Spawn`] if the OS cannot
    /// create the thread.
    pub fn start(&self) -> Result<(), TimerError> {
        let Some(function) = self.function.lock().take() else {
            return Err(TimerError::AlreadyStarted);
        };
        let finished = Arc::clone(&self.finished);
        let ran = Arc::clone(&self.ran);
        let interval = self.interval;
        let mut builder = Builder::new();
        if let Some(name) = &self.name {
            builder = builder.name(name.clone());
        }
        let handle = builder
            .spawn(move || {
                let cancelled = finished.wait_timeout(interval);
                if !cancelled {
                    function();
                    ran.store(true, Ordering::Release);
                }
                finished.set();
                !cancelled
            })
            .map_err(TimerError::Spawn)?;
        *self.thread.lock() = Some(handle.thread().clone());
        *self.handle.lock() = Some(handle);
        Ok(())
    }

    /// Stops the timer if it has not fired yet: Python's `cancel()`.
    pub fn cancel(&self) {
        self.finished.set();
    }

    /// Waits for the timer's thread to end; returns whether the function ran. A timer that
    /// was never started did not run (`Ok(false)`). Any number of threads may join; the one
    /// that joins first gets the function's panic, if it panicked.
    ///
    /// # Errors
    ///
    /// [`Panicked`] if the function panicked.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) if the join would deadlock
    /// (the function blocks forever, and nobody else runs).
    pub fn join(&self) -> Result<bool, Panicked> {
        let handle = self.handle.lock().take();
        match handle {
            Some(handle) => handle.join(),
            // Another thread took the handle: wait for the timer's thread all the same (any
            // number of threads may join, as in Python), then read what happened.
            None => {
                if let Some(thread) = self.thread() {
                    let _ = thread.join();
                }
                Ok(self.ran.load(Ordering::Acquire))
            }
        }
    }

    /// Whether the timer's thread is running.
    pub fn is_alive(&self) -> bool {
        self.thread.lock().as_ref().is_some_and(Thread::is_alive)
    }

    /// The timer's thread, once started.
    pub fn thread(&self) -> Option<Thread> {
        self.thread.lock().clone()
    }

    /// The interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("interval", &self.interval)
            .field("thread", &self.thread())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::Timer;

    /// Regression: a second thread joining the same Timer returned at once, while the timer
    /// was still running, saying the function did not run.
    #[test]
    fn every_joiner_waits_and_learns_the_function_ran() {
        let timer = Arc::new(Timer::named("twice", Duration::from_millis(20), || {}));
        timer.start().unwrap();
        let joiners: Vec<_> = (0..2)
            .map(|_| {
                let timer = Arc::clone(&timer);
                std::thread::spawn(move || (timer.join().unwrap(), timer.is_alive()))
            })
            .collect();
        for joiner in joiners {
            assert_eq!(joiner.join().unwrap(), (true, false));
        }
    }
}
