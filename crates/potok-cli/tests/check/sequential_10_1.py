# 10_1 whose threads run one after another: each is joined right after it starts.
from datetime import datetime
from threading import Thread
from time import sleep


def write_words(word_count, file_name):
    with open(file_name, 'w', encoding='utf-8') as file:
        for number in range(1, word_count + 1):
            file.write(f'Какое-то слово № {number}\n')
            sleep(0.1)
    print(f'Завершилась запись в файл {file_name}')


start = datetime.now()
write_words(10, 'example1.txt')
write_words(30, 'example2.txt')
write_words(200, 'example3.txt')
write_words(100, 'example4.txt')
print(f'Работа потоков {datetime.now() - start}')

start = datetime.now()
for count, name in ((10, 'example5.txt'), (30, 'example6.txt'), (200, 'example7.txt'), (100, 'example8.txt')):
    thread = Thread(target=write_words, args=(count, name))
    thread.start()
    thread.join()
print(f'Работа потоков {datetime.now() - start}')
