//! `spawn` + `join` of a no-op thread, 2,000 times in a loop inside `potok::main`, potok beside
//! std, alternating rounds (a loaded machine swings between rounds; the median ratio of the
//! rounds is what to read).
//!
//! Run: `cargo run --release -p potok --example spawn_join_loop`

use std::hint::black_box;
use std::time::{Duration, Instant};

const N: u32 = 2_000;
const ROUNDS: usize = 9;

fn time(f: impl Fn()) -> Duration {
    let start = Instant::now();
    for _ in 0..N {
        f();
    }
    start.elapsed() / N
}

fn main() {
    potok::main(|| {
        let mut ratios = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS {
            let std = time(|| {
                std::thread::spawn(|| black_box(1)).join().unwrap();
            });
            let potok = time(|| {
                potok::spawn(|| black_box(1)).join().unwrap();
            });
            let ratio = potok.as_secs_f64() / std.as_secs_f64();
            println!("round {round}: std {std:?}, potok {potok:?}, potok/std {ratio:.2}");
            ratios.push(ratio);
        }
        ratios.sort_by(f64::total_cmp);
        println!("median potok/std: {:.2}", ratios[ROUNDS / 2]);
    });
}
