//! A program that forgot the entry point: its `main` starts a pool without calling
//! `potok::process::init()` (or `potok::main`) first. The child re-runs this `main`, must not
//! start children of its own (no fork bomb), and the parent gets an error that says what to add,
//! quickly (no hang).

mod support;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use potok::process::{Pool, StartError};
use support::case;

fn main() -> ExitCode {
    // Deliberately no `potok::process::init()` here.
    support::run_without_init([case!(forgotten_entry_point_is_an_error)])
}

fn forgotten_entry_point_is_an_error() {
    let started = Instant::now();
    let err = Pool::new(1).expect_err("a child that runs the program cannot be a worker");
    let msg = err.to_string();
    assert!(matches!(err, StartError::NotDispatched(_)), "{err:?}");
    assert!(msg.contains("potok::process::init()"), "{msg}");
    assert!(msg.contains("potok::main"), "{msg}");
    assert!(msg.contains("exit code 97"), "{msg}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
