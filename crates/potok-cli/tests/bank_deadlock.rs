//! The 10_3 lessons, run as a user runs them: `potok bank` (its printed operations add up to
//! its final balance), `potok bank --faithful`, and `potok deadlock abba | ring N | self |
//! bank` (each exits 0 and its report names the right threads and locks).

mod support;

fn potok(args: &[&str]) -> std::process::Output {
    support::potok().args(args).output().unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The amount after `prefix` on a line like `Пополнение: 120. Баланс: 300`.
fn amount(line: &str, prefix: &str) -> Option<i64> {
    let rest = line.strip_prefix(prefix)?;
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    number.parse().ok()
}

/// Checks the bank's lines: 100 deposits, 100 requests, each request answered, and the sum
/// of deposits minus withdrawals equal to the final balance.
fn assert_bank_adds_up(
    text: &str,
    deposit: &str,
    request: &str,
    take: &str,
    refused: &str,
    last: &str,
) {
    let lines: Vec<&str> = text.lines().collect();
    let deposits: Vec<i64> = lines.iter().filter_map(|l| amount(l, deposit)).collect();
    let withdrawals: Vec<i64> = lines.iter().filter_map(|l| amount(l, take)).collect();
    let requests = lines.iter().filter(|l| l.starts_with(request)).count();
    let refusals = lines.iter().filter(|l| **l == refused).count();
    assert_eq!(deposits.len(), 100, "{text}");
    assert_eq!(requests, 100, "{text}");
    assert_eq!(withdrawals.len() + refusals, 100, "{text}");
    assert!(deposits
        .iter()
        .chain(&withdrawals)
        .all(|x| (50..=500).contains(x)));
    let final_line = lines.last().expect("output");
    let final_balance =
        amount(final_line, last).unwrap_or_else(|| panic!("last line: {final_line}"));
    let sum: i64 = deposits.iter().sum::<i64>() - withdrawals.iter().sum::<i64>();
    assert_eq!(
        final_balance, sum,
        "the printed operations add up to the final balance"
    );
    // Each printed balance is the previous one plus or minus the operation.
    let mut balance = 0;
    for line in &lines {
        if let Some(x) = amount(line, deposit) {
            balance += x;
        } else if let Some(x) = amount(line, take) {
            balance -= x;
        } else {
            continue;
        }
        let shown: i64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert_eq!(shown, balance, "{line}");
    }
}

#[test]
fn bank_always_finishes_and_adds_up_ru() {
    for seed in ["1", "2", "3"] {
        let output = potok(&[
            "--lang",
            "ru",
            "bank",
            "--time-scale",
            "0.01",
            "--seed",
            seed,
        ]);
        assert!(output.status.success(), "{output:?}");
        assert_bank_adds_up(
            &stdout(&output),
            "Пополнение: ",
            "Запрос на ",
            "Снятие: ",
            "Запрос отклонён, недостаточно средств",
            "Итоговый баланс: ",
        );
    }
}

#[test]
fn bank_in_english_with_a_drawn_seed() {
    let output = potok(&["--lang", "en", "bank", "--time-scale", "0.001"]);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert!(
        stderr.contains("--seed"),
        "the drawn seed is printed: {stderr}"
    );
    assert_bank_adds_up(
        &stdout(&output),
        "Deposit: ",
        "Request for ",
        "Withdrawal: ",
        "Request denied, insufficient funds",
        "Final balance: ",
    );
}

#[test]
fn bank_faithful_ends_or_is_caught() {
    // The course's program, as written: it finishes with a balance, or it hangs and the
    // detector reports the hang on stderr; either way potok exits 0.
    for seed in ["1", "4", "7"] {
        let output = potok(&[
            "--lang",
            "en",
            "bank",
            "--faithful",
            "--time-scale",
            "0.01",
            "--seed",
            seed,
        ]);
        assert!(output.status.success(), "{output:?}");
        let text = stdout(&output);
        let stderr = String::from_utf8(output.stderr.clone()).unwrap();
        if stderr.contains("deadlock:") {
            assert!(stderr.contains("thread 'take'"), "{stderr}");
            assert!(stderr.contains("Lock 'bank.lock'"), "{stderr}");
            assert!(
                !text.contains("Final balance"),
                "a hung program prints no final balance"
            );
        } else {
            assert!(
                text.lines().last().unwrap().starts_with("Final balance: "),
                "{text}"
            );
        }
    }
}

fn assert_caught(args: &[&str], needles: &[&str]) -> String {
    let mut all = vec!["--lang", "en", "deadlock"];
    all.extend_from_slice(args);
    if args[0] == "bank" {
        all.extend_from_slice(&["--time-scale", "0.01", "--seed", "5"]);
    }
    let output = potok(&all);
    assert!(output.status.success(), "{args:?}: {output:?}");
    let text = stdout(&output);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("deadlock:")).count(),
        1,
        "one report: {text}"
    );
    for needle in needles {
        assert!(text.contains(needle), "{args:?}: no '{needle}' in\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("Deadlock caught: thread '")),
        "{text}"
    );
    text
}

#[test]
fn deadlock_abba_is_caught_and_named() {
    assert_caught(
        &["abba"],
        &[
            "deadlock: both threads wait for each other",
            "The fix: one lock order for everyone.",
            "thread 'A' holds Lock 'lock_a' and waits for Lock 'lock_b' (held by 'B')",
            "thread 'B' holds Lock 'lock_b' and waits for Lock 'lock_a' (held by 'A')",
        ],
    );
}

#[test]
fn deadlock_ring_is_caught_and_named() {
    let text = assert_caught(
        &["ring", "3"],
        &["deadlock: 3 threads wait for each other in a cycle"],
    );
    for i in 1..=3 {
        let next = i % 3 + 1;
        let line = format!(
            "thread 'philosopher-{i}' holds Lock 'fork-{i}' and waits for Lock 'fork-{next}' (held by 'philosopher-{next}')"
        );
        assert!(text.contains(&line), "no '{line}' in\n{text}");
    }
    assert_caught(
        &["ring"],
        &["deadlock: 5 threads wait for each other in a cycle"],
    );
}

#[test]
fn deadlock_self_is_caught_and_named() {
    assert_caught(
        &["self"],
        &[
            "deadlock: both threads are blocked, and neither can wake the other",
            "The fix: potok::RLock",
            "thread 'worker' holds Lock 'lock' and waits for Lock 'lock' (held by 'worker')",
            "thread 'MainThread' waits for thread 'worker' to finish",
        ],
    );
}

#[test]
fn deadlock_bank_is_caught_and_named() {
    assert_caught(
        &["bank"],
        &[
            "The course's bank (potok bank --faithful), with take started after deposit has ended",
            "deposit: 100 deposits, ",
            "take: Request denied, insufficient funds\n   ← take acquires the lock: it is free",
            "take: Request denied, insufficient funds\n   ← take acquires the lock again: it is locked, by take itself, and waits",
            "Why nobody is left to release the lock: only deposit releases it, and deposit has ended.",
            "The fix (potok bank, the default)",
            "thread 'take' holds Lock 'bank.lock' and waits for Lock 'bank.lock' (held by 'take')",
        ],
    );
}

#[test]
fn deadlock_in_russian() {
    let output = potok(&["--lang", "ru", "deadlock", "abba"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("Взаимная блокировка поймана"), "{text}");
}

/// Regression: in a debug build the library's lock-order check is on by default, and its
/// English "potential deadlock" warning interrupted the Russian abba lesson.
#[test]
fn deadlock_abba_in_russian_prints_no_english_lock_order_warning() {
    let output = support::potok()
        .env_remove("POTOK_LOCK_ORDER")
        .args(["--lang", "ru", "deadlock", "abba"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let all = format!(
        "{}{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains("potential deadlock"), "{all}");
    assert!(!all.contains("lock order"), "{all}");
    assert!(all.contains("Взаимная блокировка поймана"), "{all}");
}

#[test]
fn deadlock_ring_needs_two_philosophers() {
    let output = potok(&["deadlock", "ring", "1"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stdout.is_empty());
}
