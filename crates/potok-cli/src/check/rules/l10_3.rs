//! 10_3 «Блокировки и обработка ошибок»: deposit and take in two threads, a Lock between them.

use super::{unknown_line, Input, Msg, Verdict};
use crate::msg::Messages;

const DEPOSIT: &str = "Пополнение: #. Баланс: #";
const REQUEST: &str = "Запрос на #";
const TAKEN: &str = "Снятие: #. Баланс: #";
const REFUSED: &str = "Запрос отклонён, недостаточно средств";
const FINAL: &str = "Итоговый баланс: #";
const OPERATIONS: usize = 100;
const AMOUNTS: std::ops::RangeInclusive<i64> = 50..=500;

/// How a count of operations is worded (`100 пополнений`).
type Counted = fn(&dyn Messages, usize) -> String;

pub(super) fn templates() -> Vec<String> {
    [DEPOSIT, REQUEST, TAKEN, REFUSED, FINAL]
        .map(str::to_owned)
        .to_vec()
}

fn examples() -> Vec<String> {
    [
        "Пополнение: 241. Баланс: 241",
        "Запрос на 100",
        "Снятие: 100. Баланс: 141",
        REFUSED,
        "Итоговый баланс: 141",
    ]
    .map(str::to_owned)
    .to_vec()
}

pub(super) fn rules(input: &Input<'_>) -> Vec<Verdict> {
    vec![
        messages(input),
        operations(input),
        last_line(input),
        arithmetic(input),
        two_threads(input),
    ]
}

fn messages(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_3_messages().to_owned();
    Verdict::new(title, unknown_line(input, &examples()))
}

fn first_number(m: &Msg) -> i64 {
    m.numbers().first().copied().unwrap_or(0)
}

fn operations(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_10_3_operations().to_owned();
    let deposits: Vec<&Msg> = input.with_norm(DEPOSIT).collect();
    let requests: Vec<&Msg> = input.with_norm(REQUEST).collect();
    let answers: Vec<&Msg> = input
        .msgs
        .iter()
        .filter(|m| m.norm == TAKEN || m.norm == REFUSED)
        .collect();
    let counted: [(&Vec<&Msg>, Counted); 2] = [
        (&deposits, |m, n| m.rule_10_3_deposits(n)),
        (&requests, |m, n| m.rule_10_3_requests(n)),
    ];
    for (list, what) in counted {
        if list.len() != OPERATIONS {
            return Verdict::fail(title, what(m, OPERATIONS), what(m, list.len()));
        }
        if let Some(line) = list.iter().find(|l| !AMOUNTS.contains(&first_number(l))) {
            return Verdict::fail(title, m.rule_10_3_amount().to_owned(), input.quote(line));
        }
    }
    for (i, request) in requests.iter().enumerate() {
        let Some(answer) = answers.get(i) else {
            return Verdict::fail(title, m.rule_10_3_answer_to(&request.text), input.ended());
        };
        if answer.norm == TAKEN && first_number(answer) != first_number(request) {
            return Verdict::fail(
                title,
                format!("Снятие: {}. Баланс: …", first_number(request)),
                input.quote(answer),
            );
        }
    }
    if answers.len() > requests.len() {
        return Verdict::fail(
            title,
            m.rule_10_3_answers(requests.len()),
            input.quote(answers[requests.len()]),
        );
    }
    Verdict::pass(title)
}

fn last_line(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_3_last().to_owned();
    let finals = input.with_norm(FINAL).count();
    match input.msgs.last() {
        Some(m) if m.norm == FINAL && finals == 1 => Verdict::pass(title),
        last => Verdict::fail(
            title,
            input.m().rule_10_3_final_any().to_owned(),
            last.map_or_else(|| input.ended(), |m| input.quote(m)),
        ),
    }
}

fn arithmetic(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_3_arithmetic().to_owned();
    let deposited: i64 = input.with_norm(DEPOSIT).map(first_number).sum();
    let taken: i64 = input.with_norm(TAKEN).map(first_number).sum();
    let Some(last) = input.with_norm(FINAL).last() else {
        return Verdict::fail(
            title,
            format!("Итоговый баланс: {}", deposited - taken),
            input.none(),
        );
    };
    if first_number(last) == deposited - taken {
        return Verdict::pass(title);
    }
    Verdict::fail(
        title,
        format!("Итоговый баланс: {}", deposited - taken),
        input.quote(last),
    )
    .because(input.m().rule_10_3_arithmetic_why(deposited, taken))
}

fn two_threads(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_10_3_threads().to_owned();
    // Made, not necessarily alive together: with deposit's 100 short sleeps scaled down, one
    // thread can be done before a loaded machine starts the other.
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
