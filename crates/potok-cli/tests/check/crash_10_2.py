# 10_2 that crashes before the battle: a name error.
print('Sir Lancelot, на нас напали!')
knights = [Knight('Sir Galahad', 20)]
