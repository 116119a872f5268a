# A pool worker under the shim keeps Python's default SIGTERM, so Pool.terminate() (the end of
# `with Pool(...)`) ends it even while it waits for a task. A handler of the shim's own once
# kept such a worker alive and its parent joined it forever (4% of runs under load).
import multiprocessing
import signal


def default_sigterm(_):
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


if __name__ == '__main__':
    with multiprocessing.Pool(2) as pool:
        print('default SIGTERM in the workers', pool.map(default_sigterm, range(4)))
