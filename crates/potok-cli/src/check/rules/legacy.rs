//! The tasks the course set in 2023, before the current five: two printing threads (10_1), a
//! BankAccount (10_3), a cafe of numbered Customer threads (10_4), a WarehouseManager on
//! processes (10_5).

use std::collections::{BTreeMap, VecDeque};

use super::{at_once_limit, threads_at_once, unknown_line, Failure, Input, Msg, Verdict};
use crate::check::lesson::Lesson;

const LETTERS: &str = "abcdefghij";
const DEPOSITED: &str = "Deposited #, new balance is #";
const WITHDREW: &str = "Withdrew #, new balance is #";
const ARRIVED: [&str; 2] = ["Посетитель номер # прибыл", "Посетитель номер # прибыл."];
const SAT: [&str; 2] = [
    "Посетитель номер # сел за стол #",
    "Посетитель номер # сел за стол #.",
];
const WAITS: [&str; 2] = [
    "Посетитель номер # ожидает свободный стол",
    "Посетитель номер # ожидает свободный стол.",
];
const LEFT: [&str; 2] = [
    "Посетитель номер # покушал и ушёл",
    "Посетитель номер # покушал и ушёл.",
];
const CUSTOMERS: i64 = 20;

pub(super) fn templates(lesson: Lesson) -> Vec<String> {
    let strs: Vec<&str> = match lesson {
        Lesson::Legacy1 => vec!["#"],
        Lesson::Legacy3 => vec![DEPOSITED, WITHDREW],
        Lesson::Legacy4 => ARRIVED
            .iter()
            .chain(&SAT)
            .chain(&WAITS)
            .chain(&LEFT)
            .copied()
            .collect(),
        _ => Vec::new(),
    };
    let mut t: Vec<String> = strs.into_iter().map(str::to_owned).collect();
    if lesson == Lesson::Legacy1 {
        t.extend(LETTERS.chars().map(String::from));
    }
    t
}

pub(super) fn rules(lesson: Lesson, input: &Input<'_>) -> Vec<Verdict> {
    match lesson {
        Lesson::Legacy1 => vec![
            messages(input, &["1".to_owned(), "a".to_owned()]),
            numbers_and_letters(input),
            two_printers(input),
        ],
        Lesson::Legacy3 => vec![
            messages(
                input,
                &[
                    "Deposited 100, new balance is 1100".to_owned(),
                    "Withdrew 150, new balance is 1350".to_owned(),
                ],
            ),
            account_lines(input),
            account_total(input),
            account_threads(input),
        ],
        Lesson::Legacy4 => vec![
            messages(
                input,
                &[
                    "Посетитель номер 1 прибыл".to_owned(),
                    "Посетитель номер 1 сел за стол 1".to_owned(),
                    "Посетитель номер 4 ожидает свободный стол".to_owned(),
                    "Посетитель номер 1 покушал и ушёл".to_owned(),
                ],
            ),
            customers_arrive(input),
            customers_seating(input),
            customers_threads(input),
        ],
        _ => vec![warehouse(input), warehouse_processes(input)],
    }
}

fn messages(input: &Input<'_>, examples: &[String]) -> Verdict {
    let title = input.m().rule_legacy_messages().to_owned();
    Verdict::new(title, unknown_line(input, examples))
}

// --- 2023's 10_1: two threads, numbers and letters -------------------------------------

fn numbers_and_letters(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_legacy1_order().to_owned();
    let numbers: Vec<&Msg> = input.msgs.iter().filter(|m| m.norm == "#").collect();
    let letters: Vec<&Msg> = input.msgs.iter().filter(|m| m.norm != "#").collect();
    let expect_numbers: Vec<String> = (1..=10).map(|n| n.to_string()).collect();
    let expect_letters: Vec<String> = LETTERS.chars().map(String::from).collect();
    for (got, want) in [(numbers, expect_numbers), (letters, expect_letters)] {
        for (i, w) in want.iter().enumerate() {
            match got.get(i) {
                Some(m) if &m.text == w => {}
                g => {
                    return Verdict::fail(
                        title,
                        w.clone(),
                        g.map_or_else(|| input.ended(), |m| input.quote(m)),
                    )
                }
            }
        }
        if let Some(extra) = got.get(want.len()) {
            return Verdict::fail(title, input.ended(), input.quote(extra));
        }
    }
    Verdict::pass(title)
}

fn two_printers(input: &Input<'_>) -> Verdict {
    let expected = 9.0 * input.scale;
    let m = input.m();
    let title = m.rule_legacy1_printers(input.scale, expected);
    if let Some(f) = threads_at_once(input, 2) {
        return Verdict::new(title, Some(f));
    }
    let (Some(first), Some(last)) = (input.msgs.first(), input.msgs.last()) else {
        return Verdict::fail(title, m.check_secs(expected), input.none());
    };
    let took = (last.at_us - first.at_us) / 1e6;
    // One after another: 19 sleeps between the first line and the last.
    let limit = at_once_limit(input, expected, 19.0 * input.scale, first.at_us, last.at_us);
    if took >= expected * 0.85 && took <= limit {
        return Verdict::pass(title);
    }
    Verdict::fail(title, m.rule_about(expected), m.check_secs(took))
}

// --- 2023's 10_3: BankAccount ------------------------------------------------------------

fn account_lines(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_legacy3_lines().to_owned();
    let mut balance = 1000;
    for m in &input.msgs {
        let n = m.numbers();
        let (amount, shown) = (
            n.first().copied().unwrap_or(0),
            n.get(1).copied().unwrap_or(0),
        );
        let (want, verb) = if m.norm == DEPOSITED {
            (balance + amount, "Deposited")
        } else {
            (balance - amount, "Withdrew")
        };
        if shown != want {
            return Verdict::fail(
                title,
                format!("{verb} {amount}, new balance is {want}"),
                input.quote(m),
            )
            .because(input.m().rule_legacy3_lines_why().to_owned());
        }
        balance = shown;
    }
    Verdict::pass(title)
}

fn account_total(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_legacy3_total().to_owned();
    let count = |form: &str, amount: i64| {
        input
            .msgs
            .iter()
            .filter(|m| m.norm == form && m.numbers().first() == Some(&amount))
            .count()
    };
    let (deposits, withdrawals) = (count(DEPOSITED, 100), count(WITHDREW, 150));
    let last = input.msgs.last().and_then(|m| m.numbers().get(1).copied());
    if deposits == 5 && withdrawals == 5 && input.msgs.len() == 10 && last == Some(750) {
        return Verdict::pass(title);
    }
    Verdict::fail(
        title,
        m.rule_legacy3_total_expected().to_owned(),
        m.rule_legacy3_total_found(deposits, withdrawals, last),
    )
}

fn account_threads(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_legacy3_threads().to_owned();
    let made = input.records.user_threads().len();
    if made >= 2 {
        return Verdict::pass(title);
    }
    Verdict::fail(
        title,
        m.rule_two_threads().to_owned(),
        m.rule_threads_recorded(made),
    )
}

// --- 2023's 10_4: Customer cafe ----------------------------------------------------------

fn customer(m: &Msg) -> i64 {
    m.numbers().first().copied().unwrap_or(0)
}

fn is(m: &Msg, forms: &[&str; 2]) -> bool {
    forms.contains(&m.norm.as_str())
}

fn customers_arrive(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_legacy4_arrive().to_owned();
    let arrivals: Vec<&Msg> = input.msgs.iter().filter(|m| is(m, &ARRIVED)).collect();
    for n in 1..=CUSTOMERS {
        match arrivals.get(n as usize - 1) {
            Some(m) if customer(m) == n => {}
            got => {
                return Verdict::fail(
                    title,
                    format!("Посетитель номер {n} прибыл"),
                    got.map_or_else(|| input.ended(), |m| input.quote(m)),
                )
            }
        }
    }
    Verdict::pass(title)
}

fn customers_seating(input: &Input<'_>) -> Verdict {
    let words = input.m();
    let title = words.rule_legacy4_seating().to_owned();
    let fail = |expected: String, m: &Msg| Failure {
        expected,
        actual: input.quote(m),
        why: Vec::new(),
    };
    let mut arrived = Vec::new();
    let mut at: BTreeMap<i64, i64> = BTreeMap::new(); // table -> visitor
    let mut waiting: VecDeque<i64> = VecDeque::new();
    let mut done = Vec::new();
    for m in &input.msgs {
        let c = customer(m);
        if is(m, &ARRIVED) {
            arrived.push(c);
        } else if is(m, &WAITS) {
            waiting.push_back(c);
        } else if is(m, &SAT) {
            let table = m.numbers().get(1).copied().unwrap_or(0);
            if !arrived.contains(&c) {
                return Verdict::new(title, Some(fail(format!("Посетитель номер {c} прибыл"), m)));
            }
            if let Some(other) = at.get(&table) {
                return Verdict::new(
                    title,
                    Some(fail(words.rule_legacy4_table_free(table, *other), m)),
                );
            }
            if let Some(pos) = waiting.iter().position(|&w| w == c) {
                if pos != 0 {
                    return Verdict::new(
                        title,
                        Some(fail(
                            format!("Посетитель номер {} сел за стол {table}", waiting[0]),
                            m,
                        )),
                    )
                    .because(words.rule_legacy4_fifo_why().to_owned());
                }
                waiting.pop_front();
            }
            at.insert(table, c);
        } else if is(m, &LEFT) {
            match at.iter().find(|(_, &v)| v == c).map(|(&t, _)| t) {
                Some(table) => {
                    at.remove(&table);
                    done.push(c);
                }
                None => {
                    return Verdict::new(
                        title,
                        Some(fail(words.rule_legacy4_seated_before_leaving(c), m)),
                    )
                }
            }
        }
    }
    if let Some(c) = arrived.iter().find(|c| !done.contains(c)) {
        return Verdict::fail(
            title,
            format!("Посетитель номер {c} покушал и ушёл"),
            input.none(),
        );
    }
    Verdict::pass(title)
}

fn customers_threads(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_legacy4_threads().to_owned();
    Verdict::new(title, threads_at_once(input, 2))
}

// --- 2023's 10_5: WarehouseManager -------------------------------------------------------

/// `{'product1': 70, "product2": 100}` as a map, if the line is such a dict.
fn parse_dict(text: &str) -> Option<BTreeMap<String, i64>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut map = BTreeMap::new();
    for pair in inner.split(',').filter(|p| !p.trim().is_empty()) {
        let (key, value) = pair.split_once(':')?;
        let key = key
            .trim()
            .trim_matches(|c| c == '\'' || c == '"')
            .to_owned();
        map.insert(key, value.trim().parse().ok()?);
    }
    Some(map)
}

fn warehouse(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_legacy5_warehouse().to_owned();
    let want: BTreeMap<String, i64> = [("product1", 70), ("product2", 100), ("product3", 200)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let printed: Vec<(&Msg, BTreeMap<String, i64>)> = input
        .unknown
        .iter()
        .chain(&input.msgs)
        .filter_map(|m| parse_dict(&m.text).map(|d| (m, d)))
        .collect();
    match printed.last() {
        Some((_, got)) if *got == want => Verdict::pass(title),
        got => Verdict::fail(
            title,
            "{'product1': 70, 'product2': 100, 'product3': 200}".to_owned(),
            got.map_or_else(|| input.none(), |(m, _)| input.quote(m)),
        )
        .because(input.m().rule_legacy5_why().to_owned()),
    }
}

fn warehouse_processes(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_legacy5_processes().to_owned();
    let workers = input
        .records
        .child_processes()
        .into_iter()
        .filter(|(name, _, _)| !name.contains("Manager"))
        .count();
    if workers >= 2 {
        return Verdict::pass(title);
    }
    Verdict::fail(
        title,
        m.rule_legacy5_two_processes().to_owned(),
        m.rule_legacy5_processes_found(workers),
    )
}
