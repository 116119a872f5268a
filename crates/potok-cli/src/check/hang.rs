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
    lang.m().check_hang_thread(
        &t.name,
        several.then_some((t.process.as_str(), t.pid)),
        &quoted(&t.holds),
        t.wait.as_ref().map(|w| {
            (
                w.kind.as_str(),
                w.object.as_str(),
                w.on.as_deref().unwrap_or("?"),
                w.op.as_deref(),
            )
        }),
    )
}

/// The report's lines: the headline, then each thread (those in the cycle first) with where
/// it stands in the program, then the fix when there is a cycle.
pub(crate) fn report(lang: Lang, states: &[Value], hang_after: f64) -> Vec<String> {
    let m = lang.m();
    let threads = threads(states);
    if threads.is_empty() {
        return vec![m.check_hang_silent(hang_after)];
    }
    let several = states.len() > 1;
    let cycle = cycle(&threads);
    let mut lines = vec![match &cycle {
        Some(c) if c.len() == 1 => m.check_hang_self(&threads[c[0]].name),
        Some(c) => m.check_hang_cycle(c.len()),
        None => m.check_hang_stall(hang_after, threads.len()),
    }];
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
        let waits: Vec<&Wait> = c.iter().filter_map(|&i| threads[i].wait.as_ref()).collect();
        let locks: Vec<String> = waits
            .iter()
            .filter(|w| w.kind == "lock")
            .map(|w| w.object.clone())
            .collect();
        let fix = if waits.iter().any(|w| w.kind == "join") {
            m.check_hang_fix_join().to_owned()
        } else if c.len() == 1 {
            m.check_hang_fix_self().to_owned()
        } else {
            m.check_hang_fix_order(&quoted(&locks))
        };
        lines.push(format!("  {fix}"));
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
        assert_eq!(lines[0], "deadlock: both threads wait for each other");
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
        assert_eq!(lines[0], "deadlock: both threads wait for each other");
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
            lines.iter().any(|l| l.contains("(процесс 'worker', 2)")),
            "{lines:?}"
        );
    }
}
