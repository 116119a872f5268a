# Модуль 10 (задания 2023 года), 10_5: WarehouseManager на процессах: решение проекта potok.
#
# Один процесс на товар: заявки на разные товары идут одновременно, заявки на один товар -
# по порядку (отгрузка product1 не обгонит его поступление).
import multiprocessing


class WarehouseManager:
    def __init__(self, manager):
        self.data = manager.dict()

    def process_request(self, request):
        product, action, amount = request
        if action == 'receipt':
            self.data[product] = self.data.get(product, 0) + amount
        elif action == 'shipment' and self.data.get(product, 0) >= amount:
            self.data[product] -= amount

    def process_product(self, requests):
        for request in requests:
            self.process_request(request)

    def run(self, requests):
        by_product = {}
        for request in requests:
            by_product.setdefault(request[0], []).append(request)
        processes = [
            multiprocessing.Process(target=self.process_product, args=(product_requests,))
            for product_requests in by_product.values()
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join()


if __name__ == '__main__':
    with multiprocessing.Manager() as manager:
        warehouse = WarehouseManager(manager)
        requests = [
            ('product1', 'receipt', 100),
            ('product2', 'receipt', 150),
            ('product1', 'shipment', 30),
            ('product3', 'receipt', 200),
            ('product2', 'shipment', 50),
        ]
        warehouse.run(requests)
        print(dict(sorted(warehouse.data.items())))
