//! What every lesson is given: language, time scale, seed.

use std::sync::{Arc, Once};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;

/// The language of the lesson's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Lang {
    /// The course's Russian, word for word.
    Ru,
    /// The same lines in English.
    En,
}

impl Lang {
    /// From the locale: the first of LC_ALL, LC_MESSAGES, LANG that is set; `ru*` is Russian.
    pub(crate) fn from_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        if locale.to_ascii_lowercase().starts_with("ru") {
            Lang::Ru
        } else {
            Lang::En
        }
    }
}

/// The settings a lesson runs with.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub lang: Lang,
    pub time_scale: f64,
    /// `--seed`, or one drawn for this run: every lesson of a run draws from the same seed, so
    /// `--seed N` repeats a whole run (the tour too).
    seed: u64,
    /// Whether the seed was drawn (then it is printed once, at the first draw).
    drawn: Option<Arc<Once>>,
}

impl Context {
    pub(crate) fn new(lang: Lang, time_scale: f64, seed: Option<u64>) -> Self {
        Context {
            lang,
            time_scale,
            seed: seed.unwrap_or_else(rand::random),
            drawn: seed.is_none().then(|| Arc::new(Once::new())),
        }
    }

    /// Sleeps `seconds` of the course's time, scaled by `--time-scale`.
    pub(crate) fn sleep(&self, seconds: f64) {
        potok::sleep(self.scaled(seconds));
    }

    /// `seconds` of the course's time, scaled by `--time-scale`.
    pub(crate) fn scaled(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds * self.time_scale)
    }

    /// A random generator for the lesson, from the run's seed; a drawn seed is printed on
    /// stderr (once per run) so that the run can be repeated.
    pub(crate) fn rng(&self) -> StdRng {
        if let Some(drawn) = &self.drawn {
            let seed = self.seed;
            drawn.call_once(|| eprintln!("seed: {seed} (repeat this run with --seed {seed})"));
        }
        StdRng::seed_from_u64(self.seed)
    }
}
