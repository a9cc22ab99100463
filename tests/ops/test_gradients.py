"""Gradients of the math and array families: a float64 numeric-difference check generated for
every differentiable record of the op table (first and second order), the table's coverage of
the registered ops, and TF's special cases (ties, x = 0 in pow, stop/prevent gradient)."""
import os

import numpy as np
import pytest

import tensorflux as tf
from op_table import (BY_TYPE, EXCLUDED, FAMILIES, FAMILY_FILES, check_gradient, grad_items,
                      ids)
from tensorflux.framework import registry

GRADS = grad_items(FAMILIES)
TABLE = list(BY_TYPE.values())

def _first_case_of_each_record(items):
    first = {}
    for item in items:
        first.setdefault(item[0].op_type, item)
    return list(first.values())


SECOND = _first_case_of_each_record(GRADS)


@pytest.mark.parametrize("rec,case_index,dtype", GRADS, ids=ids(GRADS))
def test_gradient_matches_numeric_difference(rec, case_index, dtype):
    check_gradient(rec, case_index)


@pytest.mark.parametrize("rec,case_index,dtype", SECOND, ids=ids(SECOND))
def test_second_order_gradient_matches_numeric_difference(rec, case_index, dtype):
    check_gradient(rec, case_index, second_order=True)


# ---- the table covers the registry ----
def _family_op_types():
    root = os.path.dirname(os.path.dirname(os.path.abspath(tf.__file__)))
    files = {os.path.join(root, f) for f in FAMILY_FILES}
    return [t for t in registry.registered_op_types()
            if registry.get_op_def(t).where.rsplit(":", 1)[0] in files]


def test_every_math_and_array_op_has_a_record_or_a_reasoned_exclusion():
    types = _family_op_types()
    assert "MatMul" in types and "StridedSlice" in types
    missing = [t for t in types if t not in BY_TYPE and t not in EXCLUDED]
    assert missing == []
    assert all(reason for reason in EXCLUDED.values())
    assert [t for t in BY_TYPE if t not in types] == []


def test_every_math_and_array_op_declares_its_gradient():
    assert [t for t in _family_op_types() if not registry.has_gradient_entry(t)] == []


@pytest.mark.parametrize("rec", TABLE, ids=[r.op_type for r in TABLE])
def test_record_builds_its_op_and_agrees_with_the_gradient_registry(rec):
    case = rec.cases[0]
    with tf.Graph().as_default() as graph:
        feeds = [tf.placeholder(a.dtype or rec.dtypes[0], a.shape) for a in case.args]
        rec.build(*feeds, **case.kw)
        assert rec.op_type in {op.type for op in graph.get_operations()}
    fn = registry.get_gradient(rec.op_type)
    assert (fn is not None) == (rec.grad is not False)


# ---- special cases ----
def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_pow_gradient_at_zero_base_uses_log_only_where_positive():
    x = tf.constant([0.0, 2.0, -1.0])
    y = tf.constant([2.0, 3.0, 2.0])
    dx, dy = run(tf.gradients(tf.pow(x, y), [x, y]))
    np.testing.assert_allclose(dx, [0.0, 12.0, -2.0])
    np.testing.assert_allclose(dy, [0.0, 8 * np.log(2.0), 0.0], rtol=1e-6)


def test_maximum_and_minimum_give_ties_to_x():
    a = tf.constant([1.0, 2.0, 2.0])
    b = tf.constant([2.0, 2.0, 1.0])
    da, db = run(tf.gradients(tf.maximum(a, b), [a, b]))
    np.testing.assert_array_equal(da, [0, 1, 1])
    np.testing.assert_array_equal(db, [1, 0, 0])
    da, db = run(tf.gradients(tf.minimum(a, b), [a, b]))
    np.testing.assert_array_equal(da, [1, 1, 0])
    np.testing.assert_array_equal(db, [0, 0, 1])


def test_reduce_max_splits_the_gradient_evenly_among_ties():
    m = tf.constant([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]])
    np.testing.assert_allclose(run(tf.gradients(tf.reduce_max(m, 1), m)[0]),
                               [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    np.testing.assert_allclose(run(tf.gradients(tf.reduce_max(m), m)[0]),
                               [[0, 0.5, 0.5], [0, 0, 0]])


def test_reduce_prod_gradient_with_zeros():
    c = tf.constant([[1.0, -2.0, 0.0, 3.0], [1.0, 0.0, 0.0, 2.0]])
    np.testing.assert_allclose(run(tf.gradients(tf.reduce_prod(c, 1), c)[0]),
                               [[0, 0, -6, 0], [0, 0, 0, 0]])


def test_stop_gradient_blocks_and_prevent_gradient_raises():
    x = tf.constant([1.0, 2.0])
    assert tf.gradients(tf.stop_gradient(x) * x, x)[0] is not None
    np.testing.assert_allclose(run(tf.gradients(tf.stop_gradient(x) * x, x)[0]), [1.0, 2.0])
    assert tf.gradients(tf.stop_gradient(x), x) == [None]
    from tensorflux.ops.op_util import apply_op
    prevented = apply_op("PreventGradient", [x], {"T": tf.float32, "message": "no way"})
    with pytest.raises(LookupError, match="no way"):
        tf.gradients(prevented, x)


def test_integer_paths_and_piecewise_constant_ops_carry_no_gradient():
    x = tf.constant([1.5, -2.5])
    assert tf.gradients(tf.cast(tf.cast(x, tf.int32), tf.float32), x) == [None]
    assert tf.gradients(tf.floor(x), x) == [None]
    assert tf.gradients(tf.argmax(x), x) == [None]
    assert tf.gradients(tf.floordiv(x, 2.0), x) == [None]
    np.testing.assert_array_equal(run(tf.gradients(tf.sign(x), x)[0]), [0.0, 0.0])
    np.testing.assert_array_equal(run(tf.gradients(tf.cast(x, tf.float64), x)[0]), [1.0, 1.0])


def test_gradients_with_unknown_shapes_use_broadcast_gradient_args():
    x = tf.placeholder(tf.float64, [None, 3])
    b = tf.placeholder(tf.float64, [None])
    w = tf.placeholder(tf.float64, None)
    y = tf.reduce_sum((x * w + tf.reshape(b, [-1, 1])) ** 2, axis=1)
    grads = tf.gradients(y, [x, b, w])
    xv, bv, wv = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0]), np.array([2.0, 0.5, 1.0])
    gx, gb, gw = run(grads, {x: xv, b: bv, w: wv})
    inner = 2 * (xv * wv + bv[:, None])
    np.testing.assert_allclose(gx, inner * wv)
    np.testing.assert_allclose(gb, inner.sum(1))
    np.testing.assert_allclose(gw, (inner * xv).sum(0))


def test_gather_gradient_accumulates_repeated_indices():
    params = tf.constant(np.arange(6.0).reshape(3, 2))
    out = tf.gather(params, [2, 0, 2])
    np.testing.assert_array_equal(run(tf.gradients(out, params)[0]), [[1, 1], [0, 0], [2, 2]])


def test_strided_slice_gradient_places_values():
    x = tf.constant(np.arange(12.0).reshape(3, 4))
    g = run(tf.gradients(x[::-2, 1], x)[0])
    np.testing.assert_array_equal(g, [[0, 1, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]])


def test_hessian_of_a_polynomial():
    x = tf.constant([1.0, 2.0])
    h = run(tf.hessians(tf.reduce_sum(x ** 3) + x[0] * x[1], x)[0])
    np.testing.assert_allclose(h, [[6.0, 1.0], [1.0, 12.0]])
