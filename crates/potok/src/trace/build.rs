//! Raw batches (from every process) to a [`Trace`]: spans paired, holds put on a track per
//! lock, wake-ups matched to the waits they ended, everything on one time axis.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::clock::{Calibration, Pair};
use super::event::{Batch, Object, Tag};
use super::model::{ChromeEvent, Trace};

/// Tids of the lock tracks start here (thread idents are far below).
const LOCK_TRACK_BASE: u64 = 1 << 40;

/// One process's lanes while they are built.
struct Process {
    label: String,
    start: Pair,
    last: Pair,
    /// Threads by ident: their name and batches in order.
    threads: BTreeMap<u64, (String, Vec<Batch>)>,
}

/// A wait span, for matching wake-ups.
struct WaitRef {
    start: f64,
    end: f64,
    name: String,
}

fn event(ph: &str, name: impl Into<String>, cat: &str, pid: u64, tid: u64, ts: f64) -> ChromeEvent {
    ChromeEvent {
        name: name.into(),
        cat: cat.into(),
        ph: ph.into(),
        ts,
        dur: None,
        pid,
        tid,
        id: None,
        s: None,
        bp: None,
        args: Map::new(),
    }
}

fn meta(name: &str, pid: u64, tid: u64, key: &str, value: Value) -> ChromeEvent {
    let mut e = event("M", name, "__metadata", pid, tid, 0.0);
    e.args.insert(key.into(), value);
    e
}

/// Microseconds, rounded to the nanosecond.
fn us(ns: f64) -> f64 {
    (ns / 1000.0 * 1000.0).round() / 1000.0
}

fn label(o: &Object) -> String {
    match &o.detail {
        Some(d) => format!("{} '{}' ({d})", o.kind, o.name),
        None => format!("{} '{}'", o.kind, o.name),
    }
}

/// Builds the trace. `recorder` is the recording process's pid and `end` its clocks at the
/// finish; `origin` (wall ns) is time 0.
pub(crate) fn build(batches: Vec<Batch>, recorder: u32, end: Pair, origin: u64) -> Trace {
    let mut processes: BTreeMap<u32, Process> = BTreeMap::new();
    for batch in batches {
        let p = processes.entry(batch.pid).or_insert_with(|| Process {
            label: batch.process.clone(),
            start: batch.start,
            last: batch.now,
            threads: BTreeMap::new(),
        });
        if batch.now.ticks > p.last.ticks {
            p.last = batch.now;
        }
        let t = p
            .threads
            .entry(batch.thread)
            .or_insert_with(|| (batch.thread_name.clone(), Vec::new()));
        t.1.push(batch);
    }
    if let Some(p) = processes.get_mut(&recorder) {
        p.last = end;
    }

    let mut out: Vec<ChromeEvent> = Vec::new();
    let mut dropped = 0u64;
    let mut flows: Vec<(u64, u64, f64, u64)> = Vec::new(); // pid, waker tid, ts, woken ident
    let mut waits: HashMap<(u64, u64), Vec<WaitRef>> = HashMap::new();
    let mut names: HashMap<(u64, u64), String> = HashMap::new();

    for (sort, (&pid32, p)) in processes.iter().enumerate() {
        let pid = u64::from(pid32);
        let cal = Calibration::new(p.start, p.last);
        let ts = |ticks: u64| us(cal.wall(ticks) - origin as f64);
        // Unfinished spans (and holds) end where the recording ends, in every process: a
        // child's own last hand-over says nothing of how long it went on (or when it died).
        let end_ts = us(end.wall as f64 - origin as f64).max(ts(p.last.ticks));
        let process_name = format!("{} (pid {pid})", p.label);
        out.push(meta("process_name", pid, 0, "name", process_name.into()));
        out.push(meta(
            "process_sort_index",
            pid,
            0,
            "sort_index",
            (sort as u64).into(),
        ));
        // Lock holds of this process, from every thread: (ts, acquire?, addr, tid, object).
        let mut holds: Vec<(f64, bool, u64, u64, Option<Object>)> = Vec::new();

        for (&tid, (thread_name, batches)) in &p.threads {
            names.insert((pid, tid), thread_name.clone());
            out.push(meta(
                "thread_name",
                pid,
                tid,
                "name",
                thread_name.clone().into(),
            ));
            out.push(meta(
                "thread_sort_index",
                pid,
                tid,
                "sort_index",
                tid.into(),
            ));
            let mut objects: Vec<Object> = vec![Object {
                cat: String::new(),
                kind: String::new(),
                name: String::new(),
                detail: None,
            }];
            let mut waits_open: Vec<(f64, usize)> = Vec::new();
            let mut spans_open: Vec<(f64, usize, u64)> = Vec::new();
            let mut thread_dropped = 0;
            let lane_waits = waits.entry((pid, tid)).or_default();
            for batch in batches {
                objects.extend(batch.objects.iter().cloned());
                thread_dropped = thread_dropped.max(batch.dropped);
                for e in &batch.events {
                    let at = ts(e.t);
                    let obj = objects.get(e.obj as usize);
                    match e.tag {
                        Tag::WaitBegin => waits_open.push((at, e.obj as usize)),
                        Tag::WaitCancel => {
                            waits_open.pop();
                        }
                        Tag::WaitEnd => {
                            if let Some((start, o)) = waits_open.pop() {
                                let o = &objects[o];
                                out.push(wait_span(o, pid, tid, start, at, false));
                                lane_waits.push(WaitRef {
                                    start,
                                    end: at,
                                    name: label(o),
                                });
                            }
                        }
                        Tag::SpanBegin => spans_open.push((at, e.obj as usize, e.arg)),
                        Tag::SpanEnd => {
                            if let Some((start, o, arg)) = spans_open.pop() {
                                out.push(work_span(&objects[o], arg, pid, tid, start, at, false));
                            }
                        }
                        Tag::Held => holds.push((at, true, e.arg, tid, obj.cloned())),
                        Tag::Released => holds.push((at, false, e.arg, tid, None)),
                        Tag::Wake => flows.push((pid, tid, at, e.arg)),
                        Tag::Counter => {
                            if let Some(o) = obj {
                                let mut c = event("C", label(o), "queue", pid, tid, at);
                                c.args.insert("size".into(), e.arg.into());
                                out.push(c);
                            }
                        }
                        Tag::Instant => {
                            if let Some(o) = obj {
                                out.push(instant(o, pid, tid, at));
                            }
                        }
                        Tag::ThreadStart | Tag::ThreadEnd => {
                            let what = if e.tag == Tag::ThreadStart {
                                "start"
                            } else {
                                "end"
                            };
                            let mut i =
                                event("i", format!("thread {what}"), "thread", pid, tid, at);
                            i.s = Some("t".into());
                            i.args.insert("object".into(), thread_name.clone().into());
                            if e.tag == Tag::ThreadStart {
                                i.args.insert("daemon".into(), (e.arg == 1).into());
                            }
                            out.push(i);
                        }
                    }
                }
            }
            // Still open at the end: drawn to the end, marked unfinished.
            for (start, o) in waits_open.into_iter().rev() {
                let o = &objects[o];
                out.push(wait_span(o, pid, tid, start, end_ts.max(start), true));
                lane_waits.push(WaitRef {
                    start,
                    end: end_ts.max(start),
                    name: label(o),
                });
            }
            for (start, o, arg) in spans_open.into_iter().rev() {
                out.push(work_span(
                    &objects[o],
                    arg,
                    pid,
                    tid,
                    start,
                    end_ts.max(start),
                    true,
                ));
            }
            dropped += thread_dropped;
        }
        lock_tracks(&mut out, holds, pid, end_ts, &names);
    }

    // Wake-ups: an arrow from the waker to the wait it ended.
    for list in waits.values_mut() {
        list.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
    let mut next_id = 1u64;
    for (pid, waker, at, woken) in flows {
        let Some(list) = waits.get(&(pid, woken)) else {
            continue;
        };
        // The wait that contains the wake, or the next one (the woken thread may have
        // recorded its wait's start just after the waker read the clock).
        let i = list.partition_point(|w| w.start <= at);
        let Some(w) = i
            .checked_sub(1)
            .map(|i| &list[i])
            .filter(|w| w.end >= at)
            .or_else(|| list.get(i))
        else {
            continue;
        };
        let to = at.max(w.start);
        let woken_name = names.get(&(pid, woken)).cloned().unwrap_or_default();
        let id = next_id;
        next_id += 1;
        let mut x = event("X", format!("wake {woken_name}"), "wake", pid, waker, at);
        x.dur = Some(0.0);
        x.args.insert("object".into(), w.name.clone().into());
        x.args.insert("woke".into(), woken_name.into());
        out.push(x);
        let mut s = event("s", "wake", "wake", pid, waker, at);
        s.id = Some(id);
        out.push(s);
        let mut f = event("f", "wake", "wake", pid, woken, to);
        f.id = Some(id);
        f.bp = Some("e".into());
        out.push(f);
    }

    // Metadata first, then by time (stable: a span before its nested ones at the same ts).
    out.sort_by(|a, b| {
        (a.ph != "M")
            .cmp(&(b.ph != "M"))
            .then(a.ts.total_cmp(&b.ts))
            .then(b.dur.unwrap_or(0.0).total_cmp(&a.dur.unwrap_or(0.0)))
    });
    Trace {
        events: out,
        dropped,
    }
}

fn wait_span(o: &Object, pid: u64, tid: u64, start: f64, end: f64, open: bool) -> ChromeEvent {
    let verb = if o.cat == "join" { "join" } else { "wait" };
    let name = if o.cat == "join" {
        format!("join '{}'", o.name)
    } else {
        format!("{verb} {}", label(o))
    };
    let mut x = event("X", name, &o.cat, pid, tid, start);
    x.dur = Some(us((end - start) * 1000.0));
    x.args.insert("object".into(), o.name.clone().into());
    x.args.insert("kind".into(), o.kind.clone().into());
    if let Some(d) = &o.detail {
        x.args.insert("detail".into(), d.clone().into());
    }
    if open {
        x.args.insert("unfinished".into(), true.into());
    }
    x
}

fn work_span(
    o: &Object,
    arg: u64,
    pid: u64,
    tid: u64,
    start: f64,
    end: f64,
    open: bool,
) -> ChromeEvent {
    let name = match o.cat.as_str() {
        "sleep" => "sleep".to_owned(),
        "idle" => "waiting for work".to_owned(),
        "task" if o.kind == "job" => format!("job {arg}"),
        "task" => format!("task {arg}: {}", o.name),
        _ => format!("{} '{}'", o.kind, o.name),
    };
    let mut x = event("X", name, &o.cat, pid, tid, start);
    x.dur = Some(us((end - start) * 1000.0));
    x.args.insert("object".into(), o.name.clone().into());
    match o.cat.as_str() {
        "sleep" => {
            x.args.insert("seconds".into(), (arg as f64 / 1e9).into());
        }
        "task" => {
            x.args.insert("index".into(), arg.into());
        }
        _ => {}
    }
    if open {
        x.args.insert("unfinished".into(), true.into());
    }
    x
}

fn instant(o: &Object, pid: u64, tid: u64, at: f64) -> ChromeEvent {
    let name = match o.cat.as_str() {
        "deadlock" => "deadlock".to_owned(),
        _ => o.name.clone(),
    };
    let mut i = event("i", name, &o.cat, pid, tid, at);
    i.s = Some(if o.cat == "mark" { "g" } else { "t" }.into());
    if o.cat == "deadlock" {
        let first = o.name.lines().next().unwrap_or_default().to_owned();
        i.args.insert("object".into(), first.into());
        i.args.insert("report".into(), o.name.clone().into());
    } else {
        i.args.insert("object".into(), o.name.clone().into());
    }
    i
}

/// A hold not closed yet: since when, by which thread, of what.
type OpenHold = (f64, u64, Object);

/// One lock's tracks: each a lane (its tid) with the hold open on it, if any.
struct LockTracks {
    lanes: Vec<(u64, Option<OpenHold>)>,
}

/// A lock's holds never overlap on one track: each lock gets a track of its own (a lane named
/// after it: holds of different locks overlap without nesting, which one lane per thread
/// could not show), with an `X` span per hold naming the holder. A lock whose holds overlap
/// (an `RwLock`'s readers: their holds have a `mode`) gets one more track for each hold that
/// overlaps those open, the first free one taken, so its tracks show how many read at once.
fn lock_tracks(
    out: &mut Vec<ChromeEvent>,
    mut holds: Vec<(f64, bool, u64, u64, Option<Object>)>,
    pid: u64,
    end_ts: f64,
    names: &HashMap<(u64, u64), String>,
) {
    holds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut tracks: HashMap<u64, LockTracks> = HashMap::new();
    let mut next = LOCK_TRACK_BASE;
    let close = |out: &mut Vec<ChromeEvent>,
                 track: u64,
                 (start, holder, o): OpenHold,
                 end: f64,
                 open: bool| {
        let holder_name = names.get(&(pid, holder)).cloned().unwrap_or_default();
        let what = match o.detail.as_deref() {
            Some("read") => "read by",
            Some("write") => "written by",
            _ => "held by",
        };
        let mut x = event(
            "X",
            format!("{what} {holder_name}"),
            &o.cat,
            pid,
            track,
            start,
        );
        x.dur = Some(us((end - start) * 1000.0));
        x.args.insert("object".into(), o.name.clone().into());
        x.args.insert("kind".into(), o.kind.clone().into());
        x.args.insert("holder".into(), holder_name.into());
        x.args.insert("holder_tid".into(), holder.into());
        if let Some(mode) = &o.detail {
            x.args.insert("mode".into(), mode.clone().into());
        }
        if open {
            x.args.insert("unfinished".into(), true.into());
        }
        out.push(x);
    };
    let mut new_track = |out: &mut Vec<ChromeEvent>, o: &Object, nth: usize| {
        let track = next;
        next += 1;
        let lane = format!("{} '{}'", o.kind, o.name);
        let name = match nth {
            0 => format!("{lane} (who holds it)"),
            n => format!("{lane} (who holds it, {})", n + 1),
        };
        out.push(meta("thread_name", pid, track, "name", name.into()));
        out.push(meta(
            "thread_sort_index",
            pid,
            track,
            "sort_index",
            track.into(),
        ));
        track
    };
    for (at, acquire, addr, tid, obj) in holds {
        if acquire {
            let Some(o) = obj else { continue };
            let lock = tracks
                .entry(addr)
                .or_insert_with(|| LockTracks { lanes: Vec::new() });
            let shared = o.detail.is_some();
            if !shared {
                // An exclusive hold: a hold still open was missed being closed (its release
                // came before the recording): it ends here.
                for lane in &mut lock.lanes {
                    if let Some(open) = lane.1.take() {
                        close(out, lane.0, open, at, false);
                    }
                }
            }
            let free = lock.lanes.iter().position(|lane| lane.1.is_none());
            let i = match free {
                Some(i) => i,
                None => {
                    let track = new_track(out, &o, lock.lanes.len());
                    lock.lanes.push((track, None));
                    lock.lanes.len() - 1
                }
            };
            lock.lanes[i].1 = Some((at, tid, o));
        } else if let Some(lock) = tracks.get_mut(&addr) {
            // The releasing thread's own hold, else the (one) open hold: a `Lock` may be
            // released by another thread than its holder.
            let mine = lock
                .lanes
                .iter()
                .position(|lane| lane.1.as_ref().is_some_and(|h| h.1 == tid));
            let any = || lock.lanes.iter().position(|lane| lane.1.is_some());
            if let Some(i) = mine.or_else(any) {
                let track = lock.lanes[i].0;
                if let Some(open) = lock.lanes[i].1.take() {
                    close(out, track, open, at, false);
                }
            }
        }
    }
    let mut rest: Vec<_> = tracks.into_values().flat_map(|t| t.lanes).collect();
    rest.sort_by_key(|t| t.0);
    for (track, open) in rest {
        if let Some(open) = open {
            let start = open.0;
            close(out, track, open, end_ts.max(start), true);
        }
    }
}
