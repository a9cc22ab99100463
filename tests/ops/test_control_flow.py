import numpy as np
import pytest

import tensorflux as tf


def test_cond_runs_only_taken_branch():
    x = tf.placeholder(tf.float32, [])
    counter_t = tf.Variable(0)
    counter_f = tf.Variable(0)

    def when_true():
        with tf.control_dependencies([tf.assign_add(counter_t, 1)]):
            return x * 2

    def when_false():
        with tf.control_dependencies([tf.assign_add(counter_f, 1)]):
            return x - 1

    y = tf.cond(x > 0, when_true, when_false)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(y, {x: 3.0}) == 6.0
        assert sess.run(y, {x: -3.0}) == -4.0
        assert sess.run(y, {x: 1.0}) == 2.0
        assert sess.run([counter_t, counter_f]) == [2, 1]


def test_cond_with_constants_and_structures():
    p = tf.placeholder(tf.bool, [])
    a, b = tf.cond(p, lambda: (tf.constant(1), tf.constant([1.0, 2.0])),
                   lambda: (tf.constant(2), tf.constant([3.0, 4.0])))
    with tf.Session() as sess:
        assert sess.run([a, b], {p: True})[0] == 1
        assert sess.run(b, {p: False}).tolist() == [3.0, 4.0]
    with pytest.raises(TypeError):
        tf.cond(p, lambda: tf.constant(1), lambda: tf.constant(1.0))


def test_case_picks_first_true():
    x = tf.placeholder(tf.int32, [])
    y = tf.case([(x < 0, lambda: tf.constant(-1)), (x > 0, lambda: tf.constant(1))],
                default=lambda: tf.constant(0))
    with tf.Session() as sess:
        assert [sess.run(y, {x: v}) for v in (-5, 0, 5)] == [-1, 0, 1]


def test_group_tuple_identity_no_op():
    v = tf.Variable(0)
    a = tf.assign_add(v, 1)
    b = tf.assign_add(v, 10)
    g = tf.group(a, b)
    assert g.type == "NoOp" and len(g.control_inputs) == 2
    t1, t2 = tf.tuple([tf.constant(1), tf.constant(2)])
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(g)
        assert sess.run(v) == 11
        assert sess.run([t1, t2]) == [1, 2]
        assert sess.run(tf.no_op()) is None


def test_print_passes_value_and_prints(capfd):
    x = tf.constant([1, 2, 3])
    y = tf.Print(x, [x, tf.constant(7)], message="values: ")
    with tf.Session() as sess:
        assert sess.run(y).tolist() == [1, 2, 3]
    err = capfd.readouterr().err
    assert "values: [1 2 3][7]" in err


def test_assert_raises_invalid_argument():
    x = tf.placeholder(tf.float32)
    check = tf.Assert(x > 0, [x])
    with tf.control_dependencies([check]):
        y = tf.identity(x)
    with tf.Session() as sess:
        assert sess.run(y, {x: 1.0}) == 1.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="assertion failed"):
            sess.run(y, {x: -1.0})


def test_fetching_untaken_branch_value_fails():
    p = tf.placeholder(tf.bool, [])
    false_out, true_out = tf.switch(tf.constant(1.0), p) if hasattr(tf, "switch") else (None, None)
    with tf.Session() as sess:
        assert sess.run(true_out, {p: True}) == 1.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="untaken"):
            sess.run(true_out, {p: False})
    np.testing.assert_equal(false_out.shape.as_list(), [])
