//! [`Local<T>`]: Python's `threading.local`, a value of its own in every thread.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's values of every `Local`, by the Local's id.
    static VALUES: RefCell<HashMap<u64, Box<dyn Any>>> = RefCell::new(HashMap::new());
}

/// A value of its own in every thread: Python's `threading.local()`. Each thread's value is
/// made by `init` the first time that thread touches it, and dropped when the thread ends.
///
/// Python's `local` holds attributes; here the per-thread value is any `T` (a struct of
/// those attributes, say). The values never leave their thread, so `T` need not be `Send`,
/// and a `Local` can be shared by reference (in an `Arc` or a `static`).
///
/// A `with` on the same `Local` nested inside its own `with` sees a fresh value, and a
/// dropped `Local` leaves its values in other threads until they end.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let counter = Arc::new(potok::Local::new(|| 0));
/// counter.with(|n| *n += 10);
/// let other = Arc::clone(&counter);
/// let seen_there = potok::spawn(move || {
///     other.with(|n| *n += 1);
///     other.get()
/// });
/// assert_eq!(seen_there.join().unwrap(), 1);
/// assert_eq!(counter.get(), 10);
/// ```
pub struct Local<T: 'static> {
    id: u64,
    init: Box<dyn Fn() -> T + Send + Sync>,
}

impl<T: 'static> Local<T> {
    /// A `Local` whose value in each thread starts as `init()`.
    pub fn new(init: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Local {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            init: Box::new(init),
        }
    }

    /// Calls `f` with this thread's value.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        /// Puts the value back, even if `f` panics.
        struct PutBack(u64, Option<Box<dyn Any>>);
        impl Drop for PutBack {
            fn drop(&mut self) {
                if let Some(value) = self.1.take() {
                    let _ = VALUES.try_with(|m| m.borrow_mut().insert(self.0, value));
                }
            }
        }
        let taken = VALUES
            .try_with(|m| m.borrow_mut().remove(&self.id))
            .ok()
            .flatten();
        let value = taken.unwrap_or_else(|| Box::new((self.init)()));
        let mut slot = PutBack(self.id, Some(value));
        let value = slot
            .1
            .as_mut()
            .and_then(|v| v.downcast_mut::<T>())
            .expect("a Local's value has the Local's type");
        f(value)
    }

    /// A clone of this thread's value.
    pub fn get(&self) -> T
    where
        T: Clone,
    {
        self.with(|v| v.clone())
    }

    /// Replaces this thread's value.
    pub fn set(&self, value: T) {
        self.with(|v| *v = value);
    }
}

impl<T: Default + 'static> Default for Local<T> {
    fn default() -> Self {
        Local::new(T::default)
    }
}

/// Drops the calling thread's value (other threads drop theirs when they end).
impl<T: 'static> Drop for Local<T> {
    fn drop(&mut self) {
        let _ = VALUES.try_with(|m| m.borrow_mut().remove(&self.id));
    }
}

impl<T: 'static> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
