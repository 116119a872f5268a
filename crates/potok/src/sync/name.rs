//! Names of primitives: given (`Lock::named("bank")`) or numbered per kind (`Lock-3`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::deadlock::ResourceKind;

/// One counter per kind; a primitive takes its number the first time its name is needed (in
/// a report, or from `name()`), so creating one stays free and `const`.
static COUNTERS: [AtomicU64; 14] = [const { AtomicU64::new(0) }; 14];

/// A primitive's name, and whether it was given (`named`) or is a number (`Lock-3`).
#[derive(Debug, Default)]
pub(crate) struct Name(OnceLock<Box<str>>, bool);

impl Name {
    /// No name yet: numbered when first needed.
    pub(crate) const fn new() -> Self {
        Name(OnceLock::new(), false)
    }

    /// The given name.
    pub(crate) fn named(name: impl Into<String>) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(name.into().into_boxed_str());
        Name(cell, true)
    }

    /// The given name, if it was given.
    pub(crate) fn given(&self) -> Option<&str> {
        if self.1 {
            self.0.get().map(|s| &**s)
        } else {
            None
        }
    }

    /// The name: the given one, or `Kind-N`.
    pub(crate) fn get(&self, kind: ResourceKind) -> &str {
        self.0.get_or_init(|| {
            let counter = &COUNTERS[kind as usize % COUNTERS.len()];
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            format!("{kind}-{n}").into_boxed_str()
        })
    }
}
