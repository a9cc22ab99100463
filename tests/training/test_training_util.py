"""The global step (training/training_util.py)."""
import pytest

import tensorflux as tf


def test_create_and_get_global_step():
    assert tf.train.get_global_step() is None
    step = tf.train.create_global_step()
    assert step.op.name == "global_step" and step.dtype.base_dtype == tf.int64
    assert step.get_shape().ndims == 0
    assert tf.get_collection(tf.GraphKeys.GLOBAL_STEP) == [step]
    assert step in tf.global_variables() and step not in tf.trainable_variables()
    assert tf.train.get_global_step() is step
    assert tf.train.get_or_create_global_step() is step
    with pytest.raises(ValueError, match='"global_step" already exists'):
        tf.train.create_global_step()


def test_global_step_is_created_at_the_root_name_scope():
    with tf.name_scope("outer"):
        step = tf.train.get_or_create_global_step()
    assert step.op.name == "global_step"


def test_global_step_value_and_increment():
    step = tf.train.get_or_create_global_step()
    inc = tf.assign_add(step, 1)
    with tf.Session() as sess:
        sess.run(step.initializer)
        sess.run(inc)
        value = tf.train.global_step(sess, step)
        assert value == 1 and isinstance(value, int)


def test_get_global_step_finds_a_tensor_by_name():
    step = tf.Variable(0, dtype=tf.int64, name="global_step")
    found = tf.train.get_global_step()
    assert found.name == "global_step:0" and found.op is step.op


def test_get_global_step_in_another_graph():
    graph = tf.Graph()
    step = tf.train.get_or_create_global_step(graph)
    assert step.graph is graph and tf.train.get_global_step() is None
    assert tf.train.get_global_step(graph) is step


def test_global_step_must_be_an_integer_scalar():
    tf.add_to_collection(tf.GraphKeys.GLOBAL_STEP, tf.Variable(0.0, name="float_step"))
    with pytest.raises(TypeError, match="does not have integer type"):
        tf.train.get_global_step()
    graph = tf.Graph()
    with graph.as_default():
        tf.add_to_collection(tf.GraphKeys.GLOBAL_STEP, tf.Variable([0, 1], name="vector"))
        with pytest.raises(TypeError, match="is not scalar"):
            tf.train.get_global_step()
