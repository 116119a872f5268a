# Модуль 10, задача 10_1 «Создание потоков»: решение проекта potok.
from datetime import datetime
from threading import Thread
from time import sleep


def write_words(word_count, file_name):
    with open(file_name, 'w', encoding='utf-8') as file:
        for number in range(1, word_count + 1):
            file.write(f'Какое-то слово № {number}\n')
            sleep(0.1)
    print(f'Завершилась запись в файл {file_name}')


# Функции: одна за другой.
start = datetime.now()
write_words(10, 'example1.txt')
write_words(30, 'example2.txt')
write_words(200, 'example3.txt')
write_words(100, 'example4.txt')
print(f'Работа функций {datetime.now() - start}')

# Потоки: все четыре запущены, потом дождались каждого.
start = datetime.now()
threads = [
    Thread(target=write_words, args=(10, 'example5.txt')),
    Thread(target=write_words, args=(30, 'example6.txt')),
    Thread(target=write_words, args=(200, 'example7.txt')),
    Thread(target=write_words, args=(100, 'example8.txt')),
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(f'Работа потоков {datetime.now() - start}')
