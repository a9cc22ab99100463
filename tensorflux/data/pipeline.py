"""The running side of tf.data: element iterators, one initialization's state, background threads.

An element iterator has `get_next()` (a tuple of arrays, or None at the end of the sequence)
and `close()`. An error raised by `get_next()` fails that element only; the next call goes on,
as TF's iterators do after a failing map function. `Env` is one iterator initialization: the
session, compiled function plans, and the threads it started. Closing it (re-initialization,
session close) stops every thread it owns.
"""
import collections
import threading
import time
import weakref

import numpy as np

from tensorflux.framework import errors
from tensorflux.runtime import devices
from tensorflux.runtime.executor import Plan
from tensorflux.runtime.gil import pipeline_thread_target

_POLL = 0.05  # seconds between checks of stop flags while waiting


class Env:
    def __init__(self, session):
        self.session = session
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._plans = {}
        self._threads = []
        self._epochs = {}
        self._seeds = {}
        self._stoppables = weakref.WeakSet()
        self.cache = {}  # what cache() datasets recorded in this initialization

    def plan(self, function):
        plan = self._plans.get(function)
        if plan is None:
            with self._lock:
                plan = self._plans.get(function)
                if plan is None:
                    plan = Plan(self.session, function.outputs, function.targets, function.feeds)
                    self._plans[function] = plan
        return plan

    @staticmethod
    def to_numpy(value):
        return np.asarray(devices.to_numpy(value))

    def next_epoch(self, node):
        """How many iterators `node` has made before in this initialization (shuffle epochs)."""
        with self._lock:
            epoch = self._epochs.get(node, 0)
            self._epochs[node] = epoch + 1
            return epoch

    def seed_for(self, node):
        """One fresh random seed per node and initialization, for unseeded shuffles."""
        with self._lock:
            if node not in self._seeds:
                self._seeds[node] = int(np.random.SeedSequence().entropy % (1 << 63))
            return self._seeds[node]

    def start_thread(self, target, name):
        thread = threading.Thread(target=pipeline_thread_target(target), name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return thread

    def on_close(self, stoppable):
        """`stoppable.stop()` runs when this initialization closes (held weakly)."""
        with self._lock:
            self._stoppables.add(stoppable)

    def check(self):
        """Called while get_next waits: a closed iterator cancels it, and the run's
        RunOptions.timeout_in_ms ends it with DeadlineExceededError."""
        if self.stopped.is_set():
            raise errors.CancelledError(None, None, "The iterator was closed (re-initialized or "
                                                    "its session was closed).")
        self.session._resources.time_left(what="the next element")

    def close(self, join_timeout=2.0):
        """Stops every thread; waits for them at most `join_timeout` seconds in all (one
        blocked in a user's generator is left to finish on its own: threads are daemons)."""
        self.stopped.set()
        with self._lock:
            stoppables = list(self._stoppables)
            threads = list(self._threads)
        for stoppable in stoppables:
            stoppable.stop()
        deadline = time.monotonic() + join_timeout
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


class Run:
    """One initialization of an iterator: its element iterator and the Env it runs in."""

    def __init__(self, env, iterator):
        self.env = env
        self.iterator = iterator

    def get_next(self):
        return self.iterator.get_next()

    def close(self):
        self.env.close()
        try:
            self.iterator.close()
        except ValueError:  # a generator still running in another thread; it is dropped
            pass


class ElementIterator:
    def get_next(self):
        raise NotImplementedError

    def close(self):
        pass


class GeneratorIterator(ElementIterator):
    """Elements from a Python generator (sources); an error inside ends the sequence."""

    def __init__(self, generator):
        self._generator = generator

    def get_next(self):
        if self._generator is None:
            return None
        try:
            return next(self._generator)
        except StopIteration:
            self._generator = None
            return None
        except BaseException:
            self._generator = None
            raise

    def close(self):
        generator, self._generator = self._generator, None
        close = getattr(generator, "close", None)
        if close is not None:
            close()


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


_END = object()


class _PrefetchState:
    """What the producer thread shares with its consumer; the thread holds no consumer ref,
    so dropping the consumer (garbage) stops the thread."""

    def __init__(self, env, upstream, size):
        self.env = env
        self.upstream = upstream
        self.size = max(1, size)
        self.buffer = collections.deque()
        self.cond = threading.Condition()
        self.stopped = False

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def _halted(self):
        return self.stopped or self.env.stopped.is_set()

    def produce(self):
        try:
            while True:
                with self.cond:
                    while len(self.buffer) >= self.size and not self._halted():
                        self.cond.wait(_POLL)
                    if self._halted():
                        return
                try:
                    item = self.upstream.get_next()
                except Exception as exc:  # the consumer raises it in order
                    item = _Failure(exc)
                with self.cond:
                    self.buffer.append(_END if item is None else item)
                    self.cond.notify_all()
                if item is None:
                    return
        finally:
            self.upstream.close()

    def take(self):
        with self.cond:
            while not self.buffer:
                self.env.check()
                if self.stopped:
                    return None
                self.cond.wait(_POLL)
            item = self.buffer[0]
            if item is _END:
                return None
            self.buffer.popleft()
            self.cond.notify_all()
        if isinstance(item, _Failure):
            raise item.error
        return item


class PrefetchIterator(ElementIterator):
    """Fills a buffer of `size` elements from a background thread."""

    def __init__(self, env, upstream, size):
        self._state = _PrefetchState(env, upstream, size)
        env.on_close(self._state)
        env.start_thread(self._state.produce, "tf.data prefetch")

    def get_next(self):
        return self._state.take()

    def close(self):
        self._state.stop()

    def __del__(self):
        self._state.stop()


class _Slot:
    __slots__ = ("element", "result", "error", "done")

    def __init__(self, element):
        self.element = element
        self.result = None
        self.error = None
        self.done = threading.Event()


class _WorkerPool:
    """`n` daemon threads applying `fn` to queued slots until stopped."""

    def __init__(self, env, fn, n):
        self.env = env
        self.fn = fn
        self.tasks = collections.deque()
        self.cond = threading.Condition()
        self.stopped = False
        for i in range(n):
            env.start_thread(self.work, f"tf.data map {i}")

    def submit(self, slot):
        with self.cond:
            self.tasks.append(slot)
            self.cond.notify()

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def work(self):
        while True:
            with self.cond:
                while not self.tasks and not self.stopped and not self.env.stopped.is_set():
                    self.cond.wait(_POLL)
                if self.stopped or self.env.stopped.is_set():
                    return
                slot = self.tasks.popleft()
            try:
                slot.result = self.fn(slot.element)
            except Exception as exc:
                slot.error = exc
            slot.done.set()


class ParallelMapIterator(ElementIterator):
    """Applies `fn` to up to `n` elements at once on worker threads; yields in input order."""

    def __init__(self, env, upstream, fn, n):
        self._env = env
        self._upstream = upstream
        self._n = n
        self._pending = collections.deque()
        self._ended = False
        self._pool = _WorkerPool(env, fn, n)
        env.on_close(self._pool)

    def get_next(self):
        while not self._ended and len(self._pending) < self._n:
            try:
                element = self._upstream.get_next()
            except Exception as exc:
                slot = _Slot(None)
                slot.error = exc
                slot.done.set()
                self._pending.append(slot)
                continue
            if element is None:
                self._ended = True
                break
            slot = _Slot(element)
            self._pending.append(slot)
            self._pool.submit(slot)
        if not self._pending:
            return None
        slot = self._pending.popleft()
        while not slot.done.wait(_POLL):
            self._env.check()
        if slot.error is not None:
            raise slot.error
        return slot.result

    def close(self):
        self._pool.stop()
        self._upstream.close()

    def __del__(self):
        self._pool.stop()

