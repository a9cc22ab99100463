"""Producers and batching: the slides' CSV pipeline, epochs, shuffling, batch shapes."""
import functools

import numpy as np
import pytest

import queue_session
import tensorflux as tf
from queue_session import BOUNDED

# Sessions of these tests end any blocked op with DeadlineExceededError instead of hanging.
TIMEOUT = tf.RunOptions(timeout_in_ms=5000)


# Every pipeline here starts with its global and local variables initialized.
running = functools.partial(queue_session.running, init_globals=True)


def _drain(sess, fetch):
    out = []
    with pytest.raises(tf.errors.OutOfRangeError):
        while True:
            out.append(sess.run(fetch, options=TIMEOUT))
    return out


def test_slides_csv_example_prints_rows_in_file_order(tmp_path, no_thread_leak):
    (tmp_path / "file0.csv").write_text(
        "111,222,333,444,555\n222,333,444,555,666\n333,444,555,666,777\n444,555,666,777,888\n")
    (tmp_path / "file1.csv").write_text(
        "555,444,333,222,111\n666,555,444,333,222\n777,666,555,444,333\n888,777,666,555,444\n")
    filename_queue = tf.train.string_input_producer(
        [str(tmp_path / "file0.csv"), str(tmp_path / "file1.csv")], shuffle=False)
    reader = tf.TextLineReader()
    key, value = reader.read(filename_queue)
    col1, col2, col3, col4, col5 = tf.decode_csv(value, record_defaults=[[1]] * 5)
    features = tf.stack([col1, col2, col3, col4])
    rows = []
    with running() as sess:
        for _ in range(10):
            example, label = sess.run([features, col5], options=TIMEOUT)
            rows.append(f"example = {example} , label = {label}")
    assert rows == [
        "example = [111 222 333 444] , label = 555", "example = [222 333 444 555] , label = 666",
        "example = [333 444 555 666] , label = 777", "example = [444 555 666 777] , label = 888",
        "example = [555 444 333 222] , label = 111", "example = [666 555 444 333] , label = 222",
        "example = [777 666 555 444] , label = 333", "example = [888 777 666 555] , label = 444",
        "example = [111 222 333 444] , label = 555", "example = [222 333 444 555] , label = 666"]


def test_string_input_producer_graph_matches_tf():
    queue = tf.train.string_input_producer(["a", "b"], num_epochs=2)
    assert queue.name == "input_producer"
    [epochs] = tf.local_variables()
    assert epochs.name == "input_producer/limit_epochs/epochs:0"
    [runner] = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
    assert [op.name for op in runner.enqueue_ops] == ["input_producer/input_producer_EnqueueMany"]
    with pytest.raises(ValueError, match="non-null"):
        tf.train.string_input_producer([])
    with pytest.raises(ValueError, match="num_epochs"):
        tf.train.string_input_producer(["a"], num_epochs=0)


def test_num_epochs_ends_the_input(no_thread_leak):
    queue = tf.train.string_input_producer(["a", "b", "c"], num_epochs=2, shuffle=False)
    item = queue.dequeue()
    with running() as sess:
        assert _drain(sess, item) == [b"a", b"b", b"c"] * 2


def test_shuffled_epochs_are_permutations(no_thread_leak):
    names = [f"f{i}" for i in range(8)]
    queue = tf.train.string_input_producer(names, num_epochs=3, shuffle=True, seed=3)
    with running() as sess:
        got = [x.decode() for x in _drain(sess, queue.dequeue())]
    epochs = [got[i:i + 8] for i in range(0, 24, 8)]
    assert all(sorted(e) == names for e in epochs)
    assert any(e != names for e in epochs)


def test_uninitialized_epoch_counter_is_reported(no_thread_leak):
    queue = tf.train.string_input_producer(["a"], num_epochs=1)
    with tf.Session(config=BOUNDED) as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        with pytest.raises(tf.errors.FailedPreconditionError, match="epochs"):
            coord.join(threads, stop_grace_period_secs=5)
        assert queue is not None


def test_range_and_slice_input_producers(no_thread_leak):
    numbers = tf.train.range_input_producer(4, num_epochs=1, shuffle=False).dequeue()
    values, words = tf.train.slice_input_producer(
        [tf.constant([1, 2, 3]), tf.constant(["a", "b", "c"])], num_epochs=2, seed=1)
    assert values.shape.as_list() == [] and words.dtype == tf.string
    with running() as sess:
        assert _drain(sess, numbers) == [0, 1, 2, 3]
        pairs = _drain(sess, [values, words])
    assert sorted((int(v), w) for v, w in pairs) == sorted([(1, b"a"), (2, b"b"), (3, b"c")] * 2)


def test_batch_shapes_order_and_final_batch(no_thread_leak):
    index = tf.train.range_input_producer(10, num_epochs=1, shuffle=False).dequeue()
    pair = [index, tf.stack([index, index * 2])]
    full = tf.train.batch(pair, batch_size=4)
    assert [t.shape.as_list() for t in full] == [[4], [4, 2]]
    assert full[0].op.name == "batch"
    with running() as sess:
        got = _drain(sess, full)
    assert [b[0].tolist() for b in got] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert got[0][1].tolist() == [[0, 0], [1, 2], [2, 4], [3, 6]]

    tf.reset_default_graph()
    index = tf.train.range_input_producer(10, num_epochs=1, shuffle=False).dequeue()
    smaller = tf.train.batch({"i": index}, batch_size=4, allow_smaller_final_batch=True)
    assert smaller["i"].shape.as_list() == [None]
    with running() as sess:
        assert [b["i"].tolist() for b in _drain(sess, smaller)] == [[0, 1, 2, 3], [4, 5, 6, 7],
                                                                    [8, 9]]


def test_batch_of_one_tensor_list_is_a_tensor_and_needs_shapes():
    single = tf.train.batch([tf.constant([1, 2])], 3)
    assert isinstance(single, tf.Tensor) and single.shape.as_list() == [3, 2]
    with pytest.raises(ValueError, match="fully defined"):
        tf.train.batch([tf.placeholder(tf.int32, [None])], 4)
    padded = tf.train.batch([tf.placeholder(tf.int32, [None])], 4, dynamic_pad=True)
    assert padded.shape.as_list() == [4, None]
    with pytest.raises(TypeError):
        tf.train.batch(tf.constant(1), 2)


def test_enqueue_many_and_dynamic_pad(no_thread_leak):
    rows = tf.constant(np.arange(12).reshape(6, 2))
    batched = tf.train.batch([rows], batch_size=4, enqueue_many=True)
    length = tf.train.range_input_producer(4, shuffle=False).dequeue() + 1
    ragged = tf.train.batch([tf.range(length)], batch_size=2, dynamic_pad=True)
    with running() as sess:
        assert sess.run(batched, options=TIMEOUT).tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]
        assert sess.run(ragged, options=TIMEOUT).tolist() == [[0, 0], [0, 1]]
        assert sess.run(ragged, options=TIMEOUT).tolist() == [[0, 1, 2, 0], [0, 1, 2, 3]]


def test_shuffle_batch_mixes_and_keeps_pairs(no_thread_leak):
    index = tf.train.range_input_producer(40, num_epochs=1, shuffle=False).dequeue()
    values, doubles = tf.train.shuffle_batch([index, index * 2], batch_size=5, capacity=30,
                                             min_after_dequeue=10, num_threads=3, seed=5)
    assert values.shape.as_list() == [5]
    with running() as sess:
        got = _drain(sess, [values, doubles])
    flat = np.concatenate([v for v, _ in got])
    assert sorted(flat.tolist()) == list(range(40))
    assert flat.tolist() != list(range(40))
    assert all((d == 2 * v).all() for v, d in got)


def test_batch_join_and_shuffle_batch_join(no_thread_leak):
    sources = [tf.train.range_input_producer(5, num_epochs=1, shuffle=False,
                                             name=f"source{i}").dequeue() + 100 * i
               for i in range(2)]
    joined = tf.train.batch_join([[s] for s in sources], batch_size=5)
    with running() as sess:
        got = np.concatenate(_drain(sess, joined)).tolist()
    assert sorted(got) == [0, 1, 2, 3, 4, 100, 101, 102, 103, 104]

    tf.reset_default_graph()
    sources = [tf.train.range_input_producer(5, num_epochs=1, shuffle=False,
                                             name=f"source{i}").dequeue() + 100 * i
               for i in range(2)]
    mixed = tf.train.shuffle_batch_join([[s] for s in sources], batch_size=2, capacity=8,
                                        min_after_dequeue=2, allow_smaller_final_batch=True)
    with running() as sess:
        got = np.concatenate(_drain(sess, mixed)).tolist()
    assert sorted(got) == [0, 1, 2, 3, 4, 100, 101, 102, 103, 104]


def test_match_filenames_once(tmp_path, no_thread_leak):
    for name in ("b.csv", "a.csv", "c.txt"):
        (tmp_path / name).write_text("1\n")
    files = tf.train.match_filenames_once(str(tmp_path / "*.csv"))
    with tf.Session(config=BOUNDED) as sess:
        sess.run(tf.local_variables_initializer())
        assert [f.decode() for f in sess.run(files)] == [str(tmp_path / "a.csv"),
                                                          str(tmp_path / "b.csv")]


# ---- maybe_* batching: keep_input drops examples ----
def _counting(limit):
    """0 .. limit-1 once, in order."""
    return tf.train.range_input_producer(limit, num_epochs=1, shuffle=False).dequeue()


def test_maybe_batch_keeps_what_a_scalar_keep_input_selects(no_thread_leak):
    x = _counting(10)
    batch = tf.train.maybe_batch([x], tf.equal(x % 3, 0), 2, allow_smaller_final_batch=True)
    with running() as sess:
        assert [b.tolist() for b in _drain(sess, batch)] == [[0, 3], [6, 9]]


def test_maybe_batch_vector_keep_input_picks_examples_of_each_batch(no_thread_leak):
    rows = tf.constant([[1, 2], [3, 4], [5, 6], [7, 8]])
    labels, kept = tf.train.maybe_batch([tf.constant([0, 1, 2, 3]), rows],
                                        [True, False, True, True], 3, enqueue_many=True)
    assert kept.shape.as_list() == [3, 2]
    with running() as sess:
        out = sess.run([labels, kept], options=TIMEOUT)
    assert out[0].tolist() == [0, 2, 3]
    assert out[1].tolist() == [[1, 2], [5, 6], [7, 8]]


def test_maybe_shuffle_batch_and_joins_drop_the_rejected(no_thread_leak):
    x = _counting(20)
    shuffled = tf.train.maybe_shuffle_batch([x], 4, 20, 2, tf.equal(x % 2, 0), seed=5,
                                            allow_smaller_final_batch=True)
    with running() as sess:
        got = [v for b in _drain(sess, shuffled) for v in b.tolist()]
    assert sorted(got) == list(range(0, 20, 2)) and got != sorted(got)

    tf.reset_default_graph()
    first, second = tf.constant([1, 2, 3, 4]), tf.constant([10, 20, 30, 40])
    keep = tf.constant([True, False, True, False])
    joined = tf.train.maybe_batch_join([[first], [second]], keep, 6, enqueue_many=True)
    shuffled = tf.train.maybe_shuffle_batch_join([[first], [second]], 6, 16, 2, keep, seed=2,
                                                 enqueue_many=True)
    with running() as sess:
        got = sess.run([joined, shuffled], options=TIMEOUT)
    assert set(got[0].tolist()) | set(got[1].tolist()) <= {1, 3, 10, 30}


def test_keep_input_checks_and_static_values():
    x = tf.constant(1)
    with pytest.raises(ValueError, match="must be known at graph construction"):
        tf.train.maybe_batch([x], tf.placeholder(tf.bool), 2)
    with pytest.raises(ValueError, match="cannot be a vector when `enqueue_many=False`"):
        tf.train.maybe_batch([x], [True, False], 2)
    with pytest.raises(ValueError, match="must be 0 or 1 dimensions"):
        tf.train.maybe_batch([tf.constant([1, 2])], [[True], [False]], 2, enqueue_many=True)
    # A constant keep_input needs no cond: as TF's smart_cond, the enqueue or a no-op.
    tf.train.maybe_batch([x], False, 2, name="never")
    tf.train.batch([x], 2, name="kept")
    never, always = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
    assert [op.type for op in never.enqueue_ops] == ["NoOp"]
    assert [op.type for op in always.enqueue_ops] == ["QueueEnqueueV2"]
    # batch() is maybe_batch(keep_input=True): TF's graph has that constant too.
    assert tf.get_default_graph().get_operation_by_name("kept/Const").get_attr("value")
