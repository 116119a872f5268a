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
    /// Warms both sides up with a batch each, then runs the rounds, the sides in turns;
    /// returns each round's time per call of the peer and of potok.
    pub(crate) fn measure(
        &self,
        peer: &mut dyn FnMut(),
        potok: &mut dyn FnMut(),
    ) -> Vec<(Duration, Duration)> {
        let batch = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            for _ in 0..self.batch {
                f();
            }
            start.elapsed() / self.batch
        };
        batch(peer);
        batch(potok);
        (0..self.rounds)
            .map(|round| {
                if round % 2 == 0 {
                    let theirs = batch(peer);
                    (theirs, batch(potok))
                } else {
                    let ours = batch(potok);
                    (batch(peer), ours)
                }
            })
            .collect()
    }

    /// [`measure`](Self::measure)s, then prints the means per call, the quartiles and the
    /// median of the rounds' potok/peer ratios.
    #[allow(dead_code)] // each `*_loop` example includes this file; not all of them report so
    pub(crate) fn run(&self, peer: &mut dyn FnMut(), potok: &mut dyn FnMut()) {
        let times = self.measure(peer, potok);
        let peer_total: Duration = times.iter().map(|t| t.0).sum();
        let potok_total: Duration = times.iter().map(|t| t.1).sum();
        let mut ratios: Vec<f64> = times
            .iter()
            .map(|(theirs, ours)| ours.as_secs_f64() / theirs.as_secs_f64())
            .collect();
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
