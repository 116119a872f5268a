# 10_2 with an off-by-one day: the day is printed before it is counted.
from threading import Thread
from time import sleep


class Knight(Thread):
    def __init__(self, name, power):
        super().__init__(name=name)
        self.power = power

    def run(self):
        print(f'{self.name}, на нас напали!\n', end='')
        enemies = 100
        days = 0
        while enemies > 0:
            sleep(1)
            enemies -= self.power
            print(f'{self.name}, сражается {days} день(дня)..., осталось {enemies} воинов.\n', end='')
            days += 1
        print(f'{self.name} одержал победу спустя {days} дней(дня)!\n', end='')


first_knight = Knight('Sir Lancelot', 10)
second_knight = Knight('Sir Galahad', 20)
first_knight.start()
second_knight.start()
first_knight.join()
second_knight.join()
print('Все битвы закончились!')
