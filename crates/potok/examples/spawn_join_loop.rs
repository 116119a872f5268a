//! `spawn` + `join` of a no-op thread inside `potok::main`, potok beside std, in short
//! alternating batches: a shared machine's load swings within a second, so each round times
//! one batch of each (in turns, so neither always goes first), and the median of the rounds'
//! ratios is what to read (the quartiles say how much it swung).
//!
//! Run: `cargo run --release -p potok --example spawn_join_loop`

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Spawn + join pairs per batch.
const BATCH: u32 = 50;
const ROUNDS: usize = 200;

fn batch(f: &dyn Fn()) -> Duration {
    let start = Instant::now();
    for _ in 0..BATCH {
        f();
    }
    start.elapsed() / BATCH
}

fn main() {
    potok::main(|| {
        let std_pair = || {
            std::thread::spawn(|| black_box(1)).join().unwrap();
        };
        let potok_pair = || {
            potok::spawn(|| black_box(1)).join().unwrap();
        };
        // Warm up both (thread stacks cached, the detector's tables grown).
        batch(&std_pair);
        batch(&potok_pair);
        let mut ratios = Vec::with_capacity(ROUNDS);
        let (mut std_total, mut potok_total) = (Duration::ZERO, Duration::ZERO);
        for round in 0..ROUNDS {
            let (std, potok) = if round % 2 == 0 {
                let s = batch(&std_pair);
                (s, batch(&potok_pair))
            } else {
                let p = batch(&potok_pair);
                (batch(&std_pair), p)
            };
            std_total += std;
            potok_total += potok;
            ratios.push(potok.as_secs_f64() / std.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        let rounds = u32::try_from(ROUNDS).expect("few rounds");
        println!(
            "{ROUNDS} rounds of {BATCH}: std {:?}, potok {:?} per spawn + join (means)",
            std_total / rounds,
            potok_total / rounds
        );
        println!(
            "potok/std per round: quartiles {:.3} / {:.3}",
            ratios[ROUNDS / 4],
            ratios[3 * ROUNDS / 4]
        );
        println!("median potok/std: {:.3}", ratios[ROUNDS / 2]);
    });
}
