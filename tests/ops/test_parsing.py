"""tf.train.Example and SequenceExample parsing: values, padding, static shapes, TF's error
messages, and graphs that run the same here and in a real TensorFlow."""
import json

import numpy as np
import pytest

import tensorflux as tf
from queue_session import BOUNDED
from realtf import run_tf


def _feature(values):
    """A Feature holding `values` in the list their type calls for."""
    if values and isinstance(values[0], bytes):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
    if values and isinstance(values[0], float):
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def _example(**features):
    return tf.train.Example(features=tf.train.Features(
        feature={k: _feature(v) for k, v in features.items()})).SerializeToString()


def _sequence_example(context=None, lists=None):
    return tf.train.SequenceExample(
        context=tf.train.Features(feature={k: _feature(v) for k, v in (context or {}).items()}),
        feature_lists=tf.train.FeatureLists(feature_list={
            k: tf.train.FeatureList(feature=[_feature(step) for step in steps])
            for k, steps in (lists or {}).items()})).SerializeToString()


def _run(fetches, feed_dict=None):
    with tf.Session(config=BOUNDED) as sess:
        return sess.run(fetches, feed_dict)


def _raises(fetches, message):
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        _run(fetches)
    assert info.value.message == message


# ---- parse_example ----
def test_parse_example_dense_and_sparse():
    records = [_example(label=[i], values=[0.5 * i] * (i + 1)) for i in range(3)]
    parsed = tf.parse_example(records, {"label": tf.FixedLenFeature([], tf.int64),
                                        "values": tf.VarLenFeature(tf.float32),
                                        "extra": tf.FixedLenFeature([2], tf.float32, [1., 2.])})
    assert parsed["label"].shape.as_list() == [3]
    assert parsed["extra"].shape.as_list() == [3, 2]
    out = _run(parsed)
    assert out["label"].tolist() == [0, 1, 2]
    assert out["extra"].tolist() == [[1., 2.]] * 3
    assert isinstance(out["values"], tf.SparseTensorValue)
    assert out["values"].indices.tolist() == [[0, 0], [1, 0], [1, 1], [2, 0], [2, 1], [2, 2]]
    assert out["values"].values.tolist() == [0., .5, .5, 1., 1., 1.]
    assert out["values"].dense_shape.tolist() == [3, 3]


def test_parse_single_example_and_errors():
    record = _example(label=[7], name=[b"n7"], values=[1.5, 2.5])
    parsed = tf.parse_single_example(record, {"label": tf.FixedLenFeature([], tf.int64),
                                              "name": tf.FixedLenFeature([], tf.string),
                                              "values": tf.VarLenFeature(tf.float32)})
    out = _run(parsed)
    assert out["label"] == 7 and out["name"] == b"n7"
    assert out["values"].indices.tolist() == [[0], [1]]
    assert out["values"].dense_shape.tolist() == [2]
    _raises(tf.parse_single_example(record, {"label": tf.FixedLenFeature([], tf.float32)}),
            "Name: <unknown>, Key: label, Index: 0.  Data types don't match. Data type: int64 "
            "but expected type: float")
    _raises(tf.parse_single_example(record, {"values": tf.FixedLenFeature([3], tf.float32)}),
            "Name: <unknown>, Key: values, Index: 0.  Number of float values != expected.  "
            "Values size: 2 but output shape: [3]")
    _raises(tf.parse_single_example(record, {"gone": tf.FixedLenFeature([], tf.int64)}),
            "Name: <unknown>, Feature: gone (data type: int64) is required but could not be "
            "found.")
    _raises(tf.parse_single_example(b"\xff\xff", {"label": tf.FixedLenFeature([], tf.int64)}),
            "Could not parse example input, value: '\\377\\377' (index 0)")


def test_parse_example_op_has_tensorflows_inputs_and_attrs():
    parsed = tf.parse_example(tf.placeholder(tf.string, [None]),
                              {"b": tf.VarLenFeature(tf.string),
                               "a": tf.FixedLenFeature([2], tf.int64, default_value=[1, 2]),
                               "s": tf.FixedLenSequenceFeature([3], tf.float32,
                                                               allow_missing=True)})
    op = parsed["a"].op
    assert op.type == "ParseExample" and op.name == "ParseExample"
    assert (op.get_attr("Nsparse"), op.get_attr("Ndense")) == (1, 2)
    assert op.get_attr("sparse_types") == [tf.string]
    assert op.get_attr("Tdense") == [tf.int64, tf.float32]
    assert [s.as_list() for s in op.get_attr("dense_shapes")] == [[2], [None, 3]]
    # serialized, names, the keys (sorted, sparse first), then the dense defaults.
    assert [t.op.name for t in op.inputs[1:]] == [
        "ParseExample/names", "ParseExample/sparse_keys_0", "ParseExample/dense_keys_0",
        "ParseExample/dense_keys_1", "ParseExample/key_a", "ParseExample/padding_s"]
    assert [t.op.get_attr("value").tolist() for t in op.inputs[2:]] == \
        [b"b", b"a", b"s", [1, 2], 0.0]
    assert parsed["s"].shape.as_list() == [None, None, 3]
    assert parsed["b"].indices.shape.as_list() == [None, 2]
    with pytest.raises(ValueError, match="rank 1"):
        tf.parse_example(_example(a=[1]), {"a": tf.FixedLenFeature([], tf.int64)})
    with pytest.raises(ValueError, match="features was empty"):
        tf.parse_example([_example(a=[1])], {})


def test_fixed_len_sequence_feature_pads_to_the_longest_example():
    records = [_example(), _example(a=[1., 2.], s=[b"x"]), _example(a=[1., 2., 3., 4.],
                                                                    s=[b"y", b"z"])]
    parsed = tf.parse_example(records, {
        "a": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
        "s": tf.FixedLenSequenceFeature([], tf.string, allow_missing=True),
        "p": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True, default_value=-1)})
    assert parsed["a"].shape.as_list() == [3, None, 2]
    out = _run(parsed)
    assert out["a"].tolist() == [[[0, 0], [0, 0]], [[1, 2], [0, 0]], [[1, 2], [3, 4]]]
    assert out["s"].tolist() == [[b"", b""], [b"x", b""], [b"y", b"z"]]
    assert out["p"].shape == (3, 0, 2)
    padded = tf.parse_example(records[:2], {"a": tf.FixedLenSequenceFeature(
        [2], tf.float32, allow_missing=True, default_value=-1.0)})
    assert _run(padded)["a"].tolist() == [[[-1, -1]], [[1, 2]]]
    single = tf.parse_single_example(records[2], {"a": tf.FixedLenSequenceFeature(
        [2], tf.float32, allow_missing=True)})
    assert single["a"].shape.as_list() == [None, 2]
    assert _run(single)["a"].tolist() == [[1, 2], [3, 4]]
    _raises(tf.parse_example(records, {"a": tf.FixedLenSequenceFeature([3], tf.float32,
                                                                       allow_missing=True)}),
            "Name: <unknown>, Key: a, Index: 1.  Number of float values is not a multiple of "
            "stride length. Saw 2 values but output shape is: [?,3]")
    with pytest.raises(ValueError, match="requires allow_missing to be True"):
        tf.parse_example(records, {"a": tf.FixedLenSequenceFeature([2], tf.float32)})
    with pytest.raises(ValueError, match="one padding element"):
        tf.parse_example(records, {"a": tf.FixedLenSequenceFeature(
            [2], tf.float32, allow_missing=True, default_value=[1., 2.])})
    with pytest.raises(ValueError, match="Consider using FixedLenSequenceFeature"):
        tf.parse_example(records, {"a": tf.FixedLenFeature([None], tf.float32)})


def test_example_names_name_the_example_in_errors():
    records = [_example(a=[1]), _example(a=[b"x"])]
    _raises(tf.parse_example(records, {"a": tf.FixedLenFeature([], tf.int64)},
                             example_names=["first", "second"]),
            "Name: second, Key: a, Index: 1.  Data types don't match. Data type: string but "
            "expected type: int64")
    _raises(tf.parse_example(records, {"a": tf.VarLenFeature(tf.int64)},
                             example_names=["only one"]),
            "Expected names have the same shape as serialized: name.shape=[1], "
            "serialized.shape=[2]")


# ---- parse_single_sequence_example ----
_SEQUENCE = _sequence_example(
    context={"length": [3], "name": [b"abc"], "tags": [4, 5]},
    lists={"tok": [[1], [2], [3]], "vec": [[1., 2.], [3., 4.], [5., 6.]],
           "var": [[], [7, 8], [9]], "empty": []})


def test_parse_single_sequence_example_values_and_shapes():
    context, steps = tf.parse_single_sequence_example(
        _SEQUENCE,
        context_features={"length": tf.FixedLenFeature([], tf.int64),
                          "name": tf.FixedLenFeature([], tf.string),
                          "tags": tf.VarLenFeature(tf.int64),
                          "miss": tf.FixedLenFeature([2], tf.float32, default_value=[1., 2.])},
        sequence_features={"tok": tf.FixedLenSequenceFeature([], tf.int64),
                           "vec": tf.FixedLenSequenceFeature([2], tf.float32),
                           "var": tf.VarLenFeature(tf.int64),
                           "gone": tf.FixedLenSequenceFeature([3], tf.string,
                                                              allow_missing=True),
                           "empty": tf.FixedLenSequenceFeature([], tf.float32),
                           "gone_var": tf.VarLenFeature(tf.float32)})
    assert context["length"].op.type == "ParseSingleSequenceExample"
    assert {k: v.shape.as_list() for k, v in steps.items() if isinstance(v, tf.Tensor)} == \
        {"tok": [None], "vec": [None, 2], "gone": [None, 3], "empty": [None]}
    assert context["miss"].shape.as_list() == [2]
    assert steps["var"].indices.shape.as_list() == [None, 2]
    context, steps = _run((context, steps))
    assert (context["length"], context["name"]) == (3, b"abc")
    assert context["miss"].tolist() == [1., 2.]
    assert context["tags"].indices.tolist() == [[0], [1]]
    assert context["tags"].values.tolist() == [4, 5]
    assert context["tags"].dense_shape.tolist() == [2]
    assert steps["tok"].tolist() == [1, 2, 3]
    assert steps["vec"].tolist() == [[1., 2.], [3., 4.], [5., 6.]]
    assert steps["var"].indices.tolist() == [[1, 0], [1, 1], [2, 0]]
    assert steps["var"].values.tolist() == [7, 8, 9]
    assert steps["var"].dense_shape.tolist() == [3, 2]
    assert steps["gone"].shape == (0, 3) and steps["empty"].shape == (0,)
    assert steps["gone_var"].indices.shape == (0, 2)
    assert steps["gone_var"].dense_shape.tolist() == [0, 0]


_MISSING_LIST = ("Name: {}, Feature list 'x' is required but could not be found.  Did you mean "
                 "to include it in feature_list_dense_missing_assumed_empty or "
                 "feature_list_dense_defaults?")


@pytest.mark.parametrize("context, sequence, name, message", [
    (None, {"x": tf.FixedLenSequenceFeature([], tf.int64)}, None, _MISSING_LIST.format("")),
    (None, {"x": tf.FixedLenSequenceFeature([], tf.int64)}, "ex7",
     _MISSING_LIST.format("ex7")),
    (None, {"vec": tf.FixedLenSequenceFeature([3], tf.float32)}, None,
     "Name: , Key: vec, Index: 0.  Number of float values != expected.  values size: 2 but "
     "output shape: [3]"),
    (None, {"var": tf.FixedLenSequenceFeature([], tf.int64)}, None,
     "Name: , Key: var, Index: 0.  Number of int64 values != expected.  values size: 0 but "
     "output shape: []"),
    (None, {"tok": tf.FixedLenSequenceFeature([], tf.float32)}, None,
     "Name: , Feature list: tok, Index: 0.  Data types don't match. Expected type: float  "
     "Feature is: int64_list {\n  value: 1\n}\n"),
    (None, {"tok": tf.VarLenFeature(tf.string)}, None,
     "Name: , Feature List: tok, Index: 0.  Data types don't match. Expected type: string  "
     "Feature is: int64_list {\n  value: 1\n}\n"),
    ({"tags": tf.FixedLenFeature([], tf.int64)}, None, None,
     "Name: , Key: tags, Index: 0.  Number of int64 values != expected.  values size: 2 but "
     "output shape: []"),
    ({"x": tf.FixedLenFeature([], tf.int64)}, None, None,
     "Name: , Context feature 'x' is required but could not be found."),
    ({"name": tf.VarLenFeature(tf.int64)}, None, None,
     "Name: , Context feature: name.  Data types don't match. Expected type: int64  Feature "
     "is: bytes_list {\n  value: \"abc\"\n}\n"),
])
def test_parse_single_sequence_example_errors(context, sequence, name, message):
    _raises(tf.parse_single_sequence_example(_SEQUENCE, context, sequence, example_name=name),
            message)


def test_parse_single_sequence_example_rejects_bad_specs():
    def parse(context=None, sequence=None, serialized=_SEQUENCE):
        return tf.parse_single_sequence_example(serialized, context, sequence)
    with pytest.raises(ValueError, match="Both context_features and sequence_features"):
        parse()
    with pytest.raises(ValueError, match=r"feature_list_dense_defaults\[tok\] must be None"):
        parse(sequence={"tok": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True,
                                                          default_value=0)})
    with pytest.raises(ValueError, match="Unsupported FixedLenFeature"):
        parse(sequence={"tok": tf.FixedLenFeature([], tf.int64)})
    with pytest.raises(ValueError, match="Unsupported FixedLenSequenceFeature"):
        parse(context={"tok": tf.FixedLenSequenceFeature([], tf.int64)})
    with pytest.raises(ValueError, match="Unsupported dtype int32"):
        parse(sequence={"tok": tf.FixedLenSequenceFeature([], tf.int32)})
    with pytest.raises(ValueError, match="rank 0"):
        parse(sequence={"tok": tf.VarLenFeature(tf.int64)}, serialized=[_SEQUENCE])
    empty = parse({"length": tf.FixedLenFeature([], tf.int64, default_value=4)},
                  {"x": tf.FixedLenSequenceFeature([2], tf.int64, allow_missing=True)},
                  serialized=b"")
    context, steps = _run(empty)
    assert context["length"] == 4 and steps["x"].shape == (0, 2)
    _raises(parse(sequence={"x": tf.VarLenFeature(tf.int64)}, serialized=b"\xff"),
            "Could not parse example input, value: '\\377' (index 0)")


# ---- graphs shared with a real TensorFlow ----
def _build_parsers():
    """parse_example and parse_single_sequence_example over placeholders `s` and `q`."""
    examples = tf.parse_example(tf.placeholder(tf.string, [None], name="s"), {
        "a": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
        "v": tf.VarLenFeature(tf.int64), "l": tf.FixedLenFeature([], tf.int64),
        "d": tf.FixedLenFeature([2], tf.string, default_value=["x", "y"])})
    sequence = tf.parse_single_sequence_example(
        tf.placeholder(tf.string, [], name="q"),
        context_features={"c": tf.FixedLenFeature([], tf.int64, default_value=5),
                          "cv": tf.VarLenFeature(tf.string)},
        sequence_features={"t": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True),
                           "tv": tf.VarLenFeature(tf.float32)})
    return examples, sequence


def _jsonable(values):
    return [[v.decode() if isinstance(v, bytes) else v for v in np.ravel(x).tolist()] +
            [list(np.shape(x))] for x in values]


_INPUTS = """
F = tf.train.Feature
def feature(values):
    if values and isinstance(values[0], str):
        return F(bytes_list=tf.train.BytesList(value=[v.encode() for v in values]))
    if values and isinstance(values[0], float):
        return F(float_list=tf.train.FloatList(value=values))
    return F(int64_list=tf.train.Int64List(value=values))
examples = [tf.train.Example(features=tf.train.Features(feature={
    k: feature(v) for k, v in {"a": [1.0, 2.0] * i, "v": list(range(i)), "l": [i]}.items()
    if v})).SerializeToString() for i in range(3)]
sequence = tf.train.SequenceExample(
    context=tf.train.Features(feature={"cv": feature(["u", "w"])}),
    feature_lists=tf.train.FeatureLists(feature_list={
        "t": tf.train.FeatureList(feature=[feature([4]), feature([6])]),
        "tv": tf.train.FeatureList(feature=[F(float_list=tf.train.FloatList()),
                                            feature([0.5, 1.5])])}))
sequence = sequence.SerializeToString()
def jsonable(values):
    return [[v.decode() if isinstance(v, bytes) else v for v in np.ravel(x).tolist()] +
            [list(np.shape(x))] for x in values]
"""

_TF_RUNS_OURS = _INPUTS + """
graph_def = tf.GraphDef.FromString(open(ARGS[0], "rb").read())
tf.import_graph_def(graph_def, name="")
with tf.Session() as sess:
    out = sess.run(["ParseExample:%d" % i for i in range(6)] +
                   ["ParseSingleSequenceExample:%d" % i for i in range(8)],
                   {"s:0": examples, "q:0": sequence})
ours = tf.train.SequenceExample.FromString(bytes.fromhex(ARGS[1]))
print(json.dumps({"out": jsonable(out), "examples": [e.hex() for e in examples],
                  "sequence": sequence.hex(),
                  "ours": ours.SerializeToString(deterministic=True).hex()}))
"""


def test_real_tensorflow_runs_our_parsing_graph(tmp_path):
    examples, sequence = _build_parsers()
    path = str(tmp_path / "parse.pb")
    with open(path, "wb") as f:
        f.write(tf.get_default_graph().as_graph_def().SerializeToString())
    theirs = json.loads(run_tf(_TF_RUNS_OURS, path, _SEQUENCE.hex()))
    assert bytes.fromhex(theirs["ours"]) == _SEQUENCE    # TF reads our SequenceExample
    feeds = {"s:0": [bytes.fromhex(e) for e in theirs["examples"]],
             "q:0": bytes.fromhex(theirs["sequence"])}
    ours = _run(["ParseExample:%d" % i for i in range(6)] +
                ["ParseSingleSequenceExample:%d" % i for i in range(8)], feeds)
    assert theirs["out"] == _jsonable(ours)
    # And by hand: the padded feature "a" and the sequence's float steps.
    assert theirs["out"][3] == [0, 0, 0, 0, 1, 2, 0, 0, 1, 2, 1, 2, [3, 2, 2]]
    assert theirs["out"][11] == [0.5, 1.5, [2]]


_TF_WRITES_PARSERS = _INPUTS + """
# What TF 1.15's parse_example and parse_single_sequence_example build (TF 2 builds V2 ops).
s = tf.placeholder(tf.string, [None], name="s")
q = tf.placeholder(tf.string, [], name="q")
parsed = tf.raw_ops.ParseExample(
    serialized=s, names=[], sparse_keys=["v"], dense_keys=["a", "d", "l"],
    dense_defaults=[tf.constant(0.0), tf.constant(["x", "y"]), tf.constant([], tf.int64)],
    sparse_types=[tf.int64], dense_shapes=[[None, 2], [2], []], name="examples")
sequence_parsed = tf.raw_ops.ParseSingleSequenceExample(
    serialized=q, feature_list_dense_missing_assumed_empty=["t"], context_sparse_keys=["cv"],
    context_dense_keys=["c"], feature_list_sparse_keys=["tv"], feature_list_dense_keys=["t"],
    context_dense_defaults=[tf.constant(5, tf.int64)], debug_name="", context_sparse_types=[
    tf.string], feature_list_dense_types=[tf.int64], context_dense_shapes=[[]],
    feature_list_sparse_types=[tf.float32], feature_list_dense_shapes=[[]], name="sequence")
with tf.Session() as sess:
    out = sess.run(["examples:%d" % i for i in range(6)] + ["sequence:%d" % i for i in range(8)],
                   {s: examples, q: sequence})
with open(ARGS[0], "wb") as f:
    f.write(tf.get_default_graph().as_graph_def().SerializeToString())
print(json.dumps({"out": jsonable(out), "examples": [e.hex() for e in examples],
                  "sequence": sequence.hex()}))
"""


def test_we_run_a_real_tensorflow_parsing_graph(tmp_path):
    path = str(tmp_path / "parse.pb")
    theirs = json.loads(run_tf(_TF_WRITES_PARSERS, path))
    with open(path, "rb") as f:
        tf.import_graph_def(tf.GraphDef.FromString(f.read()), name="")
    feeds = {"s:0": [bytes.fromhex(e) for e in theirs["examples"]],
             "q:0": bytes.fromhex(theirs["sequence"])}
    ours = _run(["examples:%d" % i for i in range(6)] + ["sequence:%d" % i for i in range(8)],
                feeds)
    assert _jsonable(ours) == theirs["out"]
    # The same results as the graph our wrappers build.
    tf.reset_default_graph()
    examples, sequence = _build_parsers()
    mine = _run(["ParseExample:%d" % i for i in range(6)] +
                ["ParseSingleSequenceExample:%d" % i for i in range(8)],
                feeds)
    assert _jsonable(mine) == theirs["out"]


_TF_NAMESPACES = """
print(json.dumps({name: sorted(n for n in dir(getattr(tf, name)) if not n.startswith("_"))
                  for name in ("io", "queue", "train")}))
"""


def test_queue_io_and_train_names_are_tensorflows():
    ours = {
        "queue": ["FIFOQueue", "PaddingFIFOQueue", "PriorityQueue", "QueueBase",
                  "RandomShuffleQueue"],
        "io": ["FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature", "parse_example",
               "parse_single_example", "parse_single_sequence_example", "PaddingFIFOQueue",
               "PriorityQueue", "QueueBase", "RandomShuffleQueue", "decode_csv", "decode_raw",
               "read_file", "write_file", "matching_files", "match_filenames_once",
               "write_graph", "TFRecordWriter", "tf_record_iterator"],
        "train": ["SequenceExample", "FeatureList", "FeatureLists", "QueueRunner",
                  "maybe_batch", "maybe_batch_join", "maybe_shuffle_batch",
                  "maybe_shuffle_batch_join"]}
    assert tf.queue.FIFOQueue is tf.FIFOQueue and tf.io.QueueBase is tf.QueueBase
    assert tf.io.FixedLenSequenceFeature is tf.FixedLenSequenceFeature
    for module, names in ours.items():
        assert [n for n in names if not hasattr(getattr(tf, module), n)] == [], module
    theirs = json.loads(run_tf(_TF_NAMESPACES))
    for module, names in ours.items():
        assert sorted(set(names) - set(theirs[module])) == [], module
    # TF 1.15's tf.io has the queues but not FIFOQueue; so does ours.
    assert not hasattr(tf.io, "FIFOQueue") and "FIFOQueue" not in theirs["io"]
