"""The array family (ops/array.py): table-generated value and shape checks, plus indexing,
tf.where, gather/one_hot edge cases and construction-time errors."""
import numpy as np
import pytest

import tensorflux as tf
from op_table import family_tests
from session_configs import CPU_ONLY

test_value_matches_numpy, test_static_shape_matches_output = family_tests("array")


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


X = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


# ---- indexing ----
@pytest.mark.parametrize("index", [
    (1, slice(None, None, 2), -1), (Ellipsis, None), (Ellipsis, 0), (None, Ellipsis, None),
    (slice(None, None, -1), 2), (slice(-2, None), slice(3, 0, -2)), (0, 0, 0), (-1,),
    (slice(None), slice(1, 2), None, slice(None, None, 3)),
])
def test_python_indexing_matches_numpy(index):
    t = tf.constant(X)[index]
    assert t.shape.as_list() == list(X[index].shape)
    np.testing.assert_array_equal(run(t), X[index])


def test_tensor_indices():
    i = tf.placeholder(tf.int32, [])
    t = tf.constant(X)
    np.testing.assert_array_equal(run(t[i], {i: 2}), X[2])
    np.testing.assert_array_equal(run(t[1, i:, -1], {i: 1}), X[1, 1:, -1])
    np.testing.assert_array_equal(run(t[tf.constant(1)]), X[1])


def test_index_out_of_range_is_value_error_statically_and_invalid_argument_at_run_time():
    with pytest.raises(ValueError, match="out of bounds"):
        tf.constant(X)[3]
    i = tf.placeholder(tf.int32, [])
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(tf.constant(X)[i], {i: 7})


def test_bad_index_types_are_type_errors():
    with pytest.raises(TypeError):
        tf.constant(X)[1.5]
    with pytest.raises(TypeError):
        tf.constant(X)[tf.constant(1.0)]


def test_strided_slice_with_masks():
    t = tf.strided_slice(tf.constant(X), [0, 3, 0], [0, 0, 5], [1, -1, 2],
                         begin_mask=1, end_mask=5, shrink_axis_mask=0)
    np.testing.assert_array_equal(run(t), X[:, 3:0:-1, ::2])
    t = tf.strided_slice(tf.constant(X), [1, 0], [2, 0], [1, 1], shrink_axis_mask=1,
                         ellipsis_mask=2)
    np.testing.assert_array_equal(run(t), X[1, ...])


# ---- tf.where ----
def test_where_with_one_argument_gives_int64_coordinates():
    out = tf.where(tf.constant([[True, False], [False, True]]))
    assert out.dtype == tf.int64 and out.shape.as_list() == [None, 2]
    np.testing.assert_array_equal(run(out), [[0, 0], [1, 1]])


def test_where_with_three_arguments_selects_elementwise_or_by_row():
    c = tf.constant([True, False])
    np.testing.assert_array_equal(run(tf.where(c, [[1, 2], [3, 4]], [[5, 6], [7, 8]])),
                                  [[1, 2], [7, 8]])
    np.testing.assert_array_equal(run(tf.where([[True, False]], [[1, 2]], [[5, 6]])), [[1, 6]])


def test_where_needs_both_x_and_y():
    with pytest.raises(ValueError, match="x and y"):
        tf.where(tf.constant([True]), [1])


def test_where_v2_broadcasts():
    out = tf.where_v2(tf.constant([[True], [False]]), tf.constant([1, 2, 3]), 0)
    np.testing.assert_array_equal(run(out), [[1, 2, 3], [0, 0, 0]])


# ---- construction-time errors ----
def test_reshape_to_a_wrong_size_is_value_error():
    with pytest.raises(ValueError, match="Cannot reshape a tensor with 6 elements"):
        tf.reshape(tf.zeros([2, 3]), [4])
    with pytest.raises(ValueError):
        tf.reshape(tf.zeros([2, 3]), [4, -1])


def test_reshape_of_fed_tensor_to_a_wrong_size_is_invalid_argument():
    x = tf.placeholder(tf.float32, [None])
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(tf.reshape(x, [4]), {x: np.zeros(6)})


def test_concat_rank_mismatch_and_split_uneven_are_value_errors():
    with pytest.raises(ValueError):
        tf.concat([tf.zeros([2, 3]), tf.zeros([3])], 0)
    with pytest.raises(ValueError, match="evenly divisible"):
        tf.split(tf.zeros([5, 2]), 2)


def test_squeeze_of_a_non_unit_dimension_is_value_error():
    with pytest.raises(ValueError, match="Can not squeeze dim"):
        tf.squeeze(tf.zeros([1, 2]), [1])


# ---- gather, one_hot, casts, ranges ----
def test_gather_out_of_range_is_invalid_argument():
    out = tf.gather(tf.zeros([3]), [0, 5])
    with tf.Session(config=CPU_ONLY) as sess, \
            pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 5 is not in"):
        sess.run(out)


def test_one_hot_dtype_follows_on_value_and_bad_indices_give_off_rows():
    out = tf.one_hot([0, 3], 3, on_value=7, off_value=1)
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(run(out), [[7, 1, 1], [1, 1, 1]])


def test_cast_rules():
    assert run(tf.cast(tf.constant([-1.7, 2.7]), tf.int32)).tolist() == [-1, 2]
    assert run(tf.cast(tf.constant([-1.0, 0.0, 0.5]), tf.bool)).tolist() == [True, False, True]
    assert run(tf.to_float(tf.constant([1, 2]))).dtype == np.float32
    assert run(tf.to_double(tf.constant([1, 2]))).dtype == np.float64
    assert run(tf.to_int64(tf.constant([1.5]))).dtype == np.int64
    assert run(tf.to_int32(tf.constant([1.5], tf.float64))).dtype == np.int32
    x = tf.constant([1.0])
    assert tf.cast(x, tf.float32) is x


def test_range_forms_and_dtypes():
    assert run(tf.range(4)).tolist() == [0, 1, 2, 3]
    assert tf.range(4).dtype == tf.int32
    assert tf.range(0.0, 1.0, 0.25).dtype == tf.float32
    assert run(tf.range(5, 1, -2)).tolist() == [5, 3]
    with pytest.raises(ValueError, match="delta != 0"):
        tf.range(0, 5, 0)


def test_zeros_ones_fill_and_like():
    assert run(tf.zeros([2, 3], tf.int32)).tolist() == [[0] * 3] * 2
    assert run(tf.ones(3)).dtype == np.float32
    n = tf.placeholder(tf.int32, [])
    assert run(tf.zeros([n, 2]), {n: 3}).shape == (3, 2)
    assert run(tf.fill([2], 7)).tolist() == [7, 7]
    assert run(tf.zeros_like(tf.constant([1.5]), dtype=tf.int32)).dtype == np.int32
    assert run(tf.ones_like(tf.constant([[1, 2]]))).tolist() == [[1, 1]]


def test_stack_unstack_and_shape_functions():
    a, b = tf.constant([1, 2]), tf.constant([3, 4])
    assert run(tf.stack([a, b], axis=1)).tolist() == [[1, 3], [2, 4]]
    parts = tf.unstack(tf.constant([[1, 2], [3, 4]]), axis=1)
    assert [run(p).tolist() for p in parts] == [[1, 3], [2, 4]]
    x = tf.placeholder(tf.float32, [None, 3])
    assert run([tf.shape(x), tf.size(x), tf.rank(x)], {x: np.zeros([2, 3])})[0].tolist() == [2, 3]
    with pytest.raises(ValueError, match="Cannot infer num"):
        tf.unstack(x)


def test_segment_sums_and_reverse_v2_exist():
    assert run(tf.segment_sum([1.0, 2.0, 3.0], [0, 0, 1])).tolist() == [3.0, 3.0]
    assert run(tf.reverse_v2([1, 2, 3], [0])).tolist() == [3, 2, 1]
