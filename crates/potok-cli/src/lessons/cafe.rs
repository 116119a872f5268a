//! 10_4 "Очереди для обмена данными между потоками": a cafe whose waiting line is a potok
//! `Queue`. Guests are thread types; a guest who finds no free table waits in the queue.
//!
//! The course's `discuss_guests` polls `is_alive()` in a loop without pause, keeping a core at
//! 100% for the whole evening. Here each guest, on finishing, tells the waiter through a
//! `SimpleQueue`, and the waiter sleeps in `get()` until someone does; the rest of the loop is
//! the course's, line by line.

use std::collections::HashSet;
use std::time::Instant;

use rand::Rng;

use crate::console::say;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::msg::{facts, Messages};

/// The course's guests, in order of arrival.
pub(crate) const GUESTS: [&str; 12] = [
    "Maria",
    "Oleg",
    "Vakhtang",
    "Sergey",
    "Darya",
    "Arman",
    "Vitoria",
    "Nikita",
    "Galina",
    "Pavel",
    "Ilya",
    "Alexandra",
];

/// The course's number of tables.
pub(crate) const TABLES: usize = 5;

/// The course's `Guest(Thread)`: eats for a random 3..=10 seconds, then leaves.
struct Guest {
    /// Which guest this is (names may repeat on the command line).
    id: usize,
    name: String,
    meal_seconds: u32,
    ctx: Context,
    /// Where the guest says "I am done" (what the course's waiter polls `is_alive()` for).
    done: potok::SimpleQueue<usize>,
}

impl potok::Run for Guest {
    type Output = ();

    fn name(&self) -> Option<String> {
        Some(self.name.clone())
    }

    fn run(self) {
        self.ctx.sleep(f64::from(self.meal_seconds));
        self.done.put(self.id);
    }
}

/// A guest at a table: the running thread.
struct Seated {
    id: usize,
    name: String,
    thread: potok::JoinHandle<()>,
}

/// The course's `Table`: a number, and the guest sitting there (none at first).
struct Table {
    number: usize,
    guest: Option<Seated>,
}

impl Table {
    /// Seats `guest` and starts its thread (`table.guest = guest; guest.start()`).
    fn seat(&mut self, guest: Guest) {
        assert!(
            self.guest.is_none(),
            "table {} seats two guests",
            self.number
        );
        let (id, name) = (guest.id, guest.name.clone());
        let thread = potok::start(guest);
        self.guest = Some(Seated { id, name, thread });
    }
}

/// The course's `Cafe`: the waiting line (a potok `Queue`) and the tables.
struct Cafe {
    queue: potok::Queue<Guest>,
    tables: Vec<Table>,
    m: &'static dyn Messages,
    done: potok::SimpleQueue<usize>,
    /// Guests who waited in the queue (for the explanation).
    queued: usize,
}

impl Cafe {
    fn new(tables: usize, m: &'static dyn Messages, done: potok::SimpleQueue<usize>) -> Self {
        Cafe {
            queue: potok::Queue::named("waiting line", 0),
            tables: (1..=tables)
                .map(|number| Table {
                    number,
                    guest: None,
                })
                .collect(),
            m,
            done,
            queued: 0,
        }
    }

    fn guest_arrival(&mut self, guests: Vec<Guest>) -> CliResult {
        for guest in guests {
            match self.tables.iter_mut().find(|table| table.guest.is_none()) {
                Some(table) => {
                    let (name, number) = (guest.name.clone(), table.number);
                    table.seat(guest);
                    say(self.m.sat_down(&name, number))?;
                }
                None => {
                    let name = guest.name.clone();
                    self.queue.put(guest).map_err(|e| closed(self.m, e))?;
                    self.queued += 1;
                    say(self.m.in_queue(&name))?;
                }
            }
        }
        Ok(())
    }

    fn discuss_guests(&mut self) -> CliResult {
        while !self.queue.is_empty() || self.tables.iter().any(|table| table.guest.is_some()) {
            // Sleep until a guest is done (the course spins here), then take every guest who is.
            let mut finished: HashSet<usize> = HashSet::from([self.done.get()]);
            finished.extend(std::iter::from_fn(|| self.done.try_get().ok()));
            for table in &mut self.tables {
                if table
                    .guest
                    .as_ref()
                    .is_some_and(|g| finished.contains(&g.id))
                {
                    let guest = table.guest.take().expect("checked just above");
                    guest.thread.join()?;
                    say(self.m.ate_and_left(&guest.name))?;
                    say(self.m.table_free(table.number))?;
                }
                if !self.queue.is_empty() && table.guest.is_none() {
                    let guest = self.queue.get().map_err(|e| closed(self.m, e))?;
                    say(self.m.left_queue(&guest.name, table.number))?;
                    table.seat(guest);
                }
            }
        }
        Ok(())
    }
}

/// The waiting line is never shut down; if it were, that would be a bug worth reporting.
fn closed<E>(m: &dyn Messages, _shut_down: E) -> CliError {
    CliError::Failed(m.waiting_line_shut_down().to_owned())
}

pub(crate) fn run(ctx: &Context, tables: usize, names: &[String]) -> CliResult {
    let names: Vec<String> = if names.is_empty() {
        GUESTS.iter().map(|&n| n.to_owned()).collect()
    } else {
        names.to_vec()
    };
    let mut rng = ctx.rng();
    let done = potok::SimpleQueue::named("guests done");
    let guests: Vec<Guest> = names
        .into_iter()
        .enumerate()
        .map(|(id, name)| Guest {
            id,
            name,
            meal_seconds: rng.random_range(3..=10),
            ctx: ctx.clone(),
            done: done.clone(),
        })
        .collect();
    let meals: Vec<u32> = guests.iter().map(|g| g.meal_seconds).collect();
    let start = Instant::now();
    let mut cafe = Cafe::new(tables, ctx.m(), done);
    cafe.guest_arrival(guests)?;
    cafe.discuss_guests()?;
    let evening = start.elapsed().as_secs_f64() / ctx.time_scale;
    ctx.explain(|m| {
        m.explain_cafe(&facts::Cafe {
            tables,
            guests: meals.len(),
            queued: cafe.queued,
            longest_meal: meals.iter().copied().max().unwrap_or(0),
            meals_sum: meals.iter().sum(),
            evening,
        })
    });
    Ok(())
}
