"""Four worker processes, started together by an Event, take jobs from a JoinableQueue, add
each job to a shared counter (a Value under its lock) and write a line to a log file under a
Lock. potok's port is port_jobs.rs, beside this file; tests/port_example.rs runs both.

Usage: python3 port_jobs.py LOG_FILE
"""
import multiprocessing as mp
import sys


def worker(jobs, counter, log_lock, start, log_path):
    start.wait()
    while True:
        job = jobs.get()
        if job is None:
            jobs.task_done()
            break
        with counter.get_lock():
            counter.value += job
        with log_lock:
            with open(log_path, "a") as log:
                log.write(f"{mp.current_process().name} did job {job}\n")
        jobs.task_done()


if __name__ == "__main__":
    log_path = sys.argv[1]
    jobs = mp.JoinableQueue()
    counter = mp.Value("q", 0)
    log_lock = mp.Lock()
    start = mp.Event()
    workers = [
        mp.Process(target=worker, args=(jobs, counter, log_lock, start, log_path))
        for _ in range(4)
    ]
    for w in workers:
        w.start()
    for job in range(1, 101):
        jobs.put(job)
    start.set()
    jobs.join()
    for _ in workers:
        jobs.put(None)
    for w in workers:
        w.join()
    print(f"total {counter.value}")
