//! potok beside a peer in short alternating batches, for the `*_loop` examples: a shared
//! machine's load swings within a second, so each round times one batch of each (in turns, so
//! neither always goes first), and the median of the rounds' ratios is what to read (the
//! quartiles say how much it swung).

use std::time::{Duration, Instant};

/// What one comparison runs: `rounds` rounds of a batch of `batch` calls of each side.
pub(crate) struct Rounds<'a> {
    /// The peer's name in the report (`std`, `rayon`).
    pub(crate) peer: &'a str,
    /// What one call does, in the report (`spawn + join`).
    pub(crate) what: &'a str,
    pub(crate) batch: u32,
    pub(crate) rounds: usize,
}

impl Rounds<'_> {
    /// Warms both sides up with a batch each, runs the rounds and prints the means per call,
    /// the quartiles and the median of the rounds' potok/peer ratios.
    pub(crate) fn run(&self, peer: &mut dyn FnMut(), potok: &mut dyn FnMut()) {
        let batch = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            for _ in 0..self.batch {
                f();
            }
            start.elapsed() / self.batch
        };
        batch(peer);
        batch(potok);
        let mut ratios = Vec::with_capacity(self.rounds);
        let (mut peer_total, mut potok_total) = (Duration::ZERO, Duration::ZERO);
        for round in 0..self.rounds {
            let (theirs, ours) = if round % 2 == 0 {
                let theirs = batch(peer);
                (theirs, batch(potok))
            } else {
                let ours = batch(potok);
                (batch(peer), ours)
            };
            peer_total += theirs;
            potok_total += ours;
            ratios.push(ours.as_secs_f64() / theirs.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        let (n, peer_name) = (self.rounds, self.peer);
        let rounds = u32::try_from(n).expect("few rounds");
        println!(
            "{n} rounds of {}: {peer_name} {:?}, potok {:?} per {} (means)",
            self.batch,
            peer_total / rounds,
            potok_total / rounds,
            self.what
        );
        println!(
            "potok/{peer_name} per round: quartiles {:.3} / {:.3}",
            ratios[n / 4],
            ratios[3 * n / 4]
        );
        println!("median potok/{peer_name}: {:.3}", ratios[n / 2]);
    }
}
