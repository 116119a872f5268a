# Модуль 10 (задания 2023 года), 10_4: кафе с посетителями и очередью: решение проекта potok.
#
# Столы и очередь меняют под одним замком: свободный стол находят и занимают одним шагом, а
# уходящий посетитель сразу сажает на свой стол первого из очереди.
import queue
import threading
import time


class Table:
    def __init__(self, number):
        self.number = number
        self.is_busy = False


class Customer(threading.Thread):
    def __init__(self, number, cafe):
        super().__init__()
        self.number = number
        self.cafe = cafe
        self.table = None

    def run(self):
        time.sleep(5)
        self.cafe.leave(self)


class Cafe:
    def __init__(self, tables):
        self.tables = tables
        self.queue = queue.Queue()
        self.lock = threading.Lock()

    def customer_arrival(self):
        customers = []
        for number in range(1, 21):
            customer = Customer(number, self)
            customers.append(customer)
            with self.lock:
                print(f'Посетитель номер {number} прибыл')
            self.serve_customer(customer)
            time.sleep(1)
        self.queue.join()
        for customer in customers:
            customer.join()

    def serve_customer(self, customer):
        with self.lock:
            for table in self.tables:
                if not table.is_busy:
                    self.seat(customer, table)
                    return
            print(f'Посетитель номер {customer.number} ожидает свободный стол')
            self.queue.put(customer)

    def seat(self, customer, table):
        table.is_busy = True
        customer.table = table
        print(f'Посетитель номер {customer.number} сел за стол {table.number}')
        customer.start()

    def leave(self, customer):
        with self.lock:
            print(f'Посетитель номер {customer.number} покушал и ушёл')
            customer.table.is_busy = False
            if not self.queue.empty():
                self.seat(self.queue.get(), customer.table)
                self.queue.task_done()


table1 = Table(1)
table2 = Table(2)
table3 = Table(3)
tables = [table1, table2, table3]
cafe = Cafe(tables)
customer_arrival_thread = threading.Thread(target=cafe.customer_arrival)
customer_arrival_thread.start()
customer_arrival_thread.join()
