//! The same pool over many machines: [`Pool`] has `process::Pool`'s methods, with its work
//! queued in Redis (7+) Streams and run by workers anywhere that can reach the broker
//! (feature `cluster`).
//!
//! A program written for [`process::Pool`](crate::process::Pool) runs on a cluster pool by
//! changing its constructor (and the error paths' `use`: the errors here are named the same):
//!
//! ```no_run
//! fn square(x: u64) -> u64 {
//!     x * x
//! }
//!
//! fn main() {
//!     potok::main(|| {
//!         // let pool = potok::process::Pool::new(2).unwrap();
//!         let pool = potok::cluster::Pool::builder("redis://127.0.0.1:6379/0")
//!             .local_workers(2)
//!             .build()
//!             .unwrap();
//!         assert_eq!(pool.map(square, 0..4).unwrap(), [0, 1, 4, 9]);
//!     })
//! }
//! ```
//!
//! # Workers
//!
//! A worker is this same executable, started anywhere with `POTOK_WORKER=redis://host:6379/0
//! ./program`: [`potok::main`](crate::main) (or [`init`]) sees the variable and serves the
//! broker instead of running the program. [`worker`] does the same from code, and
//! [`PoolBuilder::local_workers`] starts some here. A worker serves every pool on its broker,
//! pulls its work, and names itself `host:pid` in Redis.
//!
//! # Delivery
//!
//! Each chunk of a call is one entry of the stream `potok:tasks`, read by the consumer group
//! `workers`, so it is leased to one worker at a time. The worker renews the lease while the
//! chunk runs; a chunk whose worker died, stalled or was stopped past the lease is taken back
//! by another worker and run again, up to the pool's retries; then the call's items fail with
//! [`TaskErrorKind::GaveUp`], whose text names each worker (host:pid) and what happened, and
//! the chunk is kept in the stream `potok:dead`. Finishing is one Lua script: the answer is
//! accepted only from the worker that holds the lease, acknowledged and published in one
//! atomic step; a late answer from a worker that lost its lease is counted
//! ([`Pool::duplicates`]) and never delivered. A worker whose executable differs from the
//! pool's (a hash of the file) refuses the task, and the error says so. See `broker.rs` for
//! the keys and the scripts.
//!
//! # Failure never hangs
//!
//! Every wait on the broker is bounded ([`PoolBuilder::broker_timeout`], 5 s by default): a
//! broker that goes away fails the calls in flight with [`TaskErrorKind::BrokerLost`] (they
//! are not queued again: a restarted broker may have lost them, or may still run them). Each
//! later call of that pool first tries once to get the broker back: it connects again (within
//! the broker timeout), makes the pool's key again, and reads its result stream on new
//! connections; if the broker is still away, that call fails with `BrokerLost` at once. So a
//! pool kept by a long-running program works again as soon as its broker does, without being
//! made again. Workers outlive it too: they reconnect with a growing pause (up to 5 s) for up
//! to 10 minutes, make their consumer group and registration again if the broker lost them,
//! and serve every pool again. Dropping a pool removes its queued tasks and its result
//! stream; a pool whose process vanished without dropping is forgotten after 60 s (its keys
//! expire, and workers drop its tasks).
//!
//! # Security
//!
//! Anyone who can write to the broker can ask a worker to run any function of the program
//! with a serde signature, on arguments of their choosing (not arbitrary code). Keep the broker
//! private, as for Celery or RQ.
//!
//! # In tests
//!
//! As for `process`, a test file whose pools start local workers uses `harness = false` and a
//! `main` that begins with `potok::main` (or [`init`]): the worker is the test executable.

mod broker;
mod dispatch;
mod error;
mod identity;
mod local;
mod pool;
mod reader;
mod results;
mod worker;

pub use dispatch::init;
pub use error::{
    BrokerError, ConnectError, GetTimeoutError, MapError, TaskError, TaskErrorKind, WorkerError,
};
pub use pool::{Pool, PoolBuilder};
pub use results::{AsyncResult, IMap, IMapUnordered};
pub use worker::worker;
