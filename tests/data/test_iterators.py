"""The four iterator kinds, end of sequence, per-session state, and thread cleanup."""
import threading
import time

import numpy as np
import pytest

import tensorflux as tf

D = tf.data.Dataset


def test_one_shot_iterator_and_end_of_sequence():
    it = D.range(3).make_one_shot_iterator()
    nxt = it.get_next()
    assert nxt.dtype == tf.int64 and nxt.shape.as_list() == []
    with tf.Session() as sess:
        assert [sess.run(nxt) for _ in range(3)] == [0, 1, 2]
        for _ in range(2):
            with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
                sess.run(nxt)


def test_one_shot_iterator_refuses_placeholders():
    x = tf.placeholder(tf.float32, [None])
    with pytest.raises(ValueError, match="placeholder"):
        tf.data.make_one_shot_iterator(D.from_tensor_slices(x))
    with pytest.raises(ValueError, match="placeholder"):
        tf.data.make_one_shot_iterator(D.range(3).map(lambda v: v + tf.cast(x[0], tf.int64)))


def test_each_session_has_its_own_iterator_state():
    nxt = tf.data.make_one_shot_iterator(D.range(5)).get_next()
    with tf.Session() as a, tf.Session() as b:
        assert [a.run(nxt), a.run(nxt)] == [0, 1]
        assert b.run(nxt) == 0
        assert a.run(nxt) == 2


def test_get_next_returns_the_element_structure():
    ds = D.from_tensor_slices({"x": np.zeros([4, 3], np.float32),
                               "y": np.arange(4)}).batch(2)
    element = ds.make_one_shot_iterator().get_next()
    assert set(element) == {"x", "y"}
    assert element["x"].shape.as_list() == [None, 3]
    with tf.Session() as sess:
        value = sess.run(element)
    assert value["x"].shape == (2, 3) and list(value["y"]) == [0, 1]


def test_initializable_iterator_picks_up_new_feeds():
    x = tf.placeholder(tf.int64, [None])
    limit = tf.placeholder(tf.int64, [])
    ds = D.from_tensor_slices(x).map(lambda v: v * 2).take(limit)
    it = tf.data.make_initializable_iterator(ds)
    nxt = it.get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
            sess.run(nxt)
        sess.run(it.initializer, {x: [1, 2, 3], limit: 5})
        assert [sess.run(nxt) for _ in range(3)] == [2, 4, 6]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
        sess.run(it.initializer, {x: [10, 20, 30], limit: 2})
        assert [sess.run(nxt) for _ in range(2)] == [20, 40]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_initializer_restarts_mid_sequence():
    it = D.range(10).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        sess.run(nxt)
        sess.run(nxt)
        sess.run(it.initializer)
        assert sess.run(nxt) == 0


def test_captured_values_are_taken_at_initialization():
    scale = tf.placeholder(tf.int64, [])
    it = D.range(3).map(lambda v: v * scale).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {scale: 5})
        assert sess.run(nxt) == 0
        assert sess.run(nxt) == 5  # no feed needed after initialization


def test_reinitializable_iterator_switches_datasets():
    train = D.range(100).map(lambda v: tf.cast(v, tf.float32)).batch(4)
    valid = D.from_tensor_slices(np.full([3], -1.0, np.float32)).batch(4)
    it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    with pytest.raises(ValueError, match="initializer"):
        it.initializer
    init_train = it.make_initializer(train)
    init_valid = it.make_initializer(valid)
    nxt = it.get_next()
    assert nxt.shape.as_list() == [None]
    with tf.Session() as sess:
        sess.run(init_train)
        assert list(sess.run(nxt)) == [0, 1, 2, 3]
        sess.run(init_valid)
        assert list(sess.run(nxt)) == [-1, -1, -1]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
        sess.run(init_train)
        assert list(sess.run(nxt)) == [0, 1, 2, 3]


def test_reinitializable_iterator_checks_the_structure():
    it = tf.data.Iterator.from_structure(tf.int64, tf.TensorShape([]))
    with pytest.raises(TypeError, match="types"):
        it.make_initializer(D.from_tensors(1.0))
    with pytest.raises(TypeError, match="shapes"):
        it.make_initializer(D.from_tensors(np.array([1, 2], np.int64)))
    with pytest.raises(TypeError):
        it.make_initializer(D.zip((D.range(1), D.range(1))))


def test_feedable_iterator_switches_handles_and_keeps_positions():
    train = D.range(100).repeat()
    valid = D.range(1000, 1003)
    handle = tf.placeholder(tf.string, [])
    it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
    nxt = it.get_next()
    train_it = train.make_one_shot_iterator()
    valid_it = valid.make_initializable_iterator()
    with tf.Session() as sess:
        train_handle = sess.run(train_it.string_handle())
        valid_handle = sess.run(valid_it.string_handle())
        assert isinstance(train_handle, bytes) and train_handle != valid_handle
        assert [sess.run(nxt, {handle: train_handle}) for _ in range(3)] == [0, 1, 2]
        sess.run(valid_it.initializer)
        assert sess.run(nxt, {handle: valid_handle}) == 1000
        assert sess.run(nxt, {handle: train_handle}) == 3
        assert sess.run(nxt, {handle: valid_handle}) == 1001
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(nxt, {handle: b"no such iterator"})


def test_feedable_iterator_rejects_other_types():
    handle = tf.placeholder(tf.string, [])
    it = tf.data.Iterator.from_string_handle(handle, tf.float32)
    nxt = it.get_next()
    ints = D.range(3).make_one_shot_iterator()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="types"):
            sess.run(nxt, {handle: sess.run(ints.string_handle())})


def test_concurrent_get_next_hands_out_each_element_once(no_thread_leak):
    nxt = D.range(400).prefetch(8).make_one_shot_iterator().get_next()
    seen = []
    lock = threading.Lock()

    def reader(sess):
        while True:
            try:
                value = sess.run(nxt)
            except tf.errors.OutOfRangeError:
                return
            with lock:
                seen.append(int(value))
    with tf.Session() as sess:
        threads = [threading.Thread(target=reader, args=(sess,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert sorted(seen) == list(range(400))


# ---- threads stop with the session and on re-initialization ----
def _pipeline_threads():
    return [t for t in threading.enumerate() if t.name.startswith("tf.data")]


def test_closing_the_session_stops_pipeline_threads(no_thread_leak):
    ds = D.range(10 ** 6).map(lambda v: v + 1, num_parallel_calls=3).prefetch(2)
    nxt = ds.make_one_shot_iterator().get_next()
    sess = tf.Session()
    assert sess.run(nxt) == 1
    assert len(_pipeline_threads()) >= 4
    sess.close()
    for t in _pipeline_threads():
        t.join(5)
    assert not _pipeline_threads()


def test_reinitializing_stops_the_old_threads(no_thread_leak):
    it = D.range(10 ** 6).prefetch(3).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        for _ in range(5):
            sess.run(it.initializer)
            assert sess.run(nxt) == 0
        time.sleep(0.2)
        assert len(_pipeline_threads()) == 1


def test_abandoned_inner_prefetch_threads_stop(no_thread_leak):
    ds = D.range(20).flat_map(lambda v: D.range(v, v + 100).prefetch(2)).take(50)
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        values = [sess.run(nxt) for _ in range(50)]
        assert values[:3] == [0, 1, 2]


def _stalled_after_one(release):
    """get_next of a prefetched generator that yields 1, then waits for `release` to yield 2."""
    def slow():
        yield 1
        release.wait(20)
        yield 2
    return D.from_generator(slow, tf.int64).prefetch(1).make_one_shot_iterator().get_next()


def test_session_close_cancels_a_blocked_get_next(no_thread_leak):
    release = threading.Event()
    nxt = _stalled_after_one(release)
    sess = tf.Session()
    assert sess.run(nxt) == 1
    outcome = []

    def blocked():
        try:
            outcome.append(sess.run(nxt))
        except tf.errors.OpError as exc:
            outcome.append(type(exc))
    reader = threading.Thread(target=blocked)
    reader.start()
    time.sleep(0.2)
    closer = threading.Thread(target=sess.close)
    closer.start()
    time.sleep(0.2)
    release.set()  # lets the producer thread leave the generator
    closer.join(10)
    reader.join(10)
    assert outcome == [tf.errors.CancelledError]


def test_run_timeout_ends_a_get_next_waiting_on_prefetch(no_thread_leak):
    release = threading.Event()
    nxt = _stalled_after_one(release)
    with tf.Session() as sess:
        assert sess.run(nxt) == 1
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError, match="next element"):
            sess.run(nxt, options=tf.RunOptions(timeout_in_ms=300))
        assert 0.25 < time.monotonic() - start < 5
        release.set()  # the element the timed-out run waited for is the next one
        assert sess.run(nxt) == 2


def test_map_error_in_a_prefetched_pipeline_surfaces_in_order(no_thread_leak):
    def check(v):
        with tf.control_dependencies([tf.Assert(tf.not_equal(v, 2), [v])]):
            return tf.identity(v)
    nxt = D.range(5).map(check, num_parallel_calls=2).prefetch(2) \
        .make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [sess.run(nxt), sess.run(nxt)] == [0, 1]
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(nxt)
        assert [sess.run(nxt), sess.run(nxt)] == [3, 4]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_training_loop_reads_batches_until_out_of_range():
    x = np.linspace(-1, 1, 64).astype(np.float32)
    y = 3 * x + 1
    ds = D.from_tensor_slices((x, y)).shuffle(64, seed=1).batch(16).repeat(40)
    features, labels = ds.make_one_shot_iterator().get_next()
    w = tf.Variable(0.0)
    b = tf.Variable(0.0)
    loss = tf.reduce_mean(tf.square(w * features + b - labels))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    steps = 0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        while True:
            try:
                sess.run(train)
            except tf.errors.OutOfRangeError:
                break
            steps += 1
        assert steps == 160
        assert abs(sess.run(w) - 3) < 1e-2 and abs(sess.run(b) - 1) < 1e-2
