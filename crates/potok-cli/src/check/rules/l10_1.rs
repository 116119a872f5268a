//! 10_1 «Создание потоков»: write_words four times one after another, then in four threads.

use super::{threads_at_once, unknown_line, Failure, Input, Msg, Verdict};

const FINISHED: &str = "Завершилась запись в файл example#.txt";
const FUNCTIONS: [&str; 2] = ["Работа функций #:#:#.#", "Работа функций #:#:#"];
const THREADS: [&str; 2] = ["Работа потоков #:#:#.#", "Работа потоков #:#:#"];
/// Words of example1..4 (and 5..8): 10, 30, 200, 100.
const WORDS: [u32; 4] = [10, 30, 200, 100];
/// Each word is followed by a sleep of 0.1 s.
const SLEEP: f64 = 0.1;

pub(super) fn templates() -> Vec<String> {
    let mut t = vec![FINISHED.to_owned()];
    t.extend(FUNCTIONS.iter().chain(&THREADS).map(|s| s.to_string()));
    t
}

fn finished(n: u32) -> String {
    format!("Завершилась запись в файл example{n}.txt")
}

fn is_timing(m: &Msg) -> bool {
    FUNCTIONS.contains(&m.norm.as_str()) || THREADS.contains(&m.norm.as_str())
}

fn examples() -> Vec<String> {
    vec![
        finished(1),
        "Работа функций 0:00:34.003411".to_owned(),
        "Работа потоков 0:00:20.005317".to_owned(),
    ]
}

/// Whether a phase that took `took` seconds is about `expected`: not shorter than its sleeps
/// allow, and not longer than they explain. On a loaded machine each sleep overshoots by a
/// scheduler's delay: the records show by how much (`overshoot`, real over asked), and the
/// upper bound grows with it.
pub(super) fn about(took: f64, expected: f64, overshoot: f64) -> bool {
    took >= expected * 0.85 && took <= expected * (1.2 * overshoot).max(1.5) + 0.3
}

/// Microseconds at which the first timing line arrived (the end of the functions' phase).
fn phase_end(input: &Input<'_>) -> f64 {
    input
        .msgs
        .iter()
        .find(|m| is_timing(m))
        .map_or(f64::INFINITY, |m| m.at_us)
}

pub(super) fn rules(input: &Input<'_>) -> Vec<Verdict> {
    vec![
        messages(input),
        functions_order(input),
        files(input),
        functions_time(input),
        threads(input),
    ]
}

fn messages(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_10_1_messages().to_owned();
    if let Some(f) = unknown_line(input, &examples()) {
        return Verdict::new(title, Some(f));
    }
    for n in 1..=8 {
        let line = finished(n);
        let count = input.msgs.iter().filter(|m| m.text == line).count();
        if count != 1 {
            let actual = if count == 0 {
                input.none()
            } else {
                m.rule_times(count)
            };
            return Verdict::fail(title, line, actual);
        }
    }
    let timings: Vec<&Msg> = input.msgs.iter().filter(|m| is_timing(m)).collect();
    if timings.len() != 2 {
        return Verdict::fail(
            title,
            m.rule_10_1_two_timings().to_owned(),
            m.rule_10_1_timings_found(timings.len()),
        );
    }
    Verdict::pass(title)
}

/// Compares the messages from `from` with the expected ones (`None`: a timing line).
fn sequence(
    input: &Input<'_>,
    from: usize,
    expected: &[Option<String>],
    threads_timing: bool,
) -> Option<Failure> {
    for (i, want) in expected.iter().enumerate() {
        let got = input.msgs.get(from + i);
        let ok = match (want, got) {
            (Some(line), Some(m)) => &m.text == line,
            (None, Some(m)) => {
                if threads_timing {
                    THREADS.contains(&m.norm.as_str())
                } else {
                    is_timing(m)
                }
            }
            (_, None) => false,
        };
        if !ok {
            let expected = match want {
                Some(line) => line.clone(),
                None if threads_timing => input.m().rule_10_1_threads_timing().to_owned(),
                None => input.m().rule_10_1_either_timing().to_owned(),
            };
            let actual = got.map_or_else(|| input.ended(), |m| input.quote(m));
            return Some(Failure {
                expected,
                actual,
                why: Vec::new(),
            });
        }
    }
    None
}

fn functions_order(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_1_order().to_owned();
    let expected: Vec<Option<String>> = (1..=4).map(|n| Some(finished(n))).chain([None]).collect();
    Verdict::new(title, sequence(input, 0, &expected, false))
}

fn files(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_10_1_files().to_owned();
    for n in 1..=8u32 {
        let name = format!("example{n}.txt");
        let count = WORDS[(n as usize - 1) % 4];
        let text = match std::fs::read(input.work.join(&name)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => {
                return Verdict::fail(
                    title,
                    m.rule_10_1_file(&name),
                    m.rule_10_1_no_file().to_owned(),
                )
            }
        };
        let mut lines = text.lines();
        for k in 1..=count {
            let want = format!("Какое-то слово № {k}");
            match lines.next() {
                Some(got) if got == want => {}
                got => {
                    let actual = match got {
                        Some(got) => m.rule_10_1_file_line(got, &name, k),
                        None => m.rule_10_1_file_ended(&name, k - 1),
                    };
                    return Verdict::fail(title, want, actual);
                }
            }
        }
        if let Some(extra) = lines.find(|l| !l.is_empty()) {
            return Verdict::fail(title, m.rule_10_1_file_ends(&name, count), extra.to_owned());
        }
    }
    Verdict::pass(title)
}

fn timing<'a>(input: &'a Input<'_>, nth: usize) -> Option<(&'a Msg, f64)> {
    let m = input.msgs.iter().filter(|m| is_timing(m)).nth(nth)?;
    Some((m, m.duration()?))
}

fn functions_time(input: &Input<'_>) -> Verdict {
    let sum: u32 = WORDS.iter().sum();
    let expected = f64::from(sum) * SLEEP * input.scale;
    let m = input.m();
    let title = m.rule_10_1_functions(sum, input.scale, expected);
    let Some((line, took)) = timing(input, 0) else {
        return Verdict::fail(title, m.check_secs(expected), input.none());
    };
    let (overshoot, slept) = input.records.overshoot(0.0, phase_end(input));
    if about(took, expected, overshoot) {
        return Verdict::pass(title);
    }
    Verdict::fail(title, m.rule_about(expected), input.quote(line))
        .because(m.rule_10_1_functions_why(slept))
}

fn threads(input: &Input<'_>) -> Verdict {
    let longest = WORDS.iter().max().copied().unwrap_or(0);
    let expected = f64::from(longest) * SLEEP * input.scale;
    let m = input.m();
    let title = m.rule_10_1_threads(longest, input.scale, expected);
    let order: Vec<Option<String>> = [5, 6, 8, 7]
        .into_iter()
        .map(|n| Some(finished(n)))
        .chain([None])
        .collect();
    if let Some(f) = sequence(input, 5, &order, true) {
        return Verdict::new(title, Some(f)).because(m.rule_10_1_order_why().to_owned());
    }
    if let Some(f) = threads_at_once(input, 4) {
        return Verdict::new(title, Some(f));
    }
    let (Some((_, functions)), Some((line, took))) = (timing(input, 0), timing(input, 1)) else {
        return Verdict::fail(title, m.check_secs(expected), input.none());
    };
    let (overshoot, _) = input.records.overshoot(phase_end(input), f64::INFINITY);
    // The ratio of the two phases with each one's recorded overshoot taken out: four threads
    // waking together overshoot more on a loaded machine than one thread does.
    let (first_overshoot, _) = input.records.overshoot(0.0, phase_end(input));
    let at_most = 0.7 * functions / first_overshoot * overshoot;
    if !about(took, expected, overshoot) || took > at_most {
        return Verdict::fail(
            title,
            m.rule_about_at_most(expected, at_most),
            input.quote(line),
        )
        .because(m.rule_10_1_threads_why().to_owned());
    }
    Verdict::pass(title)
}
