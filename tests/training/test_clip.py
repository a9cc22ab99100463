"""Gradient clipping (ops/clip_ops.py) against NumPy formulas."""
import numpy as np
import pytest

import tensorflux as tf


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def np_clip_by_norm(t, clip, axes=None):
    norm = np.sqrt(np.sum(t * t, axis=axes, keepdims=True))
    return t * clip / np.maximum(norm, clip)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_by_norm(dtype):
    t = np.array([[3.0, 4.0], [0.3, -0.4]], dtype)
    for clip in (0.2, 1.0, 10.0):
        got = run(tf.clip_by_norm(tf.constant(t), clip))
        assert got.dtype == dtype
        np.testing.assert_allclose(got, np_clip_by_norm(t, clip), rtol=1e-6)
    got = run(tf.clip_by_norm(tf.constant(t), 1.0, axes=[1]))
    np.testing.assert_allclose(got, np_clip_by_norm(t, 1.0, axes=1), rtol=1e-6)


def test_clip_by_norm_keeps_zero_and_name():
    clipped = tf.clip_by_norm(tf.zeros([3]), 1.0)
    assert clipped.op.name == "clip_by_norm" and clipped.op.type == "Identity"
    assert tf.clip_by_norm([1.0], 1.0, name="mine").op.name == "mine"
    np.testing.assert_array_equal(run(clipped), [0.0, 0.0, 0.0])


def test_clip_by_norm_with_tensor_clip_norm():
    clip = tf.placeholder(tf.float32, [])
    t = np.array([6.0, 8.0], np.float32)
    np.testing.assert_allclose(run(tf.clip_by_norm(t, clip), {clip: 5.0}), [3.0, 4.0])


def test_clip_by_norm_refuses_broadcasting_t():
    with pytest.raises(ValueError):
        tf.clip_by_norm(tf.constant([1.0, 2.0]), tf.constant([[1.0], [2.0]]))


def test_clip_by_average_norm():
    t = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, 4.0]], np.float32)
    for clip in (0.1, 0.5, 5.0):
        got = run(tf.clip_by_average_norm(t, clip))
        avg_norm = np.sqrt(np.sum(t * t)) / t.size
        np.testing.assert_allclose(got, t * clip / max(avg_norm, clip), rtol=1e-6)
    assert tf.clip_by_average_norm(t, 1.0).op.name == "clip_by_average_norm_3"


def test_global_norm_skips_none():
    a = np.array([3.0, 4.0], np.float32)
    b = np.array([[1.0, 2.0], [2.0, 0.0]], np.float32)
    norm = tf.global_norm([tf.constant(a), None, tf.constant(b)])
    assert norm.op.name == "global_norm/global_norm"
    np.testing.assert_allclose(run(norm), np.sqrt(np.sum(a * a) + np.sum(b * b)), rtol=1e-6)


def test_global_norm_needs_a_sequence():
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.global_norm(tf.constant([1.0]))
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.clip_by_global_norm(tf.constant([1.0]), 1.0)


@pytest.mark.parametrize("clip", [0.5, 100.0])
def test_clip_by_global_norm(clip):
    a = np.array([3.0, 4.0], np.float32)
    b = np.array([[1.0, 2.0], [2.0, 0.0]], np.float32)
    clipped, norm = tf.clip_by_global_norm([tf.constant(a), None, tf.constant(b)], clip)
    assert clipped[1] is None and len(clipped) == 3
    assert clipped[0].op.name == "clip_by_global_norm/clip_by_global_norm/_0"
    assert clipped[2].op.name == "clip_by_global_norm/clip_by_global_norm/_2"
    got_a, got_b, got_norm = run([clipped[0], clipped[2], norm])
    total = np.sqrt(np.sum(a * a) + np.sum(b * b))
    scale = clip / max(total, clip)
    np.testing.assert_allclose(got_norm, total, rtol=1e-6)
    np.testing.assert_allclose(got_a, a * scale, rtol=1e-6)
    np.testing.assert_allclose(got_b, b * scale, rtol=1e-6)


def test_clip_by_global_norm_with_use_norm():
    a = np.array([3.0, 4.0], np.float32)
    clipped, norm = tf.clip_by_global_norm([a], 1.0, use_norm=tf.constant(10.0))
    np.testing.assert_allclose(run(clipped[0]), a / 10.0, rtol=1e-6)
    assert run(norm) == 10.0


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_clip_by_global_norm_of_inf_or_nan_is_nan(bad):
    clipped, norm = tf.clip_by_global_norm([tf.constant([bad, 1.0]), tf.constant([3.0, 4.0])],
                                           1.0)
    first, second, got_norm = run([clipped[0], clipped[1], norm])
    assert np.isnan(first).all() and np.isnan(second).all()
    assert np.isinf(got_norm) if bad == np.inf else np.isnan(got_norm)


def test_clip_by_value_is_exported():
    np.testing.assert_allclose(run(tf.clip_by_value([-2.0, 0.5, 3.0], -1.0, 1.0)),
                               [-1.0, 0.5, 1.0])
