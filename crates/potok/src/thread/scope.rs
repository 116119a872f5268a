//! [`scope`]: threads that borrow from the caller (std's `thread::scope`), as potok threads.

use std::fmt;
use std::marker::PhantomData;

use super::builder::Builder;
use super::handle::Thread;
use super::join::Panicked;

/// Runs `f` with a [`Scope`] whose threads may borrow from the caller; returns once every
/// thread spawned in it has finished (like `std::thread::scope`).
///
/// The threads are potok threads: registered (listed by [`enumerate`](crate::enumerate)),
/// named (`Thread-N`, or a [`Builder`] name with [`Builder::spawn_scoped`]), and part of
/// deadlock detection; joining one is a deadlock-checked wait.
///
/// # Panics
///
/// If a thread that was not joined panicked (as std's scope does), after all have finished.
///
/// # Examples
///
/// ```
/// let mut counts = vec![0; 4];
/// let text = "the quick brown fox";
/// potok::scope(|s| {
///     for (i, slot) in counts.iter_mut().enumerate() {
///         s.spawn(move || *slot = text.split(' ').nth(i).unwrap().len());
///     }
/// });
/// assert_eq!(counts, [3, 5, 5, 3]);
/// ```
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(Scope<'scope, 'env>) -> T,
{
    std::thread::scope(|inner| {
        f(Scope {
            inner,
            _env: PhantomData,
        })
    })
}

/// The scope [`scope`] gives its closure: spawn threads with [`spawn`](Self::spawn). It is
/// `Copy`, so a thread can take it along and spawn more.
#[derive(Clone, Copy)]
pub struct Scope<'scope, 'env: 'scope> {
    pub(super) inner: &'scope std::thread::Scope<'scope, 'env>,
    _env: PhantomData<&'env ()>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Starts a potok thread (`Thread-N`) running `f`, which may borrow what outlives the
    /// scope.
    ///
    /// # Panics
    ///
    /// If the operating system cannot create the thread; use [`Builder::spawn_scoped`] to get
    /// the error instead.
    pub fn spawn<F, T>(self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        Builder::new()
            .spawn_scoped(self, f)
            .expect("potok: failed to spawn a thread")
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

/// A handle to join a scoped thread and take what it returned.
pub struct ScopedJoinHandle<'scope, T> {
    native: std::thread::ScopedJoinHandle<'scope, T>,
    thread: Thread,
}

impl<'scope, T> ScopedJoinHandle<'scope, T> {
    pub(super) fn new(native: std::thread::ScopedJoinHandle<'scope, T>, thread: Thread) -> Self {
        ScopedJoinHandle { native, thread }
    }

    /// The thread this handle joins.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// Whether the thread is still running.
    pub fn is_alive(&self) -> bool {
        self.thread.is_alive()
    }

    /// Waits for the thread (a deadlock-checked wait) and returns what it returned.
    ///
    /// # Errors
    ///
    /// [`Panicked`] if the thread panicked.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::DeadlockError) when the join would deadlock.
    pub fn join(self) -> Result<T, Panicked> {
        self.thread.inner.wait_finished(None);
        // The OS thread ends moments after it marks itself finished: wait for that awake, so
        // the join below does not sleep a second time.
        super::handle::try_for(super::handle::TRY_BEFORE_SLEEP, None, || {
            self.native.is_finished()
        });
        match self.native.join() {
            Ok(value) => Ok(value),
            Err(payload) => match payload.downcast::<Panicked>() {
                Ok(panicked) => Err(*panicked),
                Err(other) => Err(Panicked::new(self.thread, other, None)),
            },
        }
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle")
            .field("thread", &self.thread)
            .finish()
    }
}
