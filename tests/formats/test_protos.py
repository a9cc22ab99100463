import glob
import json
import os
import struct

import numpy as np
import pytest

from tensorflux.formats import protos as P
from tensorflux.formats import tfrecord, wire
from tensorflux.framework import errors

try:
    import ml_dtypes
except ImportError:
    ml_dtypes = None


# --- the message machinery --------------------------------------------------------------------

def test_defaults_presence_and_oneofs():
    value = P.Summary.Value(tag="loss")
    assert value.simple_value == 0.0 and value.WhichOneof("value") is None
    value.simple_value = 0.0     # a oneof member that is set is written even when zero
    assert value.WhichOneof("value") == "simple_value"
    assert value.SerializeToString() == b"\x0a\x04loss\x15\x00\x00\x00\x00"
    value.histo = P.HistogramProto(num=1)
    assert value.WhichOneof("value") == "histo" and not value.HasField("simple_value")
    value.ClearField("histo")
    assert value.WhichOneof("value") is None


def test_empty_submessage_is_written_when_set():
    proto = P.TensorProto(dtype=P.DT_FLOAT, tensor_shape=P.TensorShapeProto())
    assert proto.SerializeToString() == bytes.fromhex("08011200")
    assert P.TensorProto(dtype=P.DT_FLOAT).SerializeToString() == b"\x08\x01"
    # Reading an unset sub-message gives an empty one without setting it, as in protobuf.
    event = P.Event()
    assert list(event.summary.value) == [] and not event.HasField("summary")
    assert event.SerializeToString() == b""
    event.summary.value.add(tag="a", simple_value=1.0)
    assert event.HasField("summary") and event.WhichOneof("what") == "summary"


def test_negative_ints_take_ten_bytes_and_minus_zero_is_kept():
    dim = P.TensorShapeProto.Dim(size=-1)
    assert dim.SerializeToString() == bytes.fromhex("08ffffffffffffffffff01")
    assert P.TensorShapeProto.Dim.FromString(dim.SerializeToString()).size == -1
    assert P.HistogramProto(min=-0.0).SerializeToString() == bytes.fromhex("090000000000000080")


def test_maps_repeated_and_unknown_fields():
    node = P.NodeDef(name="n", op="Const", input=["a", "^b"])
    node.attr["dtype"].type = P.DT_FLOAT       # entries are created on first access
    node.attr["value"] = {"tensor": P.make_tensor_proto(np.float32(2))}
    data = node.SerializeToString()
    back = P.NodeDef.FromString(data)
    assert back == node and back.attr["dtype"].type == 1 and back.input == ["a", "^b"]
    # A field this class does not declare survives a round trip, in field-number order.
    extra = data + wire.encode_varint_field(20, 5) + wire.encode_bytes_field(21, b"xy")
    assert P.NodeDef.FromString(extra).SerializeToString() == extra
    # A scalar-valued map with uint32 keys; both key and value are written even when default.
    stats = P.DeviceStepStats(thread_names={0: "", 5: "x"})
    assert stats.SerializeToString() == bytes.fromhex("1a050805120178" "1a0408001200")


def test_map_order_follows_python_protobuf():
    # Python protobuf (upb) writes map entries in reverse of its sort order: string keys
    # ascending except that a key precedes its prefixes, integer keys descending.
    node = P.NodeDef()
    for key in ("T", "keep_dims", "Tidx", ""):
        node.attr[key].i = 1
    keys = [P.NodeDef.FromString(wire.encode_bytes_field(5, value)).attr.popitem()[0]
            for _, _, value in wire.iter_fields(node.SerializeToString())]
    assert keys == ["Tidx", "T", "keep_dims", ""]


def test_errors():
    with pytest.raises(AttributeError):
        P.NodeDef(nmae="typo")
    with pytest.raises(AttributeError):
        P.NodeDef().nmae
    with pytest.raises(TypeError):
        P.Event(summary=3)
    with pytest.raises(wire.DecodeError):
        P.Event.FromString(b"\x0a\x01")       # wall_time with the wrong wire type
    with pytest.raises(wire.DecodeError):
        P.NodeDef.FromString(b"\x0a\x02\xff\xfe")   # invalid UTF-8 in a string


def test_copy_from_and_repeated_add():
    graph = P.GraphDef()
    graph.node.add(name="a", op="NoOp")
    graph.versions.producer = 27
    other = P.GraphDef()
    other.CopyFrom(graph)
    assert other == graph and other is not graph and other.node[0].name == "a"


# --- byte-level checks against TF (FORMATS.md and fixtures written by TF) -----------------------

def test_first_event_record_matches_formats_md():
    event = P.Event(wall_time=1.5, file_version="brain.Event:2",
                    source_metadata=P.SourceMetadata(writer="tensorflow.core.util.events_writer"))
    expected = (b"\x09" + struct.pack("<d", 1.5) + b"\x1a\x0dbrain.Event:2" + b"\x52\x24\x0a\x22"
                + b"tensorflow.core.util.events_writer")
    assert event.SerializeToString() == expected


def test_make_tensor_proto_matches_tensorflow(fixtures):
    with open(os.path.join(fixtures, "tensor_protos.json")) as f:
        expected = json.load(f)
    values = {
        "f32_scalar": np.float32(1.5), "f32_matrix": np.ones((2, 2), np.float32),
        "f16_scalar": np.float16(2), "bool_vec": np.array([True, False]),
        "c64_vec": np.array([1 + 1j, 2], np.complex64), "u16_vec": np.array([1, 2], np.uint16),
        "i64_scalar": np.int64(-5), "str_vec": np.array([b"a", b"bc"], object),
        "empty": np.zeros((0, 3), np.float32), "u64_scalar": np.uint64(2 ** 64 - 1),
        "i8_vec": np.array([-1, 1], np.int8),
    }
    if ml_dtypes is not None:
        values["bf16_vec"] = np.array([1, 2], ml_dtypes.bfloat16)
    for name, value in values.items():
        data = bytes.fromhex(expected[name])
        assert P.make_tensor_proto(value).SerializeToString() == data, name
        back = P.make_ndarray(P.TensorProto.FromString(data))
        assert back.dtype == np.asarray(value).dtype or name == "str_vec"
        assert back.tolist() == np.asarray(value).tolist(), name


ALL = [np.float32, np.float64, np.int32, np.uint8, np.int16, np.int8, np.complex64, np.int64,
       np.bool_, np.uint16, np.complex128, np.float16, np.uint32, np.uint64]


@pytest.mark.parametrize("np_dtype", ALL)
@pytest.mark.parametrize("shape", [(), (1,), (2, 3), (0, 2)])
def test_tensor_proto_round_trip(np_dtype, shape):
    array = (np.arange(int(np.prod(shape))) % 3).reshape(shape).astype(np_dtype)
    proto = P.TensorProto.FromString(P.make_tensor_proto(array).SerializeToString())
    assert proto.dtype == P.dtype_enum_for_numpy(np_dtype)
    back = P.make_ndarray(proto)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)


def test_quantized_and_string_tensors():
    proto = P.make_tensor_proto(np.array([1, -2], np.int8), dtype=P.DT_QINT8)
    assert proto.dtype == P.DT_QINT8 and P.make_ndarray(proto).tolist() == [1, -2]
    proto = P.make_tensor_proto(np.array([["a", b"b\x00"]], object))
    assert proto.string_val == [b"a", b"b\x00"]
    assert P.make_ndarray(proto).tolist() == [[b"a", b"b\x00"]]


def test_typed_values_broadcast_the_last_one():
    proto = P.TensorProto(dtype=P.DT_FLOAT, tensor_shape=P.as_shape_proto([2, 3]),
                          float_val=[1.5, 7])
    assert P.make_ndarray(proto).tolist() == [[1.5, 7, 7], [7, 7, 7]]
    proto = P.TensorProto(dtype=P.DT_INT32, tensor_shape=P.as_shape_proto([2]))
    assert P.make_ndarray(proto).tolist() == [0, 0]
    proto = P.TensorProto(dtype=P.DT_HALF, tensor_shape=P.as_shape_proto([3]), half_val=[0x3C00])
    assert P.make_ndarray(proto).tolist() == [1.0, 1.0, 1.0]
    proto = P.TensorProto(dtype=P.DT_COMPLEX64, tensor_shape=P.as_shape_proto([2]),
                          scomplex_val=[1, 2])
    assert P.make_ndarray(proto).tolist() == [1 + 2j, 1 + 2j]
    proto = P.TensorProto(dtype=P.DT_STRING, tensor_shape=P.as_shape_proto([2]),
                          string_val=[b"s"])
    assert P.make_ndarray(proto).tolist() == [b"s", b"s"]


def test_bad_tensor_protos_raise():
    too_many = P.TensorProto(dtype=P.DT_FLOAT, tensor_shape=P.as_shape_proto([1]),
                             float_val=[1, 2])
    wrong_size = P.TensorProto(dtype=P.DT_FLOAT, tensor_shape=P.as_shape_proto([2]),
                               tensor_content=b"\x00" * 4)
    unknown = P.TensorProto(dtype=P.DT_FLOAT, tensor_shape=P.as_shape_proto([None]))
    for proto in (too_many, wrong_size, unknown):
        with pytest.raises(errors.InvalidArgumentError):
            P.make_ndarray(proto)
    with pytest.raises(errors.UnimplementedError):
        P.numpy_storage_dtype(P.DT_VARIANT)


def test_shapes():
    assert P.shape_from_proto(P.as_shape_proto(None)) is None
    assert P.shape_from_proto(P.as_shape_proto([None, 3])) == [None, 3]
    assert P.as_shape_proto([]).SerializeToString() == b""


def test_graph_and_meta_graph_written_by_tensorflow_round_trip(fixtures):
    data = open(os.path.join(fixtures, "graph.pb"), "rb").read()
    graph = P.GraphDef.FromString(data)
    assert graph.SerializeToString() == data
    by_name = {n.name: n for n in graph.node}
    assert by_name["x"].op == "Placeholder" and by_name["x"].attr["dtype"].type == P.DT_FLOAT
    assert P.shape_from_proto(by_name["x"].attr["shape"].shape) == [None, 3]
    assert "^x" in by_name["y"].input or any(i == "^x" for n in graph.node for i in n.input)
    initial = by_name["layer/w/Initializer/initial_value"].attr["value"].tensor
    assert P.make_ndarray(initial).tolist() == [[0, 1], [2, 3], [4, 5]]
    assert graph.versions.producer > 0

    meta_bytes = open(os.path.join(fixtures, "tf1_saver", "model.ckpt-2.meta"), "rb").read()
    meta = P.MetaGraphDef.FromString(meta_bytes)
    assert meta.SerializeToString() == meta_bytes
    saver = meta.saver_def
    assert (saver.filename_tensor_name, saver.restore_op_name, saver.max_to_keep,
            saver.version) == ("save/Const:0", "save/restore_all", 3, 2)
    assert meta.collection_def["variables"].WhichOneof("kind") == "bytes_list"
    assert {op.name for op in meta.meta_info_def.stripped_op_list.op} >= {"Placeholder", "MatMul"}


def test_events_written_by_tensorflow(fixtures):
    path = glob.glob(os.path.join(fixtures, "tf1_events", "*tfevents*"))[0]
    events = [P.Event.FromString(r) for r in tfrecord.tf_record_iterator(path)]
    kinds = [e.WhichOneof("what") for e in events]
    assert kinds[0] == "file_version" and events[0].file_version == "brain.Event:2"
    assert {"graph_def", "meta_graph_def", "summary", "tagged_run_metadata",
            "session_log"} <= set(kinds)
    summary = next(e for e in events if e.WhichOneof("what") == "summary")
    assert summary.step == 2
    values = {v.tag: v for v in summary.summary.value}
    assert values["loss"].simple_value == 2.5
    histo = values["w_hist"].histo
    assert (histo.min, histo.max, histo.num, histo.sum) == (0, 5, 6, 15)
    assert sum(histo.bucket) == 6 and len(histo.bucket) == len(histo.bucket_limit)
    image = values["img/image/0"].image
    assert (image.height, image.width, image.colorspace) == (2, 2, 3)
    assert image.encoded_image_string.startswith(b"\x89PNG")
    audio = values["snd/audio/0"].audio
    assert (audio.sample_rate, audio.num_channels, audio.length_frames) == (8000, 1, 8)
    assert audio.content_type == "audio/wav" and audio.encoded_audio_string[:4] == b"RIFF"
    tagged = next(e for e in events if e.WhichOneof("what") == "tagged_run_metadata")
    run_metadata = P.RunMetadata.FromString(tagged.tagged_run_metadata.run_metadata)
    assert tagged.tagged_run_metadata.tag == "step2"
    stats = run_metadata.step_stats.dev_stats[0]
    assert stats.device.endswith("device:CPU:0") and stats.node_stats
    assert all(n.all_start_micros > 0 for n in stats.node_stats)
    assert run_metadata.SerializeToString() == tagged.tagged_run_metadata.run_metadata
    log = next(e for e in events if e.WhichOneof("what") == "session_log")
    assert log.session_log.status == P.SessionLog.START and log.step == 3
    for event, record in zip(events, tfrecord.tf_record_iterator(path)):
        assert event.SerializeToString() == record


def test_run_metadata_round_trip():
    node = P.NodeExecStats(node_name="y", all_start_micros=10, op_start_rel_micros=1,
                           op_end_rel_micros=3, all_end_rel_micros=4, timeline_label="y = Id(x)")
    node.output.add(slot=0, tensor_description=P.TensorDescription(
        dtype=P.DT_FLOAT, shape=P.as_shape_proto([2]),
        allocation_description=P.AllocationDescription(requested_bytes=8,
                                                       allocator_name="cpu")))
    node.memory.add(allocator_name="cpu", total_bytes=8)
    rm = P.RunMetadata(step_stats=P.StepStats(dev_stats=[P.DeviceStepStats(
        device="/job:localhost/replica:0/task:0/device:CPU:0", node_stats=[node])]))
    back = P.RunMetadata.FromString(rm.SerializeToString())
    assert back == rm
    out = back.step_stats.dev_stats[0].node_stats[0].output[0]
    assert out.tensor_description.allocation_description.requested_bytes == 8


def test_example_and_collection_round_trip():
    example = P.Example(features=P.Features(feature={
        "a": P.Feature(float_list=P.FloatList(value=[0.5, 2])),
        "b": P.Feature(bytes_list=P.BytesList(value=[b"x"])),
        "c": P.Feature(int64_list=P.Int64List(value=[-1, 2 ** 40]))}))
    assert P.Example.FromString(example.SerializeToString()) == example
    collection = P.CollectionDef(int64_list=P.CollectionDef.Int64List(value=[1, -1]))
    assert collection.SerializeToString() == bytes.fromhex("1a0d0a0b01ffffffffffffffffff01")


def test_make_tensor_proto_with_a_larger_shape_stores_few_values():
    proto = P.make_tensor_proto(np.float32(0), shape=[3, 3])
    assert proto.float_val == [0.0] and not proto.tensor_content
    assert P.make_ndarray(proto).shape == (3, 3)
    proto = P.make_tensor_proto(np.int32([1, 2]), shape=[2, 2])
    assert proto.int_val == [1, 2] and P.make_ndarray(proto).tolist() == [[1, 2], [2, 2]]
    assert P.make_tensor_proto(np.zeros(0), shape=[2, 0]).SerializeToString() == \
        bytes.fromhex("08021206120208021200")
    with pytest.raises(errors.InvalidArgumentError):
        P.make_tensor_proto(np.zeros(3), shape=[2])
