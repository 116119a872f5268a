# A knight who waits for a signal nobody gives: Event.wait() with no set().
import os
import threading

horn = threading.Event()


def knight():
    print('Sir Lancelot, на нас напали!\n', end='')
    horn.wait()


if os.environ.get('POTOK_TEST_PIDS'):
    with open(os.environ['POTOK_TEST_PIDS'], 'a') as pids:
        pids.write(f'{os.getpid()}\n')
thread = threading.Thread(target=knight, name='Sir Lancelot')
thread.start()
thread.join()
