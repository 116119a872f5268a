//! The Russian catalogue: the course's lines word for word, and every other word potok prints.

use potok::deadlock::{DeadlockKind, ResourceKind};

use super::facts;
use super::Messages;

/// Russian.
#[derive(Debug)]
pub(crate) struct Ru;

/// The Russian plural form for `n`: `one` (1, 21, …), `few` (2–4, 22–24, …), `many` (the rest).
pub(crate) fn plural<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    match (n % 10, n % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    }
}

/// `n` and the word in its plural form: `2 потока`, `5 потоков`.
fn count(n: usize, one: &str, few: &str, many: &str) -> String {
    format!("{n} {}", plural(n as u64, one, few, many))
}

/// Words of a file: `1 слово`, `200 слов`.
fn words(n: u32) -> String {
    count(n as usize, "слово", "слова", "слов")
}

/// Seconds with two decimals (more when small), with a decimal comma: `0,34 с`, `0,001 с`.
fn secs(s: f64) -> String {
    format!("{s:.d$} с", d = super::decimals_for(s)).replace('.', ",")
}

/// A number as Russian writes it, with a decimal comma: `0,01`.
fn decimal(x: f64) -> String {
    x.to_string().replace('.', ",")
}

/// A speedup with two decimals and a decimal comma: `1,27`.
fn ratio(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

/// A signal's number, and its name where it is a common one: `9 (SIGKILL)`.
pub(crate) fn signal_name(sig: i32) -> String {
    let name = match sig {
        6 => " (SIGABRT)",
        7 => " (SIGBUS)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    };
    format!("{sig}{name}")
}

impl Messages for Ru {
    // ==== help ====

    fn about(&self) -> &'static str {
        "Пять уроков курса по многопоточности — настоящие программы на библиотеке potok"
    }
    fn after_help(&self) -> &'static str {
        "Параметры каждого урока: potok КОМАНДА --help.\n\
         Коды выхода: 0 — готово; 1 — урок не удался во время работы; 2 — неверный ввод."
    }
    fn usage_heading(&self) -> &'static str {
        "Использование"
    }
    fn heading_options(&self) -> &'static str {
        "Параметры"
    }
    fn heading_arguments(&self) -> &'static str {
        "Аргументы"
    }
    fn heading_commands(&self) -> &'static str {
        "Команды"
    }
    fn placeholder_options(&self) -> &'static str {
        "[ПАРАМЕТРЫ]"
    }
    fn placeholder_command(&self) -> &'static str {
        "КОМАНДА"
    }
    fn placeholder_dir(&self) -> &'static str {
        "ПАПКА"
    }
    fn placeholder_knight(&self) -> &'static str {
        "ИМЯ:СИЛА"
    }
    fn placeholder_name(&self) -> &'static str {
        "ИМЯ"
    }
    fn placeholder_lesson(&self) -> &'static str {
        "УРОК"
    }
    fn placeholder_file(&self) -> &'static str {
        "ФАЙЛ.py"
    }
    fn help_help(&self) -> &'static str {
        "Показать справку"
    }
    fn help_version(&self) -> &'static str {
        "Показать версию"
    }
    fn help_lang(&self) -> &'static str {
        "Язык всех сообщений: ru или en [по умолчанию: из LC_ALL, LC_MESSAGES или LANG]"
    }
    fn help_time_scale(&self, default: f64) -> String {
        format!(
            "Множитель всех пауз: 1 — настоящие секунды курса, 0.01 — в сто раз быстрее \
             [по умолчанию: {default}]"
        )
    }
    fn help_seed(&self, draws: &str) -> String {
        format!(
            "Повторить то, что выбирается случайно ({draws}); но не порядок, в котором \
             чередуются потоки: его выбирает ОС [по умолчанию: выбирается и печатается в stderr]"
        )
    }
    fn draws_bank(&self) -> &'static str {
        "суммы"
    }
    fn draws_cafe(&self) -> &'static str {
        "сколько ест каждый гость"
    }
    fn draws_tour(&self) -> &'static str {
        "суммы банка, время обедов в кафе"
    }
    fn help_trace(&self) -> &'static str {
        "Записать ход программы в формате трассы Chrome (JSON; открывается в Perfetto)"
    }
    fn help_timeline(&self) -> &'static str {
        "Записать ход программы как временную шкалу: одна страница HTML, строка на поток"
    }
    fn help_no_explain(&self) -> &'static str {
        "Печатать только строки урока, без объяснения после него (в stderr)"
    }
    fn about_write_words(&self) -> &'static str {
        "10_1: записать четыре файла один за другим, потом в четырёх потоках, и засечь время"
    }
    fn help_dir_write_words(&self) -> &'static str {
        "Папка для example1.txt … example8.txt [по умолчанию: текущая, как в курсе]"
    }
    fn about_knights(&self) -> &'static str {
        "10_2: рыцари — классы потоков (Run), у каждого 100 врагов"
    }
    fn help_knight(&self) -> &'static str {
        "Рыцарь в виде \"Имя:сила\", сила от 1 до 100 (можно несколько раз) \
         [по умолчанию: \"Sir Lancelot:10\" и \"Sir Galahad:20\"]"
    }
    fn about_bank(&self) -> &'static str {
        "10_3: банк, где take ждёт на Lock, который освобождает deposit (замок как сигнал)"
    }
    fn help_faithful(&self) -> &'static str {
        "Запустить программу курса как есть: в ней гонка на балансе, и она может зависнуть \
         (по замеру 1 декабря 2026 года — в 2–5 запусках из 100 при --time-scale 0.001 и 0.02 \
         на занятой машине, ни в одном из 1000 при 1; подробности она печатает); potok \
         deadlock bank создаёт порядок, при котором она зависает"
    }
    fn about_deadlock(&self) -> &'static str {
        "10_3: взаимные блокировки, пойманные вместо зависания: abba, ring N, self, bank"
    }
    fn placeholder_scenario(&self) -> &'static str {
        "СЦЕНАРИЙ"
    }
    fn about_abba(&self) -> &'static str {
        "Два потока берут два замка в разном порядке"
    }
    fn about_ring(&self) -> &'static str {
        "N философов: каждый держит левую вилку и ждёт правую"
    }
    fn help_ring_n(&self) -> &'static str {
        "Сколько философов, от 2 до 64 [по умолчанию: 5]"
    }
    fn about_self(&self) -> &'static str {
        "Поток берёт нереентерабельный Lock, который уже держит"
    }
    fn about_deadlock_bank(&self) -> &'static str {
        "Банк из урока, где take начинает после окончания deposit: порядок, при котором он зависает"
    }
    fn about_cafe(&self) -> &'static str {
        "10_4: кафе, где очередь — potok Queue, а гости — классы потоков"
    }
    fn help_tables(&self) -> &'static str {
        "Сколько столов в кафе, от 1 до 1000 [по умолчанию: 5]"
    }
    fn help_guest(&self) -> &'static str {
        "Имя гостя, в порядке прихода (можно несколько раз) [по умолчанию: двенадцать гостей курса]"
    }
    fn about_gil(&self) -> &'static str {
        "10_4: GIL: вычисления по очереди, в N потоках и в N процессах, Rust рядом с CPython"
    }
    fn help_threads(&self) -> &'static str {
        "Сколько потоков, процессов и порций работы, от 1 до 256 [по умолчанию: число ядер]"
    }
    fn help_work(&self) -> &'static str {
        "Миллионов квадратов в каждой порции в Rust, от 1 до 100000; CPython считает двадцатую \
         часть [по умолчанию: 100]"
    }
    fn about_read_files(&self) -> &'static str {
        "10_5: прочитать четыре файла один за другим, пулом процессов и потоками, и засечь время"
    }
    fn help_dir_read_files(&self) -> &'static str {
        "Папка для file 1.txt … file 4.txt; недостающие сначала записываются \
         [по умолчанию: папка кэша potok, её очищает --clean]"
    }
    fn help_lines(&self) -> &'static str {
        "Строк в каждом записанном файле (числа подряд), от 1 до 50000000 \
         [по умолчанию: 3000000, здесь это около секунды чтения]"
    }
    fn help_clean(&self) -> &'static str {
        "Удалить файлы, записанные в папку кэша potok, и больше ничего не делать"
    }
    fn about_tour(&self) -> &'static str {
        "Все уроки подряд, быстро"
    }
    fn about_show(&self) -> &'static str {
        "Программа урока на Rust, затем решение задачи на Python — чтобы читать их рядом"
    }
    fn help_show_lesson(&self) -> &'static str {
        "Урок: 10_1 … 10_5 или его команда (write-words, knights, bank, cafe, read-files)"
    }

    fn about_check(&self) -> &'static str {
        "Проверить своё решение задачи на Python, правило за правилом"
    }
    fn help_check_file(&self) -> &'static str {
        "Ваша программа, например module_10_1.py (урок берётся из имени)"
    }
    fn help_check_lesson(&self) -> &'static str {
        "Урок, если имя его не называет: 10_1 … 10_5 или legacy-10_1, legacy-10_3, \
         legacy-10_4, legacy-10_5 для задач 2023 года"
    }
    fn help_hang_after(&self) -> &'static str {
        "Через сколько секунд без вывода и без событий программа считается зависшей: о ней \
         сообщается, и она останавливается; от 0 до 3600 [по умолчанию: 10]"
    }
    fn help_check_trace(&self) -> &'static str {
        "Записать, что делали потоки и процессы программы, как трассу Chrome (JSON)"
    }
    fn help_check_timeline(&self) -> &'static str {
        "Нарисовать потоки и процессы программы на странице временной шкалы (HTML)"
    }

    // ==== bad input ====

    fn missing_command(&self) -> &'static str {
        "не указана команда: список уроков — potok --help"
    }
    fn missing_subcommand(&self, command: &str, choices: &str) -> String {
        format!("{command}: какой именно? {choices} ({command} --help)")
    }
    fn unknown_command(&self, name: &str, suggestion: Option<&str>) -> String {
        match suggestion {
            Some(s) => {
                format!("нет команды '{name}': может быть, '{s}'? (список уроков — potok --help)")
            }
            None => format!("нет команды '{name}' (список уроков — potok --help)"),
        }
    }
    fn unknown_scenario(&self, name: &str, command: &str, suggestion: Option<&str>) -> String {
        match suggestion {
            Some(s) => {
                format!("у {command} нет сценария '{name}': может быть, '{s}'? ({command} --help)")
            }
            None => format!("у {command} нет сценария '{name}' ({command} --help)"),
        }
    }
    fn unknown_option(&self, option: &str, command: &str, suggestion: Option<&str>) -> String {
        let option = &super::shown_arg(option);
        let suggestion = suggestion.map(super::shown_arg);
        match suggestion {
            Some(s) => {
                format!("у {command} нет параметра {option}: может быть, {s}? ({command} --help)")
            }
            None => {
                format!("у {command} нет параметра {option} (его параметры — {command} --help)")
            }
        }
    }
    fn misplaced_option(&self, option: &str, command: &str) -> String {
        format!("{option} пишется после команды: {command} {option} …")
    }
    fn unexpected_argument(&self, arg: &str, command: &str) -> String {
        format!("{command}: лишнее '{arg}' ({command} --help)")
    }
    fn missing_value(&self, option: &str) -> String {
        format!("{option}: не указано значение")
    }
    fn missing_argument(&self, arg: &str, command: &str) -> String {
        format!("{command}: не указан {arg} ({command} --help)")
    }
    fn given_twice(&self, option: &str) -> String {
        format!("{option} указан дважды; укажите один раз")
    }
    fn bad_value(&self, option: &str, why: &str) -> String {
        format!("{option}: {why}")
    }
    fn bad_arguments(&self, clap_says: &str) -> String {
        format!("неверные аргументы: {clap_says}")
    }
    fn not_a_count(&self, value: &str, min: u64, max: u64) -> String {
        format!("'{value}' не подходит: нужно целое число от {min} до {max}")
    }
    fn not_a_time_scale(&self, value: &str, max: f64) -> String {
        format!(
            "'{value}' не подходит: нужно положительное число не больше {max}, например 1 или 0.01"
        )
    }
    fn not_a_lang(&self, value: &str) -> String {
        format!("'{value}' — такого языка potok не знает: ru или en")
    }
    fn not_a_knight(&self, value: &str) -> String {
        format!("'{value}' — не ИМЯ:СИЛА, например \"Sir Lancelot:10\"")
    }
    fn knight_name_empty(&self) -> &'static str {
        "у рыцаря пустое имя: ИМЯ:СИЛА, например \"Sir Lancelot:10\""
    }
    fn not_a_power(&self, value: &str, max: u32) -> String {
        format!("сила '{value}' не подходит: нужно целое число от 1 до {max}")
    }
    fn name_empty(&self) -> &'static str {
        "пустое имя"
    }
    fn not_a_ring(&self, value: &str, min: u16, max: u16) -> String {
        format!("'{value}' не подходит: философов за круглым столом — от {min} до {max}")
    }
    fn not_a_hang_after(&self, value: &str, max: f64) -> String {
        format!("'{value}' не подходит: нужно число секунд больше 0 и не больше {max}")
    }
    fn not_a_lesson(&self, value: &str) -> String {
        format!(
            "'{value}' — нет такого урока: 10_1, 10_2, 10_3, 10_4, 10_5 или команда урока \
             (write-words, knights, bank, cafe, read-files)"
        )
    }
    fn no_such_folder(&self, dir: &str) -> String {
        format!("--dir {dir}: нет такой папки")
    }
    fn not_a_folder(&self, dir: &str) -> String {
        format!("--dir {dir}: это не папка")
    }
    fn cannot_write_there(&self, dir: &str, err: &str) -> String {
        format!("--dir {dir}: туда нельзя писать: {err}")
    }

    // ==== failures ====

    fn io_error(&self, err: &std::io::Error) -> String {
        use std::io::ErrorKind as K;
        let what = match err.kind() {
            K::NotFound => "нет такого файла или папки",
            K::PermissionDenied => "нет прав доступа",
            K::AlreadyExists => "уже существует",
            K::IsADirectory => "это папка, а не файл",
            K::NotADirectory => "это не папка",
            K::ReadOnlyFilesystem => "файловая система только для чтения",
            K::StorageFull => "на диске нет места",
            K::InvalidData => "это не текст в UTF-8",
            K::BrokenPipe => "читающий закрыл канал",
            K::WouldBlock | K::TimedOut => "не дождались ответа",
            _ => "ошибка ввода-вывода",
        };
        match err.raw_os_error() {
            Some(code) => format!("{what} (код ошибки ОС {code})"),
            None => what.to_owned(),
        }
    }
    fn cluster_error(&self, what: &facts::Cluster) -> String {
        use facts::Cluster as C;
        let piece = |task: &usize| format!("порция работы №{}", task + 1);
        let workers = |names: &[String]| match names {
            [one] => format!("воркер {one}"),
            many => format!("воркеры {}", many.join(", ")),
        };
        match what {
            C::BadUrl { url } => format!("'{url}' — не адрес Redis (нужен redis://хост:порт/база)"),
            C::Unreachable { url } => format!("по адресу {url} не отвечает брокер Redis"),
            C::TooOld { url, version } => format!(
                "по адресу {url} работает Redis {version}, а кластерному пулу нужен Redis 7 или \
                 новее"
            ),
            C::Unusable { url, .. } => format!(
                "Redis по адресу {url} ответил ошибкой: брокером кластерного пула он служить не \
                 может (нужен Redis 7 или новее, где разрешены скрипты и стримы)"
            ),
            C::Silent { url, .. } => format!("брокер по адресу {url} не ответил на запрос"),
            C::LocalWorkers { .. } => "воркеры на этой машине не запустились или не отметились у \
                 брокера вовремя"
                .to_owned(),
            C::Closed => "кластерный пул уже закрыт: работу ему не отдать".to_owned(),
            C::TaskPanicked { task, message } => {
                format!("{} упала в воркере с паникой: «{message}»", piece(task))
            }
            C::TaskData { task, .. } => format!(
                "{} не удалось передать воркеру или прочитать её результат",
                piece(task)
            ),
            C::GaveUp {
                task,
                attempts,
                lost,
                refused,
                ..
            } => {
                let mut text = match attempts {
                    Some(n) => format!(
                        "{} не выполнена ни с одной из {n} {}",
                        piece(task),
                        plural(u64::from(*n), "попытки", "попыток", "попыток")
                    ),
                    None => format!("{} не выполнена: все попытки не удались", piece(task)),
                };
                if !lost.is_empty() {
                    let verb = if lost.len() == 1 {
                        "не вернул её за срок аренды (умер, завис или был остановлен)"
                    } else {
                        "не вернули её за срок аренды (умерли, зависли или были остановлены)"
                    };
                    text.push_str(&format!("; {} {verb}", workers(lost)));
                }
                if !refused.is_empty() {
                    let verb = if refused.len() == 1 {
                        "отказался от неё: он собран из другой версии программы"
                    } else {
                        "отказались от неё: они собраны из другой версии программы"
                    };
                    text.push_str(&format!("; {} {verb}", workers(refused)));
                }
                text.push_str("; она сохранена в стриме potok:dead");
                text
            }
            C::Refused { task, .. } => format!(
                "воркер не нашёл в своей программе функцию, которую просит {} (задача повреждена \
                 или подделана)",
                piece(task)
            ),
            C::TaskBrokerLost { task, .. } => {
                format!("связь с брокером пропала, пока выполнялась {}", piece(task))
            }
            C::Terminated { task } => {
                format!("пул остановлен раньше, чем закончилась {}", piece(task))
            }
            C::WorkerLost { url, .. } => {
                format!("воркер потерял связь с брокером {url} и не смог подключиться к нему снова")
            }
        }
    }
    fn pool_error(&self, what: &facts::Pool) -> String {
        use facts::Pool as P;
        let task = |task: &usize| format!("задача №{}", task + 1);
        match what {
            P::Spawn { os: Some(os) } => format!("не удалось запустить процесс пула: {os}"),
            P::Spawn { os: None } => "не удалось запустить процесс пула".to_owned(),
            P::Handshake { .. } => "процесс пула ответил не так, как должен дочерний процесс \
                 potok (это ошибка potok)"
                .to_owned(),
            P::Daemonic => {
                "этот процесс — демон, а у демонов не бывает дочерних процессов".to_owned()
            }
            P::Start { .. } => "процесс пула не запустился".to_owned(),
            P::Closed => "пул процессов уже закрыт: работу ему не отдать".to_owned(),
            P::TaskPanicked { task: t, message } => {
                format!("{} упала в процессе пула с паникой: «{message}»", task(t))
            }
            P::WorkerDied {
                task: t,
                code: Some(code),
                ..
            } => format!(
                "процесс пула, выполнявший задачу №{}, умер (код выхода {code})",
                t + 1
            ),
            P::WorkerDied {
                task: t, signal, ..
            } => format!(
                "процесс пула, выполнявший задачу №{}, убит сигналом {}",
                t + 1,
                signal_name(signal.unwrap_or(0))
            ),
            P::TaskData { task: t, .. } => format!(
                "{} не удалось передать процессу пула или прочитать её результат",
                task(t)
            ),
            P::Terminated { task: t } => format!(
                "пул процессов остановлен раньше, чем закончилась {}",
                task(t)
            ),
            P::Broken { task: t, .. } => format!(
                "пул процессов больше не может запускать процессы, и {} не выполнена",
                task(t)
            ),
        }
    }
    fn cannot_write_in(&self, dir: &str, err: &str) -> String {
        format!("не удалось записать в {dir}: {err}")
    }
    fn cannot_write_file(&self, file: &str, err: &str) -> String {
        format!("не удалось записать {file}: {err}")
    }
    fn cannot_read(&self, file: &str, err: &str) -> String {
        format!("не удалось прочитать {file}: {err}")
    }
    fn cannot_start_thread(&self, name: &str, err: &str) -> String {
        format!("не удалось запустить поток {name}: {err}")
    }
    fn cannot_start_pool(&self, err: &str) -> String {
        format!("не удалось запустить пул процессов: {err}")
    }
    fn pool_failed(&self, err: &str) -> String {
        format!("пул процессов: {err}")
    }
    fn thread_failed(&self, detail: &str) -> String {
        format!("поток урока завершился с ошибкой: {detail}")
    }
    fn thread_panicked(&self, thread: &str, message: &str, location: Option<&str>) -> String {
        let at = location.map_or(String::new(), |at| format!(" (в {at})"));
        format!(
            "поток '{thread}' упал с паникой — это ошибка в коде potok, а не в ваших действиях: \
             «{message}»{at}"
        )
    }
    fn waiting_line_shut_down(&self) -> &'static str {
        "очередь кафе (Queue) закрыта, хотя урок её не закрывает: это ошибка в коде potok"
    }
    fn cannot_make_temp(&self, err: &str) -> String {
        format!("не удалось создать временную папку: {err}")
    }
    fn cannot_write_stdout(&self, err: &str) -> String {
        format!("не удалось писать в stdout: {err}")
    }
    fn did_not_deadlock(&self) -> &'static str {
        "сценарий не привёл к взаимной блокировке"
    }
    fn bank_never_hung(&self, attempts: u64) -> String {
        format!(
            "банк из урока не завис за {}",
            count(attempts as usize, "запуск", "запуска", "запусков")
        )
    }

    // ==== notes, progress, seed ====

    fn seed_line(&self, seed: u64) -> String {
        format!(
            "seed: {seed} (--seed {seed} повторит случайные суммы; но не порядок, в котором \
             чередуются потоки: его выбирает ОС)"
        )
    }
    fn progress_words(&self) -> &'static str {
        "слова"
    }
    fn progress_writing(&self) -> &'static str {
        "запись"
    }
    fn progress_reading(&self, way: &str) -> String {
        format!("чтение, {way}")
    }
    fn progress_measuring(&self, runtime: &str) -> String {
        format!("{runtime}: замер")
    }
    fn progress_bank_attempts(&self) -> &'static str {
        "запуски"
    }
    fn writing_files(&self, count: usize, megabytes: u64, dir: &str, clean: &str) -> String {
        let files = plural(count as u64, "файл", "файла", "файлов");
        format!(
            "potok: записываю {count} {files}, всего около {megabytes} МБ, в {dir} \
             (они остаются для следующего запуска; удалить их: {clean})"
        )
    }
    fn reusing_files(&self, dir: &str, clean: &str) -> String {
        format!("potok: читаю файлы, записанные прошлым запуском в {dir} (удалить их: {clean})")
    }
    fn cleaned(&self, dir: &str) -> String {
        format!("potok: удалено {dir}")
    }
    fn nothing_to_clean(&self, dir: &str) -> String {
        format!("potok: удалять нечего ({dir} нет)")
    }
    fn python_failed(&self, why: &str) -> String {
        format!(
            "potok: python3 завершился с ошибкой, строк CPython не будет; python3 написал: «{why}»"
        )
    }
    fn no_python(&self, err: &str) -> String {
        format!("potok: python3 не найден в PATH ({err}): строк CPython не будет")
    }
    fn python_unexpected(&self, text: &str) -> String {
        format!("potok: python3 напечатал неожиданное: {text}")
    }

    fn trace_written(&self, file: &str) -> String {
        format!("Трасса в формате Chrome: {file} (откройте в ui.perfetto.dev или chrome://tracing)")
    }
    fn timeline_written(&self, file: &str) -> String {
        format!(
            "Временная шкала потоков: {file} (откройте в браузере: строка на поток, цвет — что \
             он делает)"
        )
    }

    // ==== 10_1 ====

    fn word_line(&self, n: u32) -> String {
        format!("Какое-то слово № {n}")
    }
    fn finished_writing(&self, file: &str) -> String {
        format!("Завершилась запись в файл {file}")
    }
    fn functions_took(&self, took: &str) -> String {
        format!("Работа функций {took}")
    }
    fn threads_took(&self, took: &str) -> String {
        format!("Работа потоков {took}")
    }

    // ==== 10_2 ====

    fn under_attack(&self, name: &str) -> String {
        format!("{name}, на нас напали!")
    }
    fn fighting(&self, name: &str, day: u32, left: u32) -> String {
        format!("{name}, сражается {day} день(дня)..., осталось {left} воинов.")
    }
    fn won(&self, name: &str, days: u32) -> String {
        format!("{name} одержал победу спустя {days} дней(дня)!")
    }
    fn battles_over(&self) -> &'static str {
        "Все битвы закончились!"
    }

    // ==== 10_3 bank ====

    fn deposit(&self, x: i64, balance: i64) -> String {
        format!("Пополнение: {x}. Баланс: {balance}")
    }
    fn request(&self, x: i64) -> String {
        format!("Запрос на {x}")
    }
    fn withdrawal(&self, x: i64, balance: i64) -> String {
        format!("Снятие: {x}. Баланс: {balance}")
    }
    fn refused(&self) -> &'static str {
        "Запрос отклонён, недостаточно средств"
    }
    fn final_balance(&self, balance: i64) -> String {
        format!("Итоговый баланс: {balance}")
    }
    fn faithful_note(&self) -> &'static str {
        "potok: программа курса как есть. Она зависает, когда take получает два отказа после \
         того, как deposit в последний раз освободил замок: освободить его больше некому. Как \
         часто, зависит от скорости и нагрузки машины. Замер 1 декабря 2026 года (отладочная \
         сборка, 2 ядра, занятые другой работой): при --time-scale 0.001 зависли 20 запусков \
         из 1000, при 0.02 — 51 из 1000, при 1 (скорость курса) — ни один из 1000; по 100 \
         запусков при меньшей нагрузке — ни одного; программа курса на Python — ни один из \
         100. Зависшую программу ловит детектор взаимных блокировок; potok deadlock bank \
         создаёт порядок, при котором она зависает."
    }
    fn faithful_hung(&self) -> &'static str {
        "potok: здесь программа курса зависла бы: take ждёт освобождения замка, а deposit уже \
         закончил (взаимная блокировка поймана детектором, отчёт выше; объяснение — potok \
         deadlock bank)"
    }

    // ==== 10_3 deadlock ====

    fn took_lock(&self, who: &str, what: &str) -> String {
        format!("{who} взял {what}")
    }
    fn waits_for_lock(&self, who: &str, what: &str) -> String {
        format!("{who} ждёт {what}")
    }
    fn takes_again(&self, who: &str, what: &str) -> String {
        format!("{who} снова берёт {what} (Lock не реентерабелен)")
    }
    fn caught(&self, found_by: &str) -> String {
        format!(
            "Взаимная блокировка поймана: поток '{found_by}' получил DeadlockError, программа не зависла."
        )
    }
    fn fix_lock_order(&self, first: &str, n: usize) -> String {
        let threads = if n == 2 {
            "оба потока берут".to_owned()
        } else {
            format!("все {} берут", count(n, "поток", "потока", "потоков"))
        };
        format!(
            "Почему: каждый поток держит один замок и ждёт следующий, который держит другой, и \
             так по кругу; никто не отпускает своего, поэтому никто не может продолжить.\n\
             Как исправить: один порядок замков для всех. Если {threads} замки в одном порядке \
             (сначала {first}, потом следующий по номеру), круг не замкнётся: у того, кто держит \
             более поздний замок, более ранний уже есть."
        )
    }
    fn fix_rlock(&self) -> &'static str {
        "Почему: Lock не знает, кто его держит, и второй acquire того же потока ждёт \
         освобождения, которое может сделать только сам этот поток.\n\
         Как исправить: potok::RLock (threading.RLock в Python) считает захваты владельца и \
         пускает его снова; тогда каждому acquire нужен свой release."
    }
    fn bank_intro(&self) -> &'static str {
        "Банк из урока (potok bank --faithful), где take запущен после окончания deposit: \
         такой порядок может выбрать ОС, здесь он задан."
    }
    fn bank_deposits(&self, count: usize, sum: i64, balance: i64) -> String {
        format!(
            "deposit: {}, всего {sum}; баланс дошёл до {balance}, и deposit закончил. Замок \
             ни разу не был заперт, так что освобождать было нечего.",
            self::count(count, "пополнение", "пополнения", "пополнений")
        )
    }
    fn bank_skipped(&self, count: usize) -> String {
        let ops = plural(count as u64, "операция", "операции", "операций");
        let went = plural(count as u64, "прошла", "прошли", "прошли");
        format!("take: … {count} {ops} {went} успешно …")
    }
    fn bank_first_refusal(&self) -> &'static str {
        "   ← take берёт замок: он свободен, take получает его сразу и идёт дальше"
    }
    fn bank_second_refusal(&self) -> &'static str {
        "   ← take снова берёт замок: он заперт — самим take — и take ждёт"
    }
    fn bank_attempt(&self, attempt: u64) -> String {
        if attempt == 1 {
            "Банк завис с первого запуска.".to_owned()
        } else {
            format!(
                "Банк завис на {attempt}-м запуске (каждый запуск выбирает новые суммы; \
                 предыдущие закончились, потому что take получил не больше одного отказа)."
            )
        }
    }
    fn bank_why_and_fix(&self) -> &'static str {
        "Почему освободить замок некому: его освобождает только deposit, а deposit уже \
         закончил. Первый отказ take взял свободный замок; второй ждёт освобождения, которого \
         больше не будет.\n\
         Как исправить (potok bank, по умолчанию): закончив, deposit последний раз \
         освобождает замок, а take больше не ждёт, когда пополнений уже не будет. Код — \
         potok show 10_3."
    }

    // ==== deadlock reports ====

    fn lock_order_head(&self, cycle: &str) -> String {
        format!(
            "potok: возможна взаимная блокировка: замки берутся в разном порядке ({cycle}); \
             пока ничего не зависло"
        )
    }
    fn lock_order_edge(
        &self,
        thread: &str,
        taken: &str,
        taken_at: &str,
        held: &str,
        held_at: &str,
    ) -> String {
        format!("поток '{thread}' взял {taken} в {taken_at}, держа {held} (взят в {held_at})")
    }
    fn report_head(&self, kind: DeadlockKind, threads: usize) -> String {
        match (kind, threads) {
            (DeadlockKind::Cycle, 1) => "взаимная блокировка: поток ждёт сам себя".to_owned(),
            (DeadlockKind::Cycle, 2) => {
                "взаимная блокировка: оба потока ждут друг друга".to_owned()
            }
            (DeadlockKind::Cycle, n) => format!(
                "взаимная блокировка: {} ждут друг друга по кругу",
                count(n, "поток", "потока", "потоков")
            ),
            (DeadlockKind::Stall, 1) => {
                "взаимная блокировка: единственный поток заблокирован, и разбудить его некому"
                    .to_owned()
            }
            (DeadlockKind::Stall, 2) => {
                "взаимная блокировка: оба потока заблокированы, и ни один не может разбудить другой"
                    .to_owned()
            }
            (DeadlockKind::Stall, n) => format!(
                "взаимная блокировка: все {} заблокированы, и никто не может разбудить другого",
                count(n, "поток", "потока", "потоков")
            ),
        }
    }
    fn report_resource(&self, kind: ResourceKind, name: &str, detail: Option<&str>) -> String {
        // The library's details, each worded; one added later is shown as it is.
        let detail = detail.map(|d| match d {
            "empty" => "пуста",
            "full" => "полна",
            "across processes" => "между процессами",
            "no work" => "работы нет",
            "to read" => "для чтения",
            "to write" => "для записи",
            "running" => "выполняется",
            "pending" => "ждёт исполнителя",
            "pending; only this thread could run it" => {
                "ждёт исполнителя; выполнить её мог бы только этот поток"
            }
            other => other,
        });
        match (kind, detail) {
            (ResourceKind::Thread, _) => format!("завершения потока '{name}'"),
            (kind, Some(detail)) => format!("{kind} '{name}' ({detail})"),
            (kind, None) => format!("{kind} '{name}'"),
        }
    }
    fn report_thread(
        &self,
        name: &str,
        holds: &str,
        waits_for: &str,
        held_by: Option<&str>,
    ) -> String {
        let mut line = format!("поток '{name}'");
        if !holds.is_empty() {
            line.push_str(&format!(" держит {holds} и"));
        }
        line.push_str(&format!(" ждёт {waits_for}"));
        if let Some(owner) = held_by {
            line.push_str(&format!(" (его держит '{owner}')"));
        }
        line
    }
    fn report_found_by(&self, name: &str) -> String {
        format!("обнаружено, когда заблокировался поток '{name}'")
    }

    // ==== 10_4 cafe ====

    fn sat_down(&self, name: &str, table: usize) -> String {
        format!("{name} сел(-а) за стол номер {table}")
    }
    fn in_queue(&self, name: &str) -> String {
        format!("{name} в очереди")
    }
    fn ate_and_left(&self, name: &str) -> String {
        format!("{name} покушал(-а) и ушёл(ушла)")
    }
    fn table_free(&self, table: usize) -> String {
        format!("Стол номер {table} свободен")
    }
    fn left_queue(&self, name: &str, table: usize) -> String {
        format!("{name} вышел(-ла) из очереди и сел(-а) за стол номер {table}")
    }

    // ==== 10_4 gil ====

    fn gil_work(&self, threads: usize, squares: u64, python_squares: u64, repeat: u32) -> String {
        format!(
            "Работа: {threads} × {squares} квадратов (Rust), {threads} × {python_squares} (CPython); лучшее из {repeat}"
        )
    }
    fn gil_headers(&self) -> (&'static str, &'static str) {
        ("время", "ускорение")
    }
    fn gil_sequential(&self) -> &'static str {
        "последовательно"
    }
    fn gil_threads(&self, n: usize) -> String {
        format!("потоков: {n}")
    }
    fn gil_processes(&self, n: usize) -> String {
        format!("процессов: {n}")
    }
    fn help_broker(&self) -> &'static str {
        "Ещё и на кластерном пуле через Redis по адресу URL (redis://host:6379/0): на \
         процессах `potok worker URL`, запущенных там, или на воркерах, запущенных здесь, \
         если их нет"
    }
    fn gil_cluster(&self, n: usize, started_here: bool) -> String {
        if started_here {
            format!("кластер: {n} (здесь)")
        } else {
            format!("кластер: {n}")
        }
    }
    fn cluster_failed(&self, err: &str) -> String {
        format!("кластерный пул не справился: {err}")
    }
    fn about_worker(&self) -> &'static str {
        "Воркер кластерных пулов: обслуживает Redis по адресу URL (для `potok gil --broker URL` \
         на любой машине), пока брокер жив"
    }
    fn help_worker_url(&self) -> &'static str {
        "Брокер: redis://host:6379/0"
    }
    fn worker_serving(&self, url: &str, pid: u32) -> String {
        format!("воркер {pid}: обслуживаю {url} (Ctrl-C — остановить)")
    }

    // ==== 10_5 ====

    fn linear(&self, took: &str) -> String {
        format!("{took} (линейный)")
    }
    fn multiprocess(&self, took: &str) -> String {
        format!("{took} (многопроцессный)")
    }
    fn multithreaded(&self, took: &str) -> String {
        format!("{took} (многопоточный)")
    }
    fn ways(&self) -> [&'static str; 3] {
        ["линейно", "процессами", "потоками"]
    }

    // ==== tour ====

    fn lesson_title(&self, number: &str) -> &'static str {
        match number {
            "10_1" => "Создание потоков",
            "10_2" => "Потоки на классах",
            "10_3" => "Блокировки и обработка ошибок",
            "10_4" => "Очереди для обмена данными между потоками",
            _ => "Многопроцессное программирование",
        }
    }
    fn tour_header(&self, number: &str, title: &str, command: &str) -> String {
        format!("== {number} {title} (potok {command}) ==")
    }
    fn tour_deadlock_title(&self) -> &'static str {
        "Взаимная блокировка"
    }
    fn tour_gil_title(&self) -> &'static str {
        "GIL"
    }

    // ==== explanations ====

    fn explain_heading(&self) -> &'static str {
        "Что произошло (пояснение potok; --no-explain его скрывает):"
    }
    fn explain_write_words(&self, f: &facts::WriteWords) -> String {
        let sum = f64::from(f.words_sum) * 0.1 * f.scale;
        let max = f64::from(f.words_max) * 0.1 * f.scale;
        let order = f.finish_order.join(", ");
        format!(
            "write_words спит 0,1 с после каждого слова (здесь × {}). Один за другим четыре \
             вызова спали по очереди: {sum_words} × 0,1 с, то есть сумма — ожидалось {sum}, \
             измерено {functions}.\n\
             В четырёх потоках они спали одновременно, поэтому этап длился примерно столько же, \
             сколько самый длинный файл ({max_words} × 0,1 с, ожидалось {max}, измерено \
             {threads}), а не сумма.\n\
             {finish}\n\
             О подписи: в примере курса на обеих строках времени напечатано «Работа потоков» — \
             это опечатка; potok пишет в первой строке «Работа функций».",
            decimal(f.scale),
            sum_words = words(f.words_sum),
            sum = secs(sum),
            functions = secs(f.functions),
            max_words = words(f.words_max),
            max = secs(max),
            threads = secs(f.threads),
            finish = if f.eight_before_seven() {
                format!(
                    "Потоки закончили по размеру, а не по порядку запуска: {order}. В example8 \
                     {}, а в example7 {}, поэтому example8 готов раньше, хотя запущен позже.",
                    words(f.words_max / 2),
                    words(f.words_max)
                )
            } else {
                format!(
                    "Потоки закончили в таком порядке: {order}. По размеру example8 ({}) должен \
                     был закончить раньше example7 ({}), хотя запущен позже; в этот раз машина \
                     была занята, и поток example8 дольше ждал процессора (при --time-scale 1 так \
                     почти не бывает).",
                    words(f.words_max / 2),
                    words(f.words_max)
                )
            },
        )
    }
    fn explain_knights(&self, f: &facts::Knights) -> String {
        let days: Vec<String> = f
            .knights
            .iter()
            .map(|(name, power, days)| {
                let word = plural(u64::from(*days), "день", "дня", "дней");
                format!("{name} (сила {power}) сражался {days} {word}")
            })
            .collect();
        let longest = f.knights.iter().map(|k| k.2).max().unwrap_or(0);
        let sum: u32 = f.knights.iter().map(|k| k.2).sum();
        format!(
            "Каждый рыцарь — поток: {days}. День здесь длится {day}.\n\
             Они сражались одновременно: битва заняла {elapsed} — примерно {longest} {dl} самого \
             долгого рыцаря ({expected}), а не сумму {sum} {ds} ({sum_secs}). Поэтому их строки \
             перемешаны, а строки каждого рыцаря идут по порядку.",
            days = days.join(", "),
            day = secs(f.scale),
            elapsed = secs(f.elapsed),
            dl = plural(u64::from(longest), "день", "дня", "дней"),
            ds = plural(u64::from(sum), "день", "дня", "дней"),
            expected = secs(f64::from(longest) * f.scale),
            sum_secs = secs(f64::from(sum) * f.scale),
        )
    }
    fn explain_bank(&self, f: &facts::Bank) -> String {
        format!(
            "Lock здесь — сигнал, а не защита: take получил отказ {refusals} {rt} и {waits} \
             {wt} брал замок: в первый раз замок был свободен, и take сразу шёл дальше; потом \
             каждый acquire спал, пока deposit, увидев баланс 500 или больше, не освобождал \
             его. (Отказов после последнего пополнения, когда освободить замок было уже \
             некому: {after}; версия potok тогда не ждёт, программа курса зависла бы.)\n\
             Счёт сходится: пополнено {deposited} − снято {withdrawn} за {withdrawals} {wd} = \
             {balance}, итоговый баланс (сам баланс здесь под Mutex; в программе курса на нём \
             гонка).",
            refusals = f.refusals,
            rt = plural(f.refusals as u64, "раз", "раза", "раз"),
            waits = f.waits,
            wt = plural(f.waits as u64, "раз", "раза", "раз"),
            after = f.refusals_after_end,
            deposited = f.deposited,
            withdrawn = f.withdrawn,
            withdrawals = f.withdrawals,
            wd = plural(f.withdrawals as u64, "снятие", "снятия", "снятий"),
            balance = f.balance,
        )
    }
    fn explain_cafe(&self, f: &facts::Cafe) -> String {
        format!(
            "{guests}, {tables}: {queued} {waited} в очереди Queue — кто раньше пришёл, тот \
             раньше сел — и {sat}, когда освобождался стол.\n\
             Гости ели одновременно, каждый в своём потоке: вечер занял около {evening:.0} с \
             времени курса, а все обеды вместе — {sum} с (самый долгий {longest} с). Официант \
             спал в get(), пока кто-нибудь не уйдёт, а не проверял столы в цикле.",
            guests = count(f.guests, "гость", "гостя", "гостей"),
            tables = count(f.tables, "стол", "стола", "столов"),
            queued = count(f.queued, "гость", "гостя", "гостей"),
            waited = plural(f.queued as u64, "ждал", "ждали", "ждали"),
            sat = plural(f.queued as u64, "садился", "садились", "садились"),
            evening = f.evening,
            sum = f.meals_sum,
            longest = f.longest_meal,
        )
    }
    fn explain_gil(&self, f: &facts::Gil) -> String {
        let (rt, rp) = f.rust;
        let (rt_s, rp_s) = (ratio(rt), ratio(rp));
        let threads = count(f.threads, "поток", "потока", "потоков");
        let mut text = if rt.max(rp) >= 1.2 {
            format!(
                "В Rust {threads} {worked} на {cores} {cw} одновременно: {rt_s}× потоками, \
                 {rp_s}× процессами (не больше числа ядер, на занятой машине — меньше).",
                worked = plural(f.threads as u64, "работал", "работали", "работали"),
                cores = f.cores,
                cw = plural(f.cores as u64, "ядре", "ядрах", "ядрах"),
            )
        } else {
            format!(
                "В Rust {threads} {gave} только {rt_s}× (процессы {rp_s}×): свободного ядра для \
                 них сейчас не нашлось, или порция работы одна. На {cores} свободных {cw} потоки \
                 Rust приближаются к {cores}×: GIL у них нет.",
                gave = plural(f.threads as u64, "дал", "дали", "дали"),
                cores = f.cores,
                cw = plural(f.cores as u64, "ядре", "ядрах", "ядрах"),
            )
        };
        match f.python {
            Some((pt, pp)) => {
                let (pt_s, pp_s) = (ratio(pt), ratio(pp));
                if pt < 1.3 {
                    text.push_str(&format!(
                        "\nПотоки CPython держат GIL по очереди, поэтому потоками вышло \
                         {pt_s}× — не быстрее, чем по очереди."
                    ));
                } else {
                    text.push_str(&format!(
                        "\nПотоки CPython дали здесь {pt_s}×, хотя держат GIL по очереди: при \
                         такой маленькой работе замеры — в основном шум занятой машины (potok \
                         gil с --work по умолчанию показывает GIL ясно)."
                    ));
                }
                if pp >= 1.2 {
                    text.push_str(&format!(
                        " У каждого процесса свой интерпретатор и свой GIL: {pp_s}×."
                    ));
                } else {
                    text.push_str(&format!(
                        " Процессы, у каждого из которых свой интерпретатор и свой GIL, дали \
                         здесь {pp_s}×: без свободного ядра (или при слишком маленькой работе) \
                         им нечем было это показать."
                    ));
                }
                text.push_str(
                    " В этом смысл урока: в CPython вычислениям нужны процессы, а потоки \
                     помогают в ожидании (файлы, сеть, time.sleep).",
                );
            }
            None => text.push_str(
                "\nБез python3 строк CPython нет: там потоки дали бы около 1× (они держат GIL по \
                 очереди), а помогли бы только процессы.",
            ),
        }
        text
    }
    fn explain_read_files(&self, f: &facts::ReadFiles) -> String {
        let speedup = f.linear / f.processes.max(1e-9);
        let speedup_s = ratio(speedup);
        let verdict = if speedup > 1.1 {
            format!(
                "пул быстрее в {speedup_s} раза: чтение и разбор строк — работа процессора, и \
                 её {did} {cores} {cw} одновременно",
                did = plural(f.cores as u64, "делало", "делали", "делали"),
                cores = f.cores,
                cw = plural(f.cores as u64, "ядро", "ядра", "ядер")
            )
        } else {
            format!(
                "пул не быстрее ({speedup_s}×): запуск процессов и передача им работы стоят \
                 времени, а {mb:.0} МБ — слишком мало, чтобы это окупилось (или свободного ядра \
                 нет)",
                mb = f.megabytes
            )
        };
        format!(
            "{mb:.0} МБ в четырёх файлах: по очереди {linear}, пулом процессов {processes} (с его \
             запуском, как в курсе): {verdict}.\n\
             Процессы окупаются, когда каждая порция работы большая и нагружает процессор; для \
             маленькой работы их запуск стоит дороже, чем они экономят. Четыре потока: \
             {threads}; в Rust они тоже работают параллельно (в CPython из-за GIL — по очереди).",
            mb = f.megabytes,
            linear = secs(f.linear),
            processes = secs(f.processes),
            threads = secs(f.threads),
        )
    }

    // ==== show ====

    fn show_rust(&self, lesson: &str, file: &str) -> String {
        format!("==== {lesson}: программа potok на Rust ({file}) ====")
    }
    fn show_python(&self, lesson: &str, file: &str) -> String {
        format!("==== {lesson}: решение задачи на Python ({file}) ====")
    }

    // ==== check ====

    fn check_headline(&self, file: &str, lesson: &str, title: &str, scale: f64) -> String {
        format!(
            "potok check {file}: урок {lesson} {title}, сон ×{}",
            scale.to_string().replace('.', ",")
        )
    }
    fn check_running(&self, python: &std::path::Path, file: &str) -> String {
        format!(
            "запускаю {} {file} в чистой временной папке…",
            python.display()
        )
    }
    fn check_expected(&self) -> &'static str {
        "ожидалось:"
    }
    fn check_actual(&self) -> &'static str {
        "получено: "
    }
    fn check_all_hold(&self, n: usize) -> String {
        if n == 1 {
            return "единственное правило выполнено".to_owned();
        }
        format!(
            "все {n} {} выполнены",
            plural(n as u64, "правило", "правила", "правил")
        )
    }
    fn check_some_fail(&self, failed: usize, n: usize) -> String {
        format!(
            "не выполнено {failed} {} из {n}",
            plural(failed as u64, "правило", "правила", "правил")
        )
    }
    fn check_crashed(&self, code: Option<i32>) -> String {
        match code {
            Some(code) => format!("✗ программа завершилась с ошибкой (код {code}):"),
            None => "✗ программу остановил сигнал:".to_owned(),
        }
    }
    fn check_stderr_tail(&self) -> &'static str {
        "программа писала в stderr (последние строки):"
    }
    fn check_crash_summary(&self) -> &'static str {
        "программа упала; правила не проверялись"
    }
    fn check_hung(&self, secs: f64) -> String {
        format!("✗ программа зависла и остановлена после {secs} с без продвижения:")
    }
    fn check_hung_summary(&self) -> &'static str {
        "программа зависла; она и её процессы остановлены"
    }
    fn check_last_output(&self) -> &'static str {
        "последние строки её вывода:"
    }
    fn check_no_python(&self) -> &'static str {
        "python3 не найден в PATH: potok check запускает программу им; установите Python 3"
    }
    fn check_no_file(&self, file: &std::path::Path) -> String {
        format!("нет такого файла: {}", file.display())
    }
    fn check_unknown_lesson(&self, given: &str) -> String {
        format!(
            "неизвестный урок '{given}': есть 10_1 … 10_5 и legacy-10_1, legacy-10_3, \
             legacy-10_4, legacy-10_5"
        )
    }
    fn check_which_lesson(&self, file: &std::path::Path) -> String {
        format!(
            "по имени {} не понять урок: назовите файл module_10_N.py или укажите --lesson 10_N",
            file.display()
        )
    }
    fn check_cannot_run(&self, err: &std::io::Error) -> String {
        format!("не удалось запустить программу: {}", self.io_error(err))
    }
    fn check_trace_written(&self, path: &std::path::Path) -> String {
        format!(
            "записи потоков: {} (трасса Chrome: chrome://tracing, ui.perfetto.dev)",
            path.display()
        )
    }
    fn check_timeline_written(&self, path: &std::path::Path) -> String {
        format!("потоки программы на временной шкале: {}", path.display())
    }
    fn check_cannot_write(&self, path: &std::path::Path, err: &std::io::Error) -> String {
        format!(
            "не удалось записать {}: {}",
            path.display(),
            self.io_error(err)
        )
    }
    fn check_bad_records(&self, _err: &str) -> String {
        // The parser's text is English; these records are potok's own, so this is its bug.
        "записи shim не читаются как трасса Chrome: это ошибка в коде potok".to_owned()
    }

    fn check_hang_silent(&self, secs: f64) -> String {
        format!(
            "программа зависла: {secs} с без вывода и без записей, и она не ответила на запрос \
             состояния"
        )
    }
    fn check_hang_self(&self, thread: &str) -> String {
        format!("взаимная блокировка: поток '{thread}' ждёт Lock, который держит сам")
    }
    fn check_hang_cycle(&self, n: usize) -> String {
        if n == 2 {
            return "взаимная блокировка: оба потока ждут друг друга".to_owned();
        }
        format!(
            "взаимная блокировка: {n} {} ждут друг друга по кругу",
            plural(n as u64, "поток", "потока", "потоков")
        )
    }
    fn check_hang_stall(&self, secs: f64, n: usize) -> String {
        if n == 1 {
            return format!(
                "программа зависла: {secs} с без вывода и без записей; единственный поток ждёт, \
                 и разбудить его некому"
            );
        }
        format!(
            "программа зависла: {secs} с без вывода и без записей; {n} {} ждут, и ни один не \
             может разбудить другой",
            plural(n as u64, "поток", "потока", "потоков")
        )
    }
    fn check_hang_thread(
        &self,
        name: &str,
        process: Option<(&str, i64)>,
        holds: &str,
        wait: Option<(&str, &str, &str, Option<&str>)>,
    ) -> String {
        let mut line = format!("поток '{name}'");
        if let Some((process, pid)) = process {
            line.push_str(&format!(" (процесс '{process}', {pid})"));
        }
        if !holds.is_empty() {
            line.push_str(&format!(" держит Lock {holds} и"));
        }
        line.push_str(&match wait {
            None => " не ждёт ничего из записанного (работает или ждёт вне threading)".to_owned(),
            Some((kind, o, on, op)) => match kind {
                "lock" => format!(" ждёт Lock '{o}' (его держит '{on}')"),
                "join" => format!(" ждёт, пока закончится поток '{o}'"),
                "event" => format!(" ждёт Event '{o}' (его никто не установил)"),
                "condition" => format!(" ждёт notify у Condition '{o}'"),
                "semaphore" => format!(" ждёт Semaphore '{o}' (счётчик 0)"),
                "barrier" => format!(" ждёт остальных у Barrier '{o}'"),
                "queue" if op == Some("put") => format!(" ждёт места в Queue '{o}' (она полна)"),
                "queue" => format!(" ждёт элемента из Queue '{o}' (она пуста)"),
                "sleep" => " спит (time.sleep)".to_owned(),
                kind => format!(" ждёт {kind} '{o}'"),
            },
        });
        line
    }
    fn check_hang_fix_join(&self) -> &'static str {
        "как исправить: не ждите join() потока, держа Lock, который ему нужен: отпустите замок \
         до join()"
    }
    fn check_hang_fix_self(&self) -> &'static str {
        "как исправить: не берите снова Lock, который поток уже держит (RLock позволяет это \
         одному потоку); сигнал между потоками — это Event или Condition"
    }
    fn check_hang_fix_order(&self, locks: &str) -> String {
        format!("как исправить: пусть все потоки берут эти замки в одном порядке ({locks})")
    }
    fn check_lesson_title(&self, lesson: &str) -> &'static str {
        match lesson {
            "10_1" => "«Создание потоков»",
            "10_2" => "«Потоки на классах»",
            "10_3" => "«Блокировки и обработка ошибок»",
            "10_4" => "«Очереди для обмена данными между потоками»",
            "10_5" => "«Многопроцессное программирование»",
            "legacy-10_1" => "(задание 2023 года: два потока, числа и буквы)",
            "legacy-10_3" => "(задание 2023 года: BankAccount)",
            "legacy-10_4" => "(задание 2023 года: кафе с Customer)",
            "legacy-10_5" => "(задание 2023 года: WarehouseManager)",
            _ => "",
        }
    }
    fn check_quote(&self, text: &str, line: usize) -> String {
        format!("{text} (строка {line})")
    }
    fn check_no_line(&self) -> &'static str {
        "(такой строки нет)"
    }
    fn check_output_ended(&self) -> &'static str {
        "(вывод закончился)"
    }
    fn check_race_title(&self) -> &'static str {
        "каждая строка целая: print двух потоков не склеились"
    }
    fn check_race_expected(&self, pieces: &str) -> String {
        format!("{pieces} на отдельных строках")
    }
    fn check_race_why(&self) -> &'static str {
        "Это гонка print: print(строка) пишет текст и '\\n' двумя отдельными записями, и между \
         ними успел напечатать другой поток. Строки верные, но склеились, а их переводы строк \
         вышли потом пустыми строками."
    }
    fn check_race_fix(&self) -> &'static str {
        "Как исправить: печатать строку одной записью, print(f'{строка}\\n', end=''), или \
         печатать под общим Lock."
    }
    fn check_race_more(&self, n: usize) -> String {
        format!("Склеенных строк ещё: {n}.")
    }
    fn check_unknown_more(&self, n: usize) -> String {
        format!("Строк не из задания ещё: {n}.")
    }

    // ==== check: the rules ====

    fn check_secs(&self, s: f64) -> String {
        secs(s).replace('.', ",")
    }
    fn check_num(&self, x: f64) -> String {
        decimal(x)
    }
    fn rule_times(&self, n: usize) -> String {
        count(n, "раз", "раза", "раз")
    }
    fn rule_about(&self, s: f64) -> String {
        format!("около {}", self.check_secs(s))
    }
    fn rule_about_at_most(&self, s: f64, at_most: f64) -> String {
        format!(
            "около {}, не больше {}",
            self.check_secs(s),
            self.check_secs(at_most)
        )
    }
    fn rule_less_than(&self, s: f64) -> String {
        format!("меньше {}", self.check_secs(s))
    }
    fn rule_threads_expected(&self, want: usize) -> String {
        format!(
            "не меньше {want} {} программы живы одновременно",
            plural(want as u64, "потока", "потоков", "потоков")
        )
    }
    fn rule_threads_actual(&self, made: usize, most: usize) -> String {
        format!("потоков создано: {made}, одновременно живы не больше {most}")
    }
    fn rule_threads_too_few(&self, made: usize, want: usize) -> String {
        format!(
            "Программа создала потоков: {made}, а задание запускает {want} одновременно; строки \
             задания напечатаны, но не теми потоками (записи shim видят каждый threading.Thread)."
        )
    }
    fn rule_threads_in_turn(&self) -> &'static str {
        "Записи потоков показывают, что они работали друг за другом: start() и сразу join() \
         каждого по очереди — это последовательная программа. Запустите все, потом дождитесь \
         всех."
    }
    fn rule_two_threads(&self) -> &'static str {
        "два потока программы"
    }
    fn rule_threads_recorded(&self, made: usize) -> String {
        format!("потоков записано: {made}")
    }

    fn rule_10_1_messages(&self) -> &'static str {
        "сообщения: восемь «Завершилась запись в файл exampleN.txt» и два времени, как в задании"
    }
    fn rule_10_1_two_timings(&self) -> &'static str {
        "две строки времени: «Работа функций …» и «Работа потоков …»"
    }
    fn rule_10_1_timings_found(&self, n: usize) -> String {
        format!("строк времени: {n}")
    }
    fn rule_10_1_either_timing(&self) -> &'static str {
        "«Работа функций <время>» (или «Работа потоков <время>», как в примере урока)"
    }
    fn rule_10_1_threads_timing(&self) -> &'static str {
        "«Работа потоков <время>»"
    }
    fn rule_10_1_order(&self) -> &'static str {
        "порядок: example1…example4 одна за другой, затем время функций"
    }
    fn rule_10_1_files(&self) -> &'static str {
        "файлы: example1.txt … example8.txt, в каждом «Какое-то слово № 1 … N»"
    }
    fn rule_10_1_file(&self, name: &str) -> String {
        format!("файл {name}")
    }
    fn rule_10_1_no_file(&self) -> &'static str {
        "(файла нет)"
    }
    fn rule_10_1_file_line(&self, got: &str, name: &str, k: u32) -> String {
        format!("{got} ({name}, строка {k})")
    }
    fn rule_10_1_file_ended(&self, name: &str, lines: u32) -> String {
        format!(
            "(конец файла {name} после {})",
            count(lines as usize, "строки", "строк", "строк")
        )
    }
    fn rule_10_1_file_ends(&self, name: &str, lines: u32) -> String {
        format!(
            "конец файла {name} после {}",
            count(lines as usize, "строки", "строк", "строк")
        )
    }
    fn rule_10_1_functions(&self, sum: u32, scale: f64, expected: f64) -> String {
        format!(
            "время функций ≈ сумма всех записей: {sum} × 0,1 с × {} = {}",
            self.check_num(scale),
            self.check_secs(expected)
        )
    }
    fn rule_10_1_functions_why(&self, slept: f64) -> String {
        format!(
            "Функции вызываются одна за другой, поэтому их время — сумма всех 340 записей по \
             0,1 с (check ускоряет сон: --time-scale). По записям программа спала {}.",
            self.check_secs(slept)
        )
    }
    fn rule_10_1_threads(&self, longest: u32, scale: f64, expected: f64) -> String {
        format!(
            "потоки одновременно: example5, 6, 8, 7 в таком порядке, время потоков ≈ самый \
             длинный файл ({longest} × 0,1 с × {} = {}), не больше 0,7 × время функций",
            self.check_num(scale),
            self.check_secs(expected)
        )
    }
    fn rule_10_1_order_why(&self) -> &'static str {
        "В потоках файлы пишутся одновременно, поэтому короткий example8 (100 слов) \
         заканчивается раньше длинного example7 (200 слов). Порядок 5, 6, 7, 8 значит, что \
         потоки работали друг за другом."
    }
    fn rule_10_1_threads_why(&self) -> &'static str {
        "Четыре потока спят одновременно, поэтому их общее время — время самого длинного файла \
         (200 записей), а не сумма всех."
    }

    fn rule_10_2_messages(&self) -> &'static str {
        "сообщения: Sir Lancelot (10) и Sir Galahad (20) словами задания"
    }
    fn rule_10_2_days(&self) -> &'static str {
        "дни каждого рыцаря по порядку: осталось 100 − сила × день, победа спустя ⌈100 / сила⌉ \
         дней"
    }
    fn rule_10_2_days_why(&self, name: &str, power: i64, total: i64) -> String {
        format!(
            "У {name} сила {power}: каждый день (1 с) врагов меньше на {power}, и через {} их \
             не остаётся. День считают с 1, врагов вычитают до печати.",
            count(total.max(0) as usize, "день", "дня", "дней")
        )
    }
    fn rule_10_2_after_victory(&self, name: &str) -> String {
        format!("после победы строк {name} нет")
    }
    fn rule_10_2_last(&self) -> &'static str {
        "«Все битвы закончились!» — последняя строка, после обоих рыцарей"
    }
    fn rule_10_2_last_why(&self) -> &'static str {
        "Эту строку печатают после join() обоих рыцарей: тогда она выходит последней."
    }
    fn rule_10_2_battle(&self, slowest: i64, scale: f64, expected: f64, sum: i64) -> String {
        format!(
            "рыцари сражаются одновременно: битва длится ≈ дни медленного рыцаря ({slowest} × \
             1 с × {} = {}), а не сумму ({})",
            self.check_num(scale),
            self.check_secs(expected),
            count(sum.max(0) as usize, "день", "дня", "дней")
        )
    }
    fn rule_10_2_battle_took(&self, took: f64) -> String {
        format!(
            "от первой строки рыцаря до последней {}",
            self.check_secs(took)
        )
    }
    fn rule_10_2_battle_why(&self) -> &'static str {
        "Каждый рыцарь — свой поток, и их дни идут одновременно: вся битва длится столько, \
         сколько сражается самый медленный."
    }

    fn rule_10_3_messages(&self) -> &'static str {
        "сообщения: пополнения, запросы, снятия, отказы и итог словами задания"
    }
    fn rule_10_3_operations(&self) -> &'static str {
        "операции: 100 пополнений и 100 запросов от 50 до 500, на каждый запрос снятие той же \
         суммы или отказ"
    }
    fn rule_10_3_deposits(&self, n: usize) -> String {
        count(n, "пополнение", "пополнения", "пополнений")
    }
    fn rule_10_3_requests(&self, n: usize) -> String {
        count(n, "запрос", "запроса", "запросов")
    }
    fn rule_10_3_amount(&self) -> &'static str {
        "сумма от 50 до 500"
    }
    fn rule_10_3_answer_to(&self, text: &str) -> String {
        format!("ответ на «{text}»")
    }
    fn rule_10_3_answers(&self, n: usize) -> String {
        format!("{} на запросы", count(n, "ответ", "ответа", "ответов"))
    }
    fn rule_10_3_last(&self) -> &'static str {
        "«Итоговый баланс: …» — последняя строка, после обоих потоков"
    }
    fn rule_10_3_final_any(&self) -> &'static str {
        "«Итоговый баланс: <баланс>»"
    }
    fn rule_10_3_arithmetic(&self) -> &'static str {
        "арифметика: сумма пополнений минус сумма снятий равна итоговому балансу"
    }
    fn rule_10_3_arithmetic_why(&self, deposited: i64, taken: i64) -> String {
        format!(
            "Напечатано пополнений на {deposited} и снятий на {taken}: {deposited} − {taken} = \
             {}. Баланс разошёлся с напечатанным: либо операция изменила его не на ту сумму, \
             либо два потока меняли balance одновременно (balance += x — это чтение и запись, \
             между ними может вклиниться другой поток). Охраняйте balance замком.",
            deposited - taken
        )
    }
    fn rule_10_3_threads(&self) -> &'static str {
        "deposit и take работают в двух потоках"
    }

    fn rule_10_4_messages(&self) -> &'static str {
        "сообщения: двенадцать гостей задания, столы 1…5, словами задания"
    }
    fn rule_10_4_table_number(&self) -> &'static str {
        "стол номер от 1 до 5"
    }
    fn rule_10_4_arrival(&self) -> &'static str {
        "приход: первые двенадцать строк — Maria…Darya за столами 1…5, остальные семь в очереди \
         по порядку"
    }
    fn rule_10_4_arrival_why(&self) -> &'static str {
        "guest_arrival рассаживает гостей по порядку за свободные столы, а когда свободных нет, \
         ставит в очередь: всё это до того, как кто-то доест."
    }
    fn rule_10_4_table_free(&self, n: usize) -> String {
        format!("стол номер {n} свободен, прежде чем за него сядут")
    }
    fn rule_10_4_table_taken_why(&self, n: usize, other: &str) -> String {
        format!("За столом {n} ещё сидит {other}: один стол занят дважды.")
    }
    fn rule_10_4_queue_empty(&self) -> &'static str {
        "(очередь пуста: из неё некому выйти)"
    }
    fn rule_10_4_fifo_why(&self) -> &'static str {
        "Queue отдаёт гостей в том порядке, в каком их поставили (FIFO)."
    }
    fn rule_10_4_seated_before_leaving(&self, guest: &str) -> String {
        format!("{guest} сидит за столом, прежде чем уйти")
    }
    fn rule_10_4_ate_before_free(&self) -> &'static str {
        "«… покушал(-а) и ушёл(ушла)» перед «Стол номер N свободен»"
    }
    fn rule_10_4_seating(&self) -> &'static str {
        "рассадка: стол не занят дважды, из очереди выходят по порядку (FIFO), за «покушал(-а)» \
         — «Стол номер N свободен» его стола"
    }
    fn rule_10_4_everyone(&self) -> &'static str {
        "все двенадцать гостей поели и ушли, очередь пуста, столы свободны"
    }
    fn rule_10_4_everyone_why(&self) -> &'static str {
        "discuss_guests обслуживает, пока очередь не пуста или хоть один стол занят."
    }
    fn rule_10_4_threads(&self) -> &'static str {
        "гости — потоки, за пятью столами едят одновременно; очередь — queue.Queue (7 put, 7 get)"
    }
    fn rule_10_4_queue_ops(&self, n: usize) -> String {
        format!("{n} put и {n} get очереди queue.Queue")
    }
    fn rule_10_4_queue_ops_found(&self, puts: usize, gets: usize) -> String {
        format!("записано put: {puts}, get: {gets}")
    }

    fn rule_10_5_messages(&self) -> &'static str {
        "сообщения: «<время> (линейный)» и «<время> (многопроцессный)», по одному разу"
    }
    fn rule_10_5_processes(&self) -> &'static str {
        "многопроцессное чтение — в дочерних процессах multiprocessing"
    }
    fn rule_10_5_two_children(&self) -> &'static str {
        "не меньше двух дочерних процессов, работающих одновременно (Pool(processes=4))"
    }
    fn rule_10_5_children_found(&self, children: usize, at_once: usize) -> String {
        format!("дочерних процессов записано: {children}, одновременно: {at_once}")
    }
    fn rule_10_5_processes_why(&self) -> &'static str {
        "Чтение в потоках одного процесса упирается в GIL; чтобы файлы читались одновременно, \
         нужен multiprocessing.Pool и его map."
    }
    fn rule_10_5_faster(&self) -> &'static str {
        "процессы быстрее, чем одно чтение за другим (где есть ядра и хватает работы)"
    }
    fn rule_10_5_both_timings(&self) -> &'static str {
        "оба времени"
    }
    fn rule_10_5_not_checked(&self, cores: usize, load: f64, linear: f64, enough: f64) -> String {
        format!(
            "не проверено: ядер {cores}, нагрузка {}, линейное чтение {} (нужны 2 ядра, одно из \
             них свободное, и чтение не короче {})",
            format!("{load:.1}").replace('.', ","),
            self.check_secs(linear),
            self.check_secs(enough)
        )
    }
    fn rule_10_5_speedup(&self, ratio: f64, cores: usize) -> String {
        format!(
            "ускорение ×{ratio:.1} на {cores} {}",
            plural(cores as u64, "ядре", "ядрах", "ядрах")
        )
        .replace('.', ",")
    }
    fn rule_10_5_multi_took(&self, s: f64) -> String {
        format!("многопроцессное чтение {}", self.check_secs(s))
    }
    fn rule_10_5_faster_why(&self) -> &'static str {
        "Процессы читают файлы на разных ядрах одновременно; если они не быстрее, то либо \
         процессы работают по одному (map вызывают для каждого файла отдельно, join сразу после \
         start), либо время уходит на их запуск."
    }

    fn rule_legacy_messages(&self) -> &'static str {
        "сообщения: каждая строка — строка задания"
    }
    fn rule_legacy1_order(&self) -> &'static str {
        "числа 1…10 и буквы a…j, каждые по порядку"
    }
    fn rule_legacy1_printers(&self, scale: f64, expected: f64) -> String {
        format!(
            "два потока печатают одновременно: от первой строки до последней ≈ 9 × 1 с × {} = \
             {}, а не 19",
            self.check_num(scale),
            self.check_secs(expected)
        )
    }
    fn rule_legacy3_lines(&self) -> &'static str {
        "каждая строка: новый баланс = прежний ± сумма, начиная с 1000"
    }
    fn rule_legacy3_lines_why(&self) -> &'static str {
        "Если баланс меняют и печатают не под одним Lock, другой поток успевает вклиниться \
         между изменением и печатью."
    }
    fn rule_legacy3_total(&self) -> &'static str {
        "пять пополнений по 100 и пять снятий по 150: итог 750"
    }
    fn rule_legacy3_total_expected(&self) -> &'static str {
        "5 × Deposited 100, 5 × Withdrew 150, последний баланс 750"
    }
    fn rule_legacy3_total_found(
        &self,
        deposits: usize,
        withdrawals: usize,
        last: Option<i64>,
    ) -> String {
        let last = last.map_or("-".to_owned(), |b| b.to_string());
        format!("Deposited 100: {deposits}, Withdrew 150: {withdrawals}, последний баланс {last}")
    }
    fn rule_legacy3_threads(&self) -> &'static str {
        "пополнения и снятия — в двух потоках"
    }
    fn rule_legacy4_arrive(&self) -> &'static str {
        "посетители 1…20 приходят по порядку"
    }
    fn rule_legacy4_seating(&self) -> &'static str {
        "рассадка: стол не занят дважды, ждущие садятся по очереди, каждый пришедший поел и ушёл"
    }
    fn rule_legacy4_table_free(&self, table: i64, other: i64) -> String {
        format!("стол {table} свободен (за ним посетитель номер {other})")
    }
    fn rule_legacy4_fifo_why(&self) -> &'static str {
        "Ждущие в queue.Queue выходят из неё в том порядке, в каком пришли."
    }
    fn rule_legacy4_seated_before_leaving(&self, c: i64) -> String {
        format!("посетитель номер {c} сидит за столом, прежде чем уйти")
    }
    fn rule_legacy4_threads(&self) -> &'static str {
        "посетители — потоки, едят одновременно"
    }
    fn rule_legacy5_warehouse(&self) -> &'static str {
        "склад после заявок: {'product1': 70, 'product2': 100, 'product3': 200}"
    }
    fn rule_legacy5_why(&self) -> &'static str {
        "Заявки на один товар должны выполняться по порядку: отгрузка product1 раньше его \
         поступления ничего не отгрузит. И общий словарь (Manager().dict()) меняют под Lock: \
         data[k] = data[k] + x из двух процессов теряет одно из изменений."
    }
    fn rule_legacy5_processes(&self) -> &'static str {
        "заявки выполняются в процессах multiprocessing"
    }
    fn rule_legacy5_two_processes(&self) -> &'static str {
        "не меньше двух процессов для заявок"
    }
    fn rule_legacy5_processes_found(&self, n: usize) -> String {
        format!("процессов записано: {n}")
    }
}

#[cfg(test)]
mod tests {
    use super::{facts, plural, Messages, Ru};

    const NS: [usize; 8] = [1, 2, 5, 11, 21, 22, 25, 111];

    /// Where numbers meet nouns (and verbs), the form follows the number.
    #[test]
    fn messages_agree_with_their_numbers() {
        let runs = NS.map(|n| Ru.bank_never_hung(n as u64));
        assert_eq!(
            runs.map(|s| s.rsplit_once("за ").unwrap().1.to_owned()),
            [
                "1 запуск",
                "2 запуска",
                "5 запусков",
                "11 запусков",
                "21 запуск",
                "22 запуска",
                "25 запусков",
                "111 запусков"
            ]
        );
        let ops = NS.map(|n| Ru.bank_skipped(n));
        assert_eq!(
            ops,
            [
                "take: … 1 операция прошла успешно …",
                "take: … 2 операции прошли успешно …",
                "take: … 5 операций прошли успешно …",
                "take: … 11 операций прошли успешно …",
                "take: … 21 операция прошла успешно …",
                "take: … 22 операции прошли успешно …",
                "take: … 25 операций прошли успешно …",
                "take: … 111 операций прошли успешно …",
            ]
        );
        for (n, deposits) in [
            (1, "1 пополнение,"),
            (3, "3 пополнения,"),
            (100, "100 пополнений,"),
        ] {
            assert!(Ru.bank_deposits(n, 1, 1).contains(deposits), "{n}");
        }
        for (n, want) in [
            (1, "1 потока"),
            (2, "2 потоков"),
            (5, "5 потоков"),
            (21, "21 потока"),
        ] {
            let line = Ru.rule_threads_expected(n);
            assert!(line.starts_with(&format!("не меньше {want} ")), "{line}");
        }
        for (n, want) in [
            (1, "1 ядре"),
            (2, "2 ядрах"),
            (11, "11 ядрах"),
            (21, "21 ядре"),
        ] {
            assert!(Ru.rule_10_5_speedup(1.5, n).ends_with(want), "{n}");
        }
        for (n, want) in [
            (3, "все 3 потока берут"),
            (5, "все 5 потоков берут"),
            (21, "все 21 поток берут"),
        ] {
            assert!(Ru.fix_lock_order("a", n).contains(want), "{n}");
        }
        let cafe = |queued| {
            Ru.explain_cafe(&facts::Cafe {
                tables: 1,
                guests: 21,
                queued,
                longest_meal: 1,
                meals_sum: 1,
                evening: 1.0,
            })
        };
        assert!(
            cafe(1).starts_with("21 гость, 1 стол: 1 гость ждал в очереди"),
            "{}",
            cafe(1)
        );
        assert!(
            cafe(22).contains(": 22 гостя ждали в очереди"),
            "{}",
            cafe(22)
        );
        assert!(
            cafe(111).contains(": 111 гостей ждали в очереди"),
            "{}",
            cafe(111)
        );
        let days = Ru.rule_10_2_days_why("A", 50, 2);
        assert!(days.contains("через 2 дня их"), "{days}");
        let days = Ru.rule_10_2_days_why("A", 100, 1);
        assert!(days.contains("через 1 день их"), "{days}");
        assert_eq!(Ru.check_all_hold(1), "единственное правило выполнено");
        assert_eq!(Ru.check_all_hold(5), "все 5 правил выполнены");
        assert_eq!(Ru.check_some_fail(21, 30), "не выполнено 21 правило из 30");
        assert!(Ru.rule_10_1_file_ends("f", 1).ends_with("после 1 строки"));
        assert!(Ru.rule_10_1_file_ends("f", 25).ends_with("после 25 строк"));
    }

    /// The finish order is explained as it happened: example8 first, or late on a busy machine.
    #[test]
    fn the_finish_order_is_explained_as_it_happened() {
        let run = |order: [&str; 4]| {
            Ru.explain_write_words(&facts::WriteWords {
                scale: 1.0,
                functions: 34.0,
                threads: 20.0,
                words_sum: 340,
                words_max: 200,
                finish_order: order.map(str::to_owned).to_vec(),
            })
        };
        let usual = run(["example5", "example6", "example8", "example7"]);
        assert!(usual.contains("поэтому example8 готов раньше"), "{usual}");
        let late = run(["example5", "example6", "example7", "example8"]);
        assert!(late.contains("в этот раз машина была занята"), "{late}");
        assert!(!late.contains("готов раньше"), "{late}");
    }

    /// The details the library gives a waited-on object are worded, not shown in English.
    #[test]
    fn every_detail_of_a_report_is_worded() {
        for detail in [
            "empty",
            "full",
            "across processes",
            "no work",
            "to read",
            "to write",
            "running",
            "pending",
            "pending; only this thread could run it",
        ] {
            let line = Ru.report_resource(potok::deadlock::ResourceKind::Queue, "q", Some(detail));
            assert!(!line.contains(detail), "{line}");
        }
    }

    #[test]
    fn russian_numbers_have_a_decimal_comma() {
        let text = Ru.explain_read_files(&facts::ReadFiles {
            cores: 2,
            megabytes: 12.0,
            linear: 1.5,
            processes: 1.0,
            threads: 0.25,
        });
        assert!(
            text.contains("по очереди 1,50 с, пулом процессов 1,00 с"),
            "{text}"
        );
        assert!(text.contains("быстрее в 1,50 раза"), "{text}");
        assert!(text.contains("её делали 2 ядра"), "{text}");
        assert_eq!(super::secs(0.001), "0,001 с");
        assert_eq!(super::secs(0.015), "0,015 с");
        assert_eq!(super::secs(0.0), "0,00 с");
    }

    #[test]
    fn russian_plurals() {
        let p = |n| plural(n, "поток", "потока", "потоков");
        assert_eq!(
            [1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111].map(p),
            [
                "поток",
                "потока",
                "потока",
                "потоков",
                "потоков",
                "потоков",
                "потоков",
                "поток",
                "потока",
                "потоков",
                "поток",
                "потоков"
            ]
        );
    }
}
