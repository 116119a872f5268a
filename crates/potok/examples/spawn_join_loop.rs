//! `spawn` + `join` of a no-op thread inside `potok::main`, potok beside std, in short
//! alternating batches: a shared machine's load swings within a second, so each round times
//! one batch of each (in turns, so neither always goes first), and the median of the rounds'
//! ratios is what to read (the quartiles say how much it swung).
//!
//! Run: `cargo run --release -p potok --example spawn_join_loop`

#[path = "support/alternate.rs"]
mod alternate;

use std::hint::black_box;

fn main() {
    potok::main(|| {
        // The warm-up batches cache thread stacks and grow the detector's tables.
        alternate::Rounds {
            peer: "std",
            what: "spawn + join",
            batch: 50,
            rounds: 200,
        }
        .run(
            &mut || {
                std::thread::spawn(|| black_box(1)).join().unwrap();
            },
            &mut || {
                potok::spawn(|| black_box(1)).join().unwrap();
            },
        );
    });
}
