//! This process's child processes, as the kernel sees them (running or zombie), with the pool
//! workers that the fork server forked counted as ours.

use std::time::{Duration, Instant};

/// The pids of this process's children (running or zombie), from /proc. Pool workers are the
/// fork server's children: they are listed instead of the server, a helper that lives as
/// long as this process (a dead server not reaped yet is listed too). The workers the server
/// forked ahead of need, which no pool has taken, are helpers too: not listed (a stock worker
/// that has ended and is not reaped yet is).
pub(crate) fn children() -> Vec<u32> {
    let mut kids = children_of(std::process::id());
    if let Some(server) = potok::process::testing::fork_server_pid() {
        kids.retain(|&kid| kid != server);
        let stock = potok::process::testing::fork_server_stock();
        kids.extend(
            children_of(server)
                .into_iter()
                .filter(|kid| !stock.contains(kid) || is_zombie(*kid)),
        );
    }
    kids
}

/// Whether `pid` has ended and waits to be reaped.
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .is_some_and(|at| stat[at + 1..].trim_start().starts_with('Z'))
    })
}

/// The children of process `me`, from /proc.
fn children_of(me: u32) -> Vec<u32> {
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
