//! Threads with Python's semantics: names, a registry, daemon threads, joins from any handle.
//!
//! # Thread lifecycle
//!
//! Every thread potok knows about has one record ([`Thread`]) and goes through these states:
//!
//! ```text
//!   spawn()/start()          the closure returns or panics
//! ─────────────────▶ Running ─────────────────────────────▶ Finished
//!   (registered: listed      (removed from the registry first, then
//!    by enumerate(),          marked finished, so enumerate() never
//!    is_alive() == true)      lists a finished thread and join() wakes)
//! ```
//!
//! Potok registers a spawned thread *before* the OS thread exists, so `enumerate()` lists it as
//! soon as `spawn` returns (Python's `start()` gives the same guarantee). Two other kinds of
//! thread enter the registry lazily, the first time they call [`current_thread`]:
//!
//! - the process's main thread, named `MainThread`, which never finishes;
//! - a *foreign* thread (a plain `std::thread`, another library's pool), named `Dummy-N` and
//!   treated as a daemon, as in Python; it leaves the registry when the OS thread exits.

mod builder;
pub(crate) mod crowded;
mod excepthook;
mod handle;
mod join;
mod local;
mod main_entry;
mod registry;
mod scope;
mod sleep;

pub use builder::{spawn, start, Builder, Run};
pub use excepthook::{reset_excepthook, set_excepthook, ExceptHookArgs};
pub use handle::{JoinError, Thread};
pub use join::{JoinHandle, JoinTimeoutError, Panicked};
pub use local::Local;
pub use main_entry::main;
pub use registry::{
    active_count, current_thread, enumerate, get_ident, get_native_id, main_thread,
};
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use sleep::sleep;

pub(crate) use excepthook::{install_panic_hook, take_panic_location};
pub(crate) use handle::{look_for, try_for, Looked};
pub(crate) use join::payload_message;
pub(crate) use registry::{
    current_family, current_ident_fast, current_known, describe_current, find, live_count,
    live_threads,
};
