# Модуль 10 (задания 2023 года), 10_1: два потока, числа и буквы: решение проекта potok.
import threading
import time


def say(line):
    # Одна запись на строку: два потока печатают в одно и то же мгновение.
    print(f'{line}\n', end='')


def print_numbers():
    for number in range(1, 11):
        say(number)
        time.sleep(1)


def print_letters():
    for letter in 'abcdefghij':
        say(letter)
        time.sleep(1)


thread1 = threading.Thread(target=print_numbers)
thread2 = threading.Thread(target=print_letters)
thread1.start()
thread2.start()
thread1.join()
thread2.join()
