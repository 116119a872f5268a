#!/usr/bin/env python3
"""CPython's side of crates/potok/benches/queue.rs: the same workloads through queue.Queue.

Usage: python3 bench/python/queue_bench.py

Moves ITEMS integers from producer threads to consumer threads (1x1 and 2x2), through a
queue.Queue bounded at 1024 and an unbounded one; then 2x2 unbounded with task_done on every
item and join(); then queue.PriorityQueue 1x1 and 2x2. Prints items per second, best of REPEAT
runs (timeit's rule). Consumers stop at one None sentinel each (shutdown() is 3.13+).
"""
import queue
import threading
import time

ITEMS = 100_000
REPEAT = 3


def run(make_queue, producers, consumers, task_done=False):
    q = make_queue()
    sums = [0] * consumers

    def produce(p):
        put = q.put
        for i in range(p, ITEMS, producers):
            put(i)

    def consume(c):
        get = q.get
        total = 0
        while True:
            item = get()
            if item is None:
                if task_done:
                    q.task_done()
                break
            total += item
            if task_done:
                q.task_done()
        sums[c] = total

    takers = [threading.Thread(target=consume, args=(c,)) for c in range(consumers)]
    makers = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    start = time.perf_counter()
    for t in takers + makers:
        t.start()
    for t in makers:
        t.join()
    if task_done:
        q.join()
    for _ in range(consumers):
        q.put(None)
    for t in takers:
        t.join()
    elapsed = time.perf_counter() - start
    assert sum(sums) == ITEMS * (ITEMS - 1) // 2
    return elapsed


def best(*args, **kwargs):
    return min(run(*args, **kwargs) for _ in range(REPEAT))


def report(name, seconds):
    print(f"{name:<40} {ITEMS / seconds / 1e6:8.3f} M items/s")


def main():
    cases = [
        ("queue_spsc_bounded1024/cpython", lambda: queue.Queue(1024), 1, 1),
        ("queue_spsc_unbounded/cpython", queue.Queue, 1, 1),
        ("queue_mpmc2x2_bounded1024/cpython", lambda: queue.Queue(1024), 2, 2),
        ("queue_mpmc2x2_unbounded/cpython", queue.Queue, 2, 2),
    ]
    for name, make, p, c in cases:
        report(name, best(make, p, c))
    report("queue_task_done_mpmc2x2_unbounded/cpython", best(queue.Queue, 2, 2, task_done=True))
    # PriorityQueue: None does not compare with ints, so the sentinel is a large number there.
    for p, c in ((1, 1), (2, 2)):
        report(f"queue_priority_{p}x{c}/cpython", best_priority(p, c))


def best_priority(producers, consumers):
    def one():
        q = queue.PriorityQueue()
        sentinel = 1 << 62

        def produce(p):
            for i in range(p, ITEMS, producers):
                q.put(i)

        def consume():
            while q.get() != sentinel:
                pass

        takers = [threading.Thread(target=consume) for _ in range(consumers)]
        makers = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
        start = time.perf_counter()
        for t in takers + makers:
            t.start()
        for t in makers:
            t.join()
        for _ in range(consumers):
            q.put(sentinel)
        for t in takers:
            t.join()
        return time.perf_counter() - start

    return min(one() for _ in range(REPEAT))


if __name__ == "__main__":
    main()
