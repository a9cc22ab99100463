"""GraphDefs: export with TF's encodings, import through the op registry, write_graph,
freezing with graph_util, and loading TF-written graphs (fixtures; real TF where installed)."""
import json
import os

import numpy as np
import pytest

import tensorflux as tf
from tensorflux.formats import protos, text_format
from tensorflux.framework.graph_io import parse_graph_def_file
from realtf import run_tf

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tf1_model")


def _small_graph():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.name_scope("layer"):
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
        y = tf.nn.relu(tf.matmul(x, w) - tf.constant(2.0, name="two"), name="y")
    with tf.control_dependencies([y]):
        z = tf.identity(tf.reduce_sum(y, axis=1), name="z")
    return x, w, y, z


def _nodes(graph_def):
    return {node.name: node for node in graph_def.node}


# ----------------------------------------------------------------------------------------------
# Export

def test_as_graph_def_uses_tf_encodings():
    _small_graph()
    tf.nn.max_pool(tf.zeros([1, 4, 4, 1]), [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="pool")
    tf.placeholder(tf.int64, name="free")
    graph_def = tf.get_default_graph().as_graph_def()
    assert isinstance(graph_def, tf.GraphDef) and graph_def.versions.producer > 0
    nodes = _nodes(graph_def)
    assert [n.name for n in graph_def.node][:4] == ["x", "layer/w/initial_value", "layer/w",
                                                     "layer/w/Assign"]
    x = nodes["x"]
    assert x.op == "Placeholder" and x.attr["dtype"].type == protos.DT_FLOAT
    assert [d.size for d in x.attr["shape"].shape.dim] == [-1, 3]
    assert nodes["free"].attr["shape"].shape.unknown_rank
    const = nodes["layer/w/initial_value"].attr["value"].tensor
    assert const.dtype == protos.DT_FLOAT and len(const.tensor_content) == 24
    np.testing.assert_array_equal(protos.make_ndarray(const), np.arange(6).reshape(3, 2))
    assert nodes["layer/w"].attr["dtype"].type == protos.DT_FLOAT
    assert list(nodes["layer/MatMul"].input) == ["x", "layer/w/read"]
    assert nodes["layer/MatMul"].attr["transpose_a"].b is False
    assert nodes["layer/MatMul"].attr["T"].type == protos.DT_FLOAT
    assert list(nodes["pool"].attr["ksize"].list.i) == [1, 2, 2, 1]
    assert nodes["pool"].attr["padding"].s == b"VALID"
    assert nodes["z"].input[-1] == "^layer/y"
    assert list(nodes["layer/w/read"].attr["_class"].list.s) == [b"loc:@layer/w"]
    assert "_output_shapes" not in x.attr


def test_add_shapes_and_devices_are_written():
    with tf.device("/cpu:0"):
        _small_graph()
    nodes = _nodes(tf.get_default_graph().as_graph_def(add_shapes=True))
    shapes = nodes["layer/y"].attr["_output_shapes"].list.shape
    assert [[d.size for d in s.dim] for s in shapes] == [[-1, 2]]
    assert nodes["layer/y"].device == "/device:CPU:0"


def test_write_graph_text_and_binary(tmp_path):
    _small_graph()
    graph = tf.get_default_graph()
    text_path = tf.train.write_graph(graph, str(tmp_path / "sub"), "g.pbtxt")
    binary_path = tf.train.write_graph(graph.as_graph_def(), str(tmp_path), "g.pb", False)
    assert text_path == str(tmp_path / "sub" / "g.pbtxt")
    text = open(text_path).read()
    assert text.startswith('node {\n  name: "x"\n  op: "Placeholder"\n')
    assert text == text_format.message_to_text(graph.as_graph_def())
    assert parse_graph_def_file(text_path) == parse_graph_def_file(binary_path) == \
        graph.as_graph_def()
    assert [f for f in os.listdir(tmp_path) if "tmp" in f] == []


# ----------------------------------------------------------------------------------------------
# Import

def test_import_round_trip_runs_the_same():
    x, w, y, z = _small_graph()
    graph_def = tf.get_default_graph().as_graph_def()
    feed = np.array([[1.0, 2.0, 3.0]], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        expected = sess.run(z, {x: feed})
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def)
        tf.import_graph_def(graph_def)
        assert graph.get_operation_by_name("import_1/layer/w").type == "VariableV2"
        out = graph.get_tensor_by_name("import/z:0")
        assert out.shape.as_list() == [None] and out.dtype == tf.float32
        with tf.Session() as sess:
            sess.run("import/layer/w/Assign")
            np.testing.assert_array_equal(sess.run(out, {"import/x:0": feed}), expected)
        assert graph.as_graph_def().node[0].name == "import/x"
        reimported = {n.name: n for n in graph.as_graph_def().node}
        assert reimported["import/z"].input[-1] == "^import/layer/y"
        assert list(reimported["import/layer/w/read"].attr["_class"].list.s) == \
            [b"loc:@import/layer/w"]


def test_input_map_return_elements_and_empty_name():
    _, _, _, z = _small_graph()
    graph_def = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default():
        feed = tf.constant([[1.0, 1.0, 1.0]], name="feed")
        out, op = tf.import_graph_def(graph_def, input_map={"x": feed},
                                      return_elements=["z:0", "layer/w/Assign"], name="")
        assert out.name == "z:0" and op.name == "layer/w/Assign"
        with tf.Session() as sess:
            sess.run(op)
            np.testing.assert_array_equal(sess.run(out), [4.0 + 7.0])
        with pytest.raises(ValueError, match="not found in graph_def"):
            tf.import_graph_def(graph_def, input_map={"nope:0": feed})
        with pytest.raises(ValueError, match="return_element"):
            tf.import_graph_def(graph_def, return_elements=["nope:0"])
        with pytest.raises(ValueError, match="Duplicate node name"):
            tf.import_graph_def(graph_def, name="")


def test_unknown_op_type_is_named():
    graph_def = tf.GraphDef()
    graph_def.node.add(name="strange", op="FancyOp")
    for error in (ValueError, tf.errors.NotFoundError):
        with pytest.raises(error, match="FancyOp"):
            tf.import_graph_def(graph_def)
    assert tf.get_default_graph().get_operations() == []


def test_bad_graph_defs():
    graph_def = tf.GraphDef()
    graph_def.node.add(name="a", op="Identity", input=["missing"])
    with pytest.raises(ValueError, match="Unknown input node 'missing'"):
        tf.import_graph_def(graph_def)
    cycle = tf.GraphDef()
    cycle.node.add(name="a", op="Identity", input=["b"])
    cycle.node.add(name="b", op="Identity", input=["a"])
    with pytest.raises(ValueError, match="cycle"):
        tf.import_graph_def(cycle)
    with pytest.raises(TypeError, match="GraphDef"):
        tf.import_graph_def("not a graph")


def test_graph_def_in_any_node_order_imports():
    _, _, _, z = _small_graph()
    graph_def = tf.get_default_graph().as_graph_def()
    shuffled = tf.GraphDef()
    shuffled.node.extend(reversed(list(graph_def.node)))
    with tf.Graph().as_default():
        (out,) = tf.import_graph_def(shuffled, return_elements=["z:0"], name="")
        assert out.op.inputs[0].op.name == "Sum"


# ----------------------------------------------------------------------------------------------
# graph_util

def test_convert_variables_to_constants_freezes_a_model():
    x, w, y, z = _small_graph()
    tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(z))
    feed = np.array([[1.0, -2.0, 3.0]], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign(w * 2.0))
        expected = sess.run(z, {x: feed})
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, sess.graph.as_graph_def(), ["z"])
    ops = {node.op for node in frozen.node}
    assert "VariableV2" not in ops and "Assign" not in ops and "ApplyGradientDescent" not in ops
    assert _nodes(frozen)["layer/w"].op == "Const"
    with tf.Graph().as_default():
        (out,) = tf.import_graph_def(frozen, return_elements=["z:0"], name="")
        with tf.Session() as sess:      # no initialization: the weights are constants
            np.testing.assert_array_equal(sess.run(out, {"x:0": feed}), expected)
    sub = tf.graph_util.extract_sub_graph(frozen, ["layer/y"])
    assert "z" not in _nodes(sub) and "layer/w" in _nodes(sub)
    with pytest.raises(AssertionError, match="nope is not in graph"):
        tf.graph_util.extract_sub_graph(frozen, ["nope"])
    stripped = tf.graph_util.remove_training_nodes(frozen, protected_nodes=["z"])
    assert "layer/w/read" not in _nodes(stripped)
    assert list(_nodes(stripped)["layer/MatMul"].input) == ["x", "layer/w"]


# ----------------------------------------------------------------------------------------------
# TF-written graphs (fixtures made by make_tf1_fixtures.py with TF 2.21 in TF1 mode)

def _expected():
    with open(os.path.join(FIXTURES, "expected.json")) as f:
        data = json.load(f)
    return np.array(data["xs"], np.float32), np.array(data["probs"], np.float32)


@pytest.mark.parametrize("name", ["graph.pb", "graph.pbtxt"])
def test_tf_written_training_graph_imports_restores_and_runs(name):
    xs, probs = _expected()
    graph_def = parse_graph_def_file(os.path.join(FIXTURES, name))
    tf.import_graph_def(graph_def, name="")
    prefix = tf.train.latest_checkpoint(FIXTURES)
    with tf.Session() as sess:
        sess.run("save/restore_all", {"save/Const:0": prefix})
        np.testing.assert_allclose(sess.run("probs:0", {"x:0": xs}), probs, rtol=1e-5,
                                   atol=1e-6)
        sess.run("GradientDescent", {"x:0": xs, "labels:0": [0, 1, 2, 1]})
        assert sess.run("global_step:0") == 4


def test_tf_written_frozen_graph_and_meta_graph():
    xs, probs = _expected()
    with tf.Graph().as_default():
        (out,) = tf.import_graph_def(parse_graph_def_file(os.path.join(FIXTURES, "frozen.pb")),
                                     return_elements=["probs:0"])
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(out, {"import/x:0": xs}), probs, rtol=1e-5,
                                       atol=1e-6)
    prefix = tf.train.latest_checkpoint(FIXTURES)
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(prefix + ".meta")
        assert {v.op.name for v in tf.trainable_variables()} == {"conv/k", "fc/w", "fc/b"}
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_allclose(sess.run("probs:0", {"x:0": xs}), probs, rtol=1e-5,
                                       atol=1e-6)
            assert sess.run("names:0").tolist() == [b"a", b"bc"]


# ----------------------------------------------------------------------------------------------
# Real TensorFlow reads our GraphDefs

_TF_IMPORTS_OURS = """
from google.protobuf import text_format
directory = ARGS[0]
out = {}
for name in ("graph.pb", "graph.pbtxt", "frozen.pb"):
    data = open(os.path.join(directory, name), "rb").read()
    graph_def = tf.GraphDef()
    if name.endswith("txt"):
        text_format.Merge(data.decode(), graph_def)
        out["same_text"] = text_format.MessageToString(graph_def) == data.decode()
    else:
        graph_def.ParseFromString(data)
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            if name != "frozen.pb":
                sess.run("save/restore_all", {"save/Const:0": os.path.join(directory, "model")})
            out[name] = sess.run("probs:0", {"x:0": np.ones((2, 4, 4, 1), np.float32)}).tolist()
print(json.dumps(out))
"""


def test_real_tensorflow_imports_our_graphs(tmp_path):
    x = tf.placeholder(tf.float32, [None, 4, 4, 1], name="x")
    kernel = tf.Variable(tf.truncated_normal([3, 3, 1, 2], seed=1), name="k")
    conv = tf.nn.relu(tf.nn.conv2d(x, kernel, [1, 1, 1, 1], "SAME"))
    pooled = tf.nn.avg_pool(conv, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    flat = tf.reshape(pooled, [-1, 8])
    w = tf.Variable(tf.random_normal([8, 3], seed=2), name="w")
    probs = tf.nn.softmax(tf.matmul(flat, w) + tf.constant([0.1, 0.2, 0.3]), name="probs")
    tf.train.GradientDescentOptimizer(0.1).minimize(-tf.reduce_mean(tf.log(probs)))
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        saver.save(sess, str(tmp_path / "model"), write_meta_graph=False)
        expected = sess.run(probs, {x: np.ones((2, 4, 4, 1))})
        frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(),
                                                              ["probs"])
    tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "graph.pbtxt")
    tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "graph.pb", as_text=False)
    tf.train.write_graph(frozen, str(tmp_path), "frozen.pb", as_text=False)
    theirs = json.loads(run_tf(_TF_IMPORTS_OURS, tmp_path))
    assert theirs["same_text"]
    for name in ("graph.pb", "graph.pbtxt", "frozen.pb"):
        np.testing.assert_allclose(theirs[name], expected, rtol=1e-5, atol=1e-6)
