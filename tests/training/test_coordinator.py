"""Coordinator and QueueRunner: stopping threads together, reporting their errors."""
import threading
import time

import pytest

import tensorflux as tf

# Sessions of these tests end any blocked op with DeadlineExceededError instead of hanging.
BOUNDED = tf.ConfigProto(operation_timeout_in_ms=20000)
TIMEOUT = tf.RunOptions(timeout_in_ms=3000)


def _worker(coord, body=None):
    def run():
        with coord.stop_on_exception():
            while not coord.should_stop():
                if body is not None:
                    body()
                time.sleep(0.01)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_request_stop_ends_workers(no_thread_leak):
    coord = tf.train.Coordinator()
    threads = [_worker(coord) for _ in range(3)]
    assert not coord.should_stop()
    coord.request_stop()
    coord.join(threads, stop_grace_period_secs=5)
    assert coord.should_stop() and coord.joined
    assert not any(t.is_alive() for t in threads)


def test_exception_in_a_thread_is_raised_by_join(no_thread_leak):
    coord = tf.train.Coordinator()

    def fail():
        raise ValueError("worker broke")
    threads = [_worker(coord), _worker(coord, fail)]
    with pytest.raises(ValueError, match="worker broke"):
        coord.join(threads, stop_grace_period_secs=5)


def test_out_of_range_is_a_clean_stop(no_thread_leak):
    coord = tf.train.Coordinator()

    def done():
        raise tf.errors.OutOfRangeError(None, None, "input ran out")
    threads = [_worker(coord, done)]
    coord.join(threads, stop_grace_period_secs=5)
    assert coord.should_stop()


def test_only_the_first_exception_is_kept():
    coord = tf.train.Coordinator()
    coord.request_stop(RuntimeError("first"))
    coord.request_stop(ValueError("second"))
    with pytest.raises(RuntimeError, match="first"):
        coord.raise_requested_exception()
    with pytest.raises(RuntimeError, match="first"):
        coord.join([])


def test_straggler_makes_join_fail_after_the_grace_period(no_thread_leak):
    coord = tf.train.Coordinator()
    release = threading.Event()
    stubborn = threading.Thread(target=release.wait, args=(10,), name="stubborn")
    stubborn.start()
    coord.request_stop()
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="stubborn"):
        coord.join([stubborn], stop_grace_period_secs=0.2)
    assert time.monotonic() - start < 2
    coord.clear_stop()
    assert not coord.should_stop()
    coord.request_stop()
    coord.join([stubborn], stop_grace_period_secs=0.1, ignore_live_threads=True)
    release.set()
    stubborn.join(5)


def test_wait_for_stop_and_registered_threads(no_thread_leak):
    coord = tf.train.Coordinator()
    assert coord.wait_for_stop(0.05) is False
    thread = threading.Thread(target=coord.wait_for_stop)
    coord.register_thread(thread)
    thread.start()
    coord.request_stop()
    coord.join(stop_grace_period_secs=5)
    assert not thread.is_alive()


def test_looper_thread_runs_until_stop(no_thread_leak):
    coord = tf.train.Coordinator()
    calls = []
    tf.train.LooperThread.loop(coord, 0.01, calls.append, args=(1,))
    time.sleep(0.1)
    coord.request_stop()
    coord.join(stop_grace_period_secs=5)
    assert len(calls) >= 2


def _counter_queue():
    counter = tf.Variable(0, name="counter")
    queue = tf.FIFOQueue(4, tf.int32, shapes=[[]])
    enqueue = queue.enqueue(tf.assign_add(counter, 1))
    return counter, queue, enqueue


def test_queue_runner_fills_the_queue(no_thread_leak):
    counter, queue, enqueue = _counter_queue()
    qr = tf.train.QueueRunner(queue, [enqueue] * 2)
    tf.train.add_queue_runner(qr)
    assert tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS) == [qr]
    with tf.Session(config=BOUNDED) as sess:
        sess.run(tf.global_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        assert len(threads) == 3   # two enqueue threads and the one that cancels on stop
        assert tf.train.start_queue_runners(sess, coord) == []  # already running
        got = sess.run(queue.dequeue_many(10), options=TIMEOUT)
        assert len(set(got.tolist())) == 10
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=5)


def test_input_end_closes_the_queue(no_thread_leak):
    source = tf.FIFOQueue(10, tf.int32, shapes=[[]])
    sink = tf.FIFOQueue(3, tf.int32, shapes=[[]])
    move = sink.enqueue(source.dequeue() * 10)
    tf.train.add_queue_runner(tf.train.QueueRunner(sink, [move, move]))
    with tf.Session(config=BOUNDED) as sess:
        sess.run(source.enqueue_many([[1, 2, 3, 4, 5]]))
        sess.run(source.close())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        got = []
        with pytest.raises(tf.errors.OutOfRangeError):
            while True:
                got.append(sess.run(sink.dequeue(), options=TIMEOUT))
        assert sorted(got) == [10, 20, 30, 40, 50]
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=5)


def test_runner_error_reaches_the_coordinator(no_thread_leak):
    queue = tf.FIFOQueue(3, tf.float32, shapes=[[]])
    bad = queue.enqueue(tf.placeholder(tf.float32, []))
    tf.train.add_queue_runner(tf.train.QueueRunner(queue, [bad]))
    with tf.Session(config=BOUNDED) as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Placeholder"):
            coord.join(threads, stop_grace_period_secs=5)


def test_forgetting_request_stop_still_ends_threads_when_session_closes(no_thread_leak):
    counter, queue, enqueue = _counter_queue()
    tf.train.add_queue_runner(tf.train.QueueRunner(queue, [enqueue]))
    sess = tf.Session(config=BOUNDED)
    sess.run(tf.global_variables_initializer())
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess, coord)
    assert all(t.daemon for t in threads)
    sess.run(queue.dequeue(), options=TIMEOUT)
    sess.close()
    for thread in threads:
        thread.join(5)
    assert not any(t.is_alive() for t in threads)


def test_start_queue_runners_uses_the_default_session(no_thread_leak):
    counter, queue, enqueue = _counter_queue()
    tf.train.add_queue_runner(tf.train.QueueRunner(queue, [enqueue]))
    with tf.Session(config=BOUNDED) as sess:
        sess.run(tf.global_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(coord=coord)
        assert sess.run(queue.dequeue(), options=TIMEOUT) == 1
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=5)
    with pytest.raises(ValueError, match="default session"):
        tf.train.start_queue_runners()
