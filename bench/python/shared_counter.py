#!/usr/bin/env python3
"""CPython's side of crates/potok/benches/process_shared.rs: four processes (a warm
multiprocessing.Pool of 4, one task each, chunksize 1) each doing 10,000 increments of a
shared `Value('Q')` under its lock (`with v.get_lock(): v.value += 1`), and an uncontended
`multiprocessing.Lock` acquire + release beside a `threading.Lock`'s.

A Value cannot be a Pool task argument in CPython (it is shared through inheritance only), so
the workers get it from the pool's initializer.

Usage: python3 bench/python/shared_counter.py
"""
import multiprocessing as mp
import threading
import time
import timeit

INCREMENTS = 10_000
PROCESSES = 4

counter = None


def init(v):
    global counter
    counter = v


def work(n):
    v = counter
    for _ in range(n):
        with v.get_lock():
            v.value += 1
    return n


def per_call(stmt, number, env):
    best = min(timeit.repeat(stmt, number=number, repeat=5, globals=env))
    return best / number


def main():
    v = mp.Value("Q", 0)
    with mp.Pool(PROCESSES, initializer=init, initargs=(v,)) as pool:
        pool.map(work, [10] * PROCESSES, chunksize=1)  # warm
        times = []
        for _ in range(5):
            with v.get_lock():
                v.value = 0
            start = time.perf_counter()
            pool.map(work, [INCREMENTS] * PROCESSES, chunksize=1)
            times.append(time.perf_counter() - start)
            assert v.value == INCREMENTS * PROCESSES
    times.sort()
    median = times[len(times) // 2]
    print(f"counter_4x10k: median {median * 1e3:.2f} ms of 5 "
          f"({median / (INCREMENTS * PROCESSES) * 1e9:.0f} ns per increment)")
    mlock = mp.Lock()
    tlock = threading.Lock()
    env = {"mlock": mlock, "tlock": tlock}
    m = per_call("mlock.acquire(); mlock.release()", 200_000, env)
    t = per_call("tlock.acquire(); tlock.release()", 200_000, env)
    print(f"uncontended acquire+release: multiprocessing.Lock {m * 1e9:.1f} ns, "
          f"threading.Lock {t * 1e9:.1f} ns")


if __name__ == "__main__":
    main()
