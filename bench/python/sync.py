#!/usr/bin/env python3
"""CPython's side of benches/sync.rs: uncontended Lock acquire+release, two threads
incrementing a counter under a Lock, and an Event / Condition ping-pong round trip.

Usage: python3 bench/python/sync.py
"""
import threading
import time
import timeit


def per_call(stmt, number):
    best = min(timeit.repeat(stmt, number=number, repeat=5, globals=globals()))
    return best / number


def counter_2_threads(total=400_000):
    lock = threading.Lock()
    count = [0]

    def work():
        for _ in range(total // 2):
            with lock:
                count[0] += 1

    threads = [threading.Thread(target=work) for _ in range(2)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (time.perf_counter() - start) / total


def event_ping_pong(rounds=5_000):
    ping, pong = threading.Event(), threading.Event()

    def partner():
        for _ in range(rounds):
            ping.wait()
            ping.clear()
            pong.set()

    t = threading.Thread(target=partner)
    t.start()
    start = time.perf_counter()
    for _ in range(rounds):
        ping.set()
        pong.wait()
        pong.clear()
    elapsed = time.perf_counter() - start
    t.join()
    return elapsed / rounds


def condition_ping_pong(rounds=5_000):
    cv = threading.Condition()
    turn = [0]

    def partner():
        for r in range(rounds):
            with cv:
                cv.wait_for(lambda: turn[0] == 2 * r + 1)
                turn[0] += 1
                cv.notify()

    t = threading.Thread(target=partner)
    t.start()
    start = time.perf_counter()
    for r in range(rounds):
        with cv:
            turn[0] += 1
            cv.notify()
            cv.wait_for(lambda: turn[0] == 2 * r + 2)
    elapsed = time.perf_counter() - start
    t.join()
    return elapsed / rounds


lock = threading.Lock()


def main():
    acquire = per_call("lock.acquire(); lock.release()", 500_000)
    with_lock = per_call("with lock: pass", 500_000)
    print(f"uncontended/cpython_lock       {acquire * 1e9:8.1f} ns")
    print(f"uncontended/cpython_with_lock  {with_lock * 1e9:8.1f} ns")
    print(f"counter_2_threads/cpython      {counter_2_threads() * 1e9:8.1f} ns per increment")
    print(f"ping_pong/cpython_event        {event_ping_pong() * 1e6:8.1f} µs")
    print(f"ping_pong/cpython_condition    {condition_ping_pong() * 1e6:8.1f} µs")


if __name__ == "__main__":
    main()
