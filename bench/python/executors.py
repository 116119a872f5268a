#!/usr/bin/env python3
"""CPython's side of crates/potok/benches/executors.rs: the same workloads, timed per item.

Usage: python3 bench/python/executors.py   (run right after `cargo bench -p potok --bench executors`)

- submit_result: ThreadPoolExecutor(2).submit(f, x).result()
- executor_map: ThreadPoolExecutor(2).map over 1,000 items, per item
- as_completed_20k: 20,000 submits, then as_completed over them, per item
- thread_pool_map: multiprocessing.pool.ThreadPool(2).map over 100,000 items, per item
- process_submit_result: ProcessPoolExecutor(2).submit(f, x).result()
"""
import concurrent.futures as cf
import sys
import time
from multiprocessing.pool import ThreadPool


def ident(x):
    return x


def inc(x):
    return x + 1


def double(x):
    return x * 2


def best_of(fn, repeat=5):
    """The best of `repeat` runs of fn() (seconds); fn returns how many items it did."""
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn()
        dt = (time.perf_counter() - t0) / n
        best = dt if best is None else min(best, dt)
    return best


def main():
    print(f"CPython {sys.version.split()[0]}; best of 5, per item")
    with cf.ThreadPoolExecutor(2) as ex:
        ex.submit(ident, 0).result()

        def submit_result(n=2000):
            for i in range(n):
                ex.submit(ident, i).result()
            return n

        print(f"submit_result           {best_of(submit_result) * 1e6:8.2f} µs")

        def executor_map():
            return sum(1 for _ in ex.map(inc, range(1000)))

        print(f"executor_map            {best_of(executor_map) * 1e6:8.2f} µs per item")

        def as_completed_20k():
            fs = [ex.submit(ident, i) for i in range(20_000)]
            return sum(1 for _ in cf.as_completed(fs))

        print(f"as_completed_20k        {best_of(as_completed_20k, 3) * 1e6:8.2f} µs per item")

    with ThreadPool(2) as pool:
        items = list(range(100_000))

        def thread_pool_map():
            return len(pool.map(inc, items))

        print(f"thread_pool_map         {best_of(thread_pool_map) * 1e6:8.3f} µs per item")

    with cf.ProcessPoolExecutor(2) as pex:
        pex.submit(double, 1).result()

        def process_submit_result(n=300):
            for i in range(n):
                pex.submit(double, i).result()
            return n

        print(f"process_submit_result   {best_of(process_submit_result) * 1e6:8.1f} µs")


if __name__ == "__main__":
    main()
