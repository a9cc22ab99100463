"""Short GIL turns while input-pipeline threads run beside the training loop.

CPython lets a thread that waits for the GIL take it only once the holder has run for the
switch interval, 5 ms by default. A queue-runner or tf.data thread busy in Python thus keeps
the training thread waiting up to 5 ms each time one of its kernels returns, and a training
step runs dozens of kernels: the CIFAR step fed by a queue pipeline took about 30% longer for
it. While pipeline threads run, the interval is 0.5 ms; the last one to end restores it.
"""
import functools
import sys
import threading

PIPELINE_SWITCH_INTERVAL = 0.0005

_lock = threading.Lock()
_running = 0
_saved = None


def pipeline_thread_target(target):
    """`target`, running with short GIL turns in the process while it runs."""
    @functools.wraps(target)
    def run(*args, **kwargs):
        _started()
        try:
            return target(*args, **kwargs)
        finally:
            _ended()
    return run


def _started():
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved, PIPELINE_SWITCH_INTERVAL))
        _running += 1


def _ended():
    global _running
    with _lock:
        _running -= 1
        if _running == 0:
            sys.setswitchinterval(_saved)
