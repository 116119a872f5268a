//! The primitives of Python's `threading`, with Rust's manners, one per file, every one
//! nameable (`Lock::named("bank")`; unnamed ones are `Lock-3` style) and deadlock-checked:
//! [`Lock`], [`RLock`], [`Mutex`], [`Condition`], [`Semaphore`], [`BoundedSemaphore`],
//! [`Event`], [`Barrier`], [`Timer`], and [`RwLock`] (Rust's reader-writer lock, checked the same way).
//!
//! The owned locks (`Lock`, `RLock`, `Mutex`) share one lock word (`raw.rs`); everything that
//! waits for a state to change keeps the state in a `parking_lot::Mutex` and sleeps on a
//! deadlock-aware `WaitList` (see `deadlock::wait_list`).

mod barrier;
mod condition;
mod error;
mod event;
mod lock;
mod mutex;
pub(crate) mod name;
mod raw;
mod rlock;
mod rwlock;
mod semaphore;
mod stay_awake;
mod timer;

pub use barrier::{Barrier, BrokenBarrierError};
pub use condition::{Condition, ConditionGuard};
pub use error::ReleaseError;
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use mutex::{Mutex, MutexGuard};
pub use rlock::{RLock, RLockGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreGuard};
pub use timer::{Timer, TimerError};
