//! The words of `potok check` that are not a rule's: the headline, the summary, a crash, a
//! hang, bad input. (The rules word their own lines, in `rules/`.)

use std::path::Path;

use crate::context::Lang;

/// "поток" / "потока" / "потоков" after a number.
pub(crate) fn threads_ru(n: usize) -> &'static str {
    plural_ru(n, "поток", "потока", "потоков")
}

/// "правило" / "правила" / "правил" after a number.
fn rules_ru(n: usize) -> &'static str {
    plural_ru(n, "правило", "правила", "правил")
}

fn plural_ru(n: usize, one: &'static str, few: &'static str, many: &'static str) -> &'static str {
    match (n % 10, n % 100) {
        (1, r) if r != 11 => one,
        (2..=4, r) if !(12..=14).contains(&r) => few,
        _ => many,
    }
}

pub(crate) fn headline(lang: Lang, file: &str, lesson: &str, title: &str, scale: f64) -> String {
    match lang {
        Lang::Ru => format!(
            "potok check {file}: урок {lesson} {title}, сон ×{}",
            scale.to_string().replace('.', ",")
        ),
        Lang::En => format!("potok check {file}: lesson {lesson} {title}, sleeps ×{scale}"),
    }
}

pub(crate) fn running(lang: Lang, python: &Path, file: &str) -> String {
    match lang {
        Lang::Ru => format!(
            "запускаю {} {file} в чистой временной папке…",
            python.display()
        ),
        Lang::En => format!(
            "running {} {file} in a fresh temporary folder…",
            python.display()
        ),
    }
}

pub(crate) fn expected(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "ожидалось:",
        Lang::En => "expected:",
    }
}

pub(crate) fn actual(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "получено: ",
        Lang::En => "actual:   ",
    }
}

pub(crate) fn all_hold(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Ru => format!("все {n} {} выполнены", rules_ru(n)),
        Lang::En => format!("all {n} rules hold"),
    }
}

pub(crate) fn some_fail(lang: Lang, failed: usize, n: usize) -> String {
    match lang {
        Lang::Ru => format!(
            "не выполнено {failed} {} из {n}",
            plural_ru(failed, "правило", "правила", "правил")
        ),
        Lang::En => format!("{failed} of {n} rules failed"),
    }
}

pub(crate) fn crashed(lang: Lang, code: Option<i32>) -> String {
    match (lang, code) {
        (Lang::Ru, Some(code)) => format!("✗ программа завершилась с ошибкой (код {code}):"),
        (Lang::En, Some(code)) => format!("✗ the program failed (exit code {code}):"),
        (Lang::Ru, None) => "✗ программу остановил сигнал:".to_owned(),
        (Lang::En, None) => "✗ the program was stopped by a signal:".to_owned(),
    }
}

pub(crate) fn stderr_tail(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "программа писала в stderr (последние строки):",
        Lang::En => "the program wrote to stderr (its last lines):",
    }
}

pub(crate) fn crash_summary(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "программа упала; правила не проверялись",
        Lang::En => "the program crashed; the rules were not checked",
    }
}

pub(crate) fn hung(lang: Lang, secs: f64) -> String {
    match lang {
        Lang::Ru => format!("✗ программа зависла и остановлена после {secs} с без продвижения:"),
        Lang::En => format!("✗ the program hung and was stopped after {secs} s without progress:"),
    }
}

pub(crate) fn hung_summary(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "программа зависла; она и её процессы остановлены",
        Lang::En => "the program hung; it and its processes were stopped",
    }
}

pub(crate) fn last_output(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "последние строки её вывода:",
        Lang::En => "its last lines of output:",
    }
}

pub(crate) fn no_python(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => {
            "python3 не найден в PATH: potok check запускает программу им; установите Python 3"
        }
        Lang::En => {
            "python3 is not on the PATH: potok check runs the program with it; install Python 3"
        }
    }
}

pub(crate) fn no_file(lang: Lang, file: &Path) -> String {
    match lang {
        Lang::Ru => format!("нет такого файла: {}", file.display()),
        Lang::En => format!("no such file: {}", file.display()),
    }
}

pub(crate) fn unknown_lesson(lang: Lang, given: &str) -> String {
    match lang {
        Lang::Ru => format!(
            "неизвестный урок '{given}': есть 10_1 … 10_5 и legacy-10_1, legacy-10_3, legacy-10_4, legacy-10_5"
        ),
        Lang::En => format!(
            "unknown lesson '{given}': there are 10_1 … 10_5 and legacy-10_1, legacy-10_3, legacy-10_4, legacy-10_5"
        ),
    }
}

pub(crate) fn which_lesson(lang: Lang, file: &Path) -> String {
    match lang {
        Lang::Ru => format!(
            "по имени {} не понять урок: назовите файл module_10_N.py или укажите --lesson 10_N",
            file.display()
        ),
        Lang::En => format!(
            "the name {} does not tell the lesson: call the file module_10_N.py or give --lesson 10_N",
            file.display()
        ),
    }
}

pub(crate) fn cannot_run(lang: Lang, err: &std::io::Error) -> String {
    match lang {
        Lang::Ru => format!("не удалось запустить программу: {err}"),
        Lang::En => format!("cannot run the program: {err}"),
    }
}

pub(crate) fn trace_written(lang: Lang, path: &Path) -> String {
    match lang {
        Lang::Ru => format!(
            "записи потоков: {} (Chrome trace: chrome://tracing, ui.perfetto.dev)",
            path.display()
        ),
        Lang::En => format!(
            "the threads' records: {} (Chrome trace: chrome://tracing, ui.perfetto.dev)",
            path.display()
        ),
    }
}

pub(crate) fn cannot_write(lang: Lang, path: &Path, err: &std::io::Error) -> String {
    match lang {
        Lang::Ru => format!("не удалось записать {}: {err}", path.display()),
        Lang::En => format!("cannot write {}: {err}", path.display()),
    }
}

pub(crate) fn timeline_written(lang: Lang, path: &Path) -> String {
    match lang {
        Lang::Ru => format!("потоки программы на временной шкале: {}", path.display()),
        Lang::En => format!("the program's threads on the timeline: {}", path.display()),
    }
}

pub(crate) fn bad_records(lang: Lang, err: &str) -> String {
    match lang {
        Lang::Ru => format!("записи shim не читаются как Chrome trace: {err}"),
        Lang::En => format!("the shim's records do not read as a Chrome trace: {err}"),
    }
}
