# 10_3 whose withdrawals print a sum they do not subtract: the printed operations do not add up.
import threading
from random import randint
from time import sleep


class Bank:
    def __init__(self):
        self.balance = 0
        self.lock = threading.Lock()
        self.guard = threading.Lock()
        self.deposits_over = False

    def deposit(self):
        for _ in range(100):
            amount = randint(50, 500)
            with self.guard:
                self.balance += amount
                print(f'Пополнение: {amount}. Баланс: {self.balance}')
                if self.balance >= 500 and self.lock.locked():
                    self.lock.release()
            sleep(0.001)
        with self.guard:
            self.deposits_over = True
            if self.lock.locked():
                self.lock.release()

    def take(self):
        for _ in range(100):
            amount = randint(50, 500)
            with self.guard:
                print(f'Запрос на {amount}')
                if amount <= self.balance:
                    self.balance - amount
                    print(f'Снятие: {amount}. Баланс: {self.balance}')
                    continue
                print('Запрос отклонён, недостаточно средств')
                if self.deposits_over:
                    continue
            self.lock.acquire()


bk = Bank()
th1 = threading.Thread(target=Bank.deposit, args=(bk,))
th2 = threading.Thread(target=Bank.take, args=(bk,))
th1.start()
th2.start()
th1.join()
th2.join()
print(f'Итоговый баланс: {bk.balance}')
