//! The library's errors that reach the CLI's output, read into [`facts::Cluster`] and
//! [`facts::Pool`] (their `Display` is the library's English, so the catalogues word them
//! from their variants and data), and a lesson thread's panic.
//!
//! Each function takes the error and returns the whole message in the chosen language.

use potok::cluster::{ConnectError, MapError as ClusterMapError, TaskErrorKind, WorkerError};
use potok::process::{ChildExit, MapError, StartError, TaskErrorKind as PoolTaskKind};

use super::facts::{Cluster, Pool};
use super::Messages;

/// A cluster pool's connect or build error, for the broker at `url`.
pub(crate) fn connect(m: &dyn Messages, url: &str, err: &ConnectError) -> String {
    m.cluster_error(&connect_fact(url, err))
}

/// A cluster pool's `map` error.
pub(crate) fn cluster_map(m: &dyn Messages, err: &ClusterMapError) -> String {
    let fact = match err {
        ClusterMapError::Task(task) => {
            let i = task.index();
            match task.kind() {
                TaskErrorKind::Panicked(message) => Cluster::TaskPanicked {
                    task: i,
                    message: message.clone(),
                },
                TaskErrorKind::Encode(why) | TaskErrorKind::Decode(why) => Cluster::TaskData {
                    task: i,
                    why: why.clone(),
                },
                TaskErrorKind::GaveUp(history) => gave_up(i, history),
                TaskErrorKind::Refused(why) => Cluster::Refused {
                    task: i,
                    why: why.clone(),
                },
                TaskErrorKind::BrokerLost(why) => Cluster::TaskBrokerLost {
                    task: i,
                    why: why.clone(),
                },
                TaskErrorKind::Terminated => Cluster::Terminated { task: i },
                // A kind added later: its index, and the library's words.
                _ => Cluster::TaskData {
                    task: i,
                    why: task.to_string(),
                },
            }
        }
        ClusterMapError::Closed => Cluster::Closed,
        _ => Cluster::Closed,
    };
    m.cluster_error(&fact)
}

/// `potok worker URL` stopped.
pub(crate) fn worker(m: &dyn Messages, url: &str, err: &WorkerError) -> String {
    let fact = match err {
        WorkerError::Connect(err) => connect_fact(url, err),
        WorkerError::BrokerLost(why) => Cluster::WorkerLost {
            url: url.to_owned(),
            why: why.clone(),
        },
        other => Cluster::WorkerLost {
            url: url.to_owned(),
            why: other.to_string(),
        },
    };
    m.cluster_error(&fact)
}

/// The broker did not answer a query (`Pool::workers`).
pub(crate) fn broker_silent(
    m: &dyn Messages,
    url: &str,
    err: &potok::cluster::BrokerError,
) -> String {
    m.cluster_error(&Cluster::Silent {
        url: url.to_owned(),
        why: err.0.clone(),
    })
}

fn connect_fact(url: &str, err: &ConnectError) -> Cluster {
    match err {
        ConnectError::BadUrl { url, .. } => Cluster::BadUrl { url: url.clone() },
        ConnectError::Unreachable { url, .. } => Cluster::Unreachable { url: url.clone() },
        ConnectError::Broker(why) => match too_old(why) {
            Some(version) => Cluster::TooOld {
                url: url.to_owned(),
                version,
            },
            None => Cluster::Unusable {
                url: url.to_owned(),
                why: why.clone(),
            },
        },
        ConnectError::LocalWorkers(why) => Cluster::LocalWorkers { why: why.clone() },
        other => Cluster::Unusable {
            url: url.to_owned(),
            why: other.to_string(),
        },
    }
}

/// The version in the library's "Redis 6.2.0 at …; potok::cluster needs Redis 7 or later".
fn too_old(why: &str) -> Option<String> {
    if !why.contains("needs Redis 7") {
        return None;
    }
    let version = why.strip_prefix("Redis ")?.split_whitespace().next()?;
    Some(version.to_owned())
}

/// The dead-letter history: "gave up after N attempt(s) (R retries): host:pid held it past its
/// lease (…); host:pid refused it: …". What cannot be read stays out (the English catalogue
/// prints the whole text).
fn gave_up(task: usize, history: &str) -> Cluster {
    let attempts = history
        .strip_prefix("gave up after ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    let notes = history.split_once("): ").map_or("", |(_, notes)| notes);
    let (mut lost, mut refused) = (Vec::new(), Vec::new());
    for note in notes.split("; ") {
        if let Some((who, _)) = note.split_once(" held it past its lease") {
            lost.push(who.to_owned());
        } else if let Some((who, _)) = note.split_once(" refused it") {
            refused.push(who.to_owned());
        }
    }
    Cluster::GaveUp {
        task,
        attempts,
        lost,
        refused,
        why: history.to_owned(),
    }
}

/// A process pool could not start.
pub(crate) fn pool_start(m: &dyn Messages, err: &StartError) -> String {
    let fact = match err {
        StartError::Spawn(os) => Pool::Spawn {
            os: Some(m.io_error(os)),
        },
        StartError::NotDispatched(why) | StartError::Handshake(why) => {
            Pool::Handshake { why: why.clone() }
        }
        StartError::Daemonic => Pool::Daemonic,
        other => Pool::Start {
            why: other.to_string(),
        },
    };
    m.pool_error(&fact)
}

/// A process pool's `map` error.
pub(crate) fn pool_map(m: &dyn Messages, err: &MapError) -> String {
    let fact = match err {
        MapError::Task(task) => {
            let i = task.index();
            match task.kind() {
                PoolTaskKind::Panicked(message) => Pool::TaskPanicked {
                    task: i,
                    message: message.clone(),
                },
                PoolTaskKind::WorkerDied(exit) => match *exit {
                    ChildExit::Code(code) => Pool::WorkerDied {
                        task: i,
                        code: Some(code),
                        signal: None,
                    },
                    ChildExit::Signal(sig) => Pool::WorkerDied {
                        task: i,
                        code: None,
                        signal: Some(sig),
                    },
                },
                PoolTaskKind::Encode(why)
                | PoolTaskKind::Decode(why)
                | PoolTaskKind::Protocol(why) => Pool::TaskData {
                    task: i,
                    why: why.clone(),
                },
                PoolTaskKind::Terminated => Pool::Terminated { task: i },
                PoolTaskKind::PoolBroken(why) => Pool::Broken {
                    task: i,
                    why: why.clone(),
                },
                _ => Pool::TaskData {
                    task: i,
                    why: task.to_string(),
                },
            }
        }
        _ => Pool::Closed,
    };
    m.pool_error(&fact)
}

/// A lesson thread panicked (a deadlock caught in it is worded as the report).
pub(crate) fn panicked(m: &dyn Messages, p: &potok::Panicked) -> String {
    match p.deadlock() {
        Some(err) => m.thread_failed(&super::report::report(m, &err).replace("\n  ", "; ")),
        None => m.thread_panicked(p.thread().name(), p.message(), p.location()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{en::En, ru::Ru};

    /// Latin words of four letters or more outside quotes, paths, URLs and names of code.
    fn english(line: &str) -> Vec<String> {
        let mut out = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '«' => quoted = true,
                '»' => quoted = false,
                _ if !quoted => out.push(c),
                _ => {}
            }
        }
        const NAMES: &[&str] = &["Redis", "potok", "dead", "Queue", "SIGKILL", "SIGSEGV"];
        out.split_whitespace()
            .filter(|t| !t.contains(['/', ':', '\'', '.']))
            .flat_map(|t| t.split(|c: char| !c.is_ascii_alphabetic()))
            .filter(|w| w.len() >= 4 && !NAMES.contains(w))
            .map(str::to_owned)
            .collect()
    }

    fn clusters() -> Vec<Cluster> {
        let url = "redis://127.0.0.1:6379/0".to_owned();
        let why = "some English detail from the library".to_owned();
        vec![
            Cluster::BadUrl {
                url: "http://x".into(),
            },
            Cluster::Unreachable { url: url.clone() },
            Cluster::TooOld {
                url: url.clone(),
                version: "6.2.0".into(),
            },
            Cluster::Unusable {
                url: url.clone(),
                why: why.clone(),
            },
            Cluster::Silent {
                url: url.clone(),
                why: why.clone(),
            },
            Cluster::LocalWorkers { why: why.clone() },
            Cluster::Closed,
            Cluster::TaskPanicked {
                task: 0,
                message: "attempt to add with overflow".into(),
            },
            Cluster::TaskData {
                task: 1,
                why: why.clone(),
            },
            gave_up(
                2,
                "gave up after 3 attempt(s) (2 retries): box:17 held it past its lease (30000 ms: \
                 it died, stalled or was stopped); box:18 refused it: another build",
            ),
            gave_up(2, "something else"),
            Cluster::Refused {
                task: 3,
                why: why.clone(),
            },
            Cluster::TaskBrokerLost {
                task: 4,
                why: why.clone(),
            },
            Cluster::Terminated { task: 5 },
            Cluster::WorkerLost { url, why },
        ]
    }

    fn pools() -> Vec<Pool> {
        let why = "some English detail from the library".to_owned();
        vec![
            Pool::Spawn {
                os: Some(Ru.io_error(&std::io::Error::from_raw_os_error(11))),
            },
            Pool::Spawn { os: None },
            Pool::Handshake { why: why.clone() },
            Pool::Daemonic,
            Pool::Start { why: why.clone() },
            Pool::Closed,
            Pool::TaskPanicked {
                task: 0,
                message: "index out of bounds".into(),
            },
            Pool::WorkerDied {
                task: 1,
                code: Some(3),
                signal: None,
            },
            Pool::WorkerDied {
                task: 1,
                code: None,
                signal: Some(9),
            },
            Pool::TaskData {
                task: 2,
                why: why.clone(),
            },
            Pool::Terminated { task: 3 },
            Pool::Broken { task: 4, why },
        ]
    }

    #[test]
    fn every_failure_is_russian_under_ru() {
        let mut lines: Vec<String> = clusters().iter().map(|c| Ru.cluster_error(c)).collect();
        lines.extend(pools().iter().map(|p| Ru.pool_error(p)));
        lines.push(Ru.thread_panicked("squares-1", "assertion failed: x", Some("src/a.rs:1:2")));
        lines.push(Ru.waiting_line_shut_down().to_owned());
        for line in &lines {
            assert!(english(line).is_empty(), "{:?} in «{line}»", english(line));
            assert!(!line.contains("detail"), "{line}");
        }
        // The English catalogue keeps the library's detail, after what it means.
        for c in clusters() {
            let line = En.cluster_error(&c);
            assert!(
                line.chars().all(|c| !matches!(c, 'а'..='я' | 'А'..='Я')),
                "{line}"
            );
        }
        assert!(En
            .pool_error(&Pool::Broken {
                task: 0,
                why: "no fork".into()
            })
            .ends_with("no fork"));
    }

    #[test]
    fn the_dead_letter_history_is_read() {
        let Cluster::GaveUp {
            task,
            attempts,
            lost,
            refused,
            ..
        } = gave_up(
            2,
            "gave up after 3 attempt(s) (2 retries): box:17 held it past its lease (30000 ms: it \
             died, stalled or was stopped); box:18 refused it: another build; box:19 held it past \
             its lease (30000 ms: it died, stalled or was stopped)",
        )
        else {
            panic!("not GaveUp");
        };
        assert_eq!((task, attempts), (2, Some(3)));
        assert_eq!(lost, ["box:17", "box:19"]);
        assert_eq!(refused, ["box:18"]);
        let line = Ru.cluster_error(&gave_up(
            0,
            "gave up after 1 attempt(s) (0 retries): b:1 held it past its lease (5 ms)",
        ));
        assert!(
            line.contains("ни с одной из 1 попытки; воркер b:1 не вернул её"),
            "{line}"
        );
        let line = Ru.cluster_error(&gave_up(0, "gave up after 5 attempt(s) (4 retries): "));
        assert!(line.contains("из 5 попыток; она сохранена"), "{line}");
    }

    #[test]
    fn an_old_redis_is_named_with_its_version() {
        let err = ConnectError::Broker(
            "Redis 6.2.0 at redis://h:1/0; potok::cluster needs Redis 7 or later".into(),
        );
        assert_eq!(
            connect(&Ru, "redis://h:1/0", &err),
            "по адресу redis://h:1/0 работает Redis 6.2.0, а кластерному пулу нужен Redis 7 или \
             новее"
        );
        let err = ConnectError::Broker("ERR unknown command 'INFO'".into());
        let line = connect(&Ru, "redis://h:1/0", &err);
        assert!(
            line.starts_with("Redis по адресу redis://h:1/0 ответил ошибкой"),
            "{line}"
        );
        assert!(connect(&En, "redis://h:1/0", &err).ends_with("ERR unknown command 'INFO'"));
    }
}
