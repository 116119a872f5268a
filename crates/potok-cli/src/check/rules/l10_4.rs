//! 10_4 «Очереди для обмена данными между потоками»: twelve guests, five tables, a Queue.

use std::collections::VecDeque;

use super::{threads_at_once, unknown_line, Failure, Input, Msg, Verdict};

const GUESTS: [&str; 12] = [
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
const TABLES: usize = 5;
const FREE: &str = "Стол номер # свободен";

fn sat(name: &str) -> String {
    format!("{name} сел(-а) за стол номер #")
}
fn queued(name: &str) -> String {
    format!("{name} в очереди")
}
fn ate(name: &str) -> String {
    format!("{name} покушал(-а) и ушёл(ушла)")
}
fn from_queue(name: &str) -> String {
    format!("{name} вышел(-ла) из очереди и сел(-а) за стол номер #")
}

pub(super) fn templates() -> Vec<String> {
    let mut t = vec![FREE.to_owned()];
    for g in GUESTS {
        t.extend([sat(g), queued(g), ate(g), from_queue(g)]);
    }
    t
}

fn examples() -> Vec<String> {
    let mut e = vec!["Стол номер 1 свободен".to_owned()];
    for g in GUESTS {
        e.extend([
            format!("{g} сел(-а) за стол номер 1"),
            queued(g),
            ate(g),
            format!("{g} вышел(-ла) из очереди и сел(-а) за стол номер 1"),
        ]);
    }
    e
}

/// What a line of the cafe says.
enum Event<'a> {
    Sat(&'a str, usize),
    Queued(&'a str),
    Ate(&'a str),
    Free(usize),
    FromQueue(&'a str, usize),
}

fn parse(m: &Msg) -> Option<Event<'static>> {
    let table = || m.numbers().first().map(|&n| n as usize).unwrap_or(0);
    if m.norm == FREE {
        return Some(Event::Free(table()));
    }
    GUESTS.iter().find_map(|&g| {
        if m.norm == sat(g) {
            Some(Event::Sat(g, table()))
        } else if m.norm == queued(g) {
            Some(Event::Queued(g))
        } else if m.norm == ate(g) {
            Some(Event::Ate(g))
        } else if m.norm == from_queue(g) {
            Some(Event::FromQueue(g, table()))
        } else {
            None
        }
    })
}

pub(super) fn rules(input: &Input<'_>) -> Vec<Verdict> {
    vec![
        messages(input),
        arrival(input),
        seating(input),
        everyone_leaves(input),
        threads(input),
    ]
}

fn messages(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_4_messages().to_owned();
    if let Some(f) = unknown_line(input, &examples()) {
        return Verdict::new(title, Some(f));
    }
    if let Some(m) = input.msgs.iter().find(|m| {
        m.numbers()
            .first()
            .is_some_and(|&n| n < 1 || n > TABLES as i64)
    }) {
        return Verdict::fail(
            title,
            input.m().rule_10_4_table_number().to_owned(),
            input.quote(m),
        );
    }
    Verdict::pass(title)
}

fn arrival(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_4_arrival().to_owned();
    for (i, g) in GUESTS.iter().enumerate() {
        let want = if i < TABLES {
            format!("{g} сел(-а) за стол номер {}", i + 1)
        } else {
            format!("{g} в очереди")
        };
        match input.msgs.get(i) {
            Some(m) if m.text == want => {}
            got => {
                return Verdict::fail(
                    title,
                    want,
                    got.map_or_else(|| input.ended(), |m| input.quote(m)),
                )
                .because(input.m().rule_10_4_arrival_why().to_owned())
            }
        }
    }
    Verdict::pass(title)
}

/// Replays the evening; the first line that breaks the bookkeeping.
fn replay(input: &Input<'_>) -> Result<Vec<&'static str>, Failure> {
    let mut tables: Vec<Option<&str>> = vec![None; TABLES + 1];
    let mut queue: VecDeque<&str> = VecDeque::new();
    let mut left: Vec<&str> = Vec::new();
    // A guest who has just left, whose table the next «Стол номер N свободен» frees.
    let mut leaving: Option<(&str, usize)> = None;
    let m = input.m();
    let fail = |expected: String, line: &Msg| Failure {
        expected,
        actual: input.quote(line),
        why: Vec::new(),
    };
    for line in &input.msgs {
        let Some(event) = parse(line) else { continue };
        match event {
            Event::Sat(g, n) | Event::FromQueue(g, n) => {
                if let Some(other) = tables.get(n).copied().flatten() {
                    let mut f = fail(m.rule_10_4_table_free(n), line);
                    f.why.push(m.rule_10_4_table_taken_why(n, other));
                    return Err(f);
                }
                if matches!(event, Event::FromQueue(..)) {
                    match queue.front() {
                        Some(&first) if first == g => {
                            queue.pop_front();
                        }
                        first => {
                            let expected = match first {
                                Some(first) => format!(
                                    "{first} вышел(-ла) из очереди и сел(-а) за стол номер {n}"
                                ),
                                None => m.rule_10_4_queue_empty().to_owned(),
                            };
                            let mut f = fail(expected, line);
                            f.why.push(m.rule_10_4_fifo_why().to_owned());
                            return Err(f);
                        }
                    }
                }
                if let Some(slot) = tables.get_mut(n) {
                    *slot = Some(g);
                }
            }
            Event::Queued(g) => queue.push_back(g),
            Event::Ate(g) => {
                let Some(n) = tables.iter().position(|t| *t == Some(g)) else {
                    return Err(fail(m.rule_10_4_seated_before_leaving(g), line));
                };
                tables[n] = None;
                left.push(g);
                leaving = Some((g, n));
            }
            Event::Free(n) => match leaving.take() {
                Some((_, at)) if at == n => {}
                Some((g, at)) => {
                    return Err(fail(format!("Стол номер {at} свободен ({g})"), line));
                }
                None => return Err(fail(m.rule_10_4_ate_before_free().to_owned(), line)),
            },
        }
    }
    Ok(left)
}

fn seating(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_4_seating().to_owned();
    Verdict::new(title, replay(input).err())
}

fn everyone_leaves(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_4_everyone().to_owned();
    let Ok(left) = replay(input) else {
        // The seating rule reports the line; count who left from the lines themselves.
        let left: Vec<&str> = input
            .msgs
            .iter()
            .filter_map(|m| match parse(m) {
                Some(Event::Ate(g)) => Some(g),
                _ => None,
            })
            .collect();
        return leaves(input, title, &left);
    };
    leaves(input, title, &left)
}

fn leaves(input: &Input<'_>, title: String, left: &[&str]) -> Verdict {
    match GUESTS.iter().find(|g| !left.contains(g)) {
        None => Verdict::pass(title),
        Some(g) => Verdict::fail(title, format!("{g} покушал(-а) и ушёл(ушла)"), input.none())
            .because(input.m().rule_10_4_everyone_why().to_owned()),
    }
}

fn threads(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_10_4_threads().to_owned();
    if let Some(f) = threads_at_once(input, TABLES) {
        return Verdict::new(title, Some(f));
    }
    let queued = GUESTS.len() - TABLES;
    let (puts, gets) = input.records.queue_ops();
    if puts < queued || gets < queued {
        return Verdict::fail(
            title,
            m.rule_10_4_queue_ops(queued),
            m.rule_10_4_queue_ops_found(puts, gets),
        );
    }
    Verdict::pass(title)
}
