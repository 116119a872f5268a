//! How a thread blocked on a process primitive shows in
//! [`deadlock::snapshot`](crate::deadlock::snapshot) and the trace.
//!
//! Such a thread is recorded in its thread's activity slot (the snapshot shows it as blocked
//! on KIND 'NAME' (across processes)), but never in the deadlock detector's table of blocked
//! threads: another process may wake it at any time, so it never completes a stall, and no
//! cycle runs through a lock whose holder may live in another process.

use std::time::Instant;

use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::ResourceKind;
use crate::thread::Thread;

/// What the snapshot says after the primitive's name.
pub(crate) const DETAIL: &str = "across processes";

/// A thread blocked on a process primitive, until dropped.
pub(crate) struct Blocked {
    known: Option<Thread>,
    span: Option<crate::trace::WaitSpan>,
}

impl Blocked {
    /// The calling thread blocks on the `kind` primitive `name` (identified by `resource`)
    /// until `deadline`.
    pub(crate) fn begin(
        kind: ResourceKind,
        name: &str,
        resource: usize,
        deadline: Option<Instant>,
    ) -> Blocked {
        let known = crate::thread::current_known();
        if let Some(t) = &known {
            let wait = Wait {
                kind,
                name,
                detail: Some(DETAIL),
                resource,
                owner: Owner::Nobody,
            };
            t.inner.activity.parks(&wait, None, deadline);
        }
        let span = Some(crate::trace::WaitSpan::begin(kind, name, Some(DETAIL)));
        Blocked { known, span }
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        if let Some(span) = self.span.take() {
            span.end(true);
        }
        if let Some(t) = &self.known {
            t.inner.activity.resumes();
        }
    }
}
