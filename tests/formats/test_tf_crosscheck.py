"""Checks against a real TensorFlow (and TensorBoard): skipped where they are not installed.

The fixture-based tests in the other files cover the same ground without TF; these run the
other direction too (TF reading what tensorflux wrote) on fresh data.
"""
import os

import numpy as np
import pytest

from tensorflux.formats import bundle, events, protos as P, text_format, tfrecord

from . import samples
from .fixture_values import ALL_DTYPES

tf = pytest.importorskip("tensorflow")
v1 = tf.compat.v1


def _tf_constant(dtype, value):
    if dtype == P.DT_STRING:
        return tf.constant(np.asarray(value, object).astype(bytes), dtype=tf.string)
    if dtype == P.DT_BFLOAT16 and np.asarray(value).dtype == np.uint16:
        return tf.bitcast(tf.constant(value), tf.bfloat16)
    return tf.constant(value, dtype=tf.dtypes.as_dtype(dtype))


def test_bundles_match_save_v2_and_tensorflow_reads_them(tmp_path):
    rng = np.random.default_rng(1)
    cases = [ALL_DTYPES, dict(reversed(list(ALL_DTYPES.items())))]
    many = {"layer_%04d/kernel" % (1999 - i): (P.DT_FLOAT, rng.standard_normal(i % 5)
                                               .astype(np.float32)) for i in range(2000)}
    many["s" * 300000] = (P.DT_STRING, np.array([b"x" * 70000] * 3, object))
    cases.append(many)
    for i, tensors in enumerate(cases):
        ours, theirs = str(tmp_path / f"ours{i}"), str(tmp_path / f"tf{i}")
        bundle.write_bundle(ours, tensors)
        names = list(tensors)
        tf.raw_ops.SaveV2(prefix=theirs, tensor_names=names, shape_and_slices=[""] * len(names),
                          tensors=[_tf_constant(*tensors[n]) for n in names])
        for suffix in (".index", ".data-00000-of-00001"):
            assert open(ours + suffix, "rb").read() == open(theirs + suffix, "rb").read()
        reader = tf.train.load_checkpoint(ours)
        for name, (dtype, value) in tensors.items():
            got = reader.get_tensor(name)
            if dtype == P.DT_BFLOAT16 and np.asarray(value).dtype == np.uint16:
                got = got.view(np.uint16)
            assert np.asarray(got).tolist() == np.asarray(value).tolist(), name


def test_tf1_saver_restores_our_checkpoint(tmp_path):
    directory = str(tmp_path)
    values = {"layer/w": np.arange(6, dtype=np.float32).reshape(2, 3),
              "global_step": np.int64(42), "name": np.array(b"tensorflux", object),
              "flags": np.array([True, False])}
    bundle.write_bundle(os.path.join(directory, "model.ckpt-42"),
                        {k: (P.dtype_enum_for_numpy(np.asarray(v).dtype), v)
                         for k, v in sorted(values.items())})
    bundle.write_checkpoint_state(directory, "model.ckpt-42")    # a relative path
    with tf.Graph().as_default():
        variables = {
            "layer/w": v1.Variable(tf.zeros([2, 3]), name="layer/w"),
            "global_step": v1.Variable(tf.constant(0, tf.int64), name="global_step"),
            "name": v1.Variable(b"", name="name"),
            "flags": v1.Variable([False, True], name="flags")}
        saver = v1.train.Saver()
        with v1.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(directory))
            for name, variable in variables.items():
                assert np.asarray(sess.run(variable)).tolist() == \
                    np.asarray(values[name]).tolist(), name


def test_we_read_tf1_saver_output(tmp_path):
    prefix = str(tmp_path / "m")
    with tf.Graph().as_default():
        v1.Variable(np.float16([1.5, 2]), name="half")
        v1.Variable(np.complex64([1 + 2j]), name="c")
        v1.Variable([b"a", b"bc"], name="s")
        v1.Variable(np.uint8([7]), name="u8")
        saver = v1.train.Saver()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, prefix, write_meta_graph=False)
            expected = {v.op.name: sess.run(v) for v in v1.global_variables()}
    reader = bundle.BundleReader(prefix)
    assert reader.keys() == sorted(expected)
    for name, value in expected.items():
        assert reader.get_tensor(name).tolist() == np.asarray(value).tolist()
        assert reader.get_tensor(name).dtype == np.asarray(value).dtype or name == "s"


@pytest.mark.parametrize("as_text", [False, True])
def test_tensorflow_imports_our_graph(as_text):
    ours = samples.graph()
    if as_text:
        from google.protobuf import text_format as tf_text
        graph_def = tf_text.Parse(text_format.message_to_text(ours), v1.GraphDef())
        assert tf_text.MessageToString(graph_def) == text_format.message_to_text(ours)
    else:
        graph_def = v1.GraphDef.FromString(ours.SerializeToString())
        assert graph_def.SerializeToString(deterministic=True) == ours.SerializeToString()
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(graph_def, name="")
        with v1.Session() as sess:
            result = sess.run("y:0", {"x:0": np.float32([[1, 0]])})
    assert result.tolist() == [[1, 2]]
    assert P.GraphDef.FromString(graph.as_graph_def().SerializeToString(deterministic=True)) \
        .SerializeToString() == graph.as_graph_def().SerializeToString(deterministic=True)


def test_meta_graph_round_trip_through_tensorflow(tmp_path):
    with tf.Graph().as_default():
        v = v1.Variable([1.0, 2.0], name="v")
        tf.identity(v * 2, name="doubled")
        saver = v1.train.Saver()
        meta = saver.export_meta_graph()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
    data = meta.SerializeToString(deterministic=True)
    ours = P.MetaGraphDef.FromString(data)
    assert ours.SerializeToString() == data
    ours.saver_def.max_to_keep = 7
    ours.collection_def["my_ints"].int64_list.value.extend([1, -2])
    path = str(tmp_path / "ours.meta")
    open(path, "wb").write(ours.SerializeToString())
    bundle.write_bundle(str(tmp_path / "ckpt"), {"v": (P.DT_FLOAT, np.float32([5, 6]))})
    with tf.Graph().as_default() as graph:
        restored = v1.train.import_meta_graph(path)
        assert restored.saver_def.max_to_keep == 7
        assert graph.get_collection("my_ints") == [1, -2]
        with v1.Session() as sess:
            restored.restore(sess, str(tmp_path / "ckpt"))
            assert sess.run("doubled:0").tolist() == [10, 12]


def test_tensorflow_reads_our_event_file(tmp_path):
    path, run_metadata = samples.write_event_file(str(tmp_path))
    theirs = list(v1.train.summary_iterator(path))
    ours = list(events.summary_iterator(path))
    assert len(theirs) == len(ours) == 6
    for a, b in zip(theirs, ours):
        assert a.SerializeToString(deterministic=True) == b.SerializeToString()
    assert theirs[0].file_version == "brain.Event:2"
    assert theirs[3].summary.value[0].simple_value == 0.25
    assert tf.make_ndarray(theirs[3].summary.value[4].tensor) == np.float32(0.75)
    tf_rm = v1.RunMetadata.FromString(theirs[5].tagged_run_metadata.run_metadata)
    assert tf_rm.step_stats.dev_stats[0].node_stats[0].memory[0].total_bytes == 8
    from google.protobuf import text_format as tf_text
    assert tf_text.MessageToString(tf_rm) == text_format.message_to_text(run_metadata)


def test_tensorflow_reads_our_tfrecords(tmp_path):
    for options in (None, "GZIP", "ZLIB"):
        path = str(tmp_path / f"r{options}")
        with tfrecord.TFRecordWriter(path, options) as writer:
            for i in range(3):
                writer.write(P.Example(features=P.Features(feature={"i": P.Feature(
                    int64_list=P.Int64List(value=[i]))})).SerializeToString())
        records = list(v1.io.tf_record_iterator(path, options=options))
        values = [tf.train.Example.FromString(r).features.feature["i"].int64_list.value[0]
                  for r in records]
        assert values == [0, 1, 2]


def test_tensorflow_messages_decode_and_reencode_identically():
    from google.protobuf import text_format as tf_text
    from tensorflow.core.framework import summary_pb2
    with tf.Graph().as_default() as graph:
        a = tf.constant(np.arange(6, dtype=np.float64).reshape(2, 3), name="a")
        b = tf.constant([b"s", b"t"], name="b")
        tf.reduce_sum(a, axis=[0, 1], keepdims=True, name="sum")
        tf.strings.join([b, b], separator="-", name="joined")
        tf.cast(a, tf.bfloat16, name="bf")
        tf.split(a, [1, 2], axis=1, name="split")
    graph_def = graph.as_graph_def()
    data = graph_def.SerializeToString(deterministic=True)
    assert P.GraphDef.FromString(data).SerializeToString() == data
    assert text_format.message_to_text(P.GraphDef.FromString(data)) == \
        tf_text.MessageToString(graph_def)
    summary = summary_pb2.Summary()
    summary.value.add(tag="h", histo=summary_pb2.HistogramProto(
        min=0.1, max=1e300, bucket_limit=[1.7976931348623157e308], bucket=[3]))
    summary.value.add(tag="s", simple_value=float("nan"))
    data = summary.SerializeToString()
    assert P.Summary.FromString(data).SerializeToString() == data
    assert text_format.message_to_text(P.Summary.FromString(data)) == \
        tf_text.MessageToString(summary)
