"""The nn family (ops/nn.py, ops/nn_impl.py): table-generated value and static-shape checks,
then TF1's wrapper semantics: argument forms, construction-time errors, cross entropies at
extreme logits, dropout statistics and seeding, and the composed functions."""
import numpy as np
import pytest

import tensorflux as tf
import nn_table
from nn_table import (np_conv2d, np_conv2d_backprop_input, np_log_softmax, np_softmax)
from op_table import family_tests
from session_configs import CPU_ONLY

test_value_matches_numpy, test_static_shape_matches_output = family_tests("nn")


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def randn(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- convolution arguments
def test_conv2d_strides_and_dilations_take_ints_and_spatial_pairs():
    x, w = randn(1, 7, 7, 2), randn(3, 3, 2, 3, seed=1)
    full = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME", dilations=[1, 1, 1, 1])
    short = tf.nn.conv2d(x, w, 2, "SAME", dilations=1)
    pair = tf.nn.conv2d(x, filters=w, strides=[2, 2], padding="SAME", dilations=[1, 1])
    assert full.shape.as_list() == short.shape.as_list() == pair.shape.as_list() == [1, 4, 4, 3]
    a, b, c = run([full, short, pair])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_conv2d_static_shapes_with_unknown_batch():
    x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    y = tf.nn.conv2d(x, tf.zeros([5, 5, 1, 32]), [1, 2, 2, 1], "SAME")
    assert y.shape.as_list() == [None, 14, 14, 32]
    valid = tf.nn.conv2d(x, tf.zeros([5, 5, 1, 8]), [1, 1, 1, 1], "VALID")
    assert valid.shape.as_list() == [None, 24, 24, 8]
    nchw = tf.placeholder(tf.float32, [None, 3, 11, 10])
    z = tf.nn.conv2d(nchw, tf.zeros([3, 3, 3, 4]), [1, 1, 2, 2], "VALID", data_format="NCHW")
    assert z.shape.as_list() == [None, 4, 5, 4]
    unknown = tf.nn.conv2d(tf.placeholder(tf.float32), tf.zeros([3, 3, 3, 4]), 1, "SAME")
    assert unknown.shape.as_list() == [None, None, None, 4]


@pytest.mark.parametrize("kwargs,words", [
    (dict(padding="same"), ["Conv2D", "padding", "'same'"]),
    (dict(padding="FULL"), ["Conv2D", "padding"]),
    (dict(padding=[[0, 0], [1, 1], [1, 1]]), ["Conv2D", "padding"]),
    (dict(padding=[[1, 0], [1, 1], [1, 1], [0, 0]]), ["Conv2D", "batch and depth"]),
    (dict(strides=[1, 1, 1]), ["Conv2D", "strides", "length"]),
    (dict(strides=[2, 1, 1, 1]), ["Conv2D", "strides", "batch and depth"]),
    (dict(strides=[1, 1, 1, 2]), ["Conv2D", "strides", "batch and depth"]),
    (dict(strides=[1, 0, 1, 1]), ["Conv2D", "strides", "positive"]),
    (dict(strides=[1, 2, 2, 1], data_format="NCHW"), ["Conv2D", "strides", "NCHW"]),
    (dict(data_format="NHCW"), ["Conv2D", "data_format", "NHCW"]),
    (dict(dilations=[1, 2, 2]), ["Conv2D", "dilations"]),
])
def test_conv2d_bad_arguments_are_value_errors_naming_op_and_argument(kwargs, words):
    args = dict(strides=[1, 1, 1, 1], padding="SAME")
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        tf.nn.conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([3, 3, 2, 4]), **args)
    for word in words:
        assert word in str(info.value)


def test_conv2d_bad_shapes_are_value_errors_at_construction():
    with pytest.raises(ValueError, match="rank 4"):
        tf.nn.conv2d(tf.zeros([5, 5, 2]), tf.zeros([3, 3, 2, 4]), 1, "SAME")
    with pytest.raises(ValueError, match="Depth of input"):
        tf.nn.conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([3, 3, 3, 4]), 1, "SAME")
    with pytest.raises(ValueError, match="Negative dimension size"):
        tf.nn.conv2d(tf.zeros([1, 2, 5, 2]), tf.zeros([3, 3, 2, 4]), 1, "VALID")
    with pytest.raises(TypeError, match="filter"):
        tf.nn.conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([3, 3, 2, 4], tf.float64), 1, "SAME")
    with pytest.raises(TypeError):
        tf.nn.conv2d(tf.zeros([1, 5, 5, 2], tf.int32), tf.zeros([3, 3, 2, 4], tf.int32), 1,
                     "SAME")


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    x, w, y = randn(2, 7, 6, 3), randn(3, 3, 3, 5, seed=1), randn(2, 4, 3, 5, seed=2)
    conv = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
    back = tf.nn.conv2d_transpose(y, w, [2, 7, 6, 3], [1, 2, 2, 1], "SAME")
    assert back.shape.as_list() == [2, 7, 6, 3]
    assert back.op.type == "Conv2DBackpropInput" and back.op.name == "conv2d_transpose"
    c, b = run([conv, back])
    np.testing.assert_allclose(np.sum(c * y), np.sum(x * b), rtol=1e-4)
    expected = np_conv2d_backprop_input(w.astype(np.float64), y.astype(np.float64),
                                        input_sizes=[2, 7, 6, 3], strides=[1, 2, 2, 1],
                                        padding="SAME")
    np.testing.assert_allclose(b, expected, rtol=1e-4, atol=1e-4)


def test_conv2d_transpose_takes_a_dynamic_output_shape_and_checks_channels():
    y = tf.placeholder(tf.float32, [None, 4, 4, 5])
    w = tf.zeros([3, 3, 2, 5])
    out = tf.nn.conv2d_transpose(y, w, tf.stack([tf.shape(y)[0], 8, 8, 2]), [1, 2, 2, 1])
    assert out.shape.as_list() == [None, 8, 8, 2]
    assert run(out, {y: np.zeros([3, 4, 4, 5])}).shape == (3, 8, 8, 2)
    with pytest.raises(ValueError, match="input channels"):
        tf.nn.conv2d_transpose(tf.zeros([1, 4, 4, 3]), w, [1, 8, 8, 2], [1, 2, 2, 1])
    with pytest.raises(ValueError, match="output_shape does not match"):
        tf.nn.conv2d_transpose(tf.zeros([1, 4, 4, 5]), w, [1, 8, 8, 3], [1, 2, 2, 1])
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        tf.nn.conv2d_transpose(tf.zeros([1, 4, 4, 5]), w, [1, 8, 8], [1, 2, 2, 1])
    with pytest.raises(ValueError, match="padding"):
        tf.nn.conv2d_transpose(tf.zeros([1, 4, 4, 5]), w, [1, 8, 8, 2], [1, 2, 2, 1], "FULL")


def test_depthwise_conv2d_rate_is_a_dilation():
    x, w = randn(1, 9, 9, 2), randn(3, 3, 2, 3, seed=1)
    out = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME", rate=[2, 2])
    assert out.shape.as_list() == [1, 9, 9, 6]
    expected = np_conv2d(x.astype(np.float64), w.astype(np.float64), padding="SAME",
                         dilations=[1, 2, 2, 1], depthwise=True)
    np.testing.assert_allclose(run(out), expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="rate"):
        tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME", rate=[2, 2])
    with pytest.raises(ValueError, match="padding"):
        tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "same")


def test_separable_conv2d_is_depthwise_then_pointwise():
    x, dw, pw = randn(2, 6, 6, 3), randn(3, 3, 3, 2, seed=1), randn(1, 1, 6, 4, seed=2)
    out = tf.nn.separable_conv2d(x, dw, pw, [1, 2, 2, 1], "SAME")
    assert out.shape.as_list() == [2, 3, 3, 4]
    x64, dw64, pw64 = (a.astype(np.float64) for a in (x, dw, pw))
    mid = np_conv2d(x64, dw64, strides=[1, 2, 2, 1], padding="SAME", depthwise=True)
    np.testing.assert_allclose(run(out), np.einsum("nhwc,co->nhwo", mid, pw64[0, 0]),
                               rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="pointwise_filter"):
        tf.nn.separable_conv2d(x, dw, randn(2, 1, 6, 4), [1, 1, 1, 1], "SAME")


@pytest.mark.parametrize("data_format", ["NWC", "NCW"])
def test_conv1d_matches_numpy(data_format):
    x, w = randn(2, 9, 3), randn(3, 3, 4, seed=1)
    if data_format == "NCW":
        x = np.ascontiguousarray(x.transpose(0, 2, 1))
    out = tf.nn.conv1d(x, w, 2, "SAME", data_format=data_format)
    x_nwc = x if data_format == "NWC" else x.transpose(0, 2, 1)
    expected = np_conv2d(x_nwc[:, None].astype(np.float64), w[None].astype(np.float64),
                         strides=[1, 1, 2, 1], padding="SAME")[:, 0]
    if data_format == "NCW":
        expected = expected.transpose(0, 2, 1)
    assert out.shape.as_list() == list(expected.shape)
    np.testing.assert_allclose(run(out), expected, rtol=1e-4, atol=1e-4)
    conv = tf.nn.convolution(x, w, "SAME", strides=[2], data_format=data_format)
    np.testing.assert_allclose(run(conv), expected, rtol=1e-4, atol=1e-4)


def test_atrous_conv2d_and_convolution_2d():
    x, w = randn(1, 8, 8, 2), randn(3, 3, 2, 2, seed=1)
    expected = np_conv2d(x.astype(np.float64), w.astype(np.float64), padding="SAME",
                         dilations=[1, 2, 2, 1])
    np.testing.assert_allclose(run(tf.nn.atrous_conv2d(x, w, 2, "SAME")), expected,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(run(tf.nn.convolution(x, w, "SAME", dilation_rate=[2, 2])),
                               expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="rate"):
        tf.nn.atrous_conv2d(x, w, 0, "SAME")


# ---------------------------------------------------------------- pooling arguments
def test_pooling_arguments_and_errors():
    x = tf.zeros([2, 6, 6, 3])
    assert tf.nn.max_pool(x, 2, 2, "VALID").shape.as_list() == [2, 3, 3, 3]
    assert tf.nn.avg_pool(x, [3, 3], [2, 2], "SAME").shape.as_list() == [2, 3, 3, 3]
    with pytest.raises(ValueError, match="MaxPool.*padding"):
        tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "valid")
    with pytest.raises(ValueError, match="MaxPool.*ksize.*batch and depth"):
        tf.nn.max_pool(x, [2, 2, 2, 1], [1, 2, 2, 1], "VALID")
    with pytest.raises(ValueError, match="AvgPool.*strides"):
        tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2], "VALID")
    with pytest.raises(ValueError, match="AvgPool.*data_format"):
        tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", data_format="NWHC")
    with pytest.raises(ValueError, match="Negative dimension"):
        tf.nn.max_pool(tf.zeros([1, 2, 2, 1]), [1, 3, 3, 1], [1, 1, 1, 1], "VALID")
    with pytest.raises(TypeError):
        tf.nn.avg_pool(tf.zeros([1, 4, 4, 1], tf.int32), 2, 2, "VALID")
    with pytest.raises(ValueError, match="NHWC"):
        tf.nn.max_pool_with_argmax(tf.zeros([1, 3, 4, 4]), 2, 2, "VALID", data_format="NCHW")


def test_max_pool_with_argmax_dtypes_and_namedtuple():
    x = randn(1, 4, 4, 2)
    out = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", Targmax=tf.int32)
    assert out.argmax.dtype == tf.int32 and out.output.shape.as_list() == [1, 2, 2, 2]
    value, index = run(out)
    np.testing.assert_array_equal(value, np.take(x.ravel(), index))


def test_lrn_takes_float32_and_is_also_local_response_normalization():
    x = np.abs(randn(1, 2, 2, 8)) + 0.5
    a = tf.nn.lrn(x, depth_radius=2, bias=1.5, alpha=0.3, beta=0.6)
    b = tf.nn.local_response_normalization(x, 2, 1.5, 0.3, 0.6)
    np.testing.assert_allclose(run(a), nn_table.np_lrn(x.astype(np.float64), 2, 1.5, 0.3, 0.6),
                               rtol=1e-5)
    np.testing.assert_array_equal(*run([a, b]))
    with pytest.raises(TypeError):
        tf.nn.lrn(tf.zeros([1, 2, 2, 3], tf.float64))
    with pytest.raises(ValueError, match="rank 4"):
        tf.nn.lrn(tf.zeros([2, 3]))


# ---------------------------------------------------------------- bias and activations
def test_bias_add_shape_errors():
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.nn.bias_add(tf.zeros([2, 3]), tf.zeros([4]))
    with pytest.raises(ValueError, match="rank 1"):
        tf.nn.bias_add(tf.zeros([2, 3]), tf.zeros([1, 3]))
    with pytest.raises(ValueError, match="at least rank 2"):
        tf.nn.bias_add(tf.zeros([3]), tf.zeros([3]))
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.nn.bias_add(tf.zeros([2, 3, 4, 4]), tf.zeros([4]), data_format="NCHW")
    with tf.Graph().as_default():
        assert tf.nn.bias_add(tf.zeros([2, 3]), [1, 2, 3]).op.name == "BiasAdd"


def test_activations_at_extremes_and_dtypes():
    x = np.array([-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4], np.float32)
    softplus, elu, softsign = run([tf.nn.softplus(x), tf.nn.elu(x), tf.nn.softsign(x)])
    np.testing.assert_allclose(softplus, np.logaddexp(x.astype(np.float64), 0), rtol=1e-6)
    assert np.all(np.isfinite(elu)) and elu[0] == -1.0
    np.testing.assert_allclose(softsign[-1], 1e4 / 10001, rtol=1e-6)
    assert run(tf.nn.relu(tf.constant([-2, 3]))).tolist() == [0, 3]
    assert tf.nn.leaky_relu(tf.constant([-2, 3])).dtype == tf.float32
    with pytest.raises(TypeError):
        tf.nn.elu(tf.constant([1, 2]))
    assert tf.nn.sigmoid is tf.sigmoid and tf.nn.tanh is tf.tanh


# ---------------------------------------------------------------- softmax and cross entropy
def test_softmax_axis_and_extreme_logits():
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], np.float32)
    sm, lsm = run([tf.nn.softmax(x), tf.nn.log_softmax(x)])
    np.testing.assert_allclose(sm, [[1, 0, 0], [1 / 3] * 3], rtol=1e-6)
    np.testing.assert_allclose(lsm[0], [0, -1e4, -2e4], rtol=1e-6)
    assert np.all(np.isfinite(lsm))
    y = randn(2, 3, 4)
    np.testing.assert_allclose(run(tf.nn.softmax(y, axis=0)), np_softmax(y, 0), rtol=1e-5)
    np.testing.assert_allclose(run(tf.nn.log_softmax(y, dim=1)), np_log_softmax(y, 1),
                               rtol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Dimension"):
        tf.nn.softmax(y, axis=3)
    with pytest.raises(ValueError, match="rank 1"):
        tf.nn.softmax(tf.constant(1.0))


def test_cross_entropies_need_named_arguments():
    labels, logits = tf.zeros([2, 3]), tf.zeros([2, 3])
    expected = ("Only call `softmax_cross_entropy_with_logits` with named arguments "
                "(labels=..., logits=..., ...)")
    with pytest.raises(ValueError) as info:
        tf.nn.softmax_cross_entropy_with_logits(labels, logits)
    assert str(info.value) == expected
    with pytest.raises(ValueError, match="sparse_softmax_cross_entropy_with_logits` with "
                                         "named"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(tf.zeros([2], tf.int32), logits)
    with pytest.raises(ValueError, match="sigmoid_cross_entropy_with_logits` with named"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels, logits)
    with pytest.raises(ValueError, match="Both labels and logits must be provided"):
        tf.nn.softmax_cross_entropy_with_logits(logits=logits)


def test_softmax_cross_entropy_values_dims_and_extreme_logits():
    logits = np.array([[1e4, -1e4, 0.0], [2.0, 1.0, 0.1], [-1e4, -1e4, 1e4]], np.float32)
    labels = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [0.5, 0.0, 0.5]], np.float32)
    v1 = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels, logits)
    expected = -(labels * np_log_softmax(logits.astype(np.float64))).sum(-1)
    a, b = run([v1, v2])
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a, expected, rtol=1e-6)
    np.testing.assert_array_equal(a, b)
    assert v1.shape.as_list() == [3]
    x, y = randn(4, 2, 3), np.abs(randn(4, 2, 3, seed=1))
    over_axis1 = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x, dim=1)
    assert over_axis1.shape.as_list() == [4, 3]
    np.testing.assert_allclose(run(over_axis1), -(y * np_log_softmax(x, 1)).sum(1), rtol=1e-5)
    rank3 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x)
    assert rank3.shape.as_list() == [4, 2]
    np.testing.assert_allclose(run(rank3), -(y * np_log_softmax(x)).sum(-1), rtol=1e-5)


def test_softmax_cross_entropy_shape_mismatch_is_value_error():
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.softmax_cross_entropy_with_logits(labels=tf.zeros([2, 4]), logits=tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.softmax_cross_entropy_with_logits_v2(tf.zeros([3]), tf.zeros([2, 3]))
    with pytest.raises(TypeError):
        tf.nn.softmax_cross_entropy_with_logits(labels=tf.zeros([2, 3], tf.float64),
                                                logits=tf.zeros([2, 3]))


def test_sparse_softmax_cross_entropy_ranks_extremes_and_bad_labels():
    logits = np.array([[1e4, -1e4, 0.0], [0.5, 0.2, 0.1]], np.float32)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 2], logits=logits)
    expected = -np_log_softmax(logits.astype(np.float64))[[0, 1], [1, 2]]
    np.testing.assert_allclose(run(loss), expected, rtol=1e-6)
    with pytest.raises(ValueError) as info:
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.zeros([2, 1], tf.int32),
                                                       logits=logits)
    assert str(info.value) == ("Rank mismatch: Rank of labels (received 2) should equal rank "
                               "of logits minus 1 (received 2).")
    with pytest.raises(ValueError, match="Shape mismatch"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 2, 0], logits=logits)
    with pytest.raises(TypeError):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1.0, 2.0], logits=logits)
    x = randn(2, 3, 5)
    labels = np.array([[0, 4, 2], [1, 1, 3]], np.int64)
    loss3 = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x)
    assert loss3.shape.as_list() == [2, 3]
    np.testing.assert_allclose(run(loss3), -np.take_along_axis(np_log_softmax(x),
                                                               labels[..., None], -1)[..., 0],
                               rtol=1e-5)
    bad = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 3], logits=logits)
    with tf.Session(config=CPU_ONLY) as sess, \
            pytest.raises(tf.errors.InvalidArgumentError, match="valid range"):
        sess.run(bad)


def test_sigmoid_cross_entropy_is_the_stable_form():
    x = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4], np.float32)
    z = np.array([0.0, 1.0, 0.3, 0.5, 1.0, 0.0, 1.0], np.float32)
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
    x64, z64 = x.astype(np.float64), z.astype(np.float64)
    expected = np.maximum(x64, 0) - x64 * z64 + np.log1p(np.exp(-np.abs(x64)))
    got = run(loss)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros([2, 3]), logits=tf.zeros([3, 2]))


def test_weighted_cross_entropy_is_the_stable_form():
    x = np.array([-1e4, -3.0, 0.0, 2.0, 1e4], np.float32)
    z = np.array([1.0, 0.0, 0.5, 1.0, 0.0], np.float32)
    q = 3.0
    loss = tf.nn.weighted_cross_entropy_with_logits(z, x, q)
    old_name = tf.nn.weighted_cross_entropy_with_logits(targets=z, logits=x, pos_weight=q)
    x64, z64 = x.astype(np.float64), z.astype(np.float64)
    weight = 1 + (q - 1) * z64
    expected = (1 - z64) * x64 + weight * (np.log1p(np.exp(-np.abs(x64))) + np.maximum(-x64, 0))
    a, b = run([loss, old_name])
    np.testing.assert_allclose(a, expected, rtol=1e-6)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.weighted_cross_entropy_with_logits(tf.zeros([3]), tf.zeros([2]), 2.0)


# ---------------------------------------------------------------- dropout
def test_dropout_keeps_about_keep_prob_and_scales_by_its_inverse():
    x = np.ones([200, 500], np.float32)
    out = run(tf.nn.dropout(x, keep_prob=0.3, seed=1))
    kept = out != 0
    assert abs(kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.3, rtol=1e-6)
    by_rate = run(tf.nn.dropout(x, rate=0.7, seed=1))
    assert abs((by_rate != 0).mean() - 0.3) < 0.01
    assert abs(by_rate.mean() - 1.0) < 0.02


def test_dropout_keep_prob_placeholder_and_one():
    x = randn(50, 40)
    assert tf.nn.dropout(tf.constant(x), keep_prob=1.0).op.type == "Const"
    keep = tf.placeholder(tf.float32)
    out = tf.nn.dropout(x, keep)
    assert out.shape.as_list() == [50, 40]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(out, {keep: 1.0}), x)
        half = sess.run(out, {keep: 0.5})
    kept = half != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(half[kept], 2 * x[kept], rtol=1e-6)


def test_dropout_noise_shape_shares_decisions():
    out = run(tf.nn.dropout(tf.ones([6, 400]), keep_prob=0.5, noise_shape=[1, 400], seed=3))
    assert np.all(out == out[:1])
    x = tf.placeholder(tf.float32, [None, 5])
    rows = run(tf.nn.dropout(x, keep_prob=0.5, noise_shape=[None, 1], seed=3),
               {x: np.ones([300, 5])})
    assert np.all(rows == rows[:, :1]) and 0.4 < (rows[:, 0] != 0).mean() < 0.6


def test_dropout_seeds_repeat_and_no_seed_differs():
    def draw(graph_seed, op_seed):
        with tf.Graph().as_default():
            if graph_seed is not None:
                tf.set_random_seed(graph_seed)
            out = tf.nn.dropout(tf.ones([1000]), keep_prob=0.5, seed=op_seed)
            with tf.Session() as sess:
                return sess.run(out), sess.run(out)
    first, second = draw(7, 3)
    again, _ = draw(7, 3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)  # a second run draws new numbers
    assert not np.array_equal(first, draw(7, 4)[0])
    assert not np.array_equal(draw(None, None)[0], draw(None, None)[0])


def test_dropout_argument_errors():
    with pytest.raises(ValueError, match="keep_prob"):
        tf.nn.dropout(tf.ones([3]), keep_prob=0.0)
    with pytest.raises(ValueError, match="keep_prob"):
        tf.nn.dropout(tf.ones([3]), keep_prob=1.5)
    with pytest.raises(ValueError, match="rate"):
        tf.nn.dropout(tf.ones([3]), rate=1.0)
    with pytest.raises(ValueError, match="both"):
        tf.nn.dropout(tf.ones([3]), keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match="must provide a rate"):
        tf.nn.dropout(tf.ones([3]))
    with pytest.raises(ValueError, match="floating point"):
        tf.nn.dropout(tf.ones([3], tf.int32), keep_prob=0.5)


# ---------------------------------------------------------------- normalization and moments
def test_l2_normalize_moments_and_batch_normalization():
    x = randn(4, 3, 5) * 3 + 1
    norm = tf.nn.l2_normalize(x, axis=1)
    np.testing.assert_allclose(run(norm), x / np.sqrt((x ** 2).sum(1, keepdims=True)),
                               rtol=1e-5)
    np.testing.assert_allclose(run(tf.nn.l2_normalize(np.zeros(3, np.float32), 0)), 0.0)
    mean, var = tf.nn.moments(x, [0, 2])
    assert mean.shape.as_list() == [3] and var.shape.as_list() == [3]
    m, v = run([mean, var])
    np.testing.assert_allclose(m, x.mean((0, 2)), rtol=1e-5)
    np.testing.assert_allclose(v, x.var((0, 2)), rtol=1e-5)
    mean_k, _ = tf.nn.moments(x, [0, 2], keep_dims=True)
    assert mean_k.shape.as_list() == [1, 3, 1]
    offset, scale = np.array([0.5, -1.0, 2.0], np.float32), np.array([2.0, 1.0, 0.5], np.float32)
    y = tf.nn.batch_normalization(x, m[:, None], v[:, None], offset[:, None], scale[:, None],
                                  1e-3)
    expected = (x - m[:, None]) / np.sqrt(v[:, None] + 1e-3) * scale[:, None] + offset[:, None]
    np.testing.assert_allclose(run(y), expected, rtol=1e-4, atol=1e-5)
    bare = tf.nn.batch_normalization(x, m[:, None], v[:, None], None, None, 1e-3)
    np.testing.assert_allclose(run(bare), (x - m[:, None]) / np.sqrt(v[:, None] + 1e-3),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_fused_batch_norm_training_and_inference(data_format):
    x = randn(4, 3, 3, 2) * 2 + 1
    axes = (0, 1, 2)
    if data_format == "NCHW":
        x, axes = np.ascontiguousarray(x.transpose(0, 3, 1, 2)), (0, 2, 3)
    scale, offset = np.array([1.5, 0.5], np.float32), np.array([0.1, -0.2], np.float32)
    shape = [1, -1, 1, 1] if data_format == "NCHW" else [-1]
    y, mean, var = tf.nn.fused_batch_norm(x, scale, offset, data_format=data_format)
    got_y, got_mean, got_var = run([y, mean, var])
    mu, sigma2 = x.mean(axes), x.var(axes)
    n = x.size / 2
    expected = (x - mu.reshape(shape)) / np.sqrt(sigma2.reshape(shape) + 1e-3) * \
        scale.reshape(shape) + offset.reshape(shape)
    np.testing.assert_allclose(got_y, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got_mean, mu, rtol=1e-5)
    np.testing.assert_allclose(got_var, sigma2 * n / (n - 1), rtol=1e-5)
    y_inf, _, _ = tf.nn.fused_batch_norm(x, scale, offset, mean=mu, variance=sigma2,
                                         is_training=False, data_format=data_format)
    np.testing.assert_allclose(run(y_inf), expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="mean"):
        tf.nn.fused_batch_norm(x, scale, offset, is_training=False)


# ---------------------------------------------------------------- top-k, dense layers, embeddings
def test_top_k_and_in_top_k():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 5.0, -1.0, 5.0]], np.float32)
    values, indices = run(tf.nn.top_k(x, 3))
    np.testing.assert_array_equal(values, [[3, 3, 2], [5, 5, 0]])
    np.testing.assert_array_equal(indices, [[0, 2, 3], [1, 3, 0]])
    assert tf.nn.top_k(x).indices.dtype == tf.int32
    with pytest.raises(ValueError, match="at least k"):
        tf.nn.top_k(x, 5)
    hits = tf.nn.in_top_k(x, [2, 0], 2)
    assert hits.dtype == tf.bool and hits.shape.as_list() == [2]
    assert run(hits).tolist() == [True, False]
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.nn.in_top_k(x, [1, 2, 3], 1)


def test_xw_plus_b_and_relu_layer():
    x, w, b = randn(3, 4), randn(4, 2, seed=1), randn(2, seed=2)
    a, r = run([tf.nn.xw_plus_b(x, w, b), tf.nn.relu_layer(x, w, b)])
    np.testing.assert_allclose(a, x @ w + b, rtol=1e-5)
    np.testing.assert_allclose(r, np.maximum(x @ w + b, 0), rtol=1e-5)


def test_embedding_lookup_single_partitioned_and_clipped():
    table = np.arange(30, dtype=np.float32).reshape(10, 3)
    ids = np.array([[0, 9], [4, 3]], np.int32)
    out = tf.nn.embedding_lookup(table, ids)
    assert out.shape.as_list() == [2, 2, 3]
    np.testing.assert_array_equal(run(out), table[ids])
    mod_parts = [table[p::3] for p in range(3)]  # id i in partition i % 3, row i // 3
    mod = tf.nn.embedding_lookup([tf.constant(p) for p in mod_parts], ids)
    np.testing.assert_array_equal(run(mod), table[ids])
    div_parts = [table[0:4], table[4:7], table[7:10]]
    div = tf.nn.embedding_lookup(div_parts, ids, partition_strategy="div")
    np.testing.assert_array_equal(run(div), table[ids])
    clipped = run(tf.nn.embedding_lookup(table, [1, 9], max_norm=5.0))
    norms = np.linalg.norm(table[[1, 9]], axis=1)
    np.testing.assert_allclose(clipped, table[[1, 9]] * np.minimum(1, 5.0 / norms)[:, None],
                               rtol=1e-6)
    with pytest.raises(ValueError, match="partition strategy"):
        tf.nn.embedding_lookup(table, ids, partition_strategy="range")


def test_embedding_lookup_of_variables():
    parts = [tf.Variable(np.full([2, 2], p, np.float32)) for p in range(2)]
    out = tf.nn.embedding_lookup(parts, [0, 1, 2, 3])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(out)[:, 0], [0, 1, 0, 1])


def test_l2_loss_crelu_and_zero_fraction():
    x = np.array([[1.0, -2.0], [0.0, 3.0]], np.float32)
    loss = tf.nn.l2_loss(x)
    assert loss.shape.as_list() == []
    assert run(loss) == 7.0
    np.testing.assert_array_equal(run(tf.nn.crelu(x)), np.concatenate([np.maximum(x, 0),
                                                                       np.maximum(-x, 0)], -1))
    assert run(tf.nn.zero_fraction(x)) == 0.25
