# potok check's shim: loaded as `sitecustomize` into a learner's Python program (and every
# Python process it starts), for one run of `potok check` only.
#
# What it does, and nothing else:
# - scales time.sleep by POTOK_CHECK_SCALE;
# - records what the threads do as Chrome trace events, one JSON object per line, appended to
#   POTOK_CHECK_DIR/events.jsonl: thread and process lifetimes, sleeps, Lock/RLock holds and
#   waits, Condition/Event/Semaphore/Barrier waits, joins, queue.Queue puts and gets;
# - on SIGUSR1, writes POTOK_CHECK_DIR/state-<pid>.json: which thread waits on what, who holds
#   each lock, and every thread's stack. potok sends it when the program stopped making progress.
#
# It must not change what the program prints or does: every wrapper calls the original and
# returns its result or raises its exception; any failure of the recording itself is swallowed.
# Objects created by the standard library (a Queue's own mutex, an Event inside Thread) are
# left alone: only the program's own locks, events and queues are recorded.

import os
import sys


def _potok_install():
    import _thread
    import functools
    import json
    import linecache
    import re
    import signal
    import sysconfig
    import threading
    import time
    import traceback
    import weakref

    folder = os.environ.get('POTOK_CHECK_DIR')
    if not folder:
        return
    scale = float(os.environ.get('POTOK_CHECK_SCALE', '1'))
    t0 = int(os.environ.get('POTOK_CHECK_T0', '0'))
    events_path = os.path.join(folder, 'events.jsonl')
    fd = os.open(events_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)

    monotonic_ns = time.monotonic_ns
    real_sleep = time.sleep
    get_ident = _thread.get_ident
    get_native_id = threading.get_native_id
    allocate = _thread.allocate_lock
    dumps = json.dumps

    library = set()
    for key in ('stdlib', 'platstdlib', 'purelib', 'platlib'):
        path = sysconfig.get_paths().get(key)
        if path:
            library.add(os.path.realpath(path))
    here = os.path.realpath(os.path.dirname(__file__))
    library.add(here)
    library = tuple(sorted(library))

    state = {'pid': os.getpid()}
    # What the state dump reports: thread ident -> (kind, object name, since, extra),
    # lock key -> [owner ident, count, name, since].
    waiting = {}
    held = {}
    # id(thread object) -> name given at start; names of objects by id, kept weakly.
    names = weakref.WeakKeyDictionary()
    depth = threading.local()

    def now_us():
        return (monotonic_ns() - t0) / 1000.0

    def emit(event):
        try:
            event['pid'] = state['pid']
            os.write(fd, (dumps(event, ensure_ascii=False) + '\n').encode('utf-8'))
        except Exception:
            pass

    def tid():
        try:
            return get_native_id()
        except Exception:
            return get_ident()

    def is_library(filename):
        try:
            return os.path.realpath(filename).startswith(library)
        except Exception:
            return True

    def user_frame(frame):
        """The first frame at or above `frame` outside threading.py (whose classes make
        each other: an Event makes a Condition)."""
        while frame is not None and frame.f_code.co_filename == threading.__file__:
            frame = frame.f_back
        return frame

    target_re = re.compile(r'^\s*([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\s*(?::[^=]*)?=(?!=)')

    def creation_name(kind, frame):
        """The name a program gives an object where it makes it: `self.lock = Lock()` in a
        method of Bank is 'Bank.lock'; otherwise the kind and the line."""
        filename, line = frame.f_code.co_filename, frame.f_lineno
        text = linecache.getline(filename, line)
        match = target_re.match(text)
        if match:
            name = match.group(1)
            if name.startswith('self.') and 'self' in frame.f_locals:
                name = type(frame.f_locals['self']).__name__ + name[4:]
            return name
        return '%s@%s:%d' % (kind, os.path.basename(filename), line)

    def name_of(kind):
        """The name of an object the program (not the library) is making, or None. Called
        by a factory or an __init__ wrapper: its caller's caller is the maker."""
        try:
            frame = user_frame(sys._getframe(2))
            if frame is None or is_library(frame.f_code.co_filename):
                return None
            return creation_name(kind, frame)
        except Exception:
            return None

    def recording():
        return getattr(depth, 'n', 0) == 0

    class Span:
        """Marks the current thread busy inside one recorded operation, so that the
        operations it is made of (an Event's Condition, a Queue's locks) are not recorded
        again."""
        __slots__ = ('on',)

        def __enter__(self):
            self.on = recording()
            depth.n = getattr(depth, 'n', 0) + 1
            return self.on

        def __exit__(self, *exc):
            depth.n -= 1
            return False

    def span(name, cat, start, obj=None, **args):
        if obj is not None:
            args['object'] = obj
        emit({'ph': 'X', 'name': name, 'cat': cat, 'ts': start, 'dur': max(now_us() - start, 0.0),
              'tid': tid(), 'args': args})

    def wait_begin(kind, obj, **extra):
        start = now_us()
        waiting[get_ident()] = (kind, obj, start, extra)
        emit({'ph': 'B', 'name': 'wait', 'cat': kind, 'ts': start, 'tid': tid(),
              'args': dict(extra, object=obj, pending=True)})
        return start

    def wait_end(kind, obj, start, **args):
        waiting.pop(get_ident(), None)
        span('wait', kind, start, obj, **args)

    # --- time.sleep, scaled -------------------------------------------------------------

    @functools.wraps(real_sleep)
    def sleep(secs):
        if not isinstance(secs, (int, float)) or isinstance(secs, bool) or secs < 0:
            return real_sleep(secs)
        start = now_us()
        ident = get_ident()
        waiting[ident] = ('sleep', None, start, {'seconds': secs})
        try:
            return real_sleep(secs * scale)
        finally:
            waiting.pop(ident, None)
            span('sleep', 'sleep', start, seconds=secs)

    time.sleep = sleep

    # --- Lock and RLock -----------------------------------------------------------------

    class Lock:
        """threading.Lock for the program's own locks: the same behaviour, recorded."""
        __slots__ = ('_lock', '_name', '__weakref__')

        def __init__(self, name):
            self._lock = allocate()
            self._name = name

        def _got(self, start_hold):
            held[id(self)] = [get_ident(), 1, self._name, start_hold, tid()]

        def acquire(self, blocking=True, timeout=-1):
            plain = (not blocking or timeout != -1 and not (
                isinstance(timeout, (int, float)) and timeout > 0) or not recording())
            if plain or self._lock.acquire(False):
                got = True if not plain else self._lock.acquire(blocking, timeout)
                if got:
                    self._got(now_us())
                return got
            start = wait_begin('lock', self._name, holder=holder_of(self))
            got = False
            try:
                got = self._lock.acquire(blocking, timeout)
            finally:
                wait_end('lock', self._name, start, acquired=got)
            if got:
                self._got(now_us())
            return got

        def release(self):
            self._lock.release()
            record = held.pop(id(self), None)
            if record is not None:
                emit({'ph': 'X', 'name': 'hold', 'cat': 'lock', 'ts': record[3],
                      'dur': max(now_us() - record[3], 0.0), 'tid': record[4],
                      'args': {'object': self._name, 'holder_tid': record[4],
                               'released_by': thread_name(get_ident())}})

        def locked(self):
            return self._lock.locked()

        def __enter__(self):
            return self.acquire()

        def __exit__(self, *exc):
            self.release()

        def _at_fork_reinit(self):
            self._lock._at_fork_reinit()
            held.pop(id(self), None)

        def __repr__(self):
            return repr(self._lock)

        acquire_lock = acquire
        release_lock = release
        locked_lock = locked

    class RLock:
        """threading.RLock for the program's own locks: the same behaviour, recorded."""

        def __init__(self, name):
            self._lock = _thread.RLock()
            self._name = name

        def acquire(self, blocking=True, timeout=-1):
            me = get_ident()
            record = held.get(id(self))
            if record is not None and record[0] == me:
                got = self._lock.acquire(blocking, timeout)
                if got:
                    record[1] += 1
                return got
            plain = (not blocking or timeout != -1 and not (
                isinstance(timeout, (int, float)) and timeout > 0) or not recording())
            if plain:
                got = self._lock.acquire(blocking, timeout)
            elif self._lock.acquire(False):
                got = True
            else:
                start = wait_begin('lock', self._name, holder=holder_of(self))
                got = False
                try:
                    got = self._lock.acquire(blocking, timeout)
                finally:
                    wait_end('lock', self._name, start, acquired=got)
            if got:
                held[id(self)] = [me, 1, self._name, now_us(), tid()]
            return got

        def release(self):
            self._lock.release()
            record = held.get(id(self))
            if record is not None:
                record[1] -= 1
                if record[1] <= 0:
                    held.pop(id(self), None)
                    span_hold(record, self._name)

        __enter__ = acquire

        def __exit__(self, *exc):
            self.release()

        def _is_owned(self):
            return self._lock._is_owned()

        def _release_save(self):
            saved = self._lock._release_save()
            record = held.pop(id(self), None)
            if record is not None:
                span_hold(record, self._name)
            return saved

        def _acquire_restore(self, saved):
            self._lock._acquire_restore(saved)
            held[id(self)] = [get_ident(), saved[0] if isinstance(saved, tuple) else 1,
                              self._name, now_us(), tid()]

        def _at_fork_reinit(self):
            self._lock._at_fork_reinit()
            held.pop(id(self), None)

        def __repr__(self):
            return repr(self._lock)

    def span_hold(record, name):
        emit({'ph': 'X', 'name': 'hold', 'cat': 'lock', 'ts': record[3],
              'dur': max(now_us() - record[3], 0.0), 'tid': record[4],
              'args': {'object': name, 'holder_tid': record[4]}})

    def holder_of(lock):
        record = held.get(id(lock))
        return thread_name(record[0]) if record else None

    def thread_name(ident):
        thread = threading._active.get(ident)
        return thread.name if thread is not None else str(ident)

    original_lock = threading.Lock
    original_rlock = threading.RLock

    def make_lock(*args, **kwargs):
        name = name_of('Lock')
        if name is None or args or kwargs:
            return original_lock(*args, **kwargs)
        return Lock(name)

    def make_rlock(*args, **kwargs):
        name = name_of('RLock')
        if name is None or args or kwargs:
            return original_rlock(*args, **kwargs)
        return RLock(name)

    threading.Lock = make_lock
    threading.RLock = make_rlock

    # --- Condition, Event, Semaphore, Barrier, join: waits on named objects -----------------

    def named_init(cls, kind):
        original = cls.__init__

        @functools.wraps(original)
        def __init__(self, *args, **kwargs):
            original(self, *args, **kwargs)
            try:
                name = name_of(kind)
                if name is not None:
                    names[self] = name
            except Exception:
                pass
        cls.__init__ = __init__

    def traced_wait(cls, method, kind, done=None, holder=None, nonblocking=None):
        original = getattr(cls, method)

        @functools.wraps(original)
        def wrapper(self, *args, **kwargs):
            name = names.get(self)
            if name is None or not recording():
                with Span():
                    return original(self, *args, **kwargs)
            if (done is not None and done(self)) or (
                    nonblocking is not None and nonblocking(args, kwargs)):
                with Span():
                    return original(self, *args, **kwargs)
            extra = {}
            if holder is not None:
                extra['holder'] = holder(self)
            start = wait_begin(kind, name, **extra)
            result = None
            try:
                with Span():
                    result = original(self, *args, **kwargs)
                return result
            finally:
                wait_end(kind, name, start, op=method,
                         result=result if isinstance(result, (bool, int)) else None)
        setattr(cls, method, wrapper)
        return wrapper

    for cls, kind in ((threading.Condition, 'Condition'), (threading.Event, 'Event'),
                      (threading.Semaphore, 'Semaphore'), (threading.Barrier, 'Barrier')):
        named_init(cls, kind)
    traced_wait(threading.Condition, 'wait', 'condition')
    traced_wait(threading.Event, 'wait', 'event', done=lambda e: e.is_set())
    acquire = traced_wait(threading.Semaphore, 'acquire', 'semaphore',
                          done=lambda s: s._value > 0,
                          nonblocking=lambda a, k: not (a[0] if a else k.get('blocking', True)))
    threading.Semaphore.__enter__ = acquire
    traced_wait(threading.Barrier, 'wait', 'barrier')

    original_join = threading.Thread.join

    @functools.wraps(original_join)
    def join(self, timeout=None):
        if not recording() or not self.is_alive():
            return original_join(self, timeout)
        start = wait_begin('join', self.name)
        try:
            with Span():
                return original_join(self, timeout)
        finally:
            wait_end('join', self.name, start)
    threading.Thread.join = join

    # --- Threads: their lives and names ------------------------------------------------

    original_thread_init = threading.Thread.__init__
    user_threads = weakref.WeakSet()

    @functools.wraps(original_thread_init)
    def thread_init(self, *args, **kwargs):
        original_thread_init(self, *args, **kwargs)
        try:
            frame = user_frame(sys._getframe(1))
            if frame is not None and not is_library(frame.f_code.co_filename):
                user_threads.add(self)
        except Exception:
            pass
    threading.Thread.__init__ = thread_init

    original_bootstrap_inner = threading.Thread._bootstrap_inner

    def bootstrap_inner(self):
        start = now_us()
        user = self in user_threads
        try:
            emit({'ph': 'M', 'name': 'thread_name', 'tid': tid(), 'args': {'name': self.name}})
        except Exception:
            pass
        try:
            original_bootstrap_inner(self)
        finally:
            try:
                emit({'ph': 'M', 'name': 'thread_name', 'tid': tid(), 'args': {'name': self.name}})
                span('thread', 'thread', start, self.name, user=user)
            except Exception:
                pass
    threading.Thread._bootstrap_inner = bootstrap_inner

    # --- queue.Queue --------------------------------------------------------------------

    import queue as queue_module
    named_init(queue_module.Queue, 'Queue')

    def traced_queue(method):
        original = getattr(queue_module.Queue, method)

        @functools.wraps(original)
        def wrapper(self, *args, **kwargs):
            name = names.get(self)
            if name is None or not recording():
                with Span():
                    return original(self, *args, **kwargs)
            start = now_us()
            would_wait = (method == 'get' and self._qsize() == 0) or (
                method == 'put' and 0 < self.maxsize <= self._qsize())
            blocking = (args[1 if method == 'put' else 0] if len(args) > (1 if method == 'put' else 0)
                        else kwargs.get('block', True))
            if would_wait and blocking:
                start = wait_begin('queue', name, op=method)
            try:
                with Span():
                    return original(self, *args, **kwargs)
            finally:
                waiting.pop(get_ident(), None)
                span(method, 'queue', start, name, size=self._qsize())
        setattr(queue_module.Queue, method, wrapper)

    traced_queue('put')
    traced_queue('get')

    # --- processes ----------------------------------------------------------------------

    def name_process(label):
        emit({'ph': 'M', 'name': 'process_name', 'tid': 0, 'args': {'name': label}})
        emit({'ph': 'M', 'name': 'thread_name', 'tid': tid(),
              'args': {'name': threading.current_thread().name}})

    def after_fork():
        state['pid'] = os.getpid()
        waiting.clear()
        held.clear()
    os.register_at_fork(after_in_child=after_fork)

    try:
        import multiprocessing.process as mp_process
        original_process_bootstrap = mp_process.BaseProcess._bootstrap

        def process_bootstrap(self, *args, **kwargs):
            start = now_us()
            state['pid'] = os.getpid()
            name = self.name
            try:
                name_process(name)
                emit({'ph': 'i', 'name': 'start', 'cat': 'process', 's': 'p', 'ts': start,
                      'tid': tid(), 'args': {'object': name}})
            except Exception:
                pass

            try:
                return original_process_bootstrap(self, *args, **kwargs)
            finally:
                span('process', 'process', start, name, parent=os.getppid())
        mp_process.BaseProcess._bootstrap = process_bootstrap
    except Exception:
        pass

    main_start = now_us()
    if os.environ.get('POTOK_CHECK_PARENT') == str(os.getppid()):
        name_process('python3 ' + os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else ''))
        import atexit

        def main_done():
            span('thread', 'thread', main_start, 'MainThread', user=True)
        atexit.register(main_done)

    # --- the state, on request ----------------------------------------------------------

    def dump_state(signum, frame):
        try:
            frames = sys._current_frames()
            threads = []
            for ident, top in frames.items():
                thread = threading._active.get(ident)
                if thread is None:
                    continue
                wait = waiting.get(ident)
                stack = traceback.extract_stack(top)
                user_stack = [f for f in stack if not is_library(f.filename)] or stack[-1:]
                threads.append({
                    'name': thread.name,
                    'ident': ident,
                    'daemon': thread.daemon,
                    'waiting': None if wait is None else {
                        'kind': wait[0], 'object': wait[1], 'since': wait[2],
                        'extra': wait[3]},
                    'stack': [{'file': os.path.basename(f.filename), 'line': f.lineno,
                               'function': f.name, 'code': (f.line or '').strip()}
                              for f in user_stack[-4:]],
                })
            locks = [{'object': record[2], 'holder': thread_name(record[0]),
                      'count': record[1], 'since': record[3]} for record in list(held.values())]
            process = sys.modules.get('multiprocessing.process')
            label = process.current_process().name if process is not None else 'MainProcess'
            document = {'pid': os.getpid(), 'process': label, 'threads': threads, 'held': locks}
            path = os.path.join(folder, 'state-%d.json' % os.getpid())
            with open(path + '.part', 'w', encoding='utf-8') as out:
                json.dump(document, out, ensure_ascii=False)
            os.replace(path + '.part', path)
        except Exception:
            pass

    try:
        signal.signal(signal.SIGUSR1, dump_state)
    except Exception:
        pass


try:
    _potok_install()
except Exception as _potok_error:
    try:
        with open(os.path.join(os.environ.get('POTOK_CHECK_DIR', '.'), 'shim-error.txt'), 'a') as _f:
            _f.write(repr(_potok_error) + '\n')
    except Exception:
        pass
del _potok_install
