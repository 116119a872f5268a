# 10_3 that deadlocks: take guards the balance with the same Lock it waits on as a signal,
# so its first refusal waits for a Lock it holds itself, and deposit waits for take.
import os
import threading
from random import randint
from time import sleep


class Bank:
    def __init__(self):
        self.balance = 0
        self.lock = threading.Lock()

    def deposit(self):
        sleep(0.5)
        for _ in range(100):
            amount = randint(50, 500)
            with self.lock:
                self.balance += amount
                print(f'Пополнение: {amount}. Баланс: {self.balance}')
            sleep(0.001)

    def take(self):
        for _ in range(100):
            amount = randint(50, 500)
            with self.lock:
                print(f'Запрос на {amount}')
                if amount <= self.balance:
                    self.balance -= amount
                    print(f'Снятие: {amount}. Баланс: {self.balance}')
                else:
                    print('Запрос отклонён, недостаточно средств')
                    self.lock.acquire()


if os.environ.get('POTOK_TEST_PIDS'):
    with open(os.environ['POTOK_TEST_PIDS'], 'a') as pids:
        pids.write(f'{os.getpid()}\n')
bk = Bank()
th1 = threading.Thread(target=Bank.deposit, args=(bk,), name='deposit')
th2 = threading.Thread(target=Bank.take, args=(bk,), name='take')
th1.start()
th2.start()
th1.join()
th2.join()
print(f'Итоговый баланс: {bk.balance}')
