import numpy as np
import pytest

import tensorflux as tf


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_several_paths_aggregate_and_grad_ys_weights():
    x = tf.constant(3.0)
    y = x * x + 2.0 * x
    (g,) = tf.gradients(y, [x])
    assert run(g) == 8.0
    (weighted,) = tf.gradients(y, x, grad_ys=tf.constant(0.5))
    assert run(weighted) == 4.0
    both = tf.gradients([x * x, 3.0 * x], x)
    assert run(both) == [9.0]


def test_unconnected_integer_and_stopped_paths():
    x = tf.constant(1.0)
    z = tf.constant(2.0)
    y = x * 3.0
    assert tf.gradients(y, z) == [None]
    zero = tf.gradients(y, z, unconnected_gradients="zero")[0]
    assert run(zero) == 0.0
    i = tf.cast(x, tf.int32)
    through_int = tf.cast(i, tf.float32) * 2.0
    assert tf.gradients(through_int, x) == [None]
    blocked = tf.stop_gradient(x * x) + x
    assert run(tf.gradients(blocked, x)) == [1.0]
    a = x * x
    b = a * 2.0
    assert tf.gradients(b, x, stop_gradients=[a]) == [None]
    assert run(tf.gradients(b, a)) == [2.0]


def test_gradients_are_graph_ops_under_gradients_scope():
    x = tf.placeholder(tf.float32, [2])
    y = tf.reduce_sum(tf.square(x))
    (g,) = tf.gradients(y, x)
    assert g.op.name.startswith("gradients/")
    np.testing.assert_allclose(run(g, {x: [1.0, -2.0]}), [2.0, -4.0])
    (gg,) = tf.gradients(g, x, grad_ys=tf.ones([2]))
    np.testing.assert_allclose(run(gg, {x: [1.0, -2.0]}), [2.0, 2.0])


def test_variables_get_gradients_through_their_snapshot():
    w = tf.Variable([1.0, 2.0])
    loss = tf.reduce_sum(w * w)
    (g,) = tf.gradients(loss, w)
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_allclose(sess.run(g), [2.0, 4.0])


def test_register_gradient_and_override_map():
    @tf.RegisterGradient("TimesTenGrad")
    def _times_ten(op, grad):
        return grad * 10.0

    x = tf.constant(2.0)
    with tf.get_default_graph().gradient_override_map({"Identity": "TimesTenGrad"}):
        y = tf.identity(x)
    z = tf.identity(x)
    assert run(tf.gradients(y, x)) == [10.0]
    assert run(tf.gradients(z, x)) == [1.0]
    with pytest.raises(KeyError, match="registered twice"):
        tf.RegisterGradient("TimesTenGrad")(lambda op, grad: grad)


def test_op_without_registered_gradient_is_a_lookup_error():
    from tensorflux.framework import registry
    from tensorflux.ops.op_util import apply_op
    if "NoGradForTest" not in registry.registered_op_types():
        registry.register_op("NoGradForTest", lambda op: [(op.inputs[0].dtype,
                                                           op.inputs[0].shape)])
        registry.kernel("NoGradForTest")(lambda x: x)
    x = tf.constant(1.0)
    y = apply_op("NoGradForTest", [x])
    with pytest.raises(LookupError, match="No gradient defined for operation"):
        tf.gradients(y, x)


def test_cond_gradient_flows_through_taken_branch():
    x = tf.placeholder(tf.float32, [])
    y = tf.cond(x > 0, lambda: x * x, lambda: -3.0 * x)
    (g,) = tf.gradients(y, x)
    assert run(g, {x: 2.0}) == 4.0
    assert run(g, {x: -2.0}) == -3.0
