//! What every CLI test file shares: the `potok` binary, run with a time limit and without the
//! caller's locale (so `--lang` defaults are the tests' own choice).

use std::time::Duration;

use assert_cmd::Command;

/// Bound on any one run: generous for a loaded 2-core machine, so the suite can never hang.
pub(crate) const LIMIT: Duration = Duration::from_secs(120);

/// The built `potok` binary, limited to [`LIMIT`], with no locale variables set.
pub(crate) fn potok() -> Command {
    let mut cmd = Command::cargo_bin("potok").unwrap();
    cmd.timeout(LIMIT)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG");
    cmd
}
