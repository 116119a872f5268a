//! 10_2 «Потоки на классах»: two knights as thread classes, each against 100 enemies.

use super::{secs, threads_at_once, unknown_line, Input, Msg, Verdict};

/// The task's knights: (name, power).
const KNIGHTS: [(&str, i64); 2] = [("Sir Lancelot", 10), ("Sir Galahad", 20)];
const ENEMIES: i64 = 100;
const END: &str = "Все битвы закончились!";

fn attacked(name: &str) -> String {
    format!("{name}, на нас напали!")
}
fn fights(name: &str) -> String {
    format!("{name}, сражается # день(дня)..., осталось # воинов.")
}
fn won(name: &str) -> String {
    format!("{name} одержал победу спустя # дней(дня)!")
}

pub(super) fn templates() -> Vec<String> {
    let mut t = vec![END.to_owned()];
    for (name, _) in KNIGHTS {
        t.extend([attacked(name), fights(name), won(name)]);
    }
    t
}

fn examples() -> Vec<String> {
    let mut e = vec![END.to_owned()];
    for (name, _) in KNIGHTS {
        e.push(attacked(name));
        e.push(format!(
            "{name}, сражается 1 день(дня)..., осталось 90 воинов."
        ));
        e.push(format!("{name} одержал победу спустя 10 дней(дня)!"));
    }
    e
}

/// Days until a knight of `power` has beaten all the enemies.
fn days(power: i64) -> i64 {
    (ENEMIES + power - 1) / power
}

pub(super) fn rules(input: &Input<'_>) -> Vec<Verdict> {
    vec![
        messages(input),
        knights_days(input),
        last_line(input),
        battle(input),
    ]
}

fn messages(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "сообщения: Sir Lancelot (10) и Sir Galahad (20) словами задания",
        "messages: Sir Lancelot (10) and Sir Galahad (20) in the task's words",
    );
    if let Some(f) = unknown_line(input, &examples()) {
        return Verdict::new(title, Some(f));
    }
    for line in KNIGHTS
        .iter()
        .map(|(name, _)| attacked(name))
        .chain([END.to_owned()])
    {
        if !input.msgs.iter().any(|m| m.text == line) {
            return Verdict::fail(title, line, input.none());
        }
    }
    Verdict::pass(title)
}

/// One knight's lines, in the order printed.
fn lines_of<'a>(input: &'a Input<'_>, name: &str) -> Vec<&'a Msg> {
    let forms = [attacked(name), fights(name), won(name)];
    input
        .msgs
        .iter()
        .filter(|m| forms.contains(&m.norm))
        .collect()
}

fn knights_days(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "дни каждого рыцаря по порядку: осталось 100 − сила × день, победа спустя ⌈100 / сила⌉ дней",
        "each knight's days in order: 100 − power × day left, the victory after ⌈100 / power⌉ days",
    );
    for (name, power) in KNIGHTS {
        let lines = lines_of(input, name);
        let total = days(power);
        let mut expected = vec![attacked(name)];
        for day in 1..=total {
            let left = (ENEMIES - power * day).max(0);
            expected.push(format!(
                "{name}, сражается {day} день(дня)..., осталось {left} воинов."
            ));
        }
        expected.push(format!("{name} одержал победу спустя {total} дней(дня)!"));
        for (i, want) in expected.iter().enumerate() {
            match lines.get(i) {
                Some(m) if &m.text == want => {}
                got => {
                    let actual = got.map_or_else(|| input.ended(), |m| input.quote(m));
                    return Verdict::fail(title, want.clone(), actual).because(input.t(
                        &format!(
                            "У {name} сила {power}: каждый день (1 с) врагов меньше на {power}, \
                             и через {total} дней их не остаётся. День считают с 1, врагов \
                             вычитают до печати."
                        ),
                        &format!(
                            "{name}'s power is {power}: each day (1 s) there are {power} enemies \
                             fewer, and after {total} days none are left. Days count from 1; \
                             the enemies are subtracted before the line is printed."
                        ),
                    ));
                }
            }
        }
        if let Some(extra) = lines.get(expected.len()) {
            return Verdict::fail(
                title,
                input.t(
                    &format!("после победы строк {name} нет"),
                    &format!("no line of {name} after the victory"),
                ),
                input.quote(extra),
            );
        }
    }
    Verdict::pass(title)
}

fn last_line(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "«Все битвы закончились!» - последняя строка, после обоих рыцарей",
        "«Все битвы закончились!» is the last line, after both knights",
    );
    match input.msgs.last() {
        Some(m) if m.text == END && input.msgs.iter().filter(|m| m.text == END).count() == 1 => {
            Verdict::pass(title)
        }
        last => {
            let actual = last.map_or_else(|| input.ended(), |m| input.quote(m));
            Verdict::fail(title, END.to_owned(), actual).because(input.t(
                "Эту строку печатают после join() обоих рыцарей: тогда она выходит последней.",
                "This line is printed after join() of both knights: then it comes out last.",
            ))
        }
    }
}

fn battle(input: &Input<'_>) -> Verdict {
    let slowest = KNIGHTS.iter().map(|&(_, p)| days(p)).max().unwrap_or(0);
    let sum: i64 = KNIGHTS.iter().map(|&(_, p)| days(p)).sum();
    let expected = slowest as f64 * input.scale;
    let title = input.t(
        &format!(
            "рыцари сражаются одновременно: битва длится ≈ дни медленного рыцаря ({slowest} × 1 с × {} = {}), а не сумму ({sum} дней)",
            input.num(input.scale),
            secs(input.lang, expected)
        ),
        &format!(
            "the knights fight at the same time: the battle lasts ≈ the slower knight's days ({slowest} × 1 s × {} = {}), not the sum ({sum} days)",
            input.num(input.scale),
            secs(input.lang, expected)
        ),
    );
    if let Some(f) = threads_at_once(input, KNIGHTS.len()) {
        return Verdict::new(title, Some(f));
    }
    let knight_lines: Vec<&Msg> = KNIGHTS
        .iter()
        .flat_map(|(name, _)| lines_of(input, name))
        .collect();
    let first = knight_lines
        .iter()
        .map(|m| m.at_us)
        .fold(f64::INFINITY, f64::min);
    let last = knight_lines.iter().map(|m| m.at_us).fold(0.0, f64::max);
    if !first.is_finite() {
        return Verdict::fail(title, secs(input.lang, expected), input.none());
    }
    let took = (last - first) / 1e6;
    let limit = (slowest + sum) as f64 / 2.0 * input.scale;
    if took < expected * 0.85 || took > limit + 0.05 {
        return Verdict::fail(
            title,
            input.t(
                &format!("около {}", secs(input.lang, expected)),
                &format!("about {}", secs(input.lang, expected)),
            ),
            input.t(
                &format!(
                    "от первой строки рыцаря до последней {}",
                    secs(input.lang, took)
                ),
                &format!(
                    "{} from a knight's first line to the last",
                    secs(input.lang, took)
                ),
            ),
        )
        .because(input.t(
            "Каждый рыцарь - свой поток, и их дни идут одновременно: вся битва длится столько, \
             сколько сражается самый медленный.",
            "Each knight is a thread of its own and their days pass at the same time: the whole \
             battle lasts as long as the slowest knight fights.",
        ));
    }
    Verdict::pass(title)
}
