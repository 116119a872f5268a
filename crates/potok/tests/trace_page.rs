//! The timeline page in a real browser: headless Chromium (Debian's `chromium`; `.ci/run`
//! installs it) loads a recorded run's page; the lane labels of the recorded threads are in
//! the DOM after load, the canvas has something drawn on it, and the screenshot is not blank.
//!
//! Without Chromium this test fails, in one line saying how to get it: it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "no Chromium at {} (set CHROMIUM to another path): install it with `sudo apt-get install -y chromium` (.ci/run does)",
        path.display()
    );
    path
}

/// Runs Chromium headless on `page` with `extra` arguments; its stdout. Killed after 120 s.
fn run_chromium(page: &Path, extra: &[String]) -> String {
    let profile = tempdir("profile");
    let out = tempdir("out").join("stdout.txt");
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1400,900",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&profile);
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
    text
}

fn tempdir(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "potok-trace-page-{}-{what}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A run with named threads waiting on a lock and a queue, and reading an RwLock together.
fn recorded_page(dir: &Path) -> PathBuf {
    let recording = potok::trace::start();
    let bank = std::sync::Arc::new(potok::Mutex::named("bank", 0));
    let rates = std::sync::Arc::new(potok::RwLock::named("rates", 1));
    let q = potok::Queue::named("orders", 0);
    let workers: Vec<_> = ["Алиса the depositor", "bob <b>withdraws</b>"]
        .into_iter()
        .map(|name| {
            let (bank, q) = (std::sync::Arc::clone(&bank), q.clone());
            let rates = std::sync::Arc::clone(&rates);
            potok::Builder::new()
                .name(name)
                .spawn(move || {
                    for _ in 0..20 {
                        let rate = *rates.read();
                        *bank.lock() += rate;
                        let _reading = rates.read();
                        potok::sleep(Duration::from_micros(200));
                    }
                    q.put(1).unwrap();
                })
                .unwrap()
        })
        .collect();
    q.get().unwrap();
    q.get().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    let page = dir.join("timeline.html");
    recording.finish().write_html(&page).unwrap();
    page
}

/// The value of `data-NAME="..."` in a dumped DOM.
fn data(dom: &str, name: &str) -> Option<f64> {
    dom.split(&format!("data-{name}=\""))
        .nth(1)?
        .split('"')
        .next()?
        .parse()
        .ok()
}

#[test]
fn a_page_of_100000_events_stays_interactive() {
    chromium();
    let dir = tempdir("big");
    let mut json = String::from(
        r#"{"traceEvents":[{"ph":"M","name":"process_name","pid":1,"tid":0,"ts":0,"args":{"name":"big"}}"#,
    );
    let cats = ["sleep", "lock", "queue", "event", "condition", "join"];
    for lane in 1..=20u64 {
        json.push_str(&format!(r#",{{"ph":"M","name":"thread_name","pid":1,"tid":{lane},"ts":0,"args":{{"name":"worker-{lane}"}}}}"#));
        for i in 0..5_000u64 {
            let ts = i * 40 + lane;
            let cat = cats[((i * 7 + lane) % 6) as usize];
            json.push_str(&format!(r#",{{"ph":"X","name":"wait","cat":"{cat}","ts":{ts},"dur":{},"pid":1,"tid":{lane},"args":{{"object":"o{}"}}}}"#, 5 + (i * 13 + lane) % 30, i % 7));
        }
    }
    json.push_str("]}");
    let trace = potok::trace::Trace::from_json(&json).unwrap();
    assert_eq!(trace.len(), 100_021);
    let page = dir.join("big.html");
    trace.write_html(&page).unwrap();
    let url_page = PathBuf::from(format!("{}#measure", page.display()));
    let dom = run_chromium(&url_page, &["--dump-dom".into()]);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the script ran to the end"
    );
    assert!(dom.contains(">worker-20</div>"));
    let load = data(&dom, "load-ms").unwrap();
    let whole = data(&dom, "draw-ms").unwrap();
    let zoomed = data(&dom, "zoom-draw-ms").unwrap();
    eprintln!(
        "100,000 events: load {load} ms, a frame of the whole run {whole} ms, zoomed {zoomed} ms"
    );
    // Generous for a loaded 2-core machine: a frame must not take a visible pause.
    assert!(
        whole < 500.0 && zoomed < 500.0,
        "frames: {whole} ms, {zoomed} ms"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn page_renders_in_headless_chromium() {
    chromium();
    let dir = tempdir("page");
    let page = recorded_page(&dir);

    let dom = run_chromium(&page, &["--dump-dom".into()]);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the script ran to the end:\n{}",
        &dom[..dom.len().min(2000)]
    );
    for label in [
        "Алиса the depositor",
        "bob &lt;b&gt;withdraws&lt;/b&gt;",
        "Mutex 'bank' (who holds it)",
        "RwLock 'rates' (who holds it)",
    ] {
        assert!(
            dom.contains(&format!(">{label}</div>")),
            "lane label {label:?} is DOM text"
        );
    }
    assert!(
        dom.contains("blocked on an RwLock (to read or to write)"),
        "the legend has the RwLock's colour"
    );
    let inked: u64 = dom
        .split("data-inked=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("the page counts its drawn pixels");
    assert!(
        inked > 1000,
        "the canvas has lanes drawn on it ({inked} sampled pixels)"
    );

    let shot = dir.join("shot.png");
    run_chromium(&page, &[format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[1..4], b"PNG");
    // A blank 1400x900 page compresses to a few kilobytes; lanes, labels and a legend do not.
    assert!(
        png.len() > 20_000,
        "the screenshot is not blank ({} bytes)",
        png.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
