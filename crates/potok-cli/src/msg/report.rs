//! A deadlock report worded in the chosen language from [`potok::DeadlockError`]'s data
//! (its `Display` is the library's English), and the lock-order warning from
//! [`LockOrderViolation`]'s.

use potok::deadlock::LockOrderViolation;
use potok::DeadlockError;

use super::Messages;

/// The whole report, one line per thread, as the library lays it out.
pub(crate) fn report(m: &dyn Messages, err: &DeadlockError) -> String {
    let mut out = m.report_head(err.kind(), err.threads().len());
    for t in err.threads() {
        let holds: Vec<String> = t
            .holds()
            .iter()
            .map(|r| m.report_resource(r.kind(), r.name(), r.detail()))
            .collect();
        let w = t.waits_for();
        let waits = m.report_resource(w.kind(), w.name(), w.detail());
        let held_by = match w.kind() {
            potok::deadlock::ResourceKind::Thread => None,
            _ => t.held_by(),
        };
        out.push_str("\n  ");
        out.push_str(&m.report_thread(t.name(), &holds.join(", "), &waits, held_by));
    }
    out.push_str("\n  ");
    out.push_str(&m.report_found_by(err.found_by()));
    out
}

/// The lock-order warning: the cycle, then one line per acquisition, the new one first.
pub(crate) fn lock_order(m: &dyn Messages, v: &LockOrderViolation) -> String {
    let mut cycle: Vec<&str> = v.edges().iter().map(|e| e.held()).collect();
    cycle.extend(v.edges().first().map(|e| e.held()));
    let mut out = m.lock_order_head(&cycle.join(" → "));
    for e in v.edges() {
        out.push_str("\n  ");
        out.push_str(&m.lock_order_edge(
            e.thread(),
            e.taken(),
            e.taken_at(),
            e.held(),
            e.held_at(),
        ));
    }
    out
}
