# 10_5 "Многопроцессное программирование": potok's own solution of the task, in Python.
# read_info reads a file line by line into a list; the four files are read one after
# another, then by a pool of four processes, and both ways are timed (the pool's start is
# part of its time, as in the course).
from datetime import datetime
from multiprocessing import Pool


def read_info(name):
    all_data = []
    with open(name, 'r', encoding='utf-8') as file:
        while True:
            line = file.readline()
            if not line:
                break
            all_data.append(line)


filenames = [f'./file {number}.txt' for number in range(1, 5)]

if __name__ == '__main__':
    start = datetime.now()
    for name in filenames:
        read_info(name)
    print(f'{datetime.now() - start} (линейный)')

    start = datetime.now()
    with Pool(processes=4) as pool:
        pool.map(read_info, filenames)
    print(f'{datetime.now() - start} (многопроцессный)')
