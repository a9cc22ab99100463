"""tf.train.Coordinator: lets a set of threads stop together and report their failures."""
import contextlib
import sys
import threading
import time

from tensorflux.framework import errors


class Coordinator:
    """Coordinates the termination of a set of threads.

    Threads loop `while not coord.should_stop()`; any thread may `request_stop()`, optionally
    with the exception that made it stop. `join()` waits for the threads, gives them
    `stop_grace_period_secs` once a stop was requested, and re-raises the first reported
    exception in the joining thread. Exceptions of `clean_stop_exception_types`
    (OutOfRangeError by default: an input ran out) stop the threads without being reported.
    """

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads = set()

    def _filter_exception(self, ex):
        """The exc_info to report for `ex`, or None for a clean stop."""
        if isinstance(ex, tuple):
            exc = ex[1]
        else:
            exc = ex
        if isinstance(exc, self._clean_stop_exception_types):
            return None
        if isinstance(ex, tuple):
            return ex
        return (type(ex), ex, ex.__traceback__)

    def request_stop(self, ex=None):
        """Asks every thread to stop; `ex` (an exception or exc_info) is reported by join()."""
        with self._lock:
            ex = self._filter_exception(ex) if ex is not None else None
            if self._joined:
                # A failure reported after join() returned has no joiner left: raise it here.
                if ex is not None:
                    raise ex[1].with_traceback(ex[2])
                return
            if not self._stop_event.is_set():
                if ex is not None and self._exc_info_to_raise is None:
                    self._exc_info_to_raise = ex
                self._stop_event.set()

    def clear_stop(self):
        """Lets the coordinator be used again after a stop."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            self._stop_event.clear()

    def should_stop(self):
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """`with coord.stop_on_exception():` turns an exception in the body into a stop request.

        OutOfRangeError ends the body quietly; other exceptions are reported by join().
        """
        try:
            yield
        except Exception:
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None):
        """Waits until a stop is requested; True if it was, False on timeout."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread):
        """Adds `thread` to those join() waits for."""
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Waits for the threads to finish; re-raises an exception passed to request_stop().

        Once a stop is requested the threads get `stop_grace_period_secs` to end; threads
        still alive then raise RuntimeError (unless `ignore_live_threads`), after any
        reported exception.
        """
        with self._lock:
            threads = set(threads or ()) | self._registered_threads
            threads = list(threads)
        # Wait until every thread has ended or someone asked for a stop.
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(0.05):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for thread in threads:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            thread.join(left)
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            exc_info = self._exc_info_to_raise
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        if stragglers and not ignore_live_threads:
            raise RuntimeError("Coordinator stopped with threads still running: " +
                               " ".join(stragglers))

    @property
    def joined(self):
        return self._joined

    def raise_requested_exception(self):
        """Re-raises the exception passed to request_stop(), if any."""
        with self._lock:
            exc_info = self._exc_info_to_raise
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])


class LooperThread(threading.Thread):
    """A thread calling `target(*args)` every `timer_interval_secs` until the coordinator stops.

    With timer_interval_secs None, the target runs once.
    """

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")
        super().__init__()
        self.daemon = True
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target = target
        self._args = args or ()
        self._kwargs = kwargs or {}
        self._coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None):
        thread = LooperThread(coord, timer_interval_secs, target, args, kwargs)
        thread.start()
        return thread

    def run(self):
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                self.run_loop()
            else:
                next_time = time.monotonic()
                while not self._coord.wait_for_stop(max(0, next_time - time.monotonic())):
                    next_time += self._timer_interval_secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self):
        """Called once before the loop."""

    def stop_loop(self):
        """Called once after the loop."""

    def run_loop(self):
        if self._target:
            self._target(*self._args, **self._kwargs)
