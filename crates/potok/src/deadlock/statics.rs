//! Whether a primitive lives in static memory (a `static EVENT: Event`, a `static` holding a
//! `LazyLock<Queue<..>>`): every thread of the process may reach it, so a wait on it is never
//! a stall of one family (see `family.rs`).
//!
//! The ranges are the writable mappings of the program's files (their `.data`) and the
//! anonymous mapping that directly follows one (their `.bss`), read once from
//! `/proc/self/maps`. Libraries loaded after the first look are not seen (a limit stated in
//! the module docs).

use std::sync::OnceLock;

/// Writable static memory of the program and the libraries loaded at the first call:
/// `(start, end)` address ranges.
fn ranges() -> &'static [(usize, usize)] {
    static RANGES: OnceLock<Box<[(usize, usize)]>> = OnceLock::new();
    RANGES.get_or_init(|| read_maps().unwrap_or_default().into_boxed_slice())
}

/// Reads the ranges once, before any wait queue's lock is taken (the first stall check
/// would otherwise read the file under it).
pub(crate) fn prepare() {
    ranges();
}

/// Whether `addr` is in static memory. Without `/proc/self/maps`, nothing is (and the family
/// rule is off anyway: it needs the OS's list of threads).
pub(crate) fn contains(addr: usize) -> bool {
    ranges().iter().any(|&(s, e)| s <= addr && addr < e)
}

fn read_maps() -> Option<Vec<(usize, usize)>> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let mut out = Vec::new();
    // The end of the last writable file mapping, where a .bss mapping would start.
    let mut file_end: Option<usize> = None;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let path = fields.nth(3).unwrap_or("");
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        let writable = perms.starts_with("rw");
        if writable && path.starts_with('/') {
            out.push((start, end));
            file_end = Some(end);
        } else if writable && path.is_empty() && file_end == Some(start) {
            out.push((start, end));
            file_end = None;
        } else {
            file_end = None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::contains;

    static IN_STATIC: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static IN_BSS: std::sync::Mutex<[u8; 4096]> = std::sync::Mutex::new([0; 4096]);

    #[test]
    fn statics_are_static_and_heap_and_stack_are_not() {
        assert!(contains(&IN_STATIC as *const _ as usize));
        assert!(contains(&IN_BSS as *const _ as usize));
        let on_heap = Box::new(0u64);
        assert!(!contains(&*on_heap as *const u64 as usize));
        let on_stack = 0u64;
        assert!(!contains(&on_stack as *const u64 as usize));
    }
}
