# 10_2 whose output has two knights' lines of day 5 glued together, as a print race leaves
# them. The race is forced here (two Events order the writes), so that the test sees it every
# time: text of one, text of the other, then both newlines.
import sys
import threading
from threading import Thread
from time import sleep

text_written = threading.Event()
newline_written = threading.Event()


def say(line):
    sys.stdout.write(line + '\n')


class Knight(Thread):
    def __init__(self, name, power):
        super().__init__(name=name)
        self.power = power

    def run(self):
        say(f'{self.name}, на нас напали!')
        enemies = 100
        days = 0
        while enemies > 0:
            sleep(1)
            days += 1
            enemies -= self.power
            line = f'{self.name}, сражается {days} день(дня)..., осталось {enemies} воинов.'
            if days == 5 and self.power == 10:
                sys.stdout.write(line)
                text_written.set()
                newline_written.wait()
                sys.stdout.write('\n')
            elif days == 5:
                text_written.wait()
                sys.stdout.write(line)
                sys.stdout.write('\n')
                newline_written.set()
            else:
                say(line)
        say(f'{self.name} одержал победу спустя {days} дней(дня)!')


first_knight = Knight('Sir Lancelot', 10)
second_knight = Knight('Sir Galahad', 20)
first_knight.start()
second_knight.start()
first_knight.join()
second_knight.join()
print('Все битвы закончились!')
