//! What every lesson is given: language, time scale, seed, whether to explain.

use std::sync::{Arc, Once};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::console;
pub(crate) use crate::msg::Lang;
use crate::msg::Messages;

/// The settings a lesson runs with.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The language of every message.
    pub(crate) lang: Lang,
    /// Multiplies every sleep (`--time-scale`).
    pub(crate) time_scale: f64,
    /// `--seed`, or one drawn for this run: every lesson of a run draws from the same seed, so
    /// `--seed N` repeats a whole run's draws (the tour too).
    seed: u64,
    /// Whether the seed was drawn (then it is printed once, at the first draw).
    drawn: Option<Arc<Once>>,
    /// Whether to print an explanation after the lesson (not `--no-explain`).
    pub(crate) explain: bool,
}

impl Context {
    /// A context; `seed: None` draws one.
    pub(crate) fn new(lang: Lang, time_scale: f64, seed: Option<u64>, explain: bool) -> Self {
        Context {
            lang,
            time_scale,
            seed: seed.unwrap_or_else(rand::random),
            drawn: seed.is_none().then(|| Arc::new(Once::new())),
            explain,
        }
    }

    /// The catalogue of the lesson's language.
    pub(crate) fn m(&self) -> &'static dyn Messages {
        self.lang.m()
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
    /// stderr (once per run) with what repeating it repeats.
    pub(crate) fn rng(&self) -> StdRng {
        if let Some(drawn) = &self.drawn {
            let seed = self.seed;
            drawn.call_once(|| console::note(self.m().seed_line(seed)));
        }
        StdRng::seed_from_u64(self.seed)
    }

    /// Prints the lesson's explanation on stderr, unless `--no-explain`.
    pub(crate) fn explain(&self, text: impl FnOnce(&dyn Messages) -> String) {
        if self.explain {
            console::note(format!(
                "\n{}\n{}",
                self.m().explain_heading(),
                text(self.m())
            ));
        }
    }
}
