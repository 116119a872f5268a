# Модуль 10, задача 10_2 «Потоки на классах»: решение проекта potok.
from threading import Thread
from time import sleep


def say(line):
    # Одна запись на строку: print(line) пишет текст и '\n' двумя вызовами, и строки
    # двух рыцарей, напечатанные в одно мгновение, могли бы склеиться.
    print(line + '\n', end='')


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
            enemies = max(enemies - self.power, 0)
            say(f'{self.name}, сражается {days} день(дня)..., осталось {enemies} воинов.')
        say(f'{self.name} одержал победу спустя {days} дней(дня)!')


first_knight = Knight('Sir Lancelot', 10)
second_knight = Knight('Sir Galahad', 20)
first_knight.start()
second_knight.start()
first_knight.join()
second_knight.join()
print('Все битвы закончились!')
