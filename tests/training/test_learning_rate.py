"""Learning-rate schedules (training/learning_rate.py) against their formulas."""
import math

import numpy as np
import pytest

import tensorflux as tf

STEPS = [0, 1, 5, 9, 10, 11, 15, 20, 21, 35, 40, 47]


def values_over_steps(schedule_fn, steps=STEPS, step_dtype=tf.int64):
    step = tf.Variable(0, dtype=step_dtype, name="step")
    schedule = schedule_fn(step)
    out = []
    with tf.Session() as sess:
        for s in steps:
            step.load(s, sess)
            out.append(sess.run(schedule))
    return schedule, np.array(out)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    schedule, got = values_over_steps(
        lambda s: tf.train.exponential_decay(0.1, s, 10, 0.5, staircase=staircase))
    p = np.array(STEPS) / 10.0
    p = np.floor(p) if staircase else p
    np.testing.assert_allclose(got, 0.1 * 0.5 ** p, rtol=1e-6)
    assert schedule.dtype == tf.float32 and schedule.op.name == "ExponentialDecay"


def test_exponential_decay_keeps_a_float64_learning_rate():
    schedule, got = values_over_steps(
        lambda s: tf.train.exponential_decay(tf.constant(0.1, tf.float64), s, 3, 0.9))
    assert schedule.dtype == tf.float64
    # A Python decay rate becomes a float32 tensor cast to float64, as in TF1.
    rate = float(np.float32(0.9))
    np.testing.assert_allclose(got, 0.1 * rate ** (np.array(STEPS) / 3), rtol=1e-13)


@pytest.mark.parametrize("staircase", [False, True])
def test_natural_exp_decay(staircase):
    _, got = values_over_steps(
        lambda s: tf.train.natural_exp_decay(0.1, s, 10, 0.5, staircase=staircase))
    p = np.array(STEPS) / 10.0
    p = np.floor(p) if staircase else p
    np.testing.assert_allclose(got, 0.1 * np.exp(-0.5 * p), rtol=1e-5)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    _, got = values_over_steps(
        lambda s: tf.train.inverse_time_decay(0.1, s, 10, 0.5, staircase=staircase))
    p = np.array(STEPS) / 10.0
    p = np.floor(p) if staircase else p
    np.testing.assert_allclose(got, 0.1 / (1 + 0.5 * p), rtol=1e-6)


def test_polynomial_decay():
    _, got = values_over_steps(
        lambda s: tf.train.polynomial_decay(0.1, s, 20, end_learning_rate=0.01, power=2.0))
    step = np.minimum(STEPS, 20)
    np.testing.assert_allclose(got, (0.1 - 0.01) * (1 - step / 20) ** 2 + 0.01, rtol=1e-6)


def test_polynomial_decay_cycle():
    _, got = values_over_steps(
        lambda s: tf.train.polynomial_decay(0.1, s, 20, end_learning_rate=0.01, cycle=True))
    steps = np.array(STEPS, float)
    decay_steps = 20 * np.where(steps == 0, 1.0, np.ceil(steps / 20))
    np.testing.assert_allclose(got, 0.09 * (1 - steps / decay_steps) + 0.01, rtol=1e-6)


def test_piecewise_constant():
    _, got = values_over_steps(lambda s: tf.train.piecewise_constant(s, [5, 15], [1.0, 0.5, 0.1]))
    want = [1.0 if s <= 5 else 0.5 if s <= 15 else 0.1 for s in STEPS]
    np.testing.assert_allclose(got, want)
    assert tf.train.piecewise_constant_decay is tf.train.piecewise_constant


def test_piecewise_constant_with_float_x_and_tensor_values():
    x = tf.placeholder(tf.float32, [])
    lr = tf.train.piecewise_constant(x, [0.5], [tf.constant(3), tf.constant(7)])
    with tf.Session() as sess:
        assert [sess.run(lr, {x: v}) for v in (0.2, 0.5, 0.9)] == [3, 3, 7]


def test_piecewise_constant_errors():
    step = tf.Variable(0, dtype=tf.int64)
    with pytest.raises(ValueError, match="1 less than the length of values"):
        tf.train.piecewise_constant(step, [1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="must have the same dtype as x"):
        tf.train.piecewise_constant(step, [1.5], [1.0, 2.0])
    with pytest.raises(ValueError, match="all with the same dtype"):
        tf.train.piecewise_constant(step, [1], [1.0, 2])


def test_cosine_decay():
    _, got = values_over_steps(lambda s: tf.train.cosine_decay(0.1, s, 20, alpha=0.1))
    step = np.minimum(STEPS, 20)
    cosine = 0.5 * (1 + np.cos(np.pi * step / 20))
    np.testing.assert_allclose(got, 0.1 * ((1 - 0.1) * cosine + 0.1), rtol=1e-5, atol=1e-8)


def _np_cosine_restarts(step, first, t_mul, m_mul, alpha):
    fraction = step / first
    if t_mul == 1.0:
        i = math.floor(fraction)
        fraction -= i
    else:
        i = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
        fraction = (fraction - (1 - t_mul ** i) / (1 - t_mul)) / t_mul ** i
    cosine = 0.5 * m_mul ** i * (1 + math.cos(math.pi * fraction))
    return (1 - alpha) * cosine + alpha


@pytest.mark.parametrize("t_mul,m_mul", [(2.0, 1.0), (1.0, 0.5)])
def test_cosine_decay_restarts(t_mul, m_mul):
    _, got = values_over_steps(lambda s: tf.train.cosine_decay_restarts(
        0.1, s, 7, t_mul=t_mul, m_mul=m_mul, alpha=0.1))
    want = [0.1 * _np_cosine_restarts(s, 7, t_mul, m_mul, 0.1) for s in STEPS]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_linear_cosine_decay():
    _, got = values_over_steps(lambda s: tf.train.linear_cosine_decay(0.1, s, 20))
    step = np.minimum(STEPS, 20)
    linear = (20 - step) / 20
    cosine = 0.5 * (1 + np.cos(np.pi * 2 * 0.5 * step / 20))
    np.testing.assert_allclose(got, 0.1 * (linear * cosine + 0.001), rtol=1e-5, atol=1e-9)


def test_schedules_require_a_global_step():
    with pytest.raises(ValueError, match="global_step is required for exponential_decay"):
        tf.train.exponential_decay(0.1, None, 10, 0.5)


def test_decayed_learning_rate_drives_an_optimizer():
    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(1.0, step, 1, 0.5)
    w = tf.Variable([0.0], name="w")
    train = tf.train.GradientDescentOptimizer(lr).apply_gradients([(tf.constant([1.0]), w)],
                                                                global_step=step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        np.testing.assert_allclose(sess.run(w), [-(1.0 + 0.5 + 0.25)])
