# Every primitive the shim wraps, used the ordinary way, printing what Python's own behaviour
# gives: the output must be the same with the shim and without it.
import multiprocessing
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def square(x):
    return x * x


if __name__ == '__main__':
    lock = threading.Lock()
    print('lock', lock.acquire(), lock.locked(), lock.acquire(False), lock.acquire(True, 0.01))
    lock.release()
    with lock:
        print('with lock', lock.locked())
    print('released', lock.locked())
    try:
        lock.release()
    except RuntimeError as error:
        print('RuntimeError', error)
    try:
        lock.acquire(False, 1)
    except ValueError as error:
        print('ValueError', error)

    rlock = threading.RLock()
    with rlock:
        with rlock:
            print('rlock twice')
    try:
        rlock.release()
    except RuntimeError as error:
        print('RuntimeError', error)

    condition = threading.Condition()
    items = []

    def producer():
        for i in range(3):
            with condition:
                items.append(i)
                condition.notify()

    worker = threading.Thread(target=producer)
    with condition:
        worker.start()
        got = condition.wait_for(lambda: len(items) == 3, timeout=5)
    worker.join()
    print('condition', got, items)
    plain = threading.Condition(threading.Lock())
    with plain:
        print('condition on a Lock', plain.wait(0.001))
        plain.notify_all()

    event = threading.Event()
    print('event', event.is_set(), event.wait(0.001))
    threading.Timer(0.01, event.set).start()
    print('event set', event.wait(5))

    semaphore = threading.BoundedSemaphore(2)
    with semaphore:
        print('semaphore', semaphore.acquire(), semaphore.acquire(False))
        semaphore.release()
    try:
        semaphore.release()
        semaphore.release()
    except ValueError as error:
        print('ValueError', error)

    gate = threading.Semaphore(0)
    threading.Timer(0.01, gate.release).start()
    print('semaphore waited', gate.acquire(timeout=5))

    barrier = threading.Barrier(3)
    results = []
    threads = [threading.Thread(target=lambda: results.append(barrier.wait() >= 0)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print('barrier', results)

    q = queue.Queue(maxsize=2)
    q.put(1)
    q.put(2, block=True, timeout=1)
    try:
        q.put(3, False)
    except queue.Full:
        print('Full')
    print('queue', q.get(), q.get(block=True), q.qsize())
    try:
        q.get(timeout=0.001)
    except queue.Empty:
        print('Empty')
    lifo = queue.LifoQueue()
    for i in range(3):
        lifo.put(i)
    print('lifo', [lifo.get() for _ in range(3)])

    start = time.monotonic()
    time.sleep(0.2)
    print('slept', time.sleep.__name__)
    try:
        time.sleep(-1)
    except ValueError as error:
        print('ValueError', error)

    with ThreadPoolExecutor(max_workers=2) as pool:
        print('executor', list(pool.map(square, range(5))))
    with multiprocessing.Pool(2) as pool:
        print('pool', pool.map(square, range(5)))
    print('threads', threading.active_count(), [t.name for t in threading.enumerate()])
