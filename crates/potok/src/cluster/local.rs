//! Workers a pool starts on its own machine ([`PoolBuilder::local_workers`]): this executable
//! again with `POTOK_WORKER` set, supervised by one thread that replaces a worker that dies
//! and kills them all when the pool goes.
//!
//! [`PoolBuilder::local_workers`]: super::PoolBuilder::local_workers

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::dispatch::{ENV_PARENT, ENV_URL};

struct Slot {
    child: Option<Child>,
    /// When the current child started, and whether it has registered (set by the pool's wait).
    started: Instant,
}

struct Shared {
    slots: Mutex<Vec<Slot>>,
    stopping: AtomicBool,
    /// A worker that ended before the pool finished starting: why.
    early_exit: Mutex<Option<String>>,
    url: String,
}

/// The local workers of one pool.
pub(crate) struct LocalWorkers {
    shared: Arc<Shared>,
    supervisor: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LocalWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalWorkers")
            .field("pids", &self.pids())
            .finish()
    }
}

fn spawn(url: &str) -> std::io::Result<Child> {
    Command::new("/proc/self/exe")
        .env(ENV_URL, url)
        .env(ENV_PARENT, std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
}

impl LocalWorkers {
    /// Starts `n` workers for the broker at `url`.
    pub(crate) fn start(url: &str, n: usize) -> Result<LocalWorkers, String> {
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            let child = spawn(url).map_err(|e| format!("could not start a worker: {e}"))?;
            slots.push(Slot {
                child: Some(child),
                started: Instant::now(),
            });
        }
        let shared = Arc::new(Shared {
            slots: Mutex::new(slots),
            stopping: AtomicBool::new(false),
            early_exit: Mutex::new(None),
            url: url.to_owned(),
        });
        let supervisor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("potok-cluster-local".into())
                .spawn(move || supervise(&shared))
                .map_err(|e| format!("no supervisor thread: {e}"))?
        };
        Ok(LocalWorkers {
            shared,
            supervisor: Some(supervisor),
        })
    }

    /// The workers' pids now.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.shared
            .slots
            .lock()
            .iter()
            .filter_map(|s| s.child.as_ref().map(Child::id))
            .collect()
    }

    /// Why a worker ended while the pool was starting, if one did.
    pub(crate) fn take_early_exit(&self) -> Option<String> {
        self.shared.early_exit.lock().take()
    }

    /// Kills and reaps every worker.
    pub(crate) fn stop(mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        if let Some(s) = self.supervisor.take() {
            let _ = s.join();
        }
    }
}

impl Drop for LocalWorkers {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        if let Some(s) = self.supervisor.take() {
            let _ = s.join();
        }
    }
}

/// Every 20 ms: reaps workers that ended and starts replacements; on stop, kills and reaps all.
/// One thread owns every `Child`, so a pid is never signalled after it was reaped.
fn supervise(shared: &Shared) {
    let mut first_round = true;
    loop {
        let stopping = shared.stopping.load(Ordering::Acquire);
        {
            let mut slots = shared.slots.lock();
            for slot in slots.iter_mut() {
                let Some(child) = slot.child.as_mut() else {
                    continue;
                };
                if stopping {
                    let _ = child.kill();
                    let _ = child.wait();
                    slot.child = None;
                    continue;
                }
                if let Ok(Some(status)) = child.try_wait() {
                    let pid = child.id();
                    if first_round || slot.started.elapsed() < Duration::from_millis(500) {
                        // Died at once: most likely `main` does not dispatch workers. Tell the
                        // pool (if it is still starting) and slow down the restarts.
                        let mut early = shared.early_exit.lock();
                        if early.is_none() {
                            *early = Some(format!(
                                "the worker {pid} ended at once ({status}); does `main` begin \
                                 with `potok::main(|| ...)` or `potok::cluster::init()`?"
                            ));
                        }
                    }
                    slot.child = None;
                    if slot.started.elapsed() < Duration::from_millis(500) {
                        // Restarted on a later round, at most twice a second.
                        continue;
                    }
                }
            }
            if stopping {
                return;
            }
            for slot in slots.iter_mut() {
                if slot.child.is_none() && slot.started.elapsed() >= Duration::from_millis(500) {
                    if let Ok(child) = spawn(&shared.url) {
                        slot.child = Some(child);
                        slot.started = Instant::now();
                    }
                }
            }
        }
        first_round = false;
        std::thread::sleep(Duration::from_millis(20));
    }
}
