# Модуль 10, задача 10_5 «Многопроцессное программирование»: решение проекта potok.
import multiprocessing
from datetime import datetime


def read_info(name):
    all_data = []
    with open(name, encoding='utf-8') as file:
        while True:
            line = file.readline()
            if not line:
                break
            all_data.append(line)


if __name__ == '__main__':
    filenames = [f'./file {number}.txt' for number in range(1, 5)]

    # Линейный вызов
    start = datetime.now()
    for name in filenames:
        read_info(name)
    print(f'{datetime.now() - start} (линейный)')

    # Многопроцессный
    start = datetime.now()
    with multiprocessing.Pool(processes=4) as pool:
        pool.map(read_info, filenames)
    print(f'{datetime.now() - start} (многопроцессный)')
