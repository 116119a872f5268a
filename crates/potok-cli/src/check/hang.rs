//! A program that stopped making progress, reported like potok's own deadlocks: each Python
//! thread, what it waits for (a lock and who holds it, an event, a queue, another thread) and
//! where in the program; the cycle, when the waits make one.

use std::collections::HashMap;

use serde_json::Value;

use crate::context::Lang;

/// One thread as the shim's state shows it.
#[derive(Debug)]
struct Thread {
    name: String,
    /// pid of its process, and the process's name (`MainProcess`, `ForkPoolWorker-1`).
    pid: i64,
    process: String,
    wait: Option<Wait>,
    holds: Vec<String>,
    /// `file:line in function: code` of its innermost frame in the program's own code.
    at: Option<String>,
}

#[derive(Debug)]
struct Wait {
    kind: String,
    object: String,
    /// The thread holding the lock waited for (locks) or the thread joined (join).
    on: Option<String>,
    op: Option<String>,
}

fn threads(states: &[Value]) -> Vec<Thread> {
    let mut out = Vec::new();
    for state in states {
        let pid = state["pid"].as_i64().unwrap_or(0);
        let process = state["process"].as_str().unwrap_or("?").to_owned();
        let mut holders: HashMap<String, Vec<String>> = HashMap::new();
        let mut lock_holder: HashMap<String, String> = HashMap::new();
        for held in state["held"].as_array().into_iter().flatten() {
            let (object, holder) = (
                held["object"].as_str().unwrap_or("?").to_owned(),
                held["holder"].as_str().unwrap_or("?").to_owned(),
            );
            holders
                .entry(holder.clone())
                .or_default()
                .push(object.clone());
            lock_holder.insert(object, holder);
        }
        for t in state["threads"].as_array().into_iter().flatten() {
            let name = t["name"].as_str().unwrap_or("?").to_owned();
            let wait = t["waiting"].as_object().map(|w| {
                let kind = w
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let object = w
                    .get("object")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let on = match kind.as_str() {
                    "lock" => lock_holder.get(&object).cloned().or_else(|| {
                        w.get("extra")
                            .and_then(|e| e.get("holder"))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    }),
                    "join" => Some(object.clone()),
                    _ => None,
                };
                let op = w
                    .get("extra")
                    .and_then(|e| e.get("op"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                Wait {
                    kind,
                    object,
                    on,
                    op,
                }
            });
            let at = t["stack"].as_array().and_then(|s| s.last()).map(|f| {
                format!(
                    "{}:{} in {}: {}",
                    f["file"].as_str().unwrap_or("?"),
                    f["line"].as_i64().unwrap_or(0),
                    f["function"].as_str().unwrap_or("?"),
                    f["code"].as_str().unwrap_or("")
                )
            });
            out.push(Thread {
                holds: holders.remove(&name).unwrap_or_default(),
                name,
                pid,
                process: process.clone(),
                wait,
                at,
            });
        }
    }
    out
}

/// The threads, in order, that wait for each other in a circle, if any.
fn cycle(threads: &[Thread]) -> Option<Vec<usize>> {
    // Locks and threads are a process's own: a wait points at a thread of the same process.
    let index: HashMap<(i64, &str), usize> = threads
        .iter()
        .enumerate()
        .map(|(i, t)| ((t.pid, t.name.as_str()), i))
        .collect();
    let next = |i: usize| -> Option<usize> {
        let wait = threads[i].wait.as_ref()?;
        let n = index.get(&(threads[i].pid, wait.on.as_deref()?)).copied()?;
        // Only a lock can be waited for by the thread that holds it.
        (n != i || wait.kind == "lock").then_some(n)
    };
    for start in 0..threads.len() {
        let mut path = vec![start];
        let mut at = start;
        while let Some(n) = next(at) {
            if let Some(pos) = path.iter().position(|&p| p == n) {
                return Some(path[pos..].to_vec());
            }
            path.push(n);
            at = n;
        }
    }
    None
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What one thread does, in a line: `thread 'A' holds Lock 'x' and waits for Lock 'y' (held by 'B')`.
fn describe(lang: Lang, t: &Thread, several: bool) -> String {
    let mut line = match lang {
        Lang::Ru => format!("поток '{}'", t.name),
        Lang::En => format!("thread '{}'", t.name),
    };
    if several {
        line.push_str(&match lang {
            Lang::Ru => format!(" (процесс {}, {})", t.process, t.pid),
            Lang::En => format!(" (process {}, {})", t.process, t.pid),
        });
    }
    if !t.holds.is_empty() {
        line.push_str(&match lang {
            Lang::Ru => format!(" держит Lock {} и", quoted(&t.holds)),
            Lang::En => format!(" holds Lock {} and", quoted(&t.holds)),
        });
    }
    let what = match &t.wait {
        None => match lang {
            Lang::Ru => {
                " не ждёт ничего из записанного (работает или ждёт вне threading)".to_owned()
            }
            Lang::En => " waits for nothing recorded (runs, or waits outside threading)".to_owned(),
        },
        Some(w) => {
            let (o, on) = (&w.object, w.on.as_deref().unwrap_or("?"));
            match (lang, w.kind.as_str()) {
                (Lang::Ru, "lock") => format!(" ждёт Lock '{o}' (его держит '{on}')"),
                (Lang::En, "lock") => format!(" waits for Lock '{o}' (held by '{on}')"),
                (Lang::Ru, "join") => format!(" ждёт, пока закончится поток '{o}'"),
                (Lang::En, "join") => format!(" waits for thread '{o}' to finish"),
                (Lang::Ru, "event") => format!(" ждёт Event '{o}' (его никто не установил)"),
                (Lang::En, "event") => format!(" waits for Event '{o}' (nobody has set it)"),
                (Lang::Ru, "condition") => format!(" ждёт notify у Condition '{o}'"),
                (Lang::En, "condition") => format!(" waits for a notify on Condition '{o}'"),
                (Lang::Ru, "semaphore") => format!(" ждёт Semaphore '{o}' (счётчик 0)"),
                (Lang::En, "semaphore") => format!(" waits for Semaphore '{o}' (its count is 0)"),
                (Lang::Ru, "barrier") => format!(" ждёт остальных у Barrier '{o}'"),
                (Lang::En, "barrier") => format!(" waits for the others at Barrier '{o}'"),
                (Lang::Ru, "queue") if w.op.as_deref() == Some("put") => {
                    format!(" ждёт места в Queue '{o}' (она полна)")
                }
                (Lang::En, "queue") if w.op.as_deref() == Some("put") => {
                    format!(" waits for room in Queue '{o}' (it is full)")
                }
                (Lang::Ru, "queue") => format!(" ждёт элемента из Queue '{o}' (она пуста)"),
                (Lang::En, "queue") => format!(" waits for an item from Queue '{o}' (it is empty)"),
                (Lang::Ru, "sleep") => " спит (time.sleep)".to_owned(),
                (Lang::En, "sleep") => " sleeps (time.sleep)".to_owned(),
                (Lang::Ru, kind) => format!(" ждёт {kind} '{o}'"),
                (Lang::En, kind) => format!(" waits for {kind} '{o}'"),
            }
        }
    };
    line.push_str(&what);
    line
}

/// The report's lines: the headline, then each thread (those in the cycle first) with where
/// it stands in the program, then the fix when there is a cycle.
pub(crate) fn report(lang: Lang, states: &[Value], hang_after: f64) -> Vec<String> {
    let threads = threads(states);
    let mut lines = Vec::new();
    if threads.is_empty() {
        lines.push(match lang {
            Lang::Ru => format!(
                "программа зависла: {hang_after} с без вывода и без записей, и она не ответила на запрос состояния"
            ),
            Lang::En => format!(
                "the program hung: {hang_after} s without output or records, and it did not answer the state request"
            ),
        });
        return lines;
    }
    let several = states.len() > 1;
    let cycle = cycle(&threads);
    lines.push(match (&cycle, lang) {
        (Some(c), Lang::Ru) if c.len() == 1 => format!(
            "взаимная блокировка: поток '{}' ждёт Lock, который держит сам",
            threads[c[0]].name
        ),
        (Some(c), Lang::En) if c.len() == 1 => format!(
            "deadlock: thread '{}' waits for a Lock it holds itself",
            threads[c[0]].name
        ),
        (Some(c), Lang::Ru) => format!(
            "взаимная блокировка: {} {} ждут друг друга по кругу",
            c.len(),
            crate::msg::ru::plural(c.len() as u64, "поток", "потока", "потоков")
        ),
        (Some(c), Lang::En) => format!("deadlock: {} threads wait for each other in a cycle", c.len()),
        (None, Lang::Ru) => format!(
            "программа зависла: {hang_after} с без вывода и без записей; {} {} ждут, и ни один не может разбудить другой",
            threads.len(),
            crate::msg::ru::plural(threads.len() as u64, "поток", "потока", "потоков")
        ),
        (None, Lang::En) => format!(
            "the program hung: {hang_after} s without output or records; {} thread(s) wait, and none can wake another",
            threads.len()
        ),
    });
    // The cycle first, in its order, then the rest.
    let mut order: Vec<usize> = cycle.clone().unwrap_or_default();
    let rest: Vec<usize> = (0..threads.len()).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    for i in order {
        let t = &threads[i];
        lines.push(format!("  {}", describe(lang, t, several)));
        if let Some(at) = &t.at {
            lines.push(format!("      {at}"));
        }
    }
    if let Some(c) = &cycle {
        let locks: Vec<String> = c
            .iter()
            .filter_map(|&i| threads[i].wait.as_ref())
            .filter(|w| w.kind == "lock")
            .map(|w| format!("'{}'", w.object))
            .collect();
        let joins = c
            .iter()
            .any(|&i| threads[i].wait.as_ref().is_some_and(|w| w.kind == "join"));
        lines.push(match (lang, c.len()) {
            (Lang::Ru, _) if joins => "  как исправить: не ждите join() потока, держа Lock, который ему нужен: отпустите замок до join()".to_owned(),
            (Lang::En, _) if joins => "  the fix: do not join() a thread while holding a Lock it needs: release the lock before join()".to_owned(),
            (Lang::Ru, 1) => "  как исправить: не берите снова Lock, который поток уже держит (RLock позволяет это одному потоку); сигнал между потоками - это Event или Condition".to_owned(),
            (Lang::En, 1) => "  the fix: do not take again a Lock the thread already holds (an RLock lets one thread do that); a signal between threads is an Event or a Condition".to_owned(),
            (Lang::Ru, _) => format!(
                "  как исправить: пусть все потоки берут эти замки в одном порядке ({})",
                locks.join(", ")
            ),
            (Lang::En, _) => format!(
                "  the fix: let every thread take these locks in one order ({})",
                locks.join(", ")
            ),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::report;
    use crate::context::Lang;
    use serde_json::json;

    fn thread(name: &str, kind: &str, object: &str) -> serde_json::Value {
        json!({"name": name, "waiting": {"kind": kind, "object": object, "extra": {}},
               "stack": [{"file": "p.py", "line": 3, "function": "f", "code": "x"}]})
    }

    #[test]
    fn a_cycle_of_two_locks_comes_first_with_the_fix() {
        let state = json!({"pid": 1, "process": "MainProcess",
            "threads": [thread("MainThread", "join", "A"), thread("A", "lock", "lock_b"),
                        thread("B", "lock", "lock_a")],
            "held": [{"object": "lock_a", "holder": "A"}, {"object": "lock_b", "holder": "B"}]});
        let lines = report(Lang::En, &[state], 10.0);
        assert_eq!(
            lines[0],
            "deadlock: 2 threads wait for each other in a cycle"
        );
        assert_eq!(
            lines[1],
            "  thread 'A' holds Lock 'lock_a' and waits for Lock 'lock_b' (held by 'B')"
        );
        assert!(lines
            .last()
            .unwrap()
            .contains("one order ('lock_b', 'lock_a')"));
    }

    #[test]
    fn joining_a_thread_that_waits_for_your_lock_is_a_cycle() {
        let state = json!({"pid": 1, "process": "MainProcess",
            "threads": [thread("MainThread", "join", "worker"), thread("worker", "lock", "l")],
            "held": [{"object": "l", "holder": "MainThread"}]});
        let lines = report(Lang::En, &[state], 10.0);
        assert_eq!(
            lines[0],
            "deadlock: 2 threads wait for each other in a cycle"
        );
        assert!(lines
            .last()
            .unwrap()
            .contains("release the lock before join()"));
    }

    #[test]
    fn threads_of_the_same_name_in_two_processes_make_no_cycle() {
        // MainThread of the parent joins a thread named like the child's MainThread.
        let parent = json!({"pid": 1, "process": "MainProcess",
            "threads": [thread("MainThread", "join", "worker")], "held": []});
        let child = json!({"pid": 2, "process": "worker",
            "threads": [thread("MainThread", "queue", "q"), thread("worker", "join", "MainThread")],
            "held": []});
        let lines = report(Lang::Ru, &[parent, child], 10.0);
        assert!(lines[0].starts_with("программа зависла"), "{lines:?}");
        assert!(
            lines.iter().any(|l| l.contains("(процесс worker, 2)")),
            "{lines:?}"
        );
    }
}
