import threading

import pytest

import tensorflux as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    """Each test builds in a new default graph."""
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()


@pytest.fixture
def no_thread_leak():
    """Fails the test if it leaves threads running after it finishes."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in leaked:
        t.join(timeout=5)
    leaked = [t for t in leaked if t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"
