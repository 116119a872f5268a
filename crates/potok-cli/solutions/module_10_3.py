# 10_3 "Блокировки и обработка ошибок": potok's own solution of the task, in Python.
# The lock stays a signal (take waits on it, deposit releases it), as the task asks; unlike
# the course's program this one cannot hang and does not race:
# - a second lock (guard) protects the balance, and each line is printed under it, so the
#   printed deposits minus withdrawals equal the final balance;
# - when deposit ends it releases the signal one last time, and take stops waiting once the
#   deposits have ended (nobody would release the lock any more).
import threading
from random import randint
from time import sleep


class Bank:
    def __init__(self):
        self.balance = 0
        self.lock = threading.Lock()
        self.guard = threading.Lock()
        self.deposits_done = False

    def deposit(self):
        for _ in range(100):
            x = randint(50, 500)
            with self.guard:
                self.balance += x
                print(f'Пополнение: {x}. Баланс: {self.balance}')
                if self.balance >= 500 and self.lock.locked():
                    self.lock.release()
            sleep(0.001)
        self.deposits_done = True
        if self.lock.locked():
            self.lock.release()

    def take(self):
        for _ in range(100):
            x = randint(50, 500)
            print(f'Запрос на {x}')
            with self.guard:
                enough = x <= self.balance
                if enough:
                    self.balance -= x
                    print(f'Снятие: {x}. Баланс: {self.balance}')
                else:
                    print('Запрос отклонён, недостаточно средств')
            if not enough and not self.deposits_done:
                self.lock.acquire()


bk = Bank()
th1 = threading.Thread(target=Bank.deposit, args=(bk,))
th2 = threading.Thread(target=Bank.take, args=(bk,))
th1.start()
th2.start()
th1.join()
th2.join()
print(f'Итоговый баланс: {bk.balance}')
