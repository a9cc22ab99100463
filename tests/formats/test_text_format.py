import os

import pytest

from tensorflux.formats import protos as P
from tensorflux.formats.text_format import ParseError, merge_text, message_to_text, parse_text


def test_graph_pbtxt_written_by_tensorflow(fixtures):
    # graph.pbtxt / graph.pb: the same graph, written by tf.io.write_graph as text and binary.
    text = open(os.path.join(fixtures, "graph.pbtxt")).read()
    binary = open(os.path.join(fixtures, "graph.pb"), "rb").read()
    graph = parse_text(text, P.GraphDef)
    assert graph.SerializeToString() == binary
    assert message_to_text(graph) == text


def test_layout_of_nested_messages_and_maps():
    node = P.NodeDef(name="c", op="Const", input=["^x"])
    node.attr["dtype"].type = P.DT_FLOAT
    node.attr["value"].tensor.CopyFrom(P.TensorProto(
        dtype=P.DT_FLOAT, tensor_shape=P.TensorShapeProto(), float_val=[0.1]))
    assert message_to_text(node) == (
        'name: "c"\nop: "Const"\ninput: "^x"\n'
        'attr {\n  key: "dtype"\n  value {\n    type: DT_FLOAT\n  }\n}\n'
        'attr {\n  key: "value"\n  value {\n    tensor {\n      dtype: DT_FLOAT\n'
        '      tensor_shape {\n      }\n      float_val: 0.1\n    }\n  }\n}\n')
    assert parse_text(message_to_text(node), P.NodeDef) == node


@pytest.mark.parametrize("value,text", [
    (0.1, "0.1"), (1 / 3, "0.33333334"), (3.4028234663852886e38, "3.4028235e+38"),
    (1e-45, "1.4013e-45"), (1e8, "100000000.0"), (float("inf"), "inf"),
    (float("-inf"), "-inf"), (float("nan"), "nan"), (-0.0, "-0.0"), (16777216.0, "16777216.0"),
])
def test_float32_is_written_in_shortest_form(value, text):
    assert message_to_text(P.Summary.Value(simple_value=value)) == f"simple_value: {text}\n"


def test_doubles_and_enums():
    histo = P.HistogramProto(min=0.1, max=1e100, bucket=[1.0, float("inf")])
    assert message_to_text(histo) == "min: 0.1\nmax: 1e+100\nbucket: 1.0\nbucket: inf\n"
    assert message_to_text(P.SessionLog(status=2)) == "status: STOP\n"
    assert message_to_text(P.SessionLog(status=9)) == "status: 9\n"


def test_escapes():
    value = P.Summary.Value(tag="a\x01\x7f\n\"'\\\u00e9", obsolete_old_style_histogram=b"\x00\xff ")
    text = message_to_text(value)
    assert text == ('tag: "a\\001\\177\\n\\"\\\'\\\\\u00e9"\n'
                    'obsolete_old_style_histogram: "\\000\\377 "\n')
    assert parse_text(text, P.Summary.Value) == value


def test_parser_accepts_the_usual_variations():
    text = """
        # a comment
        node < name: 'a' op: "No" "Op" >   # angle brackets, concatenated strings
        node { name: "b", input: ["a", "^a"]; attr { key: "T" value { type: 3 } } }
        node { attr { key: "s" value { s: "\\x41\\101\\u00e9\\n" } } }
        node { attr { key: "f" value { f: -inf } } attr { key: "g" value { f: 1.5f } } }
        node { attr { key: "l" value { list { i: [1, -2, 0x10] b: true b: False } } } }
        versions { producer: 27 }
    """
    graph = parse_text(text, P.GraphDef)
    a, b, c, d, e = graph.node
    assert (a.name, a.op) == ("a", "NoOp")
    assert b.input == ["a", "^a"] and b.attr["T"].type == P.DT_INT32
    assert c.attr["s"].s == b"AA\xc3\xa9\n"
    assert d.attr["f"].f == float("-inf") and d.attr["g"].f == 1.5
    assert e.attr["l"].list.i == [1, -2, 16] and e.attr["l"].list.b == [True, False]
    assert graph.versions.producer == 27


def test_merge_and_checkpoint_state():
    state = parse_text('model_checkpoint_path: "m-2"\nall_model_checkpoint_paths: "m-1"\n'
                       'all_model_checkpoint_paths: "m-2"\n', P.CheckpointState)
    assert state.all_model_checkpoint_paths == ["m-1", "m-2"]
    merge_text('all_model_checkpoint_timestamps: 1.5', state)
    assert state.all_model_checkpoint_timestamps == [1.5]


@pytest.mark.parametrize("text,match", [
    ("nme: 'x'", "line 1: NodeDef has no field named 'nme'"),
    ("name: 'x'\nattr { key: 'a' value { type: DT_NOPE } }", "line 2: unknown enum"),
    ("name: 3", "quoted string"),
    ("name: 'x", "unexpected character"),
    ("attr { key: 'a' value { i: 1.5 } }", "expected a int64"),
    ("attr { key: 'a' value { b: maybe } }", "true or false"),
    ("attr {", "unexpected end"),
])
def test_parse_errors(text, match):
    with pytest.raises(ParseError, match=match):
        parse_text(text, P.NodeDef)
