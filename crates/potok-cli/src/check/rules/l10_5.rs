//! 10_5 «Многопроцессное программирование»: four files read one after another, then in a
//! process pool.

use super::{secs, unknown_line, Input, Msg, Verdict};

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
    let title = input.t(
        "сообщения: «<время> (линейный)» и «<время> (многопроцессный)», по одному разу",
        "messages: «<time> (линейный)» and «<time> (многопроцессный)», once each",
    );
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
                input.t(
                    &format!("{} раза", found.len()),
                    &format!("{} times", found.len()),
                )
            };
            return Verdict::fail(title, example.to_owned(), actual);
        }
    }
    Verdict::pass(title)
}

fn processes(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "многопроцессное чтение - в дочерних процессах multiprocessing",
        "the multiprocess read runs in multiprocessing's child processes",
    );
    let children = input.records.child_processes();
    let at_once = input.records.child_processes_at_once();
    if children.len() >= 2 && at_once >= 2 {
        return Verdict::pass(title);
    }
    Verdict::fail(
        title,
        input.t(
            "не меньше двух дочерних процессов, работающих одновременно (Pool(processes=4))",
            "at least two child processes running at the same time (Pool(processes=4))",
        ),
        input.t(
            &format!(
                "дочерних процессов записано: {}, одновременно: {at_once}",
                children.len()
            ),
            &format!(
                "{} child process(es) recorded, {at_once} at once",
                children.len()
            ),
        ),
    )
    .because(input.t(
        "Чтение в потоках одного процесса упирается в GIL; чтобы файлы читались одновременно, \
         нужен multiprocessing.Pool и его map.",
        "Reading in threads of one process is held back by the GIL; for the files to be read at \
         the same time, use multiprocessing.Pool and its map.",
    ))
}

fn faster(input: &Input<'_>) -> Verdict {
    let title = input.t(
        "процессы быстрее, чем одно чтение за другим (где есть ядра и хватает работы)",
        "processes are faster than one read after another (where there are the cores and enough work)",
    );
    let (Some(linear), Some(multi)) = (
        find(input, &LINEAR).first().and_then(|m| m.duration()),
        find(input, &MULTI).first().and_then(|m| m.duration()),
    ) else {
        return Verdict::fail(title, input.t("оба времени", "both timings"), input.none());
    };
    // Free cores: the machine's, less what other programs keep busy (the load average).
    let free = input.cores as f64 - input.load;
    if input.cores < 2 || free < 1.0 || linear < ENOUGH_WORK {
        return Verdict::pass(title).noting(input.t(
            &format!(
                "не проверено: ядер {}, нагрузка {:.1}, линейное чтение {} (нужны 2 ядра, одно из них свободное, и чтение не короче {})",
                input.cores,
                input.load,
                secs(input.lang, linear),
                secs(input.lang, ENOUGH_WORK)
            ),
            &format!(
                "not checked: {} core(s), load {:.1}, the linear read took {} (it takes 2 cores, one of them free, and a read of at least {})",
                input.cores,
                input.load,
                secs(input.lang, linear),
                secs(input.lang, ENOUGH_WORK)
            ),
        ));
    }
    if multi < linear {
        return Verdict::pass(title).noting(input.t(
            &format!("ускорение ×{:.1} на {} ядрах", linear / multi, input.cores).replace('.', ","),
            &format!("×{:.1} faster on {} cores", linear / multi, input.cores),
        ));
    }
    Verdict::fail(
        title,
        input.t(
            &format!("меньше {}", secs(input.lang, linear)),
            &format!("less than {}", secs(input.lang, linear)),
        ),
        input.t(
            &format!("многопроцессное чтение {}", secs(input.lang, multi)),
            &format!("the multiprocess read took {}", secs(input.lang, multi)),
        ),
    )
    .because(input.t(
        "Процессы читают файлы на разных ядрах одновременно; если они не быстрее, то либо \
         процессы работают по одному (map вызывают для каждого файла отдельно, join сразу \
         после start), либо время уходит на их запуск.",
        "Processes read the files on different cores at once; if they are not faster, either \
         they work one at a time (map called per file, join right after start), or the time \
         goes into starting them.",
    ))
}
