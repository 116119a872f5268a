//! 10_2 "Потоки на классах": knights are thread types, each fighting its own 100 enemies.

use crate::console::say;
use crate::context::{Context, Lang};
use crate::error::CliResult;

/// Every knight starts with this many enemies.
const ENEMIES: u32 = 100;

/// A knight given on the command line (`--knight "Name:power"`).
#[derive(Debug, Clone)]
pub(crate) struct KnightSpec {
    pub name: String,
    pub power: u32,
}

/// The course's `Knight(Thread)`: a name, a power, and a `run` that fights day by day.
struct Knight {
    name: String,
    power: u32,
    ctx: Context,
}

impl potok::Run for Knight {
    type Output = ();

    fn name(&self) -> Option<String> {
        Some(self.name.clone())
    }

    fn run(self) {
        let name = &self.name;
        match self.ctx.lang {
            Lang::Ru => say!("{name}, на нас напали!"),
            Lang::En => say!("{name}, we are under attack!"),
        }
        let mut enemies = ENEMIES;
        let mut days = 0;
        while enemies > 0 {
            self.ctx.sleep(1.0);
            days += 1;
            enemies = enemies.saturating_sub(self.power);
            match self.ctx.lang {
                Lang::Ru => {
                    say!("{name}, сражается {days} день(дня)..., осталось {enemies} воинов.")
                }
                Lang::En => {
                    say!("{name}, fighting for {days} day(s)..., {enemies} warriors left.")
                }
            }
        }
        match self.ctx.lang {
            Lang::Ru => say!("{name} одержал победу спустя {days} дней(дня)!"),
            Lang::En => say!("{name} won after {days} day(s)!"),
        }
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
    for knight in knights {
        knight.join()?;
    }
    match ctx.lang {
        Lang::Ru => say!("Все битвы закончились!"),
        Lang::En => say!("All battles are over!"),
    }
    Ok(())
}
