//! Default names of unnamed queues: `Queue-1`, `LifoQueue-1`, `PriorityQueue-1`, `SimpleQueue-1`,
//! numbered per kind in order of creation.

use std::sync::atomic::{AtomicUsize, Ordering};

static QUEUE: AtomicUsize = AtomicUsize::new(0);
static LIFO: AtomicUsize = AtomicUsize::new(0);
static PRIORITY: AtomicUsize = AtomicUsize::new(0);
static SIMPLE: AtomicUsize = AtomicUsize::new(0);

/// The next default name for a queue of `kind` (the type's name).
pub(crate) fn next(kind: &'static str) -> Box<str> {
    let counter = match kind {
        "LifoQueue" => &LIFO,
        "PriorityQueue" => &PRIORITY,
        "SimpleQueue" => &SIMPLE,
        _ => &QUEUE,
    };
    let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
    format!("{kind}-{n}").into_boxed_str()
}
