//! A program that forgot the entry point: its `main` starts a pool without calling
//! `potok::process::init()` (or `potok::main`) first. The child re-runs this `main`, must not
//! start children of its own (no fork bomb), and the parent gets an error that says what to add,
//! quickly (no hang).

use std::time::{Duration, Instant};

use potok::process::{Pool, StartError};

fn main() {
    // Deliberately no `potok::process::init()` here.
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
    println!("test forgotten_entry_point_is_an_error ... ok\n  ({msg})");
    println!("\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n");
}
