//! The methods `Queue`, `LifoQueue` and `PriorityQueue` share (Python's `queue.Queue` API),
//! written once and stamped onto each type by [`task_queue_api!`].

/// Implements Python's `Queue` API on `$queue<T>` (a struct with a `core: Arc<Core<..>>` field).
/// `$first`, `$second` are two items the doc examples put; `$next` is the one `get` returns first.
macro_rules! task_queue_api {
    ($queue:ident, [$($bound:tt)*], $first:literal, $second:literal, $next:literal) => {
        impl<T: Send $($bound)*> $queue<T> {
            #[doc = concat!("A queue holding at most `maxsize` items (0: unbounded), named `", stringify!($queue), "-N`: Python's `", stringify!($queue), "(maxsize)`.")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(2);")]
            #[doc = concat!("q.put(", $first, ").unwrap();")]
            #[doc = concat!("q.put(", $second, ").unwrap();")]
            /// assert!(q.is_full());
            #[doc = concat!("assert!(q.try_put(", $first, ").unwrap_err().is_full());")]
            #[doc = concat!("assert_eq!(q.get().unwrap(), ", $next, ");")]
            /// ```
            pub fn new(maxsize: usize) -> Self {
                Self::with_name(crate::sync::name::Name::new(), maxsize)
            }

            /// A queue holding at most `maxsize` items (0: unbounded), with a name for reports
            /// and traces.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let orders = potok::", stringify!($queue), "::<u32>::named(\"orders\", 0);")]
            /// assert_eq!(orders.name(), "orders");
            /// assert_eq!(orders.maxsize(), 0);
            /// ```
            pub fn named(name: impl Into<String>, maxsize: usize) -> Self {
                Self::with_name(crate::sync::name::Name::named(name), maxsize)
            }

            fn with_name(name: crate::sync::name::Name, maxsize: usize) -> Self {
                let kind = crate::deadlock::ResourceKind::$queue;
                $queue {
                    core: std::sync::Arc::new(super::core::Core::new(kind, name, maxsize, true)),
                }
            }

            /// The queue's name: the one given to [`named`](Self::named), or
            #[doc = concat!("`", stringify!($queue), "-N`.")]
            pub fn name(&self) -> &str {
                self.core.name()
            }

            /// The most items the queue holds (0: unbounded), Python's `maxsize`.
            pub fn maxsize(&self) -> usize {
                self.core.maxsize()
            }

            /// How many items the queue holds now (Python's `qsize()`). Other threads may change
            /// it at once, so a put or get decided on it may still block or fail.
            pub fn qsize(&self) -> usize {
                self.core.qsize()
            }

            /// Whether the queue holds no items now (Python's `empty()`); see [`qsize`](Self::qsize).
            pub fn is_empty(&self) -> bool {
                self.core.qsize() == 0
            }

            /// Whether the queue holds `maxsize` items now (Python's `full()`; never for an
            /// unbounded queue); see [`qsize`](Self::qsize).
            pub fn is_full(&self) -> bool {
                self.core.is_full()
            }

            /// Puts `item`, waiting while the queue is full (Python's `put(item)`).
            ///
            /// # Errors
            ///
            /// [`PutError::ShutDown`](crate::PutError::ShutDown) with the item, if the queue is
            /// shut down, before or while waiting.
            ///
            /// # Panics
            ///
            /// With the default [deadlock policy](crate::deadlock::Policy), panics with a
            /// [`DeadlockError`](crate::DeadlockError) if the wait can never end (every potok
            /// thread is blocked); the report names this queue and says `full`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(1);")]
            #[doc = concat!("q.put(", $first, ").unwrap();")]
            /// let consumer = {
            ///     let q = q.clone();
            ///     potok::spawn(move || q.get().unwrap())
            /// };
            #[doc = concat!("q.put(", $second, ").unwrap(); // waits until the consumer makes room")]
            #[doc = concat!("assert_eq!(consumer.join().unwrap(), ", $first, ");")]
            /// q.shutdown(false);
            #[doc = concat!("assert_eq!(q.put(", $first, ").unwrap_err().into_inner(), ", $first, ");")]
            /// ```
            #[track_caller]
            pub fn put(&self, item: T) -> Result<(), crate::PutError<T>> {
                match self.core.put(item, super::core::Block::Until(None)) {
                    Ok(()) => Ok(()),
                    Err(super::core::PutFail::ShutDown(item) | super::core::PutFail::Full(item)) => {
                        Err(crate::PutError::ShutDown(item))
                    }
                }
            }

            /// Puts `item` if there is room now (Python's `put_nowait(item)`).
            ///
            /// # Errors
            ///
            /// [`TryPutError::Full`](crate::TryPutError::Full) or
            /// [`TryPutError::ShutDown`](crate::TryPutError::ShutDown), with the item.
            ///
            /// # Examples
            ///
            /// ```
            /// use potok::TryPutError;
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(1);")]
            #[doc = concat!("assert_eq!(q.try_put(", $first, "), Ok(()));")]
            #[doc = concat!("assert_eq!(q.try_put(", $second, "), Err(TryPutError::Full(", $second, ")));")]
            /// ```
            pub fn try_put(&self, item: T) -> Result<(), crate::TryPutError<T>> {
                self.core.put(item, super::core::Block::No).map_err(|fail| match fail {
                    super::core::PutFail::Full(item) => crate::TryPutError::Full(item),
                    super::core::PutFail::ShutDown(item) => crate::TryPutError::ShutDown(item),
                })
            }

            /// Puts `item`, waiting at most `timeout` for room (Python's `put(item, timeout=t)`).
            ///
            /// # Errors
            ///
            /// [`PutTimeoutError::Full`](crate::PutTimeoutError::Full) if the queue stayed full,
            /// [`PutTimeoutError::ShutDown`](crate::PutTimeoutError::ShutDown) if it was shut
            /// down; both with the item.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(1);")]
            #[doc = concat!("q.put_timeout(", $first, ", Duration::from_millis(10)).unwrap();")]
            #[doc = concat!("let err = q.put_timeout(", $second, ", Duration::from_millis(10)).unwrap_err();")]
            /// assert!(err.is_full());
            /// ```
            #[track_caller]
            pub fn put_timeout(
                &self,
                item: T,
                timeout: std::time::Duration,
            ) -> Result<(), crate::PutTimeoutError<T>> {
                self.core
                    .put(item, super::core::Block::for_timeout(timeout))
                    .map_err(|fail| match fail {
                        super::core::PutFail::Full(item) => crate::PutTimeoutError::Full(item),
                        super::core::PutFail::ShutDown(item) => {
                            crate::PutTimeoutError::ShutDown(item)
                        }
                    })
            }

            /// Takes the next item, waiting while the queue is empty (Python's `get()`).
            ///
            /// # Errors
            ///
            /// [`GetError::ShutDown`](crate::GetError::ShutDown) once the queue is shut down and
            /// empty (after `shutdown(false)` the items left are still returned first).
            ///
            /// # Panics
            ///
            /// With the default [deadlock policy](crate::deadlock::Policy), panics with a
            /// [`DeadlockError`](crate::DeadlockError) if the wait can never end (every potok
            /// thread is blocked); the report names this queue and says `empty`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(0);")]
            /// let producer = {
            ///     let q = q.clone();
            #[doc = concat!("    potok::spawn(move || q.put(", $first, ").unwrap())")]
            /// };
            #[doc = concat!("assert_eq!(q.get(), Ok(", $first, ")); // waits for the producer")]
            /// producer.join().unwrap();
            /// q.shutdown(false);
            /// assert_eq!(q.get(), Err(potok::GetError::ShutDown));
            /// ```
            #[track_caller]
            pub fn get(&self) -> Result<T, crate::GetError> {
                self.core
                    .get(super::core::Block::Until(None))
                    .map_err(|_| crate::GetError::ShutDown)
            }

            /// Takes the next item if there is one now (Python's `get_nowait()`).
            ///
            /// # Errors
            ///
            /// [`TryGetError::Empty`](crate::TryGetError::Empty), or
            /// [`TryGetError::ShutDown`](crate::TryGetError::ShutDown) if the queue is also shut
            /// down.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(0);")]
            /// assert_eq!(q.try_get(), Err(potok::TryGetError::Empty));
            #[doc = concat!("q.put(", $first, ").unwrap();")]
            #[doc = concat!("assert_eq!(q.try_get(), Ok(", $first, "));")]
            /// ```
            pub fn try_get(&self) -> Result<T, crate::TryGetError> {
                self.core.get(super::core::Block::No).map_err(|fail| match fail {
                    super::core::GetFail::Empty => crate::TryGetError::Empty,
                    super::core::GetFail::ShutDown => crate::TryGetError::ShutDown,
                })
            }

            /// Takes the next item, waiting at most `timeout` for one (Python's
            /// `get(timeout=t)`).
            ///
            /// # Errors
            ///
            /// [`GetTimeoutError::Empty`](crate::GetTimeoutError::Empty) if the queue stayed
            /// empty, [`GetTimeoutError::ShutDown`](crate::GetTimeoutError::ShutDown) if it is
            /// shut down and empty.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("let q = potok::", stringify!($queue), "::<u8>::new(0);")]
            /// let err = q.get_timeout(Duration::from_millis(10)).unwrap_err();
            /// assert!(err.is_empty());
            /// ```
            #[track_caller]
            pub fn get_timeout(
                &self,
                timeout: std::time::Duration,
            ) -> Result<T, crate::GetTimeoutError> {
                self.core
                    .get(super::core::Block::for_timeout(timeout))
                    .map_err(|fail| match fail {
                        super::core::GetFail::Empty => crate::GetTimeoutError::Empty,
                        super::core::GetFail::ShutDown => crate::GetTimeoutError::ShutDown,
                    })
            }

            /// Marks one item got from the queue as processed (Python's `task_done()`): when
            /// every item put has been marked, [`join`](Self::join) returns.
            ///
            /// # Errors
            ///
            /// [`TaskDoneError`](crate::TaskDoneError) if called more times than items were put
            /// (Python's `ValueError`); the count is unchanged then.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(0);")]
            #[doc = concat!("q.put(", $first, ").unwrap();")]
            /// q.get().unwrap();
            /// assert_eq!(q.task_done(), Ok(()));
            /// assert_eq!(q.task_done(), Err(potok::TaskDoneError));
            /// ```
            pub fn task_done(&self) -> Result<(), crate::TaskDoneError> {
                self.core.task_done().map_err(|()| crate::TaskDoneError)
            }

            /// Waits until every item put has been marked with [`task_done`](Self::task_done)
            /// (Python's `join()`). After `shutdown(true)` the drained items count as done.
            ///
            /// # Panics
            ///
            /// With the default [deadlock policy](crate::deadlock::Policy), panics with a
            /// [`DeadlockError`](crate::DeadlockError) if the wait can never end (every potok
            /// thread is blocked); the report names this queue and says `unfinished tasks`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(0);")]
            /// let worker = {
            ///     let q = q.clone();
            ///     potok::spawn(move || {
            ///         while let Ok(_item) = q.get() {
            ///             q.task_done().unwrap();
            ///         }
            ///     })
            /// };
            #[doc = concat!("q.put(", $first, ").unwrap();")]
            #[doc = concat!("q.put(", $second, ").unwrap();")]
            /// q.join(); // both items processed
            /// assert_eq!(q.unfinished_tasks(), 0);
            /// q.shutdown(false);
            /// worker.join().unwrap();
            /// ```
            #[track_caller]
            pub fn join(&self) {
                self.core.join()
            }

            /// How many items put have not been marked done yet (Python's `unfinished_tasks`).
            pub fn unfinished_tasks(&self) -> usize {
                self.core.unfinished_tasks()
            }

            /// Shuts the queue down (Python 3.13's `shutdown(immediate)`): from now on every
            /// put fails with `ShutDown`, and a get fails with `ShutDown` once the queue is
            /// empty. With `immediate`, the items left are dropped at once (each counting as
            /// done for [`join`](Self::join)). Every blocked getter and putter wakes up to
            /// re-check, and with `immediate` every joiner too. Calling it again is harmless;
            /// `shutdown(true)` after `shutdown(false)` still empties the queue.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(0);")]
            #[doc = concat!("q.put(", $first, ").unwrap();")]
            #[doc = concat!("q.put(", $second, ").unwrap();")]
            /// q.shutdown(true);
            /// assert!(q.is_shut_down());
            /// assert_eq!(q.qsize(), 0);
            /// assert!(q.try_get().unwrap_err().is_shut_down());
            /// q.join(); // the drained items count as done
            /// ```
            pub fn shutdown(&self, immediate: bool) {
                self.core.shutdown(immediate)
            }

            /// Whether [`shutdown`](Self::shutdown) was called (Python's `is_shutdown`).
            pub fn is_shut_down(&self) -> bool {
                self.core.is_shut_down()
            }

            /// An iterator that takes items with [`get`](Self::get) until the queue is shut down
            /// and empty (Python's `for item in iter(q.get, sentinel)`, with shutdown as the
            /// sentinel). It does not call [`task_done`](Self::task_done). Each step is a
            /// [`get`](Self::get), and panics as it does when the wait can never end.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = potok::", stringify!($queue), "::new(0);")]
            /// let consumer = {
            ///     let q = q.clone();
            ///     potok::spawn(move || q.iter().count())
            /// };
            /// for i in 0..10 {
            ///     q.put(i).unwrap();
            /// }
            /// q.shutdown(false);
            /// assert_eq!(consumer.join().unwrap(), 10);
            /// ```
            pub fn iter(&self) -> super::iter::Iter<'_, T> {
                super::iter::Iter::new(&*self.core)
            }
        }

        impl<T> Clone for $queue<T> {
            /// Another handle to the same queue.
            fn clone(&self) -> Self {
                $queue {
                    core: std::sync::Arc::clone(&self.core),
                }
            }
        }

        impl<T: Send $($bound)*> Default for $queue<T> {
            #[doc = concat!("An unbounded queue, as Python's `", stringify!($queue), "()`.")]
            fn default() -> Self {
                Self::new(0)
            }
        }

        impl<T: Send $($bound)*> std::fmt::Debug for $queue<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($queue))
                    .field("name", &self.name())
                    .field("maxsize", &self.maxsize())
                    .field("qsize", &self.qsize())
                    .field("unfinished_tasks", &self.unfinished_tasks())
                    .field("shut_down", &self.is_shut_down())
                    .finish()
            }
        }

        impl<'a, T: Send $($bound)*> IntoIterator for &'a $queue<T> {
            type Item = T;
            type IntoIter = super::iter::Iter<'a, T>;

            fn into_iter(self) -> Self::IntoIter {
                self.iter()
            }
        }

        impl<T: Send + 'static $($bound)*> IntoIterator for $queue<T> {
            type Item = T;
            type IntoIter = super::iter::IntoIter<T>;

            /// Takes items until the queue is shut down and empty, owning this handle.
            fn into_iter(self) -> Self::IntoIter {
                super::iter::IntoIter::new(self.core)
            }
        }
    };
}

pub(crate) use task_queue_api;
