//! 10_1 «Создание потоков»: write_words four times one after another, then in four threads.

use super::{secs, threads_at_once, unknown_line, Failure, Input, Msg, Verdict};

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
    let title = input.t(
        "сообщения: восемь «Завершилась запись в файл exampleN.txt» и два времени, как в задании",
        "messages: eight «Завершилась запись в файл exampleN.txt» and two timings, as in the task",
    );
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
                input.t(&format!("{count} раза"), &format!("{count} times"))
            };
            return Verdict::fail(title, line, actual);
        }
    }
    let timings: Vec<&Msg> = input.msgs.iter().filter(|m| is_timing(m)).collect();
    if timings.len() != 2 {
        return Verdict::fail(
            title,
            input.t(
                "две строки времени: «Работа функций …» и «Работа потоков …»",
                "two timing lines: «Работа функций …» and «Работа потоков …»",
            ),
            input.t(
                &format!("строк времени: {}", timings.len()),
                &format!("{} timing line(s)", timings.len()),
            ),
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
                None if threads_timing => "Работа потоков <время>".to_owned(),
                None => input.t(
                    "Работа функций <время> (или «Работа потоков <время>», как в примере урока)",
                    "Работа функций <time> (or «Работа потоков <time>», as the course's example)",
                ),
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
    let title = input.t(
        "порядок: example1…example4 одна за другой, затем время функций",
        "order: example1…example4 one after another, then the functions' time",
    );
    let expected: Vec<Option<String>> = (1..=4).map(|n| Some(finished(n))).chain([None]).collect();
    Verdict::new(title, sequence(input, 0, &expected, false))
}

fn files(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "файлы: example1.txt … example8.txt, в каждом «Какое-то слово № 1 … N»",
        "files: example1.txt … example8.txt, each «Какое-то слово № 1 … N»",
    );
    for n in 1..=8u32 {
        let name = format!("example{n}.txt");
        let count = WORDS[(n as usize - 1) % 4];
        let text = match std::fs::read(input.work.join(&name)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => {
                return Verdict::fail(
                    title,
                    input.t(&format!("файл {name}"), &format!("a file {name}")),
                    input.t("(файла нет)", "(no such file)"),
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
                        Some(got) => input.t(
                            &format!("{got} ({name}, строка {k})"),
                            &format!("{got} ({name}, line {k})"),
                        ),
                        None => input.t(
                            &format!("(конец файла {name} после {} строк)", k - 1),
                            &format!("(the end of {name} after {} lines)", k - 1),
                        ),
                    };
                    return Verdict::fail(title, want, actual);
                }
            }
        }
        if let Some(extra) = lines.find(|l| !l.is_empty()) {
            return Verdict::fail(
                title,
                input.t(
                    &format!("конец файла {name} после {count} строк"),
                    &format!("the end of {name} after {count} lines"),
                ),
                extra.to_owned(),
            );
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
    let title = input.t(
        &format!(
            "время функций ≈ сумма всех записей: {sum} × 0,1 с × {} = {}",
            input.num(input.scale),
            secs(input.lang, expected)
        ),
        &format!(
            "functions' time ≈ the sum of all writes: {sum} × 0.1 s × {} = {}",
            input.num(input.scale),
            secs(input.lang, expected)
        ),
    );
    let Some((m, took)) = timing(input, 0) else {
        return Verdict::fail(title, secs(input.lang, expected), input.none());
    };
    let (overshoot, slept) = input.records.overshoot(0.0, phase_end(input));
    if about(took, expected, overshoot) {
        return Verdict::pass(title);
    }
    Verdict::fail(
        title,
        input.t(
            &format!("около {}", secs(input.lang, expected)),
            &format!("about {}", secs(input.lang, expected)),
        ),
        input.quote(m),
    )
    .because(input.t(
        &format!(
            "Функции вызываются одна за другой, поэтому их время - сумма всех 340 записей по \
             0,1 с (check ускоряет сон: --time-scale). По записям программа спала {}.",
            secs(input.lang, slept)
        ),
        &format!(
            "The functions run one after another, so their time is the sum of all 340 writes \
             of 0.1 s (check scales the sleeps: --time-scale). The records show {} of sleep.",
            secs(input.lang, slept)
        ),
    ))
}

fn threads(input: &Input<'_>) -> Verdict {
    let longest = WORDS.iter().max().copied().unwrap_or(0);
    let expected = f64::from(longest) * SLEEP * input.scale;
    let title = input.t(
        &format!(
            "потоки одновременно: example5, 6, 8, 7 в таком порядке, время потоков ≈ самый \
             длинный файл ({longest} × 0,1 с × {} = {}), не больше 0,7 × время функций",
            input.num(input.scale),
            secs(input.lang, expected)
        ),
        &format!(
            "threads at the same time: example5, 6, 8, 7 in that order, the threads' time ≈ the \
             longest file ({longest} × 0.1 s × {} = {}), at most 0.7 × the functions' time",
            input.num(input.scale),
            secs(input.lang, expected)
        ),
    );
    let order: Vec<Option<String>> = [5, 6, 8, 7]
        .into_iter()
        .map(|n| Some(finished(n)))
        .chain([None])
        .collect();
    if let Some(f) = sequence(input, 5, &order, true) {
        return Verdict::new(title, Some(f)).because(input.t(
            "В потоках файлы пишутся одновременно, поэтому короткий example8 (100 слов) \
             заканчивается раньше длинного example7 (200 слов). Порядок 5, 6, 7, 8 значит, что \
             потоки работали друг за другом.",
            "In threads the files are written at the same time, so the short example8 (100 \
             words) finishes before the long example7 (200 words). The order 5, 6, 7, 8 means \
             the threads ran one after another.",
        ));
    }
    if let Some(f) = threads_at_once(input, 4) {
        return Verdict::new(title, Some(f));
    }
    let (Some((_, functions)), Some((m, took))) = (timing(input, 0), timing(input, 1)) else {
        return Verdict::fail(title, secs(input.lang, expected), input.none());
    };
    let (overshoot, _) = input.records.overshoot(phase_end(input), f64::INFINITY);
    // The ratio of the two phases with each one's recorded overshoot taken out: four threads
    // waking together overshoot more on a loaded machine than one thread does.
    let (first_overshoot, _) = input.records.overshoot(0.0, phase_end(input));
    let at_most = 0.7 * functions / first_overshoot * overshoot;
    if !about(took, expected, overshoot) || took > at_most {
        return Verdict::fail(
            title,
            input.t(
                &format!(
                    "около {}, не больше {}",
                    secs(input.lang, expected),
                    secs(input.lang, at_most)
                ),
                &format!(
                    "about {}, at most {}",
                    secs(input.lang, expected),
                    secs(input.lang, at_most)
                ),
            ),
            input.quote(m),
        )
        .because(input.t(
            "Четыре потока спят одновременно, поэтому их общее время - время самого длинного \
             файла (200 записей), а не сумма всех.",
            "The four threads sleep at the same time, so together they take as long as the \
             longest file (200 writes), not the sum of all.",
        ));
    }
    Verdict::pass(title)
}
