//! What every test file of this crate shares: one test runner for the `harness = false` files,
//! watchdogs for anything that could block, and a look at this process's children.
//!
//! # The runner (`harness = false` files)
//!
//! A test file needs its own `main` when its tests start processes (a pool or process child is
//! this same executable started again, and must reach `potok::process::init()` before anything
//! else runs) or when they need a process with no threads but potok's own (stall detection
//! stays silent while the process has threads potok does not know, such as libtest's). Such a
//! file sets `harness = false` for itself in `Cargo.toml`:
//!
//! ```toml
//! [[test]]
//! name = "my_file"
//! harness = false
//! ```
//!
//! and hands its tests to [`run`]:
//!
//! ```ignore
//! mod support;
//!
//! use std::process::ExitCode;
//! use std::time::Duration;
//!
//! use support::{case, Test};
//!
//! fn main() -> ExitCode {
//!     support::run(vec![
//!         // Runs in this process, on the main thread, under a watchdog.
//!         case!(pool_maps_in_order),
//!         // Runs alone in a child process (this executable again), inside `potok::main`;
//!         // its stderr must hold exactly one deadlock report.
//!         Test::new("abba", abba).isolated().reports(1),
//!         // Any test may get a longer limit than the default 60 s.
//!         case!(slow_one).limit(Duration::from_secs(240)),
//!     ])
//! }
//! ```
//!
//! A test is a `fn()` that panics to fail, as with `#[test]`. [`run`] first calls
//! `potok::process::init()` (a pool or process child never returns from it), then runs the
//! tests with [libtest-mimic], which speaks libtest's command line: `cargo test -p potok --test
//! my_file -- --list`, `cargo test -p potok --test my_file NAME -- --exact`, `--skip`,
//! `--ignored`, and `cargo nextest run` (one process per test) all work. Tests run one after
//! another on the main thread (`--test-threads` is ignored): in-process tests own `main`, and
//! isolated ones are whole processes each.
//!
//! - An **in-process** test ([`Test::new`], or [`case!`]) runs on this process's main thread.
//!   A watchdog thread ends the whole run (exit code 101, naming the test) when it takes longer
//!   than its limit: a hang fails the run instead of hanging it.
//! - An **isolated** test ([`Test::isolated`]) runs in a child process of this same executable
//!   (marked by the `POTOK_TEST_ISOLATED` environment variable), inside `potok::main`, with a
//!   silent excepthook (the detector prints each report once itself). The parent kills it when
//!   it takes longer than its limit. It passes when the child exits with success and, if
//!   [`Test::reports`] was given, its stderr holds exactly that many lines starting with
//!   `deadlock:`. A failure shows the child's stderr.
//!
//! [`run_without_init`] is the same runner without the `init()` call, for the one file that
//! tests a program which forgot it.
//!
//! # Watchdogs and children (any test file)
//!
//! [`within`] runs a closure on a thread and fails the test if it does not finish in time;
//! [`eventually`] polls a condition with a bound; [`blocked`] waits until a thread is blocked
//! on a given primitive (so a test acts only once the state it is about is reached); [`children`] and [`assert_no_children`] look
//! at this process's child processes. A default-harness file (`#[test]`) uses them with
//! `mod support;` too.
//!
//! [libtest-mimic]: https://docs.rs/libtest-mimic
#![allow(dead_code, unused_imports, unused_macros)] // each test file uses only part of it

mod children;
mod runner;
mod wait;

pub(crate) use children::{assert_no_children, children};
pub(crate) use runner::{run, run_without_init, Test};
pub(crate) use wait::{blocked, eventually, spawn_joiner, within};

/// `case!(f)` is [`Test::new`] named after the function `f`.
macro_rules! case {
    ($f:ident) => {
        $crate::support::Test::new(stringify!($f), $f)
    };
}
pub(crate) use case;
