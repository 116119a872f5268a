//! [`Trace`]: a finished recording as Chrome Trace Event data; reading and writing it.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One Chrome Trace Event, with the fields potok writes and reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChromeEvent {
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) cat: String,
    pub(crate) ph: String,
    #[serde(default)]
    pub(crate) ts: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dur: Option<f64>,
    #[serde(default)]
    pub(crate) pid: u64,
    #[serde(default)]
    pub(crate) tid: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<u64>,
    /// An instant's scope: `t` (thread), `p` (process), `g` (global).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) s: Option<String>,
    /// A flow end's binding point (`e`: the enclosing slice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bp: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) args: Map<String, Value>,
}

/// The file as a whole.
#[derive(Serialize, Deserialize)]
struct File {
    #[serde(rename = "traceEvents")]
    trace_events: Vec<ChromeEvent>,
    #[serde(
        rename = "displayTimeUnit",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    display_time_unit: Option<String>,
    #[serde(rename = "otherData", default, skip_serializing_if = "Map::is_empty")]
    other_data: Map<String, Value>,
}

/// The key of the dropped-event count in `otherData`.
const DROPPED: &str = "potok_dropped_events";

/// A finished recording: every thread's and process's events, as Chrome Trace Event data.
///
/// Made by [`Recording::finish`](super::Recording::finish), or read back from JSON with
/// [`Trace::from_json`]; written with [`write_json`](Trace::write_json) (Perfetto and
/// `chrome://tracing` open it) or [`write_html`](Trace::write_html) (the timeline page).
///
/// # Examples
///
/// ```
/// let recording = potok::trace::start();
/// potok::sleep(std::time::Duration::from_millis(1));
/// let trace = recording.finish();
/// let json = trace.to_json();
/// assert!(json.contains(r#""cat":"sleep""#));
/// let again = potok::trace::Trace::from_json(&json).unwrap();
/// assert_eq!(again.len(), trace.len());
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Trace {
    pub(crate) events: Vec<ChromeEvent>,
    pub(crate) dropped: u64,
}

/// Why [`Trace::from_json`] refused its input.
#[derive(Debug)]
pub struct TraceJsonError(serde_json::Error);

impl fmt::Display for TraceJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a Chrome trace of the shape potok reads: {}", self.0)
    }
}

impl std::error::Error for TraceJsonError {}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("events", &self.events.len())
            .field("dropped", &self.dropped)
            .finish()
    }
}

impl Trace {
    /// How many Chrome events the trace holds (metadata included).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether it holds no event at all.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How many events were not recorded: over a thread's limit (2,097,152 per thread and
    /// recording), or still in the buffer of a thread that was running when the recording
    /// finished. Also in the JSON, as `otherData.potok_dropped_events`.
    pub fn dropped_events(&self) -> u64 {
        self.dropped
    }

    /// Reads Chrome Trace Event JSON of the shape potok writes, to draw it with
    /// [`write_html`](Trace::write_html) (a trace recorded elsewhere: a Python program's, say).
    ///
    /// The accepted shape: an object `{"traceEvents": [...]}` (other top-level keys are
    /// ignored, except `otherData.potok_dropped_events`) or a bare array of events. Each event
    /// is an object with `"ph"` and `"name"` (strings); `"ts"` and `"dur"` in microseconds
    /// (numbers); `"pid"` and `"tid"` (non-negative integers; 0 when absent); and optionally
    /// `"cat"` (string), `"id"` (a non-negative integer), `"s"` and `"bp"` (strings) and
    /// `"args"` (an object). What the page draws:
    ///
    /// - `"M"` `process_name` / `thread_name` with `"args": {"name": ...}`: the lane labels
    ///   (`process_sort_index` / `thread_sort_index` with `"args": {"sort_index": n}` order them);
    /// - `"X"` spans with `"cat"` one of `sleep`, `lock`, `rlock`, `mutex`, `condition`,
    ///   `semaphore`, `event`, `barrier`, `queue`, `join`, `task`, `future` (a thread blocked on
    ///   that kind, or sleeping, or running a task) and `"args": {"object": NAME}`; a span with
    ///   `"args": {"holder_tid": TID}` is a lock hold, drawn on that thread's lane too;
    /// - `"i"` instants (`"cat": "deadlock"`, `"mark"`, `"thread"`);
    /// - `"C"` counters (the first number in `"args"`);
    /// - `"s"` / `"f"` flow pairs with the same `"id"`: an arrow from the waker to the woken.
    ///
    /// # Errors
    ///
    /// [`TraceJsonError`] if the text is not JSON of that shape (a string `pid`, a missing
    /// `ph`).
    ///
    /// # Examples
    ///
    /// ```
    /// let json = r#"{"traceEvents": [
    ///   {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "MainThread"}},
    ///   {"ph": "X", "name": "sleep", "cat": "sleep", "ts": 0, "dur": 1000, "pid": 1, "tid": 1,
    ///    "args": {"object": "time.sleep"}}
    /// ]}"#;
    /// let trace = potok::trace::Trace::from_json(json).unwrap();
    /// assert_eq!(trace.len(), 2);
    /// assert!(trace.to_html().contains("MainThread"));
    /// assert!(potok::trace::Trace::from_json(r#"{"traceEvents": [{"pid": 1}]}"#).is_err());
    /// ```
    pub fn from_json(text: &str) -> Result<Trace, TraceJsonError> {
        let value: Value = serde_json::from_str(text).map_err(TraceJsonError)?;
        let (events, other) = match value {
            Value::Array(events) => (Value::Array(events), Map::new()),
            Value::Object(mut map) => {
                let events = map
                    .remove("traceEvents")
                    .unwrap_or(Value::Array(Vec::new()));
                let other = match map.remove("otherData") {
                    Some(Value::Object(other)) => other,
                    _ => Map::new(),
                };
                (events, other)
            }
            other => (other, Map::new()),
        };
        let events: Vec<ChromeEvent> = serde_json::from_value(events).map_err(TraceJsonError)?;
        let dropped = other.get(DROPPED).and_then(Value::as_u64).unwrap_or(0);
        Ok(Trace { events, dropped })
    }

    fn file(&self) -> File {
        let mut other = Map::new();
        other.insert("producer".into(), "potok".into());
        other.insert(DROPPED.into(), self.dropped.into());
        File {
            trace_events: self.events.clone(),
            display_time_unit: Some("ms".into()),
            other_data: other,
        }
    }

    /// The trace as Chrome Trace Event JSON: `{"traceEvents": [...], ...}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.file()).unwrap_or_default()
    }

    /// Writes [`to_json`](Trace::to_json) to `path`: a file Perfetto (ui.perfetto.dev) and
    /// `chrome://tracing` open.
    ///
    /// # Errors
    ///
    /// The file system's error.
    pub fn write_json(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let mut out = io::BufWriter::new(std::fs::File::create(path)?);
        serde_json::to_writer(&mut out, &self.file()).map_err(io::Error::other)?;
        out.flush()
    }

    /// The timeline page: one self-contained HTML file (its CSS, script and data inline;
    /// nothing is fetched). A lane per thread, grouped by process, coloured by what the thread
    /// does; zoom with the wheel, pan by dragging, details on hover.
    pub fn to_html(&self) -> String {
        super::html::page(&self.to_json())
    }

    /// Writes [`to_html`](Trace::to_html) to `path`.
    ///
    /// # Errors
    ///
    /// The file system's error.
    pub fn write_html(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.to_html())
    }

    /// Writes the page if `path` ends in `.html` (or `.htm`), the JSON otherwise.
    ///
    /// # Errors
    ///
    /// The file system's error.
    pub fn write(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let html = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        if html {
            self.write_html(path)
        } else {
            self.write_json(path)
        }
    }
}
