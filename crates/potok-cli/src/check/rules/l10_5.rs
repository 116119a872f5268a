//! 10_5 «Многопроцессное программирование»: four files read one after another, then in a
//! process pool.

use super::{unknown_line, Input, Msg, Verdict};

const LINEAR: [&str; 2] = ["#:#:#.# (линейный)", "#:#:# (линейный)"];
const MULTI: [&str; 2] = ["#:#:#.# (многопроцессный)", "#:#:# (многопроцессный)"];
/// potok's own third timing; a learner may print it too.
const THREADED: [&str; 2] = ["#:#:#.# (многопоточный)", "#:#:# (многопоточный)"];
/// Below this the linear read is too short for processes to pay off their start.
const ENOUGH_WORK: f64 = 0.4;

pub(super) fn templates() -> Vec<String> {
    LINEAR
        .iter()
        .chain(&MULTI)
        .chain(&THREADED)
        .map(|s| s.to_string())
        .collect()
}

fn examples() -> Vec<String> {
    vec![
        "0:00:03.046163 (линейный)".to_owned(),
        "0:00:01.092300 (многопроцессный)".to_owned(),
    ]
}

pub(super) fn rules(input: &Input<'_>) -> Vec<Verdict> {
    vec![messages(input), processes(input), faster(input)]
}

fn find<'a>(input: &'a Input<'_>, forms: &[&str]) -> Vec<&'a Msg> {
    input
        .msgs
        .iter()
        .filter(|m| forms.contains(&m.norm.as_str()))
        .collect()
}

fn messages(input: &Input<'_>) -> Verdict {
    let title = input.m().rule_10_5_messages().to_owned();
    if let Some(f) = unknown_line(input, &examples()) {
        return Verdict::new(title, Some(f));
    }
    for (forms, example) in [
        (&LINEAR, "0:00:03.046163 (линейный)"),
        (&MULTI, "0:00:01.092300 (многопроцессный)"),
    ] {
        let found = find(input, forms);
        if found.len() != 1 {
            let actual = if found.is_empty() {
                input.none()
            } else {
                input.m().rule_times(found.len())
            };
            return Verdict::fail(title, example.to_owned(), actual);
        }
    }
    Verdict::pass(title)
}

fn processes(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_10_5_processes().to_owned();
    let children = input.records.child_processes();
    let at_once = input.records.child_processes_at_once();
    if children.len() >= 2 && at_once >= 2 {
        return Verdict::pass(title);
    }
    Verdict::fail(
        title,
        m.rule_10_5_two_children().to_owned(),
        m.rule_10_5_children_found(children.len(), at_once),
    )
    .because(m.rule_10_5_processes_why().to_owned())
}

fn faster(input: &Input<'_>) -> Verdict {
    let m = input.m();
    let title = m.rule_10_5_faster().to_owned();
    let (Some(linear), Some(multi)) = (
        find(input, &LINEAR).first().and_then(|m| m.duration()),
        find(input, &MULTI).first().and_then(|m| m.duration()),
    ) else {
        return Verdict::fail(title, m.rule_10_5_both_timings().to_owned(), input.none());
    };
    // Free cores: the machine's, less what other programs keep busy (the load average).
    let free = input.cores as f64 - input.load;
    if input.cores < 2 || free < 1.0 || linear < ENOUGH_WORK {
        return Verdict::pass(title).noting(m.rule_10_5_not_checked(
            input.cores,
            input.load,
            linear,
            ENOUGH_WORK,
        ));
    }
    if multi < linear {
        return Verdict::pass(title).noting(m.rule_10_5_speedup(linear / multi, input.cores));
    }
    Verdict::fail(
        title,
        m.rule_less_than(linear),
        m.rule_10_5_multi_took(multi),
    )
    .because(m.rule_10_5_faster_why().to_owned())
}
