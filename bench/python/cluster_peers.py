"""Ray's and RQ's pools on the workloads of crates/potok/benches/cluster.rs.

Run (in a virtualenv with `pip install ray==2.60.0 rq==3.0.0 redis`):
    python bench/python/cluster_peers.py [--ray] [--rq]    (both when neither is given)

- Ray: `ray.util.multiprocessing.Pool(2)` on a local Ray instance (`ray.init(num_cpus=2)`):
  start (init, then the pool), `map` of 100,000 trivial items with the default chunks, 2,000
  items with chunksize 1, `apply_async(f, (x,)).get()` round trip.
- RQ: 2 workers (`rq worker`, a fork per job) on a private redis-server over loopback (the one
  on the PATH, or POTOK_REDIS_SERVER), 200 trivial jobs enqueued then waited for: jobs/s.

Prints one line per figure (median of 3 where it repeats), to compare with criterion's report
from the same session.
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rq_jobs import ident  # noqa: E402


def median_time(fn, runs=3):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_ray():
    import ray
    from ray.util.multiprocessing import Pool

    t = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    init = time.perf_counter() - t
    t = time.perf_counter()
    pool = Pool(2)
    start = time.perf_counter() - t
    print(f"ray: start {init:.2f} s (ray.init) + {start:.2f} s (Pool(2))")
    assert pool.map(ident, range(10)) == list(range(10))
    m = median_time(lambda: pool.map(ident, range(100_000)))
    print(f"ray: map 100k trivial, default chunks: {m / 100_000 * 1e6:.2f} us/item")
    c1 = median_time(lambda: pool.map(ident, range(2_000), chunksize=1))
    print(f"ray: map 2k, chunksize 1: {c1 / 2_000 * 1e6:.0f} us/item ({2_000 / c1:.0f} jobs/s)")
    a = median_time(lambda: [pool.apply_async(ident, (7,)).get() for _ in range(50)])
    print(f"ray: apply_async round trip: {a / 50 * 1e3:.2f} ms")
    pool.terminate()
    ray.shutdown()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_rq():
    import redis
    from rq import Queue

    server = os.environ.get("POTOK_REDIS_SERVER") or shutil.which("redis-server")
    if not server:
        sys.exit("redis-server not found: install Debian's package redis-server")
    port = free_port()
    srv = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    workers = []
    try:
        conn = redis.Redis(port=port)
        for _ in range(100):
            try:
                conn.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        url = f"redis://127.0.0.1:{port}/0"
        rq = os.path.join(os.path.dirname(sys.executable), "rq")
        for _ in range(2):
            workers.append(
                subprocess.Popen(
                    [rq, "worker", "--url", url, "--quiet", "bench"],
                    cwd=HERE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        q = Queue("bench", connection=conn)
        # Warm up: both workers have started and answered once.
        jobs = [q.enqueue(ident, i) for i in range(4)]
        deadline = time.time() + 60
        while not all(j.is_finished for j in jobs):
            assert time.time() < deadline, "RQ workers did not start"
            time.sleep(0.01)

        def run():
            jobs = [q.enqueue(ident, i) for i in range(200)]
            while not all(j.get_status(refresh=True) == "finished" for j in jobs[-10:]) or not all(
                j.is_finished for j in jobs
            ):
                time.sleep(0.005)

        t = median_time(run)
        print(f"rq: 2 workers, 200 trivial jobs: {200 / t:.0f} jobs/s ({t / 200 * 1e3:.1f} ms per job)")
    finally:
        for w in workers:
            w.kill()
            w.wait()
        srv.kill()
        srv.wait()


if __name__ == "__main__":
    which = [a for a in sys.argv[1:] if a in ("--ray", "--rq")] or ["--ray", "--rq"]
    if "--ray" in which:
        bench_ray()
    if "--rq" in which:
        bench_rq()
