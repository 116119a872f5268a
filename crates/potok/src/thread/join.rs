//! [`JoinHandle`] and what a join gives back: [`Panicked`], [`JoinTimeoutError`].

use std::any::Any;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::handle::Thread;

/// An owned permission to join a thread and take what it returned.
///
/// Dropping it detaches the thread (it keeps running; [`potok::main`](crate::main) still waits
/// for it unless it is a daemon).
///
/// # Examples
///
/// ```
/// let handle = potok::spawn(|| "done");
/// assert_eq!(handle.join().unwrap(), "done");
///
/// let handle = potok::Builder::new().name("boom").spawn(|| panic!("oops")).unwrap();
/// potok::set_excepthook(|_| {}); // keep the doc test quiet
/// let err = handle.join().unwrap_err();
/// assert_eq!(err.thread().name(), "boom");
/// assert_eq!(err.message(), "oops");
/// potok::reset_excepthook();
/// ```
pub struct JoinHandle<T> {
    native: std::thread::JoinHandle<Result<T, Panicked>>,
    thread: Thread,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(
        native: std::thread::JoinHandle<Result<T, Panicked>>,
        thread: Thread,
    ) -> Self {
        JoinHandle { native, thread }
    }

    /// The thread this handle joins.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// Whether the thread is still running (Python's `is_alive()`).
    pub fn is_alive(&self) -> bool {
        self.thread.is_alive()
    }

    /// Waits for the thread to finish and returns what it returned.
    ///
    /// # Errors
    ///
    /// [`Panicked`] if the thread panicked: it names the thread and carries the panic.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when the join would deadlock:
    /// two threads joining each other, or every thread blocked (see [`crate::deadlock`]).
    #[track_caller]
    pub fn join(self) -> Result<T, Panicked> {
        let thread = self.thread;
        // Wait where the deadlock detector sees it; the OS thread ends right after.
        thread.inner.wait_finished(None);
        // The OS thread ends moments after it marks itself finished: wait for that awake, so
        // the join below does not sleep a second time.
        super::handle::try_for(super::handle::TRY_BEFORE_SLEEP, None, || {
            self.native.is_finished()
        });
        match self.native.join() {
            Ok(result) => result,
            // Only a panic outside the thread's closure gets here (in a thread-local destructor,
            // say): still the thread's panic, reported the same way.
            Err(payload) => Err(Panicked::new(thread, payload, None)),
        }
    }

    /// Waits at most `timeout` for the thread to finish.
    ///
    /// # Errors
    ///
    /// [`JoinTimeoutError::Timeout`] gives this handle back if the thread is still running;
    /// [`JoinTimeoutError::Panicked`] if the thread panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let handle = potok::spawn(move || rx.recv().is_err());
    /// let handle = match handle.join_timeout(Duration::from_millis(10)) {
    ///     Err(potok::JoinTimeoutError::Timeout(handle)) => handle, // still waiting for tx
    ///     _ => unreachable!(),
    /// };
    /// drop(tx);
    /// assert!(handle.join().unwrap());
    /// ```
    #[track_caller]
    pub fn join_timeout(self, timeout: Duration) -> Result<T, JoinTimeoutError<T>> {
        let deadline = Instant::now().checked_add(timeout);
        if self.thread.inner.wait_finished(deadline) {
            self.join().map_err(JoinTimeoutError::Panicked)
        } else {
            Err(JoinTimeoutError::Timeout(self))
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("thread", &self.thread)
            .finish()
    }
}

/// Why [`JoinHandle::join_timeout`] did not give the thread's result.
pub enum JoinTimeoutError<T> {
    /// The thread is still running; here is the handle, to join again later.
    Timeout(JoinHandle<T>),
    /// The thread panicked.
    Panicked(Panicked),
}

impl<T> fmt::Debug for JoinTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinTimeoutError::Timeout(h) => f.debug_tuple("Timeout").field(h).finish(),
            JoinTimeoutError::Panicked(p) => f.debug_tuple("Panicked").field(p).finish(),
        }
    }
}

impl<T> fmt::Display for JoinTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinTimeoutError::Timeout(h) => {
                write!(f, "timed out waiting for thread '{}'", h.thread().name())
            }
            JoinTimeoutError::Panicked(p) => fmt::Display::fmt(p, f),
        }
    }
}

impl<T> std::error::Error for JoinTimeoutError<T> {}

/// A thread panicked: which thread, the message, and the panic itself.
///
/// Display gives `thread 'NAME' panicked: MESSAGE`.
pub struct Panicked {
    thread: Thread,
    message: String,
    location: Option<String>,
    /// Behind a Mutex only so that `Panicked` is `Sync` (an error users can put in
    /// `anyhow::Error` or `Box<dyn Error + Send + Sync>`); it is never contended.
    payload: Mutex<Box<dyn Any + Send>>,
}

impl Panicked {
    pub(crate) fn new(
        thread: Thread,
        payload: Box<dyn Any + Send>,
        location: Option<String>,
    ) -> Self {
        let message = payload_message(&*payload);
        Panicked {
            thread,
            message,
            location,
            payload: Mutex::new(payload),
        }
    }

    /// The thread that panicked.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// The panic message (the `&str` or `String` given to `panic!`, or the `Display` of a
    /// potok error payload such as a deadlock report).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the panic happened (`file:line:column`), when known.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Whether the panic payload is a `P`.
    pub fn is<P: Any>(&self) -> bool {
        self.lock_payload().is::<P>()
    }

    /// The [`DeadlockError`](crate::DeadlockError) this thread panicked with, if a deadlock
    /// is what ended it (the report names every thread and lock involved).
    ///
    /// # Examples
    ///
    /// ```
    /// potok::deadlock::set_print_reports(false); // keep the doc test quiet
    /// potok::set_excepthook(|_| {});
    /// let lock = potok::Lock::named("door");
    /// let worker = potok::Builder::new()
    ///     .name("locksmith")
    ///     .spawn(move || {
    ///         lock.acquire();
    ///         lock.acquire(); // a Lock is not reentrant, and nobody else can release it
    ///     })
    ///     .unwrap();
    /// let err = worker.join().unwrap_err();
    /// let deadlock = err.deadlock().expect("a deadlock ended the thread");
    /// assert!(deadlock.to_string().contains("'door'"));
    /// potok::reset_excepthook();
    /// potok::deadlock::set_print_reports(true);
    /// ```
    pub fn deadlock(&self) -> Option<crate::DeadlockError> {
        self.lock_payload()
            .downcast_ref::<crate::DeadlockError>()
            .cloned()
    }

    /// The panic payload as a `P`, or the error back if it is not one.
    ///
    /// # Errors
    ///
    /// Gives `self` back when the payload is not a `P`.
    pub fn downcast<P: Any>(self) -> Result<Box<P>, Self> {
        if !self.is::<P>() {
            return Err(self);
        }
        let payload = self.into_payload();
        Ok(payload
            .downcast::<P>()
            .expect("payload type was just checked"))
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`.
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_payload(&self) -> std::sync::MutexGuard<'_, Box<dyn Any + Send>> {
        self.payload
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(e) = payload.downcast_ref::<crate::deadlock::DeadlockError>() {
        e.to_string()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "thread '{}' panicked: {}",
            self.thread.name(),
            self.message
        )
    }
}

impl fmt::Debug for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Panicked")
            .field("thread", &self.thread.name())
            .field("message", &self.message)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for Panicked {}
