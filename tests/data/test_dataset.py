"""tf.data sources and transformations, checked element by element against Python values.

Expected orders that depend on TF's algorithms (interleave, padded_batch) were taken from
TensorFlow 1.x (compat.v1) running the same pipelines.
"""
import numpy as np
import pytest

import tensorflux as tf

D = tf.data.Dataset


def elements(dataset, limit=1000, session=None):
    """Every element of `dataset` through a one-shot iterator, until OutOfRangeError."""
    next_element = tf.data.make_one_shot_iterator(dataset).get_next()
    out = []
    sess = session or tf.Session()
    try:
        for _ in range(limit):
            try:
                out.append(sess.run(next_element))
            except tf.errors.OutOfRangeError:
                break
    finally:
        if session is None:
            sess.close()
    return out


def ints(dataset):
    return [int(v) for v in elements(dataset)]


# ---- sources ----
def test_from_tensors_is_one_element_with_the_structure():
    ds = D.from_tensors((np.array([1, 2], np.int32), {"name": "a", "w": 1.5}))
    assert ds.output_types == (tf.int32, {"name": tf.string, "w": tf.float32})
    assert ds.output_shapes[0].as_list() == [2]
    assert ds.output_classes == (tf.Tensor, {"name": tf.Tensor, "w": tf.Tensor})
    [(vector, record)] = elements(ds)
    np.testing.assert_array_equal(vector, [1, 2])
    assert record == {"name": b"a", "w": np.float32(1.5)}


def test_from_tensor_slices_tuple_dict_and_strings():
    ds = D.from_tensor_slices(([1, 2], ["a", "b"]))
    assert ds.output_types == (tf.int32, tf.string)
    assert elements(ds) == [(1, b"a"), (2, b"b")]
    ds = D.from_tensor_slices({"x": [1.0, 2.0], "y": [[1, 1], [2, 2]]})
    assert ds.output_shapes["y"].as_list() == [2]
    out = elements(ds)
    assert [float(e["x"]) for e in out] == [1.0, 2.0]
    np.testing.assert_array_equal(out[1]["y"], [2, 2])


def test_from_tensor_slices_checks_dimension_zero():
    with pytest.raises(ValueError):
        D.from_tensor_slices(([1, 2], [1, 2, 3]))
    with pytest.raises(ValueError):
        D.from_tensor_slices(3)
    a = tf.placeholder(tf.int32, [None])
    b = tf.placeholder(tf.int32, [None])
    it = tf.data.make_initializable_iterator(D.from_tensor_slices((a, b)))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(it.initializer, {a: [1, 2], b: [1]})


def test_range_like_python():
    assert ints(D.range(5)) == [0, 1, 2, 3, 4]
    assert ints(D.range(2, 10, 3)) == [2, 5, 8]
    assert ints(D.range(5, 0, -2)) == [5, 3, 1]
    assert D.range(3).output_types == tf.int64
    assert D.range(3).output_shapes.as_list() == []


def test_zip_stops_at_the_shortest_and_keeps_dicts():
    assert [(int(a), int(b)) for a, b in elements(D.zip((D.range(3), D.range(10, 20))))] == \
        [(0, 10), (1, 11), (2, 12)]
    ds = D.zip({"a": D.range(2), "b": (D.range(5), D.from_tensors([1.0]).repeat())})
    assert ds.output_types == {"a": tf.int64, "b": (tf.int64, tf.float32)}
    out = elements(ds)
    assert len(out) == 2 and int(out[1]["a"]) == 1 and int(out[1]["b"][0]) == 1
    with pytest.raises(TypeError):
        D.zip([D.range(2), D.range(2)])


def test_concatenate_values_and_shapes():
    ds = D.from_tensor_slices([[1, 2], [3, 4]]).concatenate(D.from_tensor_slices([[5, 6, 7]]))
    assert ds.output_shapes.as_list() == [None]
    assert [list(v) for v in elements(ds)] == [[1, 2], [3, 4], [5, 6, 7]]
    with pytest.raises(TypeError):
        D.range(2).concatenate(D.from_tensors(1.0))


def test_from_generator_with_args_and_structures():
    ds = D.from_generator(lambda n: iter(range(n)), tf.int64, tf.TensorShape([]), args=(3,))
    assert ints(ds) == [0, 1, 2]
    ds = D.from_generator(lambda: iter([(1, "a"), (2, "b")]), (tf.int64, tf.string),
                          (tf.TensorShape([]), tf.TensorShape([])))
    assert elements(ds) == [(1, b"a"), (2, b"b")]
    ds = D.from_generator(lambda: iter([{"v": [1.0, 2.0]}]), {"v": tf.float32}, {"v": [None]})
    assert ds.output_shapes["v"].as_list() == [None]
    [element] = elements(ds)
    np.testing.assert_array_equal(element["v"], np.array([1, 2], np.float32))


def test_from_generator_runs_again_for_each_initialization():
    calls = []

    def gen():
        calls.append(1)
        yield from range(2)
    it = tf.data.make_initializable_iterator(D.from_generator(gen, tf.int32))
    with tf.Session() as sess:
        for _ in range(2):
            sess.run(it.initializer)
            assert [int(sess.run(it.get_next())) for _ in range(2)] == [0, 1]
    assert len(calls) == 2


def test_from_generator_bad_values_fail_with_invalid_argument():
    for ds in (D.from_generator(lambda: iter([1.5]), tf.int64),
               D.from_generator(lambda: iter([[1, 2]]), tf.int64, [3]),
               D.from_generator(lambda: iter([(1, 2, 3)]), (tf.int64, tf.int64))):
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(nxt)


def test_from_generator_exception_surfaces_then_sequence_ends():
    def gen():
        yield 1
        raise ValueError("boom")
    nxt = D.from_generator(gen, tf.int64).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 1
        with pytest.raises(tf.errors.InvalidArgumentError, match="boom"):
            sess.run(nxt)
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


# ---- map and filter ----
def test_map_functions_built_from_graph_ops():
    assert ints(D.range(5).map(lambda x: x * 2)) == [0, 2, 4, 6, 8]
    # A tuple element is passed as arguments; a returned list is a tuple of components.
    ds = D.range(3).map(lambda x: [x, x * 2]).map(lambda a, b: a + b)
    assert ints(ds) == [0, 3, 6]
    ds = D.from_tensor_slices({"x": [1.0, 2.0]}).map(lambda d: d["x"] + 1)
    assert [float(v) for v in elements(ds)] == [2.0, 3.0]
    ds = D.range(4).map(lambda x: tf.cond(x > 1, lambda: x * 10, lambda: x))
    assert ints(ds) == [0, 1, 20, 30]


def test_map_output_structure_types_and_shapes():
    ds = D.range(3).map(lambda x: {"a": tf.cast(x, tf.float32), "b": tf.stack([x, x])})
    assert ds.output_types == {"a": tf.float32, "b": tf.int64}
    assert ds.output_shapes["b"].as_list() == [2]
    assert D.range(3).map(lambda x: 1.0).output_types == tf.float32


def test_map_captures_outside_tensors_and_reads_variables_live():
    scale = tf.constant(3, tf.int64)
    v = tf.Variable(10, dtype=tf.int64)
    ds = D.range(3).map(lambda x: x * scale + v)
    it = tf.data.make_initializable_iterator(ds)
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(it.initializer)
        assert sess.run(nxt) == 10
        sess.run(tf.assign(v, 100))
        assert sess.run(nxt) == 103


def test_map_random_ops_draw_per_element():
    ds = D.range(5).map(lambda x: tf.random_uniform([], seed=1))
    values = elements(ds)
    assert len(set(float(v) for v in values)) == 5


def test_parallel_map_keeps_the_order(no_thread_leak):
    ds = D.range(200).map(lambda x: x * x, num_parallel_calls=4)
    assert ints(ds) == [i * i for i in range(200)]
    ds = D.range(20).map(lambda x: x + 1, num_parallel_calls=tf.data.experimental.AUTOTUNE)
    assert ints(ds) == list(range(1, 21))


def _failing_on_zero(x):
    check = tf.Assert(tf.not_equal(x, 0), [x])
    with tf.control_dependencies([check]):
        return tf.identity(x)


@pytest.mark.parametrize("parallel", [None, 3])
def test_map_error_fails_that_element_only(parallel, no_thread_leak):
    ds = D.from_tensor_slices(np.array([1, 0, 2], np.int64)).map(_failing_on_zero, parallel)
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 1
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(nxt)
        assert sess.run(nxt) == 2
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_ignore_errors_drops_failing_elements():
    ds = D.from_tensor_slices(np.array([1, 0, 2], np.int64)).map(_failing_on_zero)
    assert ints(ds.apply(tf.data.experimental.ignore_errors())) == [1, 2]


def test_map_rejects_a_returned_dataset():
    with pytest.raises(TypeError):
        D.range(2).map(lambda x: D.range(x))


def test_filter():
    assert ints(D.range(10).filter(lambda x: tf.equal(x % 3, 0))) == [0, 3, 6, 9]
    # TF1's == on tensors is identity, a constant False predicate.
    assert ints(D.range(5).filter(lambda x: x == 2)) == []
    with pytest.raises(ValueError):
        D.range(3).filter(lambda x: x)


# ---- flat_map and interleave ----
def test_flat_map_and_nested_functions():
    assert ints(D.range(4).flat_map(lambda x: D.range(x))) == [0, 0, 1, 0, 1, 2]
    ds = D.range(3).flat_map(lambda x: D.range(2).map(lambda y: x * 10 + y))
    assert ints(ds) == [0, 1, 10, 11, 20, 21]
    ds = D.from_tensor_slices([[1, 2], [3, 4]]).flat_map(D.from_tensor_slices)
    assert ints(ds) == [1, 2, 3, 4]


def test_interleave_cycle_and_block_order():
    ds = D.range(1, 6).interleave(lambda x: D.from_tensors(x).repeat(x), cycle_length=2,
                                  block_length=2)
    assert ints(ds) == [1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 4, 4, 5, 5, 5]
    ds = D.range(3).interleave(lambda x: D.range(x * 10, x * 10 + 3), cycle_length=3)
    assert ints(ds) == [0, 10, 20, 1, 11, 21, 2, 12, 22]


# ---- shuffle ----
def _shuffled(seed=None, reshuffle=None, graph_seed=None, epochs=1):
    tf.reset_default_graph()
    if graph_seed is not None:
        tf.set_random_seed(graph_seed)
    return ints(D.range(20).shuffle(20, seed=seed, reshuffle_each_iteration=reshuffle)
                .repeat(epochs))


def test_shuffle_with_seed_repeats_between_sessions():
    first = _shuffled(seed=7)
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert _shuffled(seed=7) == first
    assert _shuffled(seed=8) != first
    assert _shuffled(graph_seed=3) == _shuffled(graph_seed=3)


def test_shuffle_reshuffles_each_epoch_unless_told_not_to():
    two = _shuffled(seed=7, epochs=2)
    assert two[:20] == _shuffled(seed=7) and two[20:] != two[:20]
    assert sorted(two[20:]) == list(range(20))
    fixed = _shuffled(seed=7, reshuffle=False, epochs=2)
    assert fixed[:20] == fixed[20:]


def test_shuffle_buffer_bounds_the_displacement():
    assert ints(D.range(10).shuffle(1)) == list(range(10))
    out = ints(D.range(100).shuffle(5, seed=1))
    assert sorted(out) == list(range(100))
    # An element can only come out after at most buffer_size-1 later ones went in.
    assert all(out[i] <= i + 4 for i in range(100))


def test_shuffle_reinitialization_gives_the_same_seeded_order():
    it = tf.data.make_initializable_iterator(D.range(10).shuffle(10, seed=3))
    nxt = it.get_next()
    with tf.Session() as sess:
        orders = []
        for _ in range(2):
            sess.run(it.initializer)
            orders.append([int(sess.run(nxt)) for _ in range(10)])
    assert orders[0] == orders[1]


# ---- batching ----
def test_batch_and_drop_remainder():
    ds = D.range(10).batch(4)
    assert ds.output_shapes.as_list() == [None]
    assert [list(b) for b in elements(ds)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    ds = D.range(10).batch(4, drop_remainder=True)
    assert ds.output_shapes.as_list() == [4]
    assert len(elements(ds)) == 2
    ds = D.from_tensor_slices((np.zeros([5, 3]), ["a"] * 5)).batch(2)
    assert ds.output_shapes[0].as_list() == [None, 3]
    first = elements(ds)[0]
    assert first[0].shape == (2, 3) and list(first[1]) == [b"a", b"a"]


def test_batch_of_different_shapes_fails():
    ds = D.from_generator(lambda: iter([[1], [1, 2]]), tf.int32, [None]).batch(2)
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="different shapes"):
            sess.run(nxt)


def _filled(x):
    return tf.fill(tf.cast(tf.stack([x]), tf.int32), x)


def test_padded_batch():
    ds = D.range(1, 5).map(_filled).padded_batch(2, padded_shapes=[None])
    assert ds.output_shapes.as_list() == [None, None]
    assert [b.tolist() for b in elements(ds)] == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    ds = D.range(1, 4).map(lambda x: (_filled(x), tf.constant("s"))).padded_batch(
        2, padded_shapes=([5], []), padding_values=(np.int64(-1), "p"))
    assert ds.output_shapes[0].as_list() == [None, 5]
    out = elements(ds)
    assert out[0][0].tolist() == [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]]
    assert list(out[1][1]) == [b"s"]


def test_padded_batch_too_small_shape():
    with pytest.raises(ValueError):
        D.from_tensors([1, 2, 3]).padded_batch(1, padded_shapes=[2])
    ds = D.range(1, 4).map(_filled).padded_batch(3, padded_shapes=[2])
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="smaller"):
            sess.run(nxt)


def test_unbatch():
    ds = D.range(5).batch(2).apply(tf.data.experimental.unbatch())
    assert ds.output_shapes.as_list() == []
    assert ints(ds) == [0, 1, 2, 3, 4]


# ---- repeat, take, skip, shard, cache ----
def test_repeat_take_skip():
    assert ints(D.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert ints(D.range(2).repeat().take(5)) == [0, 1, 0, 1, 0]
    assert ints(D.range(0).repeat()) == []
    assert ints(D.range(10).skip(2).take(3)) == [2, 3, 4]
    assert ints(D.range(5).take(-1)) == [0, 1, 2, 3, 4]
    assert ints(D.range(5).skip(-1)) == []
    assert ints(D.range(10).shard(3, 1)) == [1, 4, 7]
    assert [(int(i), v) for i, v in elements(D.from_tensor_slices(["a", "b"]).enumerate(3))] \
        == [(3, b"a"), (4, b"b")]


def test_cache_replays_the_first_pass():
    ds = D.range(4).map(lambda x: tf.random_uniform([])).cache().repeat(2)
    out = [float(v) for v in elements(ds)]
    assert out[:4] == out[4:] and len(set(out[:4])) == 4


def test_cache_to_a_file_is_shared_between_sessions(tmp_path):
    filename = str(tmp_path / "cache")
    ds = D.range(3).map(lambda x: tf.random_uniform([])).cache(filename)
    first = [float(v) for v in elements(ds)]
    second = [float(v) for v in elements(ds)]
    assert first == second


def test_prefetch_gives_the_same_elements(no_thread_leak):
    ds = D.range(50).prefetch(4)
    assert ints(ds) == list(range(50))
    ds = D.range(10).map(lambda x: x + 1).prefetch(tf.data.experimental.AUTOTUNE).batch(5)
    assert [list(b) for b in elements(ds)] == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]


def test_apply_and_experimental_helpers():
    ds = D.range(6).apply(tf.data.experimental.map_and_batch(lambda x: x * 2, 4))
    assert [list(b) for b in elements(ds)] == [[0, 2, 4, 6], [8, 10]]
    ds = D.range(3).apply(tf.data.experimental.shuffle_and_repeat(3, 2, seed=1))
    assert sorted(ints(ds)) == [0, 0, 1, 1, 2, 2]
    with pytest.raises(TypeError):
        D.range(3).apply(lambda ds: 3)


def test_dataset_is_not_iterable_in_graph_mode():
    with pytest.raises(RuntimeError):
        iter(D.range(3))
