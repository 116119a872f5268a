//! The primitives of Python's `threading`, with Rust's manners, every one nameable and
//! deadlock-checked: [`Barrier`], [`Lock`], [`RLock`], [`Mutex`], [`Condition`], [`Semaphore`], [`BoundedSemaphore`],
//! [`Event`].

mod barrier;
mod condition;
mod error;
mod event;
mod lock;
mod mutex;
pub(crate) mod name;
mod raw;
mod rlock;
mod semaphore;

pub use barrier::{Barrier, BrokenBarrierError};
pub use condition::{Condition, ConditionGuard};
pub use error::ReleaseError;
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use mutex::{Mutex, MutexGuard};
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreGuard};
