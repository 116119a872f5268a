//! Processes with Python's `multiprocessing` model: [`Process`], [`Pool`], [`Queue`],
//! [`Pipe`], [`cpu_count`].
//!
//! Linux only (it relies on `memfd`, `PR_SET_PDEATHSIG`, abstract Unix sockets and
//! `/proc/self/exe`); on other systems the module is absent and the thread model still builds.
//!
//! # How a child starts
//!
//! A child is this same executable started again (from `/proc/self/exe`) with `POTOK_CHILD` in
//! its environment. [`potok::main`](crate::main) calls [`init`] first thing, which sees the
//! marker and runs the worker loop instead of the program; a program without `potok::main`
//! calls [`init`] as the first line of its `main`. A child that never reaches it is caught (see
//! [`StartError::NotDispatched`]); it cannot start children of its own, so a forgotten entry
//! point is an error message, never a fork bomb or a hang.
//!
//! Every child asks the kernel to kill it when its parent dies, and every child is reaped by
//! the parent as soon as it ends: no orphans, no zombies.
//!
//! # How a task travels
//!
//! A task is a plain function pointer, `fn(T) -> R` with serde `T` and `R` (see [`Task`] for how
//! it is named across processes and what checks that name). Arguments and results are postcard
//! bytes in length-prefixed, checksummed frames over a Unix socket pair. Anything that goes
//! wrong on the way (a value that does not serialize, a corrupt or truncated frame, an unknown
//! function) is an error for the task concerned. One limit: a corrupted length field that still
//! looks plausible makes the reader wait for bytes that never come, until the peer closes the
//! connection or dies (then it is an error too).
//!
//! # Using processes in tests
//!
//! A test executable is re-executed like any other, so the libtest harness cannot host tests
//! that start processes (the child would run the test suite). Put them in an integration test
//! with `harness = false` in `Cargo.toml` and a `main` that calls [`init`] (or `potok::main`)
//! before running its test functions; potok's own `tests/pool.rs` is an example.

mod cpu;
mod data;
mod dispatch;
mod env;
mod error;
mod fdpass;
mod pipe;
mod pool;
mod proc;
mod progress;
mod queue;
mod spawn;
mod task;
#[doc(hidden)]
pub mod testing;
mod unwind;
mod wire;

pub use cpu::cpu_count;
pub use data::Value;
pub use dispatch::init;
pub use error::{
    ChildExit, Closed, GetTimeoutError, JoinTimeoutError, MapError, NotReady, ProcessError,
    StartError, StillRunning, TaskError, TaskErrorKind, TimedOut,
};
pub use pipe::{Connection, Pipe, RecvError, SendError};
pub use pool::{AsyncResult, IMap, IMapUnordered, Pool, PoolBuilder};
pub use proc::{Process, Run};
pub use queue::{GetError, PutError, Queue};
pub use task::Task;
