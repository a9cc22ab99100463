"""Queues: ordering, blocking and its three ends (close, session close, deadline), shapes."""
import threading
import time

import numpy as np
import pytest

import tensorflux as tf

# Sessions of these tests end any blocked op with DeadlineExceededError instead of hanging.
BOUNDED = tf.ConfigProto(operation_timeout_in_ms=20000)
TIMEOUT = tf.RunOptions(timeout_in_ms=2000)
SHORT = tf.RunOptions(timeout_in_ms=150)


def _in_thread(fn):
    """Starts fn in a thread; returns (thread, outcome list holding its result or error)."""
    outcome = []

    def run():
        try:
            outcome.append(fn())
        except Exception as exc:  # the test inspects it
            outcome.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_slides_fifo_example_increments_the_head(no_thread_leak):
    q = tf.FIFOQueue(3, "float")
    init = q.enqueue_many(([0., 0., 0.],))
    x = q.dequeue()
    y = x + 1
    q_inc = q.enqueue([y])
    with tf.Session(config=BOUNDED) as sess:
        init.run()
        for _ in range(4):
            q_inc.run()
        assert sess.run(q.size()) == 3
        assert [sess.run(x) for _ in range(3)] == [1.0, 1.0, 2.0]


def test_queue_attributes_and_op_names():
    q = tf.FIFOQueue(2, [tf.int32, tf.float32], shapes=[[2], []], names=["a", "b"])
    assert q.name == "fifo_queue"
    assert q.queue_ref.dtype == tf.resource
    assert q.dtypes == [tf.int32, tf.float32]
    assert [s.as_list() for s in q.shapes] == [[2], []]
    assert q.names == ["a", "b"]
    d = q.dequeue()
    assert sorted(d) == ["a", "b"] and d["a"].shape.as_list() == [2]
    many = q.dequeue_many(5)
    assert many["a"].shape.as_list() == [5, 2] and many["b"].shape.as_list() == [5]
    assert q.dequeue_up_to(5)["a"].shape.as_list() == [None, 2]
    assert q.enqueue({"a": [1, 2], "b": 1.0}).name == "fifo_queue_enqueue"
    with pytest.raises(ValueError, match="incompatible"):
        q.enqueue({"a": [1, 2, 3], "b": 1.0})
    with pytest.raises(ValueError, match="dictionary"):
        q.enqueue([[1, 2], 1.0])


def test_components_round_trip_in_order():
    q = tf.FIFOQueue(10, [tf.int32, tf.string], shapes=[[], []])
    with tf.Session(config=BOUNDED) as sess:
        sess.run(q.enqueue_many([[1, 2, 3], ["a", "b", "c"]]))
        sess.run(q.enqueue([4, "d"]))
        nums, words = sess.run(q.dequeue_many(3))
        assert nums.tolist() == [1, 2, 3] and words.tolist() == [b"a", b"b", b"c"]
        assert sess.run(q.dequeue()) == [4, b"d"]


def test_closed_queue_drains_then_raises_out_of_range():
    q = tf.FIFOQueue(5, tf.int32, shapes=[[]])
    with tf.Session(config=BOUNDED) as sess:
        sess.run(q.enqueue_many([[1, 2, 3]]))
        sess.run(q.close())
        assert sess.run(q.is_closed())
        with pytest.raises(tf.errors.OutOfRangeError,
                           match=r"FIFOQueue '_\d+_fifo_queue' is closed and has insufficient "
                                 r"elements \(requested 4, current size 3\)"):
            sess.run(q.dequeue_many(4))
        assert sess.run(q.size()) == 3   # nothing was lost
        assert sess.run(q.dequeue_up_to(4)).tolist() == [1, 2, 3]
        with pytest.raises(tf.errors.OutOfRangeError, match=r"requested 1, current size 0"):
            sess.run(q.dequeue())
        with pytest.raises(tf.errors.CancelledError, match="is closed"):
            sess.run(q.enqueue(7))
        with pytest.raises(tf.errors.CancelledError, match="already closed"):
            sess.run(q.close())
        sess.run(q.close(cancel_pending_enqueues=True))


def test_empty_queue_blocks_until_deadline():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    with tf.Session(config=BOUNDED) as sess:
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(q.dequeue(), options=SHORT)
        assert time.monotonic() - start < 1.5
        sess.run(q.enqueue_many([[1, 2]]))
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(q.enqueue(3), options=SHORT)
        assert sess.run(q.size()) == 2


def test_dequeue_waits_for_another_thread(no_thread_leak):
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    enqueue = q.enqueue(42)
    with tf.Session(config=BOUNDED) as sess:
        thread, outcome = _in_thread(lambda: sess.run(q.dequeue(), options=TIMEOUT))
        time.sleep(0.1)
        assert thread.is_alive()
        sess.run(enqueue)
        thread.join(5)
        assert outcome == [42]


def test_full_queue_blocks_enqueue_until_dequeue(no_thread_leak):
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    with tf.Session(config=BOUNDED) as sess:
        sess.run(q.enqueue(1))
        thread, outcome = _in_thread(lambda: sess.run(q.enqueue(2), options=TIMEOUT))
        time.sleep(0.1)
        assert thread.is_alive()
        assert sess.run(q.dequeue()) == 1
        thread.join(5)
        assert outcome == [None]
        assert sess.run(q.dequeue()) == 2


def test_plain_close_waits_behind_pending_enqueues(no_thread_leak):
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    with tf.Session(config=BOUNDED) as sess:
        sess.run(q.enqueue(1))
        pending, _ = _in_thread(lambda: sess.run(q.enqueue(2), options=TIMEOUT))
        time.sleep(0.1)
        closing, _ = _in_thread(lambda: sess.run(q.close(), options=TIMEOUT))
        time.sleep(0.1)
        assert not sess.run(q.is_closed())
        assert sess.run(q.dequeue()) == 1
        pending.join(5)
        closing.join(5)
        assert sess.run(q.is_closed())
        assert sess.run(q.dequeue()) == 2


def test_cancel_pending_enqueues(no_thread_leak):
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    with tf.Session(config=BOUNDED) as sess:
        sess.run(q.enqueue(1))
        thread, outcome = _in_thread(lambda: sess.run(q.enqueue(2), options=TIMEOUT))
        time.sleep(0.1)
        sess.run(q.close(cancel_pending_enqueues=True))
        thread.join(5)
        assert isinstance(outcome[0], tf.errors.CancelledError)
        assert sess.run(q.dequeue()) == 1


def test_closing_the_session_cancels_blocked_runs(no_thread_leak):
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    sess = tf.Session(config=BOUNDED)
    thread, outcome = _in_thread(lambda: sess.run(q.dequeue()))
    time.sleep(0.1)
    sess.close()
    thread.join(5)
    assert not thread.is_alive()
    assert isinstance(outcome[0], tf.errors.CancelledError)


def test_wrongly_shaped_enqueue_names_queue_and_shapes():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[2]])
    value = tf.placeholder_with_default([1, 2, 3], shape=None)
    with tf.Session(config=BOUNDED) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Expected \[2\], got \[3\].*FIFOQueue '_\d+_fifo_queue'"):
            sess.run(q.enqueue(value))
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Expected \[1,2\], got \[1,3\]"):
            sess.run(q.enqueue_many(tf.placeholder_with_default([[1, 2, 3]], shape=None)))
    with pytest.raises(ValueError, match="incompatible"):
        q.enqueue([[1, 2, 3]])
    with pytest.raises(ValueError, match="rank at least 1"):
        q.enqueue_many(5)


def test_dequeue_many_needs_shapes():
    q = tf.FIFOQueue(2, tf.int32)
    with tf.Session(config=BOUNDED) as sess:
        sess.run(q.enqueue(1))
        with pytest.raises(tf.errors.InvalidArgumentError, match="specified shapes"):
            sess.run(q.dequeue_many(1))


def test_dequeue_many_collects_beyond_capacity(no_thread_leak):
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    with tf.Session(config=BOUNDED) as sess:
        thread, outcome = _in_thread(lambda: sess.run(q.dequeue_many(5), options=TIMEOUT))
        for i in range(5):
            sess.run(q.enqueue(i), options=TIMEOUT)
        thread.join(5)
        assert outcome[0].tolist() == [0, 1, 2, 3, 4]


def test_many_threads_lose_nothing(no_thread_leak):
    q = tf.FIFOQueue(8, tf.int32, shapes=[[]])
    value = tf.placeholder(tf.int32, [])
    enqueue = q.enqueue(value)
    with tf.Session(config=BOUNDED) as sess:
        def produce(base):
            for i in range(50):
                sess.run(enqueue, {value: base + i}, options=TIMEOUT)
        threads = [threading.Thread(target=produce, args=(k * 1000,)) for k in range(4)]
        for t in threads:
            t.start()
        got = sess.run(q.dequeue_many(200), options=TIMEOUT)
        for t in threads:
            t.join(5)
        assert sorted(got.tolist()) == sorted(k * 1000 + i for k in range(4) for i in range(50))
        # each producer's elements keep their relative order
        for k in range(4):
            mine = [v for v in got.tolist() if v // 1000 == k]
            assert mine == sorted(mine)


def test_random_shuffle_queue_respects_min_after_dequeue_and_seed():
    def drain(seed):
        tf.reset_default_graph()
        q = tf.RandomShuffleQueue(20, 3, tf.int32, shapes=[[]], seed=seed)
        with tf.Session(config=BOUNDED) as sess:
            sess.run(q.enqueue_many([list(range(10))]))
            first = sess.run(q.dequeue_many(7)).tolist()
            with pytest.raises(tf.errors.DeadlineExceededError):
                sess.run(q.dequeue(), options=SHORT)   # only min_after_dequeue left
            sess.run(q.close())
            return first + sess.run(q.dequeue_many(3)).tolist()

    a, b = drain(7), drain(7)
    assert a == b and sorted(a) == list(range(10)) and a != list(range(10))
    with pytest.raises(ValueError, match="must be bigger than min_after_dequeue"):
        tf.train.shuffle_batch([tf.constant(1)], 2, capacity=3, min_after_dequeue=3)


def test_padding_fifo_queue_pads_batches():
    q = tf.PaddingFIFOQueue(10, [tf.int32, tf.string], shapes=[[None], []])
    with tf.Session(config=BOUNDED) as sess:
        sess.run(q.enqueue([[1], "x"]))
        sess.run(q.enqueue([[1, 2, 3], "y"]))
        padded, words = sess.run(q.dequeue_many(2))
        assert padded.tolist() == [[1, 0, 0], [1, 2, 3]]
        assert words.tolist() == [b"x", b"y"]
    assert q.dequeue_many(2)[0].shape.as_list() == [2, None]
    with pytest.raises(TypeError):
        tf.PaddingFIFOQueue(10, [tf.int32])


def test_priority_queue_gives_smallest_first():
    q = tf.PriorityQueue(10, [tf.string], shapes=[[]])
    with tf.Session(config=BOUNDED) as sess:
        for priority, value in [(3, "c"), (1, "a"), (2, "b"), (1, "a2")]:
            sess.run(q.enqueue((tf.constant(priority, tf.int64), value)))
        priorities, values = sess.run(q.dequeue_many(4))
        assert priorities.tolist() == [1, 1, 2, 3]
        assert values.tolist() == [b"a", b"a2", b"b", b"c"]


def test_queues_are_per_session():
    q = tf.FIFOQueue(3, tf.int32, shapes=[[]])
    with tf.Session(config=BOUNDED) as a, tf.Session(config=BOUNDED) as b:
        a.run(q.enqueue(1))
        assert a.run(q.size()) == 1 and b.run(q.size()) == 0


def test_enqueue_copies_its_input():
    v = tf.Variable([1, 2])
    q = tf.FIFOQueue(3, tf.int32, shapes=[[2]])
    with tf.Session(config=BOUNDED) as sess:
        sess.run(v.initializer)
        sess.run(q.enqueue(v))
        sess.run(v.assign([5, 6]))
        np.testing.assert_array_equal(sess.run(q.dequeue()), [1, 2])
