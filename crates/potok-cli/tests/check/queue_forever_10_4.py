# 10_4 whose waiter takes one guest too many from the queue: get() on an empty Queue waits
# forever, and the main thread waits for the waiter.
import os
import threading
from queue import Queue


class Cafe:
    def __init__(self):
        self.queue = Queue()
        self.served = threading.Event()

    def waiter(self):
        for _ in range(3):
            guest = self.queue.get()
            print(f'{guest} сел(-а) за стол номер 1\n', end='')


cafe = Cafe()
for name in ('Maria', 'Oleg'):
    cafe.queue.put(name)
if os.environ.get('POTOK_TEST_PIDS'):
    with open(os.environ['POTOK_TEST_PIDS'], 'a') as pids:
        pids.write(f'{os.getpid()}\n')
thread = threading.Thread(target=cafe.waiter, name='waiter')
thread.start()
thread.join()
