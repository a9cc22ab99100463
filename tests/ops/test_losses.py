"""tf.losses (ops/losses.py) and the contrib regularizers: values against NumPy formulas,
weights and every Reduction, the LOSSES / REGULARIZATION_LOSSES collections, and errors."""
import numpy as np
import pytest

import tensorflux as tf

Reduction = tf.losses.Reduction


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def rand(*shape, seed=0, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32)


def np_log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


LABELS, PREDICTIONS = rand(4, 3, seed=1, lo=0.0), rand(4, 3, seed=2, lo=0.05, hi=0.95)
ERROR = PREDICTIONS.astype(np.float64) - LABELS


def np_huber(error, delta):
    a = np.abs(error)
    return np.where(a <= delta, 0.5 * a ** 2, delta * (a - 0.5 * delta))


@pytest.mark.parametrize("fn,expected", [
    (lambda: tf.losses.mean_squared_error(LABELS, PREDICTIONS), np.mean(ERROR ** 2)),
    (lambda: tf.losses.absolute_difference(LABELS, PREDICTIONS), np.mean(np.abs(ERROR))),
    (lambda: tf.losses.log_loss(LABELS, PREDICTIONS),
     np.mean(-LABELS * np.log(PREDICTIONS + 1e-7) - (1 - LABELS) * np.log(1 - PREDICTIONS + 1e-7))),
    (lambda: tf.losses.hinge_loss(np.round(LABELS), ERROR.astype(np.float32)),
     np.mean(np.maximum(0, 1 - (2 * np.round(LABELS) - 1) * ERROR))),
    (lambda: tf.losses.huber_loss(LABELS, 3 * PREDICTIONS, delta=0.7),
     np.mean(np_huber(3 * PREDICTIONS.astype(np.float64) - LABELS, 0.7))),
    (lambda: tf.losses.cosine_distance(LABELS, PREDICTIONS, axis=1),
     np.mean(1 - np.sum(LABELS * PREDICTIONS, 1))),
])
def test_loss_values(fn, expected):
    loss = fn()
    assert loss.shape.as_list() == [] and loss.dtype == tf.float32
    np.testing.assert_allclose(run(loss), expected, rtol=1e-5)
    assert tf.losses.get_losses() == [loss]


def test_weights_and_every_reduction():
    losses = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    weights = np.array([[0.0], [2.0]], np.float32)
    weighted = losses * weights
    expected = {
        Reduction.NONE: weighted,
        Reduction.SUM: weighted.sum(),
        Reduction.MEAN: weighted.sum() / (weights * np.ones_like(losses)).sum(),
        Reduction.SUM_OVER_BATCH_SIZE: weighted.sum() / losses.size,
        Reduction.SUM_BY_NONZERO_WEIGHTS: weighted.sum() / 3,
    }
    for reduction, value in expected.items():
        got = tf.losses.compute_weighted_loss(losses, weights, reduction=reduction)
        np.testing.assert_allclose(run(got), value, rtol=1e-6)
    assert Reduction.SUM_OVER_NONZERO_WEIGHTS == Reduction.SUM_BY_NONZERO_WEIGHTS
    default = tf.losses.compute_weighted_loss(losses, weights)
    np.testing.assert_allclose(run(default), weighted.sum() / 3, rtol=1e-6)


def test_all_zero_weights_give_zero_not_nan():
    loss = tf.losses.mean_squared_error(LABELS, PREDICTIONS, weights=0.0)
    assert run(loss) == 0.0
    mean = tf.losses.compute_weighted_loss(LABELS, 0.0, reduction=Reduction.MEAN)
    assert run(mean) == 0.0


def test_weights_that_do_not_broadcast_are_value_errors():
    with pytest.raises(ValueError, match="weights can not be broadcast"):
        tf.losses.mean_squared_error(LABELS, PREDICTIONS, weights=np.ones([3, 4], np.float32))
    with pytest.raises(ValueError, match="weights can not be broadcast"):
        tf.losses.compute_weighted_loss(LABELS, np.ones([4], np.float32))
    with pytest.raises(ValueError, match="Invalid Reduction Key"):
        tf.losses.compute_weighted_loss(LABELS, reduction="mean")
    with pytest.raises(ValueError, match="labels must not be None"):
        tf.losses.mean_squared_error(None, PREDICTIONS)
    with pytest.raises(ValueError, match="incompatible"):
        tf.losses.absolute_difference(LABELS, PREDICTIONS[:, :2])


def test_loss_dtype_is_kept():
    loss = tf.losses.mean_squared_error(LABELS.astype(np.float64),
                                        PREDICTIONS.astype(np.float64))
    assert loss.dtype == tf.float32  # predictions and labels are cast to float32, as TF1
    weighted = tf.losses.compute_weighted_loss(tf.constant(LABELS, tf.float64))
    assert weighted.dtype == tf.float64


def test_softmax_cross_entropy_with_weights_and_label_smoothing():
    logits = np.array([[1e4, -1e4, 0.0], [1.0, 2.0, 3.0]], np.float32)
    onehot = np.array([[0, 1, 0], [0, 0, 1]], np.float32)
    log_p = np_log_softmax(logits.astype(np.float64))
    per_example = -(onehot * log_p).sum(-1)
    loss = tf.losses.softmax_cross_entropy(onehot, logits)
    assert np.isfinite(run(loss))
    np.testing.assert_allclose(run(loss), per_example.mean(), rtol=1e-6)
    weighted = tf.losses.softmax_cross_entropy(onehot, logits, weights=[0.0, 3.0])
    np.testing.assert_allclose(run(weighted), 3 * per_example[1], rtol=1e-6)
    smooth = tf.losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.3)
    smoothed = onehot * 0.7 + 0.3 / 3
    np.testing.assert_allclose(run(smooth), -(smoothed * log_p).sum(-1).mean(), rtol=1e-6)
    p = tf.placeholder(tf.float32, [2, 3])
    assert tf.gradients(tf.losses.softmax_cross_entropy(p, logits), p) == [None]


def test_sparse_softmax_cross_entropy_squeezes_labels():
    logits = rand(4, 5)
    labels = np.array([0, 4, 2, 2], np.int32)
    expected = -np_log_softmax(logits.astype(np.float64))[np.arange(4), labels]
    flat = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    column = tf.losses.sparse_softmax_cross_entropy(labels[:, None], logits,
                                                    weights=np.ones([4, 1], np.float32))
    np.testing.assert_allclose(run(flat), expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(run(column), expected.mean(), rtol=1e-5)


def test_sigmoid_cross_entropy_with_label_smoothing():
    logits = np.array([[-1e4, 0.5], [2.0, 1e4]], np.float32)
    labels = np.array([[0, 1], [1, 0]], np.float32)
    x = logits.astype(np.float64)

    def np_loss(z):
        return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(run(tf.losses.sigmoid_cross_entropy(labels, logits)),
                               np_loss(labels).mean(), rtol=1e-6)
    smooth = tf.losses.sigmoid_cross_entropy(labels, logits, label_smoothing=0.2)
    np.testing.assert_allclose(run(smooth), np_loss(labels * 0.8 + 0.1).mean(), rtol=1e-6)


def test_collections_total_loss_and_regularizers():
    w = tf.get_variable("w", [3, 2], initializer=tf.constant_initializer(2.0),
                        regularizer=tf.contrib.layers.l2_regularizer(0.1))
    b = tf.get_variable("b", [2], initializer=tf.constant_initializer(-1.0),
                        regularizer=tf.contrib.layers.l1_regularizer(0.5))
    regs = tf.losses.get_regularization_losses()
    assert len(regs) == 2
    data = tf.losses.mean_squared_error(tf.zeros([2]), b)
    extra = tf.constant(1.5)
    tf.losses.add_loss(extra)
    assert tf.losses.get_losses() == [data, extra]
    total = tf.losses.get_total_loss()
    without = tf.losses.get_total_loss(add_regularization_losses=False)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        reg_value = 0.1 * (6 * 4) / 2 + 0.5 * 2
        np.testing.assert_allclose(sess.run(tf.losses.get_regularization_loss()), reg_value,
                                   rtol=1e-6)
        np.testing.assert_allclose(sess.run(total), 1.0 + 1.5 + reg_value, rtol=1e-6)
        np.testing.assert_allclose(sess.run(without), 2.5, rtol=1e-6)
    assert total.op.name == "total_loss"
    unlisted = tf.losses.mean_squared_error(LABELS, PREDICTIONS, loss_collection=None)
    assert unlisted not in tf.losses.get_losses()


def test_regularization_loss_is_zero_without_regularizers_and_scopes_filter():
    assert run(tf.losses.get_regularization_loss()) == 0.0
    with tf.name_scope("tower"):
        inner = tf.losses.absolute_difference(LABELS, PREDICTIONS)
    tf.losses.absolute_difference(LABELS, PREDICTIONS)
    assert tf.losses.get_losses(scope="tower") == [inner]
    with tf.Graph().as_default(), pytest.raises(ValueError):
        tf.losses.get_total_loss()


def test_regularizer_arguments():
    with pytest.raises(ValueError, match="integer"):
        tf.contrib.layers.l2_regularizer(1)
    with pytest.raises(ValueError, match="less than 0"):
        tf.contrib.layers.l1_regularizer(-0.5)
    assert tf.contrib.layers.l2_regularizer(0.0)(tf.ones([2])) is None
    penalty = tf.contrib.layers.l2_regularizer(0.5, scope="decay")(tf.ones([2, 2]))
    assert penalty.op.name == "decay"
    assert run(penalty) == 1.0
    both = tf.contrib.layers.l1_l2_regularizer(0.5, 0.5)(tf.ones([2]))
    assert run(both) == 1.5
    total = tf.contrib.layers.apply_regularization(tf.contrib.layers.l1_regularizer(1.0),
                                                   [tf.ones([2]), -tf.ones([3])])
    assert run(total) == 5.0
    assert total in tf.losses.get_regularization_losses()


def test_losses_train_a_linear_model():
    x = rand(32, 3, seed=5)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    w = tf.Variable(tf.zeros([3, 1]))
    loss = tf.losses.mean_squared_error(y, tf.matmul(x, w))
    step = tf.assign_sub(w, 0.5 * tf.gradients(loss, w)[0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(loss)
        for _ in range(100):
            sess.run(step)
        assert sess.run(loss) < 0.01 * before
