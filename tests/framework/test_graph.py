import pytest

import tensorflux as tf


def test_unique_names_and_name_scopes():
    a = tf.constant(1)
    b = tf.constant(2)
    assert a.name == "Const:0" and b.name == "Const_1:0"
    with tf.name_scope("hidden") as scope:
        assert scope == "hidden/"
        c = tf.constant(3, name="alpha")
        with tf.name_scope("inner"):
            d = tf.constant(4)
    with tf.name_scope("hidden"):
        e = tf.constant(5, name="alpha")
    assert c.name == "hidden/alpha:0"
    assert d.name == "hidden/inner/Const:0"
    assert e.name == "hidden_1/alpha:0"
    with tf.name_scope("hidden/"):
        f = tf.constant(6, name="alpha")
    assert f.name == "hidden/alpha_1:0"
    explicit = tf.constant(7, name="Const_2")
    after = tf.constant(8)
    assert explicit.name == "Const_2:0" and after.name == "Const_3:0"


def test_tensor_and_operation_attributes():
    a = tf.constant([[1.0, 2.0]], name="a")
    b = tf.constant([[3.0], [4.0]], name="b")
    c = tf.matmul(a, b, name="c")
    assert str(a) == 'Tensor("a:0", shape=(1, 2), dtype=float32)'
    assert repr(c) == "<tf.Tensor 'c:0' shape=(1, 1) dtype=float32>"
    assert c.op.type == "MatMul" and c.op.name == "c"
    assert list(c.op.inputs) == [a, b]
    assert c.op.outputs == [c] and c.value_index == 0
    assert c.graph is tf.get_default_graph()
    assert c.op.get_attr("transpose_a") is False
    assert a.consumers() == [c.op]
    assert c.op.traceback[-1][0] == __file__
    with pytest.raises(ValueError):
        c.op.get_attr("nope")


def test_lookup_by_name_and_errors():
    g = tf.get_default_graph()
    a = tf.constant(1, name="x")
    assert g.get_tensor_by_name("x:0") is a
    assert g.get_operation_by_name("x") is a.op
    with pytest.raises(KeyError):
        g.get_tensor_by_name("y:0")
    with pytest.raises(ValueError):
        g.get_tensor_by_name("x")
    with pytest.raises(KeyError):
        g.get_tensor_by_name("x:3")
    assert [op.name for op in g.get_operations()] == ["x"]


def test_several_graphs_and_default_stack():
    g1 = tf.Graph()
    with g1.as_default():
        a = tf.constant(1)
        assert tf.get_default_graph() is g1
    b = tf.constant(2)
    assert a.graph is g1 and b.graph is not g1
    with pytest.raises(ValueError, match="same graph"):
        tf.add(a, b)


def test_control_dependencies_device_and_collections():
    a = tf.constant(1)
    with tf.control_dependencies([a]):
        b = tf.constant(2)
        with tf.control_dependencies(None):
            c = tf.constant(3)
    assert b.op.control_inputs == [a.op] and c.op.control_inputs == []
    with tf.device("/cpu:0"):
        d = tf.constant(4)
        with tf.device("/job:worker/task:1"):
            e = tf.constant(5)
    assert d.op.device == "/device:CPU:0"
    assert e.op.device == "/job:worker/task:1/device:CPU:0"
    tf.add_to_collection("losses", a)
    tf.add_to_collections(["losses", "other"], b)
    assert tf.get_collection("losses") == [a, b]
    assert tf.get_collection("other") == [b]
    assert tf.get_collection("missing") == []
    assert tf.GraphKeys.TRAINABLE_VARIABLES == "trainable_variables"


def test_finalize_forbids_new_ops():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1)
        g.finalize()
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(2)


def test_tensor_not_a_python_bool_and_iteration():
    t = tf.constant([1, 2, 3])
    with pytest.raises(TypeError):
        bool(t)
    assert [x.shape.ndims for x in t] == [0, 0, 0]
    with pytest.raises(TypeError):
        iter(tf.placeholder(tf.float32))


def test_static_shape_errors_at_construction():
    with pytest.raises(ValueError, match=r"\[2,3\], \[2,3\]"):
        tf.matmul(tf.ones([2, 3]), tf.ones([2, 3]))
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.add(tf.ones([2, 3]), tf.ones([3, 2]))
    with pytest.raises(ValueError):
        tf.reshape(tf.ones([2, 3]), [4])


def test_reset_default_graph_inside_nested_graph_fails():
    with tf.Graph().as_default():
        with pytest.raises(AssertionError):
            tf.reset_default_graph()
