# 10_4 "Очереди для обмена данными между потоками": potok's own solution of the task, in Python.
# Guests are Thread subclasses that eat 3..10 s; guests who find no free table wait in a
# Queue. Instead of polling is_alive() in a busy loop (a core at 100% all evening), each guest
# puts itself on a second queue when done, and the waiter sleeps in get() until one does.
from queue import Queue
from random import randint
from threading import Thread
from time import sleep


class Table:
    def __init__(self, number):
        self.number = number
        self.guest = None


class Guest(Thread):
    def __init__(self, name):
        super().__init__()
        self.name = name
        self.done = None

    def run(self):
        sleep(randint(3, 10))
        self.done.put(self)


class Cafe:
    def __init__(self, *tables):
        self.queue = Queue()
        self.tables = tables
        self.done = Queue()

    def seat(self, table, guest):
        table.guest = guest
        guest.done = self.done
        guest.start()

    def guest_arrival(self, *guests):
        for guest in guests:
            table = next((t for t in self.tables if t.guest is None), None)
            if table is not None:
                self.seat(table, guest)
                print(f'{guest.name} сел(-а) за стол номер {table.number}')
            else:
                self.queue.put(guest)
                print(f'{guest.name} в очереди')

    def discuss_guests(self):
        while not self.queue.empty() or any(t.guest is not None for t in self.tables):
            finished = {self.done.get()}
            while not self.done.empty():
                finished.add(self.done.get())
            for table in self.tables:
                if table.guest in finished:
                    table.guest.join()
                    print(f'{table.guest.name} покушал(-а) и ушёл(ушла)')
                    print(f'Стол номер {table.number} свободен')
                    table.guest = None
                if not self.queue.empty() and table.guest is None:
                    guest = self.queue.get()
                    print(f'{guest.name} вышел(-ла) из очереди и сел(-а) за стол номер {table.number}')
                    self.seat(table, guest)


tables = [Table(number) for number in range(1, 6)]
guests_names = [
    'Maria', 'Oleg', 'Vakhtang', 'Sergey', 'Darya', 'Arman',
    'Vitoria', 'Nikita', 'Galina', 'Pavel', 'Ilya', 'Alexandra',
]
guests = [Guest(name) for name in guests_names]
cafe = Cafe(*tables)
cafe.guest_arrival(*guests)
cafe.discuss_guests()
