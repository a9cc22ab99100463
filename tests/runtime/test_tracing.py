"""RunOptions(trace_level=FULL_TRACE) fills RunMetadata.step_stats; Timeline turns step stats
into TF's Chrome trace (byte-identical to TF's on TF's own step stats)."""
import json
import os

import numpy as np
import pytest

import tensorflux as tf
from tensorflux.client import timeline
from realtf import run_tf
from session_configs import UNOPTIMIZED_CPU

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "framework", "fixtures", "tf1_model")
CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


def _traced_run():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.ones((3, 2), np.float32), name="w")
    y = tf.nn.relu(tf.matmul(x, w, name="mm"), name="y")
    top, index = tf.nn.top_k(y, 1)
    metadata = tf.RunMetadata()
    with tf.Session(config=UNOPTIMIZED_CPU) as sess:  # w/read stays an op
        sess.run(tf.global_variables_initializer())
        sess.run([y, index], {x: np.ones((4, 3))},
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=metadata)
    return metadata


def test_full_trace_fills_step_stats():
    metadata = _traced_run()
    (device,) = metadata.step_stats.dev_stats
    assert device.device == CPU
    stats = {n.node_name: n for n in device.node_stats}
    assert {"w", "w/read", "mm", "y", "TopKV2"} <= set(stats)
    assert "x" not in stats                       # fed, so not computed
    mm = stats["mm"]
    assert mm.all_start_micros > 1.5e15 and mm.all_end_rel_micros >= 1
    assert mm.op_end_rel_micros == mm.all_end_rel_micros and mm.op_start_rel_micros == 0
    assert mm.all_end_rel_nanos >= 1 and mm.all_start_nanos // 1000 == mm.all_start_micros
    assert mm.timeline_label == "mm = MatMul(x, w/read)"
    (output,) = mm.output
    description = output.tensor_description
    assert description.dtype == tf.float32.as_datatype_enum
    assert [d.size for d in description.shape.dim] == [4, 2]
    assert description.allocation_description.requested_bytes == 32
    assert mm.memory[0].total_bytes == 32
    top = stats["TopKV2"]
    assert [o.slot for o in top.output] == [0, 1]
    assert top.output[1].tensor_description.dtype == tf.int32.as_datatype_enum
    starts = [n.all_start_micros for n in device.node_stats]
    assert starts == sorted(starts)
    assert tf.RunMetadata.FromString(metadata.SerializeToString()) == metadata


def test_no_trace_without_trace_level():
    x = tf.constant(1.0) + 1.0
    metadata = tf.RunMetadata()
    with tf.Session() as sess:
        sess.run(x, options=tf.RunOptions(), run_metadata=metadata)
        sess.run(x, run_metadata=metadata)
    assert not metadata.step_stats.dev_stats


def test_trace_of_a_failing_run_raises_the_op_error():
    w = tf.Variable(1.0, name="w")
    metadata = tf.RunMetadata()
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError, match="w"):
        sess.run(w + 1.0, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=metadata)


def test_timeline_chrome_trace():
    metadata = _traced_run()
    trace = json.loads(timeline.Timeline(metadata.step_stats).generate_chrome_trace_format())
    events = trace["traceEvents"]
    names = [e["args"]["name"] for e in events if e["ph"] == "M"]
    assert names == ["Allocators", CPU + " Compute", CPU + " Tensors"]
    ops = {e["args"]["name"]: e for e in events if e["ph"] == "X"}
    assert ops["mm"]["name"] == "MatMul" and ops["mm"]["cat"] == "Op" and ops["mm"]["pid"] == 1
    assert ops["mm"]["args"] == {"name": "mm", "op": "MatMul", "input0": "x",
                                 "input1": "w/read"}
    stats = {n.node_name: n for n in metadata.step_stats.dev_stats[0].node_stats}
    assert ops["mm"]["ts"] == stats["mm"].all_start_micros
    assert ops["mm"]["dur"] == stats["mm"].all_end_rel_micros
    flows = [e for e in events if e["ph"] in "st"]
    assert len(flows) % 2 == 0 and all(e["cat"] == "DataFlow" for e in flows)
    with_memory = json.loads(timeline.Timeline(metadata.step_stats)
                             .generate_chrome_trace_format(show_memory=True))["traceEvents"]
    phases = {e["ph"] for e in with_memory}
    assert {"N", "O", "D", "C"} <= phases
    counters = [e for e in with_memory if e["ph"] == "C"]
    assert counters[-1]["args"] == {"cpu": 0}       # every tensor freed at the end


def test_timeline_matches_tensorflow_on_its_own_step_stats():
    with open(os.path.join(FIXTURES, "run_metadata.pb"), "rb") as f:
        metadata = tf.RunMetadata.FromString(f.read())
    with open(os.path.join(FIXTURES, "timeline.json")) as f:
        expected = f.read()
    assert timeline.Timeline(metadata.step_stats).generate_chrome_trace_format() == expected


_TF_TIMELINE = """
from tensorflow.python.client import timeline
metadata = tf.RunMetadata.FromString(open(ARGS[0], "rb").read())
print(timeline.Timeline(metadata.step_stats).generate_chrome_trace_format())
"""


def test_real_tensorflow_timeline_of_our_step_stats(tmp_path):
    metadata = _traced_run()
    path = tmp_path / "run_metadata.pb"
    path.write_bytes(metadata.SerializeToString())
    theirs = run_tf(_TF_TIMELINE, path)
    assert timeline.Timeline(metadata.step_stats).generate_chrome_trace_format() == \
        theirs.rstrip("\n")
