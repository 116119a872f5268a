//! `cpu_count()`.

/// The number of CPUs this process may run on (Python's `os.process_cpu_count()`; at least 1).
///
/// # Examples
///
/// ```
/// assert!(potok::process::cpu_count() >= 1);
/// ```
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
