//! 10_3 «Блокировки и обработка ошибок»: deposit and take in two threads, a Lock between them.

use super::{unknown_line, Input, Msg, Verdict};

const DEPOSIT: &str = "Пополнение: #. Баланс: #";
const REQUEST: &str = "Запрос на #";
const TAKEN: &str = "Снятие: #. Баланс: #";
const REFUSED: &str = "Запрос отклонён, недостаточно средств";
const FINAL: &str = "Итоговый баланс: #";
const OPERATIONS: usize = 100;
const AMOUNTS: std::ops::RangeInclusive<i64> = 50..=500;

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
    let title = input.t(
        "сообщения: пополнения, запросы, снятия, отказы и итог словами задания",
        "messages: deposits, requests, withdrawals, refusals and the total in the task's words",
    );
    Verdict::new(title, unknown_line(input, &examples()))
}

fn first_number(m: &Msg) -> i64 {
    m.numbers().first().copied().unwrap_or(0)
}

fn operations(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "операции: 100 пополнений и 100 запросов от 50 до 500, на каждый запрос снятие той же суммы или отказ",
        "operations: 100 deposits and 100 requests of 50 to 500, each request answered by a withdrawal of that sum or a refusal",
    );
    let deposits: Vec<&Msg> = input.with_norm(DEPOSIT).collect();
    let requests: Vec<&Msg> = input.with_norm(REQUEST).collect();
    let answers: Vec<&Msg> = input
        .msgs
        .iter()
        .filter(|m| m.norm == TAKEN || m.norm == REFUSED)
        .collect();
    for (what_ru, what_en, list) in [
        ("пополнений", "deposits", &deposits),
        ("запросов", "requests", &requests),
    ] {
        if list.len() != OPERATIONS {
            return Verdict::fail(
                title,
                input.t(
                    &format!("{OPERATIONS} {what_ru}"),
                    &format!("{OPERATIONS} {what_en}"),
                ),
                input.t(
                    &format!("{} {what_ru}", list.len()),
                    &format!("{} {what_en}", list.len()),
                ),
            );
        }
        if let Some(m) = list.iter().find(|m| !AMOUNTS.contains(&first_number(m))) {
            return Verdict::fail(
                title,
                input.t("сумма от 50 до 500", "an amount of 50 to 500"),
                input.quote(m),
            );
        }
    }
    for (i, request) in requests.iter().enumerate() {
        let Some(answer) = answers.get(i) else {
            return Verdict::fail(
                title,
                input.t(
                    &format!("ответ на «{}»", request.text),
                    &format!("an answer to «{}»", request.text),
                ),
                input.ended(),
            );
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
            input.t(
                &format!("{} ответов на запросы", requests.len()),
                &format!("{} answers to requests", requests.len()),
            ),
            input.quote(answers[requests.len()]),
        );
    }
    Verdict::pass(title)
}

fn last_line(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "«Итоговый баланс: …» - последняя строка, после обоих потоков",
        "«Итоговый баланс: …» is the last line, after both threads",
    );
    let finals = input.with_norm(FINAL).count();
    match input.msgs.last() {
        Some(m) if m.norm == FINAL && finals == 1 => Verdict::pass(title),
        last => Verdict::fail(
            title,
            "Итоговый баланс: <balance>".to_owned(),
            last.map_or_else(|| input.ended(), |m| input.quote(m)),
        ),
    }
}

fn arithmetic(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "арифметика: сумма пополнений минус сумма снятий равна итоговому балансу",
        "arithmetic: the deposits' sum minus the withdrawals' sum equals the final balance",
    );
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
    .because(input.t(
        &format!(
            "Напечатано пополнений на {deposited} и снятий на {taken}: {deposited} − {taken} = {}. \
             Баланс разошёлся с напечатанным: либо операция изменила его не на ту сумму, либо \
             два потока меняли balance одновременно (balance += x - это чтение и запись, между \
             ними может вклиниться другой поток). Охраняйте balance замком.",
            deposited - taken
        ),
        &format!(
            "Deposits of {deposited} and withdrawals of {taken} were printed: {deposited} − {taken} = {}. \
             The balance differs from what was printed: an operation changed it by another sum, \
             or the two threads changed balance at the same time (balance += x is a read and a \
             write, and the other thread can come in between). Guard balance with a lock.",
            deposited - taken
        ),
    ))
}

fn two_threads(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "deposit и take работают в двух потоках",
        "deposit and take run in two threads",
    );
    // Made, not necessarily alive together: with deposit's 100 short sleeps scaled down, one
    // thread can be done before a loaded machine starts the other.
    let made = input.records.user_threads().len();
    if made >= 2 {
        return Verdict::pass(title);
    }
    Verdict::fail(
        title,
        input.t("два потока программы", "two threads of the program"),
        input.t(
            &format!("потоков записано: {made}"),
            &format!("{made} thread(s) recorded"),
        ),
    )
}
