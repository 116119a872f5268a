#!/usr/bin/env python3
"""CPython's side of benches/threads.rs: spawn+join of a no-op thread, current thread's name.

Usage: python3 bench/python/threads.py
"""
import threading
import timeit


def per_call(stmt, number):
    best = min(timeit.repeat(stmt, number=number, repeat=5, globals=globals()))
    return best / number


def main():
    spawn = per_call("t = threading.Thread(target=lambda: None); t.start(); t.join()", 2000)
    name = per_call("threading.current_thread().name", 200_000)
    print(f"spawn_join/cpython        {spawn * 1e6:8.1f} µs")
    print(f"current_thread_name/cpython {name * 1e9:6.1f} ns")


if __name__ == "__main__":
    main()
