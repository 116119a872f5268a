//! State shared between processes: [`SharedMemory`] by name, and in it a process [`Lock`]
//! that survives its holder's death, a [`Value`] and an [`Array`] of plain data.
//!
//! - `memory.rs`: [`SharedMemory`], the POSIX segment (create, open by name, unlink).
//! - `segment.rs`: the layout of a potok object in a segment (header, lock word, data).
//! - `word.rs`: the lock word's protocol (a shared futex; how a dead holder is found).
//! - `lock.rs`, `value.rs`, `array.rs`: the public faces; `error.rs`: their errors.

mod array;
mod error;
mod lock;
mod memory;
mod segment;
mod value;
mod word;

pub use array::{Array, ArrayGuard};
pub use error::{OwnerDied, SharedMemoryError};
pub use lock::{Lock, LockGuard};
pub use memory::SharedMemory;
pub use value::{Value, ValueGuard};
