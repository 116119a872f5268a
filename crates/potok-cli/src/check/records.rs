//! What the shim recorded, read back: Chrome trace events (`X` spans with `cat` and
//! `args.object`, `M` thread and process names, `B` marks of waits still open), and the
//! questions the rules ask of them (how many of the program's threads were alive at once,
//! which child processes ran).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

/// One complete span (`ph: "X"`).
#[derive(Debug, Clone)]
pub(crate) struct Span {
    /// `thread`, `process`, `sleep`, `lock`, `queue`, `event`, `join`, …
    pub(crate) cat: String,
    /// `thread`, `sleep`, `wait`, `hold`, `put`, `get`, …
    pub(crate) name: String,
    /// The object's name (`args.object`): a thread's name, a lock's `Bank.lock`.
    pub(crate) object: Option<String>,
    pub(crate) start_us: f64,
    pub(crate) end_us: f64,
    pub(crate) args: Value,
}

/// The records of one run.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub(crate) spans: Vec<Span>,
    /// pid of the program's own process (the one named `python3 FILE.py`).
    pub(crate) main_pid: Option<i64>,
    /// The time scale the sleeps ran at.
    pub(crate) scale: f64,
    /// Every event as recorded, for `--trace`.
    pub(crate) raw: Vec<Value>,
}

impl Records {
    pub(crate) fn new(events: Vec<Value>, scale: f64) -> Records {
        let mut records = Records {
            scale,
            ..Records::default()
        };
        for event in &events {
            let ph = event["ph"].as_str().unwrap_or("");
            let pid = event["pid"].as_i64().unwrap_or(0);
            match ph {
                "X" => {
                    let start = event["ts"].as_f64().unwrap_or(0.0);
                    records.spans.push(Span {
                        cat: event["cat"].as_str().unwrap_or("").to_owned(),
                        name: event["name"].as_str().unwrap_or("").to_owned(),
                        object: event["args"]["object"].as_str().map(str::to_owned),
                        start_us: start,
                        end_us: start + event["dur"].as_f64().unwrap_or(0.0),
                        args: event["args"].clone(),
                    });
                }
                "M" if event["name"] == "process_name"
                    && event["args"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("python3 ")) =>
                {
                    records.main_pid = Some(pid);
                }
                _ => {}
            }
        }
        records.raw = events;
        records
    }

    /// The lives of the threads the program made itself (not the library's, not MainThread).
    pub(crate) fn user_threads(&self) -> Vec<&Span> {
        self.spans
            .iter()
            .filter(|s| {
                s.cat == "thread"
                    && s.args["user"] == Value::Bool(true)
                    && s.object.as_deref() != Some("MainThread")
            })
            .collect()
    }

    /// The largest number of the program's own threads alive at the same moment.
    pub(crate) fn max_user_threads_at_once(&self) -> usize {
        max_overlap(self.user_threads().iter().map(|s| (s.start_us, s.end_us)))
    }

    /// Child processes (multiprocessing) that ran: (name, first moment, last moment), from
    /// every record of each process other than the program's own. A process that never
    /// recorded its end (a pool worker stopped by `terminate()` dies of SIGTERM without a
    /// word) was alive until the records end.
    pub(crate) fn child_processes(&self) -> Vec<(String, f64, f64)> {
        let records_end = self
            .raw
            .iter()
            .filter_map(|e| Some(e["ts"].as_f64()? + e["dur"].as_f64().unwrap_or(0.0)))
            .fold(0.0, f64::max);
        let mut by_pid: BTreeMap<i64, (String, f64, f64, bool)> = BTreeMap::new();
        for e in &self.raw {
            let pid = e["pid"].as_i64().unwrap_or(0);
            if Some(pid) == self.main_pid {
                continue;
            }
            let entry = by_pid.entry(pid).or_insert((
                String::new(),
                f64::INFINITY,
                f64::NEG_INFINITY,
                false,
            ));
            if e["ph"] == "M" && e["name"] == "process_name" {
                entry.0 = e["args"]["name"].as_str().unwrap_or("").to_owned();
                continue;
            }
            if e["ph"] == "X" && e["cat"] == "process" {
                entry.3 = true;
            }
            if let Some(ts) = e["ts"].as_f64() {
                entry.1 = entry.1.min(ts);
                entry.2 = entry.2.max(ts + e["dur"].as_f64().unwrap_or(0.0));
            }
        }
        by_pid
            .into_values()
            .filter(|(_, start, _, _)| start.is_finite())
            .map(|(name, start, end, ended)| (name, start, if ended { end } else { records_end }))
            .collect()
    }

    /// How much longer the program's sleeps that began in `[from_us, to_us)` really lasted
    /// than they asked for (1.0: exactly; 1.5: half again, a loaded machine), and the seconds
    /// really slept in all.
    pub(crate) fn overshoot(&self, from_us: f64, to_us: f64) -> (f64, f64) {
        let (mut asked, mut slept) = (0.0, 0.0);
        for s in &self.spans {
            if s.cat == "sleep" && s.start_us >= from_us && s.start_us < to_us {
                asked += s.args["seconds"].as_f64().unwrap_or(0.0) * self.scale;
                slept += (s.end_us - s.start_us) / 1e6;
            }
        }
        let ratio = if asked > 0.0 { slept / asked } else { 1.0 };
        (ratio.max(1.0), slept)
    }

    /// The largest number of child processes alive at the same moment.
    pub(crate) fn child_processes_at_once(&self) -> usize {
        max_overlap(self.child_processes().into_iter().map(|(_, s, e)| (s, e)))
    }

    /// Spans of one category on the program's queues: how many `put`s and `get`s.
    pub(crate) fn queue_ops(&self) -> (usize, usize) {
        let count = |name: &str| {
            self.spans
                .iter()
                .filter(|s| s.cat == "queue" && s.name == name)
                .count()
        };
        (count("put"), count("get"))
    }

    /// The whole record as a Chrome trace document (`chrome://tracing`, Perfetto, potok's
    /// timeline page). A wait still open when the program was stopped (a `B` mark with no
    /// span of the same thread and start) becomes a span to the end of the records, so that a
    /// deadlock shows as waits that never end.
    pub(crate) fn chrome_trace(&self) -> Value {
        let key = |e: &Value| {
            (
                e["pid"].as_i64().unwrap_or(0),
                e["tid"].as_i64().unwrap_or(0),
                e["ts"].as_f64().unwrap_or(0.0).to_bits(),
            )
        };
        let closed: HashSet<(i64, i64, u64)> = self
            .raw
            .iter()
            .filter(|e| e["ph"] == "X")
            .map(key)
            .collect();
        let end = self
            .raw
            .iter()
            .map(|e| e["ts"].as_f64().unwrap_or(0.0) + e["dur"].as_f64().unwrap_or(0.0))
            .fold(0.0, f64::max);
        let events: Vec<Value> = self
            .raw
            .iter()
            .filter_map(|e| {
                if e["ph"] != "B" {
                    return Some(e.clone());
                }
                if closed.contains(&key(e)) {
                    return None;
                }
                let mut open = e.clone();
                let ts = e["ts"].as_f64().unwrap_or(0.0);
                open["ph"] = Value::from("X");
                open["dur"] = Value::from((end - ts).max(0.0));
                Some(open)
            })
            .collect();
        serde_json::json!({ "traceEvents": events, "displayTimeUnit": "ms" })
    }
}

/// The largest number of intervals that hold one moment in common.
pub(crate) fn max_overlap(intervals: impl Iterator<Item = (f64, f64)>) -> usize {
    let mut points: Vec<(f64, i32)> = Vec::new();
    for (start, end) in intervals {
        points.push((start, 1));
        points.push((end, -1));
    }
    // Ends before starts at the same instant: touching is not overlapping.
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, step) in points {
        now += step;
        most = most.max(now);
    }
    most as usize
}

#[cfg(test)]
mod tests {
    use super::max_overlap;

    #[test]
    fn overlap_counts_intervals_alive_together() {
        assert_eq!(max_overlap([(0.0, 1.0), (1.0, 2.0)].into_iter()), 1);
        assert_eq!(
            max_overlap([(0.0, 3.0), (1.0, 2.0), (1.5, 4.0)].into_iter()),
            3
        );
        assert_eq!(max_overlap(std::iter::empty()), 0);
    }
}
