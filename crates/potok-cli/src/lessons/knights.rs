//! 10_2 "Потоки на классах": knights are thread types, each fighting its own 100 enemies.

use std::time::Instant;

use crate::console::say;
use crate::context::Context;
use crate::error::CliResult;
use crate::msg::facts;

/// Every knight starts with this many enemies.
const ENEMIES: u32 = 100;

/// A knight given on the command line (`--knight "Name:power"`).
#[derive(Debug, Clone)]
pub(crate) struct KnightSpec {
    pub(crate) name: String,
    pub(crate) power: u32,
}

/// The course's `Knight(Thread)`: a name, a power, and a `run` that fights day by day.
struct Knight {
    name: String,
    power: u32,
    ctx: Context,
}

impl potok::Run for Knight {
    /// The days it fought.
    type Output = CliResult<u32>;

    fn name(&self) -> Option<String> {
        Some(self.name.clone())
    }

    fn run(self) -> CliResult<u32> {
        let (name, m) = (&self.name, self.ctx.m());
        say(m.under_attack(name))?;
        let mut enemies = ENEMIES;
        let mut days = 0;
        while enemies > 0 {
            self.ctx.sleep(1.0);
            days += 1;
            enemies = enemies.saturating_sub(self.power);
            say(m.fighting(name, days, enemies))?;
        }
        say(m.won(name, days))?;
        Ok(days)
    }
}

pub(crate) fn run(ctx: &Context, specs: &[KnightSpec]) -> CliResult {
    let defaults = [
        KnightSpec {
            name: "Sir Lancelot".into(),
            power: 10,
        },
        KnightSpec {
            name: "Sir Galahad".into(),
            power: 20,
        },
    ];
    let specs = if specs.is_empty() {
        &defaults[..]
    } else {
        specs
    };
    let start = Instant::now();
    let knights: Vec<_> = specs
        .iter()
        .map(|spec| {
            potok::start(Knight {
                name: spec.name.clone(),
                power: spec.power,
                ctx: ctx.clone(),
            })
        })
        .collect();
    let mut fought = Vec::new();
    for (knight, spec) in knights.into_iter().zip(specs) {
        fought.push((spec.name.clone(), spec.power, knight.join()??));
    }
    say(ctx.m().battles_over())?;
    let elapsed = start.elapsed().as_secs_f64();
    ctx.explain(|m| {
        m.explain_knights(&facts::Knights {
            scale: ctx.time_scale,
            knights: fought,
            elapsed,
        })
    });
    Ok(())
}
