import signal
import threading

import pytest

_LIMIT_S = 60


@pytest.fixture(autouse=True)
def _time_limit():
    """Input pipelines can block: a test that runs past the limit fails instead of hanging."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"test ran longer than {_LIMIT_S}s (a blocked pipeline?)")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(_LIMIT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
