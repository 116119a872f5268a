//! `potok worker URL` and `potok gil --broker URL` against a private redis-server: the cluster
//! row with workers started here, and with a `potok worker` serving; bad URLs in one line.

#[path = "../../potok/tests/redis_server/mod.rs"]
mod redis_server;
mod support;

use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use redis_server::RedisServer;
use support::potok;

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// `potok --lang LANG gil --threads 2 --work 2 --no-explain --broker URL`, which must succeed:
/// its stdout.
fn gil_with_broker(lang: &str, url: &str) -> String {
    let out = potok()
        .args([
            "--lang",
            lang,
            "gil",
            "--threads",
            "2",
            "--work",
            "2",
            "--no-explain",
        ])
        .args(["--broker", url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn gil_with_a_broker_adds_a_cluster_row() {
    let server = RedisServer::start();
    let url = server.url();
    // No worker serves the broker: the lesson starts its own.
    let stdout = gil_with_broker("en", &url);
    assert!(stdout.contains("Rust, cluster of 2 (here)"), "{stdout}");

    // A `potok worker` serving it: the row runs there.
    let worker = KillOnDrop(
        StdCommand::new(assert_cmd::cargo::cargo_bin("potok"))
            .args(["--lang", "ru", "worker", &url])
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = worker.0.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    let registered = loop {
        let pool = potok::cluster::Pool::connect(&url).unwrap();
        let names = pool.workers().unwrap();
        if names.iter().any(|n| n.ends_with(&format!(":{pid}"))) {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(registered, "potok worker {pid} never registered");
    let stdout = gil_with_broker("ru", &url);
    assert!(stdout.contains("Rust, кластер: 1\u{20}"), "{stdout}");
}

#[test]
fn bad_broker_urls_are_one_line() {
    for args in [
        vec!["worker", "nonsense"],
        vec!["worker", "redis://127.0.0.1:1/0"],
        vec!["gil", "--work", "1", "--broker", "http://127.0.0.1:1"],
    ] {
        let out = potok().args(["--lang", "en"]).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("potok: the cluster pool failed: "),
            "{stderr}"
        );
    }
}

/// A server on a free loopback port that answers every Redis command with an error reply,
/// for as long as the test runs.
fn refusing_server() -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                // Each command is an array of bulk strings: *N, then N times $len and the bytes.
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let Some(n) = line.trim().strip_prefix('*').and_then(|n| n.parse().ok()) else {
                        continue;
                    };
                    for _ in 0..n {
                        line.clear();
                        let _ = reader.read_line(&mut line);
                        let len: usize = line.trim().trim_start_matches('$').parse().unwrap_or(0);
                        let mut bytes = vec![0; len + 2];
                        let _ = reader.read_exact(&mut bytes);
                    }
                    if writer.write_all(b"-ERR this server says no\r\n").is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("redis://127.0.0.1:{port}/0")
}

#[test]
fn a_server_that_answers_only_errors_is_worded_in_the_chosen_language() {
    let url = refusing_server();
    for (lang, expected) in [
        ("ru", "potok: кластерный пул не справился: Redis по адресу"),
        ("en", "potok: the cluster pool failed: the Redis at"),
    ] {
        for args in [
            vec!["worker", url.as_str()],
            vec![
                "gil",
                "--work",
                "1",
                "--threads",
                "1",
                "--broker",
                url.as_str(),
            ],
        ] {
            let out = potok().args(["--lang", lang]).args(&args).output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let stderr = text(&out.stderr);
            let last = stderr.lines().last().unwrap_or_default();
            assert!(last.starts_with(expected), "{lang} {args:?}: {stderr}");
            if lang == "ru" {
                // The server's English reply is the English catalogue's detail only.
                assert!(!stderr.contains("says no"), "{stderr}");
            } else {
                assert!(last.contains("this server says no"), "{stderr}");
            }
        }
    }
}
