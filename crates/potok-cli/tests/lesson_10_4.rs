//! Lesson 10_4 through the `potok` binary: `cafe` (the waiting line is a potok Queue) and `gil`
//! (threads that help in Rust, CPython's that do not, processes for both).

use std::collections::HashMap;

mod support;

const GUESTS: [&str; 12] = [
    "Maria",
    "Oleg",
    "Vakhtang",
    "Sergey",
    "Darya",
    "Arman",
    "Vitoria",
    "Nikita",
    "Galina",
    "Pavel",
    "Ilya",
    "Alexandra",
];

fn potok(args: &[&str]) -> (bool, Vec<String>, String) {
    let output = support::potok().args(args).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (
        output.status.success(),
        stdout.lines().map(str::to_owned).collect(),
        stderr,
    )
}

/// The cafe's lines in one language.
struct Phrases {
    sat: fn(&str) -> Option<(String, usize)>,
    queued: fn(&str) -> Option<String>,
    ate: fn(&str) -> Option<String>,
    free: fn(&str) -> Option<usize>,
    from_queue: fn(&str) -> Option<(String, usize)>,
}

fn split_number(line: &str, before: &str) -> Option<(String, usize)> {
    let (name, number) = line.rsplit_once(before)?;
    Some((name.to_owned(), number.parse().ok()?))
}

const RU: Phrases = Phrases {
    sat: |l| split_number(l, " сел(-а) за стол номер "),
    queued: |l| l.strip_suffix(" в очереди").map(str::to_owned),
    ate: |l| {
        l.strip_suffix(" покушал(-а) и ушёл(ушла)")
            .map(str::to_owned)
    },
    free: |l| {
        l.strip_prefix("Стол номер ")?
            .strip_suffix(" свободен")?
            .parse()
            .ok()
    },
    from_queue: |l| split_number(l, " вышел(-ла) из очереди и сел(-а) за стол номер "),
};

const EN: Phrases = Phrases {
    sat: |l| split_number(l, " sat down at table number "),
    queued: |l| l.strip_suffix(" is in the queue").map(str::to_owned),
    ate: |l| l.strip_suffix(" ate and left").map(str::to_owned),
    free: |l| {
        l.strip_prefix("Table number ")?
            .strip_suffix(" is free")?
            .parse()
            .ok()
    },
    from_queue: |l| split_number(l, " left the queue and sat down at table number "),
};

/// Replays the cafe's lines: arrivals first (seated at tables 1.., then queued, in order),
/// then every departure announced with its own table freed right after, no table ever seating
/// two guests, the queue served in order, every guest eating exactly once.
fn check_cafe(lines: &[String], p: &Phrases, guests: &[&str], tables: usize) {
    let seated_first = guests.len().min(tables);
    for (i, line) in lines.iter().take(seated_first).enumerate() {
        assert_eq!(
            (p.sat)(line),
            Some((guests[i].to_owned(), i + 1)),
            "arrival {i}"
        );
    }
    for (i, line) in lines[seated_first..guests.len()].iter().enumerate() {
        assert_eq!(
            (p.queued)(line).as_deref(),
            Some(guests[seated_first + i]),
            "arrival"
        );
    }
    let mut at_table: HashMap<usize, String> = (0..seated_first)
        .map(|i| (i + 1, guests[i].to_owned()))
        .collect();
    let mut queue = guests[seated_first..].iter();
    let mut ate = Vec::new();
    let mut rest = lines[guests.len()..].iter();
    while let Some(line) = rest.next() {
        if let Some(name) = (p.ate)(line) {
            let freed = rest.next().and_then(|l| (p.free)(l));
            let table = freed.unwrap_or_else(|| panic!("no table freed after {line}"));
            assert_eq!(
                at_table.remove(&table),
                Some(name.clone()),
                "{name} left table {table}"
            );
            ate.push(name);
        } else if let Some((name, table)) = (p.from_queue)(line) {
            assert_eq!(Some(name.as_str()), queue.next().copied(), "queue order");
            assert!(table >= 1 && table <= tables, "no table {table}");
            assert!(
                at_table.insert(table, name).is_none(),
                "table {table} seats two guests"
            );
        } else {
            panic!("unexpected line: {line}");
        }
    }
    assert!(queue.next().is_none(), "a guest stayed in the queue");
    assert!(at_table.is_empty(), "guests still seated: {at_table:?}");
    ate.sort();
    let mut all: Vec<String> = guests.iter().map(|&g| g.to_owned()).collect();
    all.sort();
    assert_eq!(ate, all, "every guest eats and leaves once");
    assert_eq!(
        lines.len(),
        2 * guests.len() + guests.len() + guests.len().saturating_sub(tables)
    );
}

#[test]
fn cafe_in_russian_seats_five_queues_seven_serves_all() {
    let (ok, lines, stderr) = potok(&[
        "--lang",
        "ru",
        "cafe",
        "--time-scale",
        "0.005",
        "--seed",
        "7",
    ]);
    assert!(ok, "{stderr}");
    check_cafe(&lines, &RU, &GUESTS, 5);
}

#[test]
fn cafe_in_english_with_other_tables_and_guests() {
    let args = [
        "--lang",
        "en",
        "cafe",
        "--tables",
        "2",
        "--guest",
        "Ann",
        "--guest",
        "Bob",
        "--guest",
        "Cid",
        "--guest",
        "Dee",
        "--guest",
        "Eve",
        "--time-scale",
        "0.005",
        "--seed",
        "3",
    ];
    let (ok, lines, stderr) = potok(&args);
    assert!(ok, "{stderr}");
    check_cafe(&lines, &EN, &["Ann", "Bob", "Cid", "Dee", "Eve"], 2);
}

#[test]
fn cafe_without_a_seed_prints_the_drawn_one() {
    let (ok, lines, stderr) = potok(&[
        "--lang",
        "en",
        "cafe",
        "--tables",
        "7",
        "--time-scale",
        "0.002",
    ]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("--seed"), "{stderr}");
    check_cafe(&lines, &EN, &GUESTS, 7);
}

#[test]
fn cafe_rejects_zero_tables() {
    let (ok, _, stderr) = potok(&["cafe", "--tables", "0"]);
    assert!(!ok);
    assert!(stderr.contains("--tables"), "{stderr}");
}

/// The speedup of a row of the gil table (`... 1.93×`).
fn speedup(lines: &[String], row: &str) -> Option<f64> {
    let line = lines.iter().find(|l| l.starts_with(row))?;
    line.split_whitespace()
        .last()?
        .strip_suffix('×')?
        .parse()
        .ok()
}

/// How much faster two plain std threads do two pieces of busy work than one thread does both,
/// measured here and now: what this machine's free cores allow at the moment.
fn machine_parallel_speedup() -> f64 {
    fn busy() -> u64 {
        (0..20_000_000u64).fold(0, |acc, i| acc.wrapping_add(std::hint::black_box(i)))
    }
    fn once() -> f64 {
        let start = std::time::Instant::now();
        std::hint::black_box((busy(), busy()));
        let one = start.elapsed();
        let start = std::time::Instant::now();
        let other = std::thread::spawn(busy);
        std::hint::black_box(busy());
        other.join().unwrap();
        one.as_secs_f64() / start.elapsed().as_secs_f64()
    }
    // The median of three: one measurement on a busy machine can be off either way (a
    // preempted sequential run once showed 3.6x on 2 cores).
    let mut runs = [once(), once(), once()];
    runs.sort_by(f64::total_cmp);
    runs[1]
}

#[test]
fn gil_table_shows_rust_threads_helping() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Load on the machine can only lower a measured speedup, never raise it: one run above 1.5×
    // shows the threads ran in parallel. A run that does not is followed at once by what two
    // plain threads get right now: the failure is potok's only if the machine had a free core
    // for them after every one of the five runs (load comes and goes: a check made once, after
    // all five, could find the machine free after runs that were all slowed).
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (ok, lines, stderr) = potok(&["--lang", "en", "gil", "--threads", "2", "--work", "10"]);
        assert!(ok, "{stderr}");
        assert!(lines[0].starts_with("Work: 2 × 10000000 squares (Rust), 2 × 500000 (CPython)"));
        assert!(lines[1].contains("wall time") && lines[1].contains("speedup"));
        assert_eq!(speedup(&lines, "Rust, sequential"), Some(1.0));
        let rust = speedup(&lines, "Rust, 2 threads").expect("a Rust threads row");
        let has_python = which_python();
        assert_eq!(
            speedup(&lines, "CPython, 2 threads").is_some(),
            has_python,
            "{lines:?}"
        );
        assert!(speedup(&lines, "Rust, 2 processes").is_some(), "{lines:?}");
        assert_eq!(
            speedup(&lines, "CPython, 2 processes").is_some(),
            has_python,
            "{lines:?}"
        );
        assert_eq!(lines.len(), if has_python { 8 } else { 5 }, "{lines:?}");
        if cores < 2 || rust > 1.5 {
            return;
        }
        let machine = machine_parallel_speedup();
        seen.push((rust, machine));
        if machine < 1.7 {
            eprintln!(
                "gil: Rust threads reached only {rust:.2}×, but two plain threads get \
                 {machine:.2}× on this busy machine right now: the 1.5× check needs a free core \
                 and is not asserted"
            );
            return;
        }
    }
    panic!(
        "Rust threads never beat 1.5× on {cores} cores, though two plain threads did 1.7× or more \
         after each run: (potok, plain) {seen:?}"
    );
}

#[test]
fn gil_in_russian_and_bad_input() {
    let (ok, lines, stderr) = potok(&["--lang", "ru", "gil", "--threads", "1", "--work", "1"]);
    assert!(ok, "{stderr}");
    assert!(
        lines[0].starts_with("Работа: 1 × 1000000 квадратов (Rust)"),
        "{lines:?}"
    );
    assert!(lines[1].contains("время") && lines[1].contains("ускорение"));
    assert!(
        lines.iter().any(|l| l.starts_with("Rust, потоков: 1"))
            && lines.iter().any(|l| l.starts_with("Rust, процессов: 1")),
        "{lines:?}"
    );
    let (ok, _, stderr) = potok(&["gil", "--threads", "0"]);
    assert!(!ok);
    assert!(stderr.contains("--threads"), "{stderr}");
}

fn which_python() -> bool {
    std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success())
}
