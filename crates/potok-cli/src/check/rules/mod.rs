//! The rules of each task, and what they share: lines matched against the task's messages
//! (numbers and durations as `#`), lines glued together by a print race split back into their
//! messages, the closest message of the task for a line that matches none, and durations read
//! the way Python prints a `timedelta`.

mod l10_1;
mod l10_2;
mod l10_3;
mod l10_4;
mod l10_5;
mod legacy;

use std::path::Path;

use super::lesson::Lesson;
use super::records::Records;
use super::runner::Line;
use crate::context::Lang;
use crate::msg::Messages;

/// One line the program printed, matched to a message of the task.
#[derive(Debug, Clone)]
pub(crate) struct Msg {
    pub(crate) text: String,
    /// The text with every run of digits as `#`: the form the task's messages are kept in.
    pub(crate) norm: String,
    /// 1-based line of the program's output (pieces of a glued line share it).
    pub(crate) line: usize,
    pub(crate) at_us: f64,
}

impl Msg {
    /// The numbers in the line, in order (`Пополнение: 120. Баланс: 300` → 120, 300).
    pub(crate) fn numbers(&self) -> Vec<i64> {
        numbers(&self.text)
    }

    /// The duration in the line, in seconds (`Работа потоков 0:00:20.005317` → 20.005317).
    pub(crate) fn duration(&self) -> Option<f64> {
        self.text.split_whitespace().find_map(parse_timedelta)
    }
}

/// Two or more messages printed on one line: two threads' prints interleaved.
#[derive(Debug, Clone)]
pub(crate) struct Glue {
    pub(crate) line: usize,
    pub(crate) text: String,
    pub(crate) pieces: Vec<String>,
}

/// What the rules of a lesson look at.
#[derive(Debug)]
pub(crate) struct Input<'a> {
    pub(crate) lang: Lang,
    pub(crate) scale: f64,
    /// The lines that are messages of the task (glued lines split into their pieces).
    pub(crate) msgs: Vec<Msg>,
    /// The lines that are none (blank lines left by a print race excepted).
    pub(crate) unknown: Vec<Msg>,
    pub(crate) glued: Vec<Glue>,
    pub(crate) records: &'a Records,
    /// The working folder, where the program's files are.
    pub(crate) work: &'a Path,
    pub(crate) cores: usize,
    /// The machine's load average over the last minute, when the run began.
    pub(crate) load: f64,
}

impl Input<'_> {
    /// The catalogue of the chosen language: every word a rule prints.
    pub(crate) fn m(&self) -> &'static dyn Messages {
        self.lang.m()
    }

    /// The messages whose form is `norm`.
    pub(crate) fn with_norm<'s>(&'s self, norm: &'s str) -> impl Iterator<Item = &'s Msg> + 's {
        self.msgs.iter().filter(move |m| m.norm == norm)
    }

    /// A line quoted for a report: «text» (line N).
    pub(crate) fn quote(&self, msg: &Msg) -> String {
        self.lang.m().check_quote(&msg.text, msg.line)
    }

    /// "(no such line)", for what is missing.
    pub(crate) fn none(&self) -> String {
        self.lang.m().check_no_line().to_owned()
    }

    /// "(the output ended)".
    pub(crate) fn ended(&self) -> String {
        self.lang.m().check_output_ended().to_owned()
    }
}

/// How one rule came out.
#[derive(Debug)]
pub(crate) struct Verdict {
    pub(crate) title: String,
    pub(crate) failure: Option<Failure>,
    /// A remark printed under a rule that holds (a rule not checked on this machine, say).
    pub(crate) note: Option<String>,
}

/// What a failed rule expected and what it found, and why it matters.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) expected: String,
    pub(crate) actual: String,
    pub(crate) why: Vec<String>,
}

impl Verdict {
    pub(crate) fn pass(title: String) -> Verdict {
        Verdict {
            title,
            failure: None,
            note: None,
        }
    }

    pub(crate) fn new(title: String, failure: Option<Failure>) -> Verdict {
        Verdict {
            title,
            failure,
            note: None,
        }
    }

    pub(crate) fn fail(title: String, expected: String, actual: String) -> Verdict {
        Verdict::new(
            title,
            Some(Failure {
                expected,
                actual,
                why: Vec::new(),
            }),
        )
    }

    pub(crate) fn because(mut self, why: String) -> Verdict {
        if let Some(f) = &mut self.failure {
            f.why.push(why);
        }
        self
    }

    pub(crate) fn noting(mut self, note: String) -> Verdict {
        self.note = Some(note);
        self
    }
}

/// The task's messages of a lesson, with `#` for each number: what a line must be.
pub(crate) fn templates(lesson: Lesson) -> Vec<String> {
    match lesson {
        Lesson::L1 => l10_1::templates(),
        Lesson::L2 => l10_2::templates(),
        Lesson::L3 => l10_3::templates(),
        Lesson::L4 => l10_4::templates(),
        Lesson::L5 => l10_5::templates(),
        Lesson::Legacy1 | Lesson::Legacy3 | Lesson::Legacy4 | Lesson::Legacy5 => {
            legacy::templates(lesson)
        }
    }
}

/// Every rule of the lesson, in the order they are printed.
pub(crate) fn check(lesson: Lesson, input: &Input<'_>) -> Vec<Verdict> {
    let mut verdicts = match lesson {
        Lesson::L1 => l10_1::rules(input),
        Lesson::L2 => l10_2::rules(input),
        Lesson::L3 => l10_3::rules(input),
        Lesson::L4 => l10_4::rules(input),
        Lesson::L5 => l10_5::rules(input),
        Lesson::Legacy1 | Lesson::Legacy3 | Lesson::Legacy4 | Lesson::Legacy5 => {
            legacy::rules(lesson, input)
        }
    };
    verdicts.insert(1.min(verdicts.len()), print_race(input));
    verdicts
}

/// Matches the output against the templates: messages, glued lines split, the rest unknown.
pub(crate) fn classify(lines: &[Line], templates: &[String]) -> (Vec<Msg>, Vec<Msg>, Vec<Glue>) {
    let (mut msgs, mut unknown, mut glued) = (Vec::new(), Vec::new(), Vec::new());
    let mut blanks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let msg = |text: &str| Msg {
            text: text.to_owned(),
            norm: normalize(text),
            line: i + 1,
            at_us: line.at_us,
        };
        let text = line.text.as_str();
        if text.trim().is_empty() {
            blanks.push(msg(text));
            continue;
        }
        let whole = msg(text);
        if templates.contains(&whole.norm) {
            msgs.push(whole);
        } else if let Some(pieces) = split_glued(text, templates) {
            msgs.extend(pieces.iter().map(|p| msg(p)));
            glued.push(Glue {
                line: i + 1,
                text: text.to_owned(),
                pieces,
            });
        } else {
            // A line close to a message (a letter off: «отклонен» for «отклонён») counts as
            // that message for the other rules; the messages rule still reports it.
            if let Some(fixed) = corrected(text, templates) {
                msgs.push(msg(&fixed));
            }
            unknown.push(whole);
        }
    }
    // A glued line of k pieces leaves k - 1 newlines to come out on their own as blank lines.
    let stray: usize = glued.iter().map(|g| g.pieces.len() - 1).sum();
    unknown.extend(blanks.into_iter().skip(stray));
    unknown.sort_by_key(|m| m.line);
    (msgs, unknown, glued)
}

/// How far (in edits of the `#` form) a line may be from a message to count as it: at most
/// this, and one edit in eight characters.
const CLOSE: usize = 3;

/// The message of the task `text` was meant to be, when it is a few letters off one.
fn corrected(text: &str, templates: &[String]) -> Option<String> {
    let norm = normalize(text);
    let best = templates.iter().min_by_key(|t| levenshtein(t, &norm))?;
    let runs = digit_runs(text);
    let close = CLOSE.min(norm.chars().count() / 8);
    if levenshtein(best, &norm) > close || best.matches('#').count() != runs.len() {
        return None;
    }
    Some(fill(best, &runs))
}

/// A `#` form with the numbers put back in.
fn fill(template: &str, runs: &[String]) -> String {
    let mut out = String::new();
    let mut runs = runs.iter();
    for c in template.chars() {
        if c == '#' {
            out.push_str(runs.next().map_or("", |s| s.as_str()));
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` as two to four messages one after another, split where no digit meets a digit.
fn split_glued(text: &str, templates: &[String]) -> Option<Vec<String>> {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    fn go(
        text: &str,
        bounds: &[usize],
        from: usize,
        templates: &[String],
        depth: usize,
    ) -> Option<Vec<String>> {
        let start = bounds[from];
        if start == text.len() {
            return Some(Vec::new());
        }
        if depth == 4 {
            return None;
        }
        for k in from + 1..bounds.len() {
            let end = bounds[k];
            let piece = &text[start..end];
            let digits_meet = end < text.len()
                && piece.ends_with(|c: char| c.is_ascii_digit())
                && text[end..].starts_with(|c: char| c.is_ascii_digit());
            if digits_meet || (depth == 0 && end == text.len()) {
                continue;
            }
            if templates.contains(&normalize(piece)) {
                if let Some(mut rest) = go(text, bounds, k, templates, depth + 1) {
                    rest.insert(0, piece.to_owned());
                    return Some(rest);
                }
            }
        }
        None
    }
    go(text, &bounds, 0, templates, 0)
}

/// The rule every lesson has: every line whole.
fn print_race(input: &Input<'_>) -> Verdict {
    let m = input.lang.m();
    let title = m.check_race_title().to_owned();
    let Some(glue) = input.glued.first() else {
        return Verdict::pass(title);
    };
    let pieces = glue
        .pieces
        .iter()
        .map(|p| format!("«{p}»"))
        .collect::<Vec<_>>()
        .join(", ");
    let more = input.glued.len() - 1;
    let mut verdict = Verdict::fail(
        title,
        m.check_race_expected(&pieces),
        m.check_quote(&glue.text, glue.line),
    )
    .because(m.check_race_why().to_owned())
    .because(m.check_race_fix().to_owned());
    if more > 0 {
        verdict = verdict.because(m.check_race_more(more));
    }
    verdict
}

/// The rule that every line is a message of the task, with the closest message for the first
/// line that is none. `examples` are the task's lines to suggest.
pub(crate) fn unknown_line(input: &Input<'_>, examples: &[String]) -> Option<Failure> {
    let line = input.unknown.first()?;
    let expected = closest(&line.text, examples);
    let mut why = Vec::new();
    if input.unknown.len() > 1 {
        why.push(input.lang.m().check_unknown_more(input.unknown.len() - 1));
    }
    Some(Failure {
        expected,
        actual: input.quote(line),
        why,
    })
}

/// The example closest to `text` (edit distance on the `#` forms), with `text`'s own numbers
/// put in where they fit.
fn closest(text: &str, examples: &[String]) -> String {
    let norm = normalize(text);
    let Some(best) = examples
        .iter()
        .min_by_key(|e| levenshtein(&normalize(e), &norm))
    else {
        return String::new();
    };
    let template = normalize(best);
    let mine = digit_runs(text);
    if template.matches('#').count() == mine.len() {
        fill(&template, &mine)
    } else {
        best.clone()
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `text` with every run of ASCII digits as one `#`.
pub(crate) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

fn digit_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

/// The numbers of a line, in order.
pub(crate) fn numbers(text: &str) -> Vec<i64> {
    digit_runs(text)
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Python's `str(timedelta)`, `H:MM:SS` or `H:MM:SS.ffffff`, in seconds.
pub(crate) fn parse_timedelta(s: &str) -> Option<f64> {
    let mut parts = s.split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || m.len() != 2 {
        return None;
    }
    let h: f64 = h.parse().ok()?;
    let m: f64 = m.parse().ok()?;
    let sec: f64 = sec.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + sec)
}

/// The threads rule's failure when the records show fewer than `want` of the program's
/// threads alive at once.
pub(crate) fn threads_at_once(input: &Input<'_>, want: usize) -> Option<Failure> {
    let most = input.records.max_user_threads_at_once();
    let made = input.records.user_threads().len();
    let m = input.m();
    (most < want).then(|| Failure {
        expected: m.rule_threads_expected(want),
        actual: m.rule_threads_actual(made, most),
        why: vec![if made < want {
            m.rule_threads_too_few(made, want)
        } else {
            m.rule_threads_in_turn().to_owned()
        }],
    })
}

/// The longest that threads which sleep at the same time may take, from `from_us` to `to_us`,
/// and still count as running at once: halfway between the seconds their sleeps ask for at
/// once (`at_once`) and one after another (`in_turn`), both stretched by how much the sleeps
/// recorded in that window overshot (a loaded machine lengthens every sleep, and both
/// figures with them), plus 50 ms. Unstretched, a correct program beside busy loops was
/// judged "one after another" (0.77 s where the limit was 0.675 s).
pub(crate) fn at_once_limit(
    input: &Input<'_>,
    at_once: f64,
    in_turn: f64,
    from_us: f64,
    to_us: f64,
) -> f64 {
    let (overshoot, _) = input.records.overshoot(from_us, to_us);
    (at_once + in_turn) / 2.0 * overshoot + 0.05
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line {
            text: text.to_owned(),
            at_us: 0.0,
        }
    }

    #[test]
    fn numbers_become_hashes() {
        assert_eq!(
            normalize("Пополнение: 120. Баланс: 300"),
            "Пополнение: #. Баланс: #"
        );
        assert_eq!(normalize("0:00:03.400123 (линейный)"), "#:#:#.# (линейный)");
    }

    #[test]
    fn glued_lines_split_back_into_messages() {
        let templates = vec![
            "Sir Lancelot, сражается # день(дня)..., осталось # воинов.".to_owned(),
            "Sir Galahad, сражается # день(дня)..., осталось # воинов.".to_owned(),
        ];
        let lines = [
            line("Sir Lancelot, сражается 5 день(дня)..., осталось 50 воинов.Sir Galahad, сражается 5 день(дня)..., осталось 0 воинов."),
            line(""),
        ];
        let (msgs, unknown, glued) = classify(&lines, &templates);
        assert_eq!(msgs.len(), 2);
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(glued.len(), 1);
        assert_eq!(
            glued[0].pieces[1],
            "Sir Galahad, сражается 5 день(дня)..., осталось 0 воинов."
        );
    }

    #[test]
    fn closest_message_keeps_the_lines_numbers() {
        let examples = vec!["Завершилась запись в файл example1.txt".to_owned()];
        assert_eq!(
            closest("Завершилась запис в файл example7.txt", &examples),
            "Завершилась запись в файл example7.txt"
        );
    }

    #[test]
    fn durations_as_python_prints_them() {
        assert_eq!(parse_timedelta("0:00:20.5"), Some(20.5));
        assert_eq!(parse_timedelta("1:02:03"), Some(3723.0));
        assert_eq!(parse_timedelta("20.5"), None);
    }
}
