//! State shared between processes: [`SharedMemory`] by name, and in it a process [`Lock`]
//! that survives its holder's death, an [`Event`], a [`Value`] and an [`Array`] of plain data.
//!
//! - `memory.rs`: [`SharedMemory`], the POSIX segment (create, open by name, unlink).
//! - `segment.rs`: the layout of a potok object in a segment (header, lock word, data).
//! - `word.rs`: the lock word's protocol (a shared futex; how a dead holder is found).
//! - `futex.rs`: sleeping on a shared word and waking its sleepers in any process.
//! - `blocked.rs`: how a thread blocked on a process primitive shows in deadlock snapshots.
//! - `tasks.rs`: a `JoinableQueue`'s task count (what was put and not yet marked done, per
//!   process, so a `join` whose work was abandoned by a dead process says so).
//! - `table.rs`: which processes hold a primitive's permits or have it open (how a dead one
//!   is found and named).
//! - `lock.rs`, `rlock.rs`, `semaphore.rs`, `bounded_semaphore.rs`, `event.rs`,
//!   `condition.rs`, `barrier.rs`, `value.rs`, `array.rs`: the public faces; `error.rs`: their
//!   errors.

mod array;
mod barrier;
mod blocked;
mod bounded_semaphore;
mod condition;
mod error;
mod event;
mod futex;
mod lock;
mod memory;
mod rlock;
mod segment;
mod semaphore;
mod table;
mod tasks;
mod value;
mod word;

pub use array::{Array, ArrayGuard};
pub use barrier::Barrier;
pub use bounded_semaphore::BoundedSemaphore;
pub use condition::{Condition, ConditionGuard};
pub use error::{BrokenBarrierError, HolderDied, OwnerDied, SharedMemoryError, WaitError};
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use memory::SharedMemory;
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{Semaphore, SemaphoreGuard};
pub(crate) use tasks::{JoinFail, Tasks};
pub use value::{Value, ValueGuard};
