"""CPython's multiprocessing.Pool on the workloads of crates/potok/benches/process.rs.

Run: python3 bench/python/pool.py [--quick]
Prints one line per workload (median of several runs), in the same units as criterion's
report, so the two can be compared from the same session. Start methods: "fork" (CPython's
default on Linux up to 3.13) and "spawn" (what potok does: the executable starts again) for
pool start-up; "fork" for the rest.
"""

import multiprocessing as mp
import statistics
import sys
import time


def ident(x):
    return x


def burn(seed):
    # About as long per item as the Rust burn() is in Rust; only the speedup is compared.
    x = seed
    for i in range(2_000_000):
        x = (x * 6364136223846793005 + i) & 0xFFFFFFFFFFFFFFFF
    return x


def median_time(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def fmt(seconds):
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.3f} µs"
    return f"{seconds * 1e9:.1f} ns"


def main():
    quick = "--quick" in sys.argv
    runs = 3 if quick else 7

    for method in ("fork", "spawn"):
        ctx = mp.get_context(method)

        def ready():
            with ctx.Pool(2) as pool:
                pool.apply(ident, (1,))

        print(f"pool_ready_2 ({method}): {fmt(median_time(ready, runs))}")

    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        items = list(range(100_000))
        pool.map(ident, items)  # warm up
        t = median_time(lambda: pool.map(ident, items), runs)
        print(f"map_100k_trivial: {fmt(t)} ({fmt(t / 100_000)}/item)")
        t = median_time(lambda: pool.map(ident, range(10_000), chunksize=1), runs)
        print(f"map_10k_chunksize_1: {fmt(t)} ({fmt(t / 10_000)}/item)")
        n = 200 if quick else 1000

        def round_trips():
            for _ in range(n):
                pool.apply_async(ident, (7,)).get()

        t = median_time(round_trips, runs)
        print(f"apply_async_round_trip: {fmt(t / n)}")
        seq = median_time(lambda: [burn(i) for i in range(8)], 3)
        par = median_time(lambda: pool.map(burn, range(8)), 3)
        print(f"cpu_map_8_sequential: {fmt(seq)}")
        print(f"cpu_map_8_pool_2: {fmt(par)}")
        print(f"cpu_map speedup on 2 processes: {seq / par:.2f}x")


if __name__ == "__main__":
    main()
