//! This process's child processes, as the kernel sees them (running or zombie).

use std::time::{Duration, Instant};

/// The pids of this process's children (running or zombie), from /proc.
pub(crate) fn children() -> Vec<u32> {
    let me = std::process::id();
    let mut kids = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return kids;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the command (which is in parentheses and may contain spaces).
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let ppid = after.split(' ').nth(1).and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(me) {
            kids.push(pid);
        }
    }
    kids
}

/// Waits (bounded) until this process has no children left, and fails if some remain.
pub(crate) fn assert_no_children(within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let kids = children();
        if kids.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            panic!("child processes remain: {kids:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
