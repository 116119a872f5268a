# Two threads take two locks in opposite order (ABBA), while a child process waits forever:
# the check must report the cycle and stop the child too.
import multiprocessing
import os
import threading
import time


def note_pid():
    if os.environ.get('POTOK_TEST_PIDS'):
        with open(os.environ['POTOK_TEST_PIDS'], 'a') as pids:
            pids.write(f'{os.getpid()}\n')


def child():
    note_pid()
    time.sleep(1000)


lock_a = threading.Lock()
lock_b = threading.Lock()
# Both hold their first lock before either reaches for the second: the deadlock every time.
both_hold = threading.Barrier(2)


def first():
    with lock_a:
        both_hold.wait()
        with lock_b:
            print('first has both')


def second():
    with lock_b:
        both_hold.wait()
        with lock_a:
            print('second has both')


if __name__ == '__main__':
    note_pid()
    process = multiprocessing.Process(target=child, name='sleeper')
    process.start()
    a = threading.Thread(target=first, name='A')
    b = threading.Thread(target=second, name='B')
    a.start()
    b.start()
    a.join()
    b.join()
    process.join()
