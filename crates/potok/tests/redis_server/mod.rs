//! A private `redis-server` for tests and benches: on a free loopback port, without
//! persistence, killed when dropped.
//!
//! The binary is `POTOK_REDIS_SERVER` if set, else `redis-server` on the PATH. Where there is
//! none, it is installed with apt-get when this process may (root, apt-get present); otherwise
//! the test binary stops at once with one line naming the package (exit code 1, no backtrace,
//! whichever test got there first). Never a silent skip.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PACKAGE_HINT: &str = "redis-server not found: install Debian's package `redis-server` \
     (apt-get install -y redis-server) or set POTOK_REDIS_SERVER to a redis-server binary";

/// A running redis-server of our own.
pub(crate) struct RedisServer {
    child: Option<Child>,
    pub(crate) port: u16,
    bin: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("POTOK_REDIS_SERVER") {
        return PathBuf::from(p);
    }
    if let Some(p) = on_path("redis-server") {
        return p;
    }
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root && on_path("apt-get").is_some() {
        eprintln!("redis-server is missing: installing Debian's redis-server with apt-get");
        let ok = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ok(&["install", "-y", "-q", "redis-server"]) {
            ok(&["update", "-q"]);
            ok(&["install", "-y", "-q", "redis-server"]);
        }
        if let Some(p) = on_path("redis-server") {
            return p;
        }
    }
    missing()
}

/// The one line, then exit: the whole binary fails, not each test with its own backtrace.
fn missing() -> ! {
    static ONCE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // Another test thread that gets here too waits until the process is gone.
    let _only_one = ONCE.lock();
    eprintln!("{PACKAGE_HINT}");
    std::process::exit(1);
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

fn pong(port: u16) -> bool {
    let Ok(mut s) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Starts redis-server on `port` (no persistence) and waits until it answers (at most 10 s);
/// None if it exited first (the port was taken) or never answered.
fn spawn_on(bin: &PathBuf, port: u16) -> Option<Child> {
    let mut child = Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", bin.display()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if pong(port) {
            return Some(child);
        }
        if let Ok(Some(_)) = child.try_wait() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

impl RedisServer {
    /// Starts one and waits until it answers (at most 10 s).
    pub(crate) fn start() -> RedisServer {
        let bin = binary();
        for _ in 0..5 {
            let port = free_port();
            if let Some(child) = spawn_on(&bin, port) {
                return RedisServer {
                    child: Some(child),
                    port,
                    bin,
                };
            }
        }
        panic!(
            "redis-server ({}) did not start on a free port",
            bin.display()
        );
    }

    /// Starts it again on the same port (after [`kill`](Self::kill)): an empty server, as
    /// after a restart without persistence.
    pub(crate) fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(child) = spawn_on(&self.bin, self.port) {
                self.child = Some(child);
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start again on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills it at once (SIGKILL) and reaps it.
    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The server's pid, while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
