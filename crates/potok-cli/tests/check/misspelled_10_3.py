# 10_3 with one misspelled message: «отклонен» instead of «отклонён».
#
# The misspelled line is printed only when a request is refused, so it must be refused in
# every run: each thread draws its amounts from a generator of its own, seeded so that the
# 100 requests add up to more than the 100 deposits (29807 against 26286). Some request is
# then refused however the threads interleave (were every one granted, the balance would end
# below zero). With one shared unseeded generator, a loaded machine that ran every deposit
# before the first request could grant them all, and the check found nothing to fail.
import threading
from random import Random
from time import sleep


class Bank:
    def __init__(self):
        self.balance = 0
        self.lock = threading.Lock()
        self.guard = threading.Lock()
        self.deposits_over = False

    def deposit(self):
        draw = Random(5)
        for _ in range(100):
            amount = draw.randint(50, 500)
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
        draw = Random(3)
        for _ in range(100):
            amount = draw.randint(50, 500)
            with self.guard:
                print(f'Запрос на {amount}')
                if amount <= self.balance:
                    self.balance -= amount
                    print(f'Снятие: {amount}. Баланс: {self.balance}')
                    continue
                print('Запрос отклонен, недостаточно средств')
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
