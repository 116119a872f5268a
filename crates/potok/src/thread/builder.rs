//! Starting threads: [`spawn`], [`start`], [`Builder`] and the [`Run`] trait.

use std::io;
use std::panic::{self, AssertUnwindSafe};

use super::excepthook;
use super::handle::{Inner, Kind, Thread};
use super::join::{JoinHandle, Panicked};
use super::registry;

/// A thread written as a type, the way Python subclasses `Thread` and overrides `run()`.
///
/// The value carries the thread's parameters (Python's `__init__`), and [`run`](Run::run)
/// consumes it on the new thread. Start it with [`start`] or [`Builder::start`].
///
/// # Examples
///
/// ```
/// struct Knight {
///     name: String,
///     power: u32,
/// }
///
/// impl potok::Run for Knight {
///     type Output = u32;
///
///     fn run(self) -> u32 {
///         100_u32.div_ceil(self.power) // days to defeat 100 enemies
///     }
///
///     fn name(&self) -> Option<String> {
///         Some(self.name.clone())
///     }
/// }
///
/// let knight = potok::start(Knight { name: "Sir Galahad".into(), power: 20 });
/// assert_eq!(knight.thread().name(), "Sir Galahad");
/// assert_eq!(knight.join().unwrap(), 5);
/// ```
pub trait Run: Send + 'static {
    /// What the thread returns; [`JoinHandle::join`] hands it back.
    type Output: Send + 'static;

    /// The thread's body (Python's `run()`).
    fn run(self) -> Self::Output;

    /// The thread's name, if the type has one (Python's `super().__init__(name=...)`). A name
    /// given to the [`Builder`] wins over this one; with neither, the thread is `Thread-N`.
    fn name(&self) -> Option<String> {
        None
    }

    /// Whether the thread is a daemon, if the type decides. A choice made on the [`Builder`]
    /// wins; with neither, the thread inherits the daemon flag of the thread that starts it.
    fn daemon(&self) -> Option<bool> {
        None
    }
}

/// Sets up a thread before starting it: Python's `Thread(name=..., daemon=...)`.
///
/// # Examples
///
/// ```
/// let handle = potok::Builder::new()
///     .name("writer")
///     .daemon(false)
///     .stack_size(256 * 1024)
///     .spawn(|| potok::current_thread().name().to_owned())
///     .unwrap();
/// assert_eq!(handle.join().unwrap(), "writer");
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a Builder does nothing until spawn() or start() is called"]
pub struct Builder {
    name: Option<String>,
    daemon: Option<bool>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with Python's defaults: the name `Thread-N`, the daemon flag of the spawning
    /// thread, and std's default stack size.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Names the thread (shown by [`Thread::name`], panics, deadlock reports and traces).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Makes the thread a daemon (`true`) or not: [`potok::main`](crate::main) waits for
    /// every non-daemon thread before the program ends, and abandons daemon threads.
    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = Some(daemon);
        self
    }

    /// The stack size of the new thread, in bytes.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Starts a thread running `f`: Python's `Thread(target=f).start()`.
    ///
    /// # Errors
    ///
    /// The operating system's error if it cannot create the thread; nothing is registered then.
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (thread, native) = self.prepare();
        registry::register(&thread);
        let me = thread.clone();
        let spawned = native.spawn(move || run_thread(me, f));
        match spawned {
            Ok(native) => Ok(JoinHandle::new(native, thread)),
            Err(e) => {
                registry::finish(&thread);
                Err(e)
            }
        }
    }

    /// Starts a thread in `scope` that may borrow from the caller (like std's
    /// `Builder::spawn_scoped`), registered and named like every potok thread.
    ///
    /// # Errors
    ///
    /// The operating system's error if it cannot create the thread; nothing is registered then.
    ///
    /// # Examples
    ///
    /// ```
    /// let words = ["a", "bb"];
    /// let total = potok::scope(|s| {
    ///     let h = potok::Builder::new().name("counter").spawn_scoped(s, || {
    ///         (potok::current_thread().name().to_owned(), words.iter().map(|w| w.len()).sum::<usize>())
    ///     }).unwrap();
    ///     h.join().unwrap()
    /// });
    /// assert_eq!(total, ("counter".to_owned(), 3));
    /// ```
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: super::scope::Scope<'scope, 'env>,
        f: F,
    ) -> io::Result<super::scope::ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let (thread, native) = self.prepare();
        registry::register(&thread);
        let me = thread.clone();
        let spawned = native.spawn_scoped(scope.inner, move || match run_thread(me, f) {
            Ok(value) => value,
            // Reported already; unwinding lets std's scope see a panic nobody joined.
            Err(panicked) => panic::resume_unwind(Box::new(panicked)),
        });
        match spawned {
            Ok(native) => Ok(super::scope::ScopedJoinHandle::new(native, thread)),
            Err(e) => {
                registry::finish(&thread);
                Err(e)
            }
        }
    }

    /// The thread's record (not registered yet) and the std builder for it.
    fn prepare(self) -> (Thread, std::thread::Builder) {
        let name = match self.name {
            Some(name) => name.into_boxed_str(),
            None => registry::new_name("Thread"),
        };
        // The parent is registered (a thread potok did not start becomes `Dummy-N`), so that
        // the family the new thread joins counts it while it runs (see `deadlock/family.rs`).
        let parent = registry::current_thread();
        let daemon = self.daemon.unwrap_or_else(|| parent.is_daemon());
        let mut inner = Inner::new(name, registry::next_ident(), daemon, Kind::Spawned);
        inner.family = parent.inner.family;
        let thread = Thread::from_inner(inner);
        excepthook::install_panic_hook();

        // The OS name cannot hold NUL bytes (std would panic); potok's own name keeps them.
        // Room for the NUL std adds, so that std's C string is this allocation.
        let os_name = if thread.name().contains('\0') {
            thread.name().replace('\0', "\u{2400}")
        } else {
            let mut os_name = String::with_capacity(thread.name().len() + 1);
            os_name.push_str(thread.name());
            os_name
        };
        let mut native = std::thread::Builder::new().name(os_name);
        if let Some(bytes) = self.stack_size {
            native = native.stack_size(bytes);
        }
        (thread, native)
    }

    /// Starts a thread running `runnable.run()`: Python's `MyThread(...).start()`.
    ///
    /// The name and daemon flag set on the builder win over the ones [`Run`] gives.
    ///
    /// # Errors
    ///
    /// The operating system's error if it cannot create the thread.
    pub fn start<R: Run>(mut self, runnable: R) -> io::Result<JoinHandle<R::Output>> {
        if self.name.is_none() {
            self.name = runnable.name();
        }
        if self.daemon.is_none() {
            self.daemon = runnable.daemon();
        }
        self.spawn(move || runnable.run())
    }
}

/// The body of every potok thread: bind, run, report a panic, deregister, wake joiners.
fn run_thread<F, T>(thread: Thread, f: F) -> Result<T, Panicked>
where
    F: FnOnce() -> T,
{
    registry::bind_current(&thread);
    crate::trace::thread_started(thread.is_daemon());
    // Deregisters and wakes joiners however this function is left.
    let _finish = Finish(&thread);
    let result = {
        let _quiet = excepthook::QuietPanics::enter();
        panic::catch_unwind(AssertUnwindSafe(f))
    };
    result.map_err(|payload| {
        let location = excepthook::take_panic_location();
        let panicked = Panicked::new(thread.clone(), payload, location);
        excepthook::report(&panicked);
        panicked
    })
}

/// Runs the end of a thread's lifecycle (see `thread/mod.rs`) when dropped.
struct Finish<'a>(&'a Thread);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        crate::trace::thread_ended();
        registry::finish(self.0);
    }
}

/// Starts a thread running `f` with Python's defaults (`Thread-N`, inherited daemon flag).
///
/// # Panics
///
/// If the operating system cannot create the thread, like `std::thread::spawn`; use
/// [`Builder::spawn`] to get the error instead.
///
/// # Examples
///
/// ```
/// let handle = potok::spawn(|| 1 + 1);
/// assert!(handle.thread().name().starts_with("Thread-"));
/// assert_eq!(handle.join().unwrap(), 2);
/// ```
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new()
        .spawn(f)
        .expect("potok: failed to spawn a thread")
}

/// Starts a thread type (a [`Run`]): Python's `MyThread(...).start()`.
///
/// # Panics
///
/// If the operating system cannot create the thread; use [`Builder::start`] to get the error.
///
/// # Examples
///
/// ```
/// struct Greeter(&'static str);
///
/// impl potok::Run for Greeter {
///     type Output = String;
///     fn run(self) -> String {
///         format!("hello from {}", potok::current_thread().name())
///     }
///     fn name(&self) -> Option<String> {
///         Some(self.0.to_owned())
///     }
/// }
///
/// assert_eq!(potok::start(Greeter("greeter")).join().unwrap(), "hello from greeter");
/// ```
pub fn start<R: Run>(runnable: R) -> JoinHandle<R::Output> {
    Builder::new()
        .start(runnable)
        .expect("potok: failed to spawn a thread")
}
