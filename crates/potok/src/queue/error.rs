//! What a queue operation reports when it cannot do its job: Python's `queue.Full`,
//! `queue.Empty`, `queue.ShutDown` and the `ValueError` of one `task_done()` too many.
//!
//! A failed put always gives the item back (`into_inner`), as crossbeam-channel's errors do.

use std::error::Error;
use std::fmt;

/// Why a blocking [`put`](crate::Queue::put) failed.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum PutError<T> {
    /// The queue was shut down (Python's `queue.ShutDown`); here is the item back.
    ShutDown(T),
}

/// Why a [`try_put`](crate::Queue::try_put) (Python's `put_nowait`) failed.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TryPutError<T> {
    /// The queue holds `maxsize` items (Python's `queue.Full`); here is the item back.
    Full(T),
    /// The queue was shut down (Python's `queue.ShutDown`); here is the item back.
    ShutDown(T),
}

/// Why a [`put_timeout`](crate::Queue::put_timeout) failed.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum PutTimeoutError<T> {
    /// The queue stayed full for the whole timeout (Python's `queue.Full`); here is the item back.
    Full(T),
    /// The queue was shut down (Python's `queue.ShutDown`); here is the item back.
    ShutDown(T),
}

/// Why a blocking [`get`](crate::Queue::get) failed.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum GetError {
    /// The queue was shut down and is empty (Python's `queue.ShutDown`).
    ShutDown,
}

/// Why a [`try_get`](crate::Queue::try_get) (Python's `get_nowait`) failed.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryGetError {
    /// The queue is empty (Python's `queue.Empty`).
    Empty,
    /// The queue was shut down and is empty (Python's `queue.ShutDown`).
    ShutDown,
}

/// Why a [`get_timeout`](crate::Queue::get_timeout) failed.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum GetTimeoutError {
    /// The queue stayed empty for the whole timeout (Python's `queue.Empty`).
    Empty,
    /// The queue was shut down and is empty (Python's `queue.ShutDown`).
    ShutDown,
}

/// [`task_done`](crate::Queue::task_done) was called more times than items were put (Python's
/// `ValueError: task_done() called too many times`).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct TaskDoneError;

/// A [`SimpleQueue`](crate::SimpleQueue) stayed empty: for
/// [`try_get`](crate::SimpleQueue::try_get) at the moment of the call, for
/// [`get_timeout`](crate::SimpleQueue::get_timeout) for the whole timeout (Python's `queue.Empty`).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct EmptyError;

macro_rules! item_error {
    ($name:ident { $($variant:ident => $message:literal),+ $(,)? }) => {
        impl<T> $name<T> {
            /// The item that could not be put.
            pub fn into_inner(self) -> T {
                match self {
                    $($name::$variant(item) => item),+
                }
            }
        }

        // Debug without `T: Debug`, like crossbeam-channel: the item is shown as `..`.
        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($name::$variant(_) => f.write_str(concat!(stringify!($variant), "(..)"))),+
                }
            }
        }

        impl<T> fmt::Display for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($name::$variant(_) => f.write_str($message)),+
                }
            }
        }

        impl<T> Error for $name<T> {}
    };
}

item_error!(PutError { ShutDown => "put on a shut-down queue" });
item_error!(TryPutError {
    Full => "put on a full queue",
    ShutDown => "put on a shut-down queue",
});
item_error!(PutTimeoutError {
    Full => "timed out waiting on a full queue",
    ShutDown => "put on a shut-down queue",
});

impl<T> TryPutError<T> {
    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryPutError::ShutDown(_))
    }
}

impl<T> PutTimeoutError<T> {
    /// Whether the put timed out on a full queue.
    pub fn is_full(&self) -> bool {
        matches!(self, PutTimeoutError::Full(_))
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, PutTimeoutError::ShutDown(_))
    }
}

macro_rules! plain_error {
    ($name:ident { $($variant:ident => $message:literal),+ $(,)? }) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($name::$variant => f.write_str($message)),+
                }
            }
        }

        impl Error for $name {}
    };
}

plain_error!(GetError { ShutDown => "get on a shut-down, empty queue" });
plain_error!(TryGetError {
    Empty => "get on an empty queue",
    ShutDown => "get on a shut-down, empty queue",
});
plain_error!(GetTimeoutError {
    Empty => "timed out waiting on an empty queue",
    ShutDown => "get on a shut-down, empty queue",
});

impl TryGetError {
    /// Whether the queue was empty (and not shut down).
    pub fn is_empty(&self) -> bool {
        matches!(self, TryGetError::Empty)
    }

    /// Whether the queue was shut down and empty.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryGetError::ShutDown)
    }
}

impl GetTimeoutError {
    /// Whether the get timed out on an empty queue.
    pub fn is_empty(&self) -> bool {
        matches!(self, GetTimeoutError::Empty)
    }

    /// Whether the queue was shut down and empty.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, GetTimeoutError::ShutDown)
    }
}

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl Error for TaskDoneError {}

impl fmt::Display for EmptyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("get on an empty queue")
    }
}

impl Error for EmptyError {}
