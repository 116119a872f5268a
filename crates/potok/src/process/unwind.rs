//! Panic text in a child: a panicking task is reported to the parent with its message and
//! where it happened, not printed on the child's stderr.

use std::cell::RefCell;

thread_local! {
    static LAST_PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// In a child a panicking task is reported to the parent, not printed: the hook only notes
/// where it happened.
pub(crate) fn install_quiet_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
        LAST_PANIC_AT.with(|slot| *slot.borrow_mut() = at);
    }));
}

/// The text of a panic: its message, and where it happened when the hook saw it.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let msg = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    };
    match LAST_PANIC_AT.with(|slot| slot.borrow_mut().take()) {
        Some(at) => format!("{msg} (at {at})"),
        None => msg,
    }
}
