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
    let title = input.t(
        "сообщения: двенадцать гостей задания, столы 1…5, словами задания",
        "messages: the task's twelve guests, tables 1…5, in the task's words",
    );
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
            input.t("стол номер от 1 до 5", "a table number of 1 to 5"),
            input.quote(m),
        );
    }
    Verdict::pass(title)
}

fn arrival(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "приход: первые двенадцать строк - Maria…Darya за столами 1…5, остальные семь в очереди по порядку",
        "arrival: the first twelve lines are Maria…Darya at tables 1…5, the other seven queued in order",
    );
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
                .because(input.t(
                    "guest_arrival рассаживает гостей по порядку за свободные столы, а когда \
                     свободных нет, ставит в очередь: всё это до того, как кто-то доест.",
                    "guest_arrival seats the guests in order at free tables and queues them when \
                     none is free: all before anyone has finished eating.",
                ))
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
    let fail = |expected: String, m: &Msg| Failure {
        expected,
        actual: input.quote(m),
        why: Vec::new(),
    };
    for m in &input.msgs {
        let Some(event) = parse(m) else { continue };
        match event {
            Event::Sat(g, n) | Event::FromQueue(g, n) => {
                if let Some(other) = tables.get(n).copied().flatten() {
                    return Err(fail(
                        input.t(
                            &format!("стол номер {n} свободен, прежде чем за него сядут"),
                            &format!("table number {n} free before anyone sits at it"),
                        ),
                        m,
                    ))
                    .map_err(|mut f| {
                        f.why.push(input.t(
                            &format!("За столом {n} ещё сидит {other}: один стол занят дважды."),
                            &format!("{other} still sits at table {n}: one table taken twice."),
                        ));
                        f
                    });
                }
                if matches!(event, Event::FromQueue(..)) {
                    match queue.front() {
                        Some(&first) if first == g => {
                            queue.pop_front();
                        }
                        first => {
                            return Err(fail(
                                match first {
                                    Some(first) => format!(
                                        "{first} вышел(-ла) из очереди и сел(-а) за стол номер {n}"
                                    ),
                                    None => input.t(
                                        "(очередь пуста: из неё некому выйти)",
                                        "(the queue is empty: nobody can leave it)",
                                    ),
                                },
                                m,
                            ))
                            .map_err(|mut f| {
                                f.why.push(input.t(
                                    "Queue отдаёт гостей в том порядке, в каком их поставили (FIFO).",
                                    "A Queue gives the guests back in the order they were put in (FIFO).",
                                ));
                                f
                            })
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
                    return Err(fail(
                        input.t(
                            &format!("{g} сидит за столом, прежде чем уйти"),
                            &format!("{g} at a table before leaving"),
                        ),
                        m,
                    ));
                };
                tables[n] = None;
                left.push(g);
                leaving = Some((g, n));
            }
            Event::Free(n) => match leaving.take() {
                Some((_, at)) if at == n => {}
                Some((g, at)) => {
                    return Err(fail(format!("Стол номер {at} свободен ({g})"), m));
                }
                None => {
                    return Err(fail(
                        input.t(
                            "«… покушал(-а) и ушёл(ушла)» перед «Стол номер N свободен»",
                            "«… покушал(-а) и ушёл(ушла)» before «Стол номер N свободен»",
                        ),
                        m,
                    ))
                }
            },
        }
    }
    Ok(left)
}

fn seating(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "рассадка: стол не занят дважды, из очереди выходят по порядку (FIFO), за «покушал(-а)» - «Стол номер N свободен» его стола",
        "seating: no table taken twice, guests leave the queue in order (FIFO), «покушал(-а)» followed by «Стол номер N свободен» of their table",
    );
    Verdict::new(title, replay(input).err())
}

fn everyone_leaves(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "все двенадцать гостей поели и ушли, очередь пуста, столы свободны",
        "all twelve guests ate and left, the queue is empty, the tables are free",
    );
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
            .because(input.t(
                "discuss_guests обслуживает, пока очередь не пуста или хоть один стол занят.",
                "discuss_guests serves while the queue is not empty or any table is taken.",
            )),
    }
}

fn threads(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "гости - потоки, за пятью столами едят одновременно; очередь - queue.Queue (7 put, 7 get)",
        "the guests are threads, eating at five tables at once; the line is a queue.Queue (7 puts, 7 gets)",
    );
    if let Some(f) = threads_at_once(input, TABLES) {
        return Verdict::new(title, Some(f));
    }
    let queued = GUESTS.len() - TABLES;
    let (puts, gets) = input.records.queue_ops();
    if puts < queued || gets < queued {
        return Verdict::fail(
            title,
            input.t(
                &format!("{queued} put и {queued} get очереди queue.Queue"),
                &format!("{queued} puts and {queued} gets on a queue.Queue"),
            ),
            input.t(
                &format!("записано put: {puts}, get: {gets}"),
                &format!("{puts} put(s), {gets} get(s) recorded"),
            ),
        );
    }
    Verdict::pass(title)
}
