//! Processes with Python's `multiprocessing` model: [`Process`], [`Pool`], [`Queue`],
//! [`JoinableQueue`], [`SimpleQueue`], [`Pipe`], [`cpu_count`], who is who
//! ([`current_process`], [`parent_process`], [`active_children`]), and state shared between
//! them: [`SharedMemory`], [`Lock`], [`RLock`], [`Semaphore`], [`BoundedSemaphore`], [`Event`],
//! [`Condition`], [`Barrier`], [`Value`], [`Array`].
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
//! Pool workers are forked instead, by the *fork server*: one child started that way with the
//! first pool, which stays single-threaded and forks each worker and replacement on request
//! (CPython's `forkserver` start method; a fork of that small process is several times cheaper
//! than a start from the executable). It lives as long as the program; if it dies, its workers
//! die with it (their tasks fail as [`TaskErrorKind::WorkerDied`], as for any dead worker) and
//! the next worker is asked of a new server. `POTOK_FORK_SERVER=0` in the environment starts
//! workers from the executable too.
//!
//! The server keeps a few workers forked ahead of need (as many as the largest pool start
//! asked for, at most the number of CPUs): a new pool takes them at once, without waiting for
//! a fork, and they are replaced in the background. They are the server's children,
//! idle until a pool takes them (then they learn their name), not listed by
//! [`active_children`], and die with the server and the program.
//!
//! Every child asks the kernel to kill it when its parent dies, and every child is reaped by
//! its parent as soon as it ends (a forked worker by the fork server, when the pool's process
//! asks): no orphans, no zombies. At the end of
//! [`potok::main`](crate::main), as at the end of a Python script, daemon children
//! ([`Process::daemon`]) still running are terminated and the other children are waited for.
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
//! # Layout: where a change goes
//!
//! The files form a tree of imports (no file uses a file that uses it back; `tests/process_layout.rs`
//! checks it), from the public faces down to the wire:
//!
//! - **The pool's scheduling** (which job goes to which worker, when, hand-offs, close,
//!   terminate, a broken pool): `pool/state.rs`, the pool's phase and each slot's state as
//!   enums under one lock; the per-worker thread that feeds a worker and reads its answers
//!   (crash, replacement, blame) is `pool/worker.rs`; a job (a chunk of items) is `pool/job.rs`;
//!   where results land and how callers wait for them is `pool/results.rs`; the public `Pool`
//!   and `PoolBuilder` (chunking, the map family) are `pool/mod.rs`.
//! - **The wire format** (frames, checksums, every message tag, of the pool, `Process`,
//!   `Connection` and the `Queue` broker alike): `wire.rs`; how values become bytes (the [`Data`]
//!   bound, postcard in and out) is `data.rs`; how a function is named across processes is
//!   `task.rs`.
//! - **Child start-up**: the parent side (spawning, the handshake, reaping, the fork server's
//!   client) is `spawn.rs`; its connection to the server and the workers forked ahead of need
//!   are `stock.rs`; the fork server itself and its requests are `forkserver.rs`; what
//!   marks a child and its exit codes is `env.rs`; the child side ([`init`], the worker and
//!   process loops) is `dispatch.rs`; its progress page (which item it runs, read after a
//!   crash) is `progress.rs`, its panic text `unwind.rs`.
//! - The rest are one public concept each: `proc.rs` ([`Process`]), `queue.rs` ([`Queue`]),
//!   `joinable.rs` ([`JoinableQueue`]: a `Queue` plus a task count in shared memory,
//!   `shared/tasks.rs`), `simple_queue.rs` ([`SimpleQueue`]), `pipe.rs` ([`Pipe`]),
//!   `identity.rs` (who this process is, how children are named), `children.rs` (the live
//!   children and the exit rule), `fdpass.rs` (descriptors inside arguments), `error.rs`,
//!   `timeout.rs`, `cpu.rs`; `keep.rs` holds the shared segments of a `Process` argument
//!   until the child ends. State shared between processes ([`SharedMemory`], and in it [`Lock`],
//!   [`Value`], [`Array`]) is the `shared/` folder beside `pool/`, built on `data.rs` (and
//!   `proc.rs` for the names of dead holders), not on the pool: the segment and its header
//!   (`memory.rs`, `segment.rs`), the lock word's protocol (`word.rs`), the public faces.
//!
//! # Using processes in tests
//!
//! A test executable is re-executed like any other, so the libtest harness cannot host tests
//! that start processes (the child would run the test suite). Put them in an integration test
//! with `harness = false` in `Cargo.toml` and a `main` that calls [`init`] (or `potok::main`)
//! before running its test functions; potok's own `tests/pool.rs` is an example.

mod child_sock;
mod children;
mod cpu;
mod data;
mod dispatch;
mod env;
mod error;
mod fdpass;
mod forkserver;
mod identity;
mod joinable;
mod keep;
mod pipe;
mod plain;
mod pool;
mod proc;
mod progress;
mod queue;
mod reap_cell;
mod shared;
mod simple_queue;
mod spawn;
mod stock;
mod task;
#[doc(hidden)]
pub mod testing;
mod timeout;
mod unwind;
mod wire;

pub use children::active_children;
pub(crate) use children::at_exit;
pub use cpu::cpu_count;
pub use data::Data;
pub use dispatch::init;
pub use error::{
    Abandoned, ChildExit, Closed, GetError, JoinTimeoutError, MapError, NotReady, ProcessError,
    PutError, PutTimeoutError, QueueJoinTimeoutError, RecvError, SendError, StartError,
    StillRunning, TaskError, TaskErrorKind, TimedOut, TryGetError, TryPutError,
};
pub use identity::{current_process, parent_process, ProcessInfo};
pub use joinable::JoinableQueue;
pub use pipe::{Connection, Pipe};
pub use pool::{
    Arity, AsyncResult, GetTimeoutError, IMap, IMapUnordered, Pool, PoolBuilder, StarTask,
};
pub use proc::{Process, Run};
pub use queue::Queue;
pub use shared::{
    Array, ArrayGuard, Barrier, BoundedSemaphore, BrokenBarrierError, Condition, ConditionGuard,
    Event, HolderDied, Lock, LockGuard, OwnerDied, RLock, RLockGuard, Semaphore, SemaphoreGuard,
    SharedMemory, SharedMemoryError, Value, ValueGuard, WaitError,
};
pub use simple_queue::SimpleQueue;
pub use task::Task;
