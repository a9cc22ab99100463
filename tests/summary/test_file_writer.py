"""tf.summary.FileWriter: event files TensorBoard reads (checked with tensorboard's own
EventAccumulator), the background flush thread, and real TF's reader where installed."""
import glob
import json
import os
import time

import numpy as np
import pytest

import tensorflux as tf
from realtf import run_tf
from session_configs import CPU_ONLY


def _events(logdir):
    (path,) = glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))
    return list(tf.train.summary_iterator(path))


def _model():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.name_scope("layer"):
        w = tf.Variable(np.ones((3, 2), np.float32), name="w")
        y = tf.matmul(x, w, name="mm")
    loss = tf.reduce_mean(y, name="mean_loss")
    tf.summary.scalar("loss", loss)
    tf.summary.histogram("weights", w)
    tf.summary.image("picture", tf.reshape(tf.range(12, dtype=tf.float32), [1, 2, 2, 3]))
    tf.summary.audio("sound", tf.sin(tf.reshape(tf.range(8, dtype=tf.float32), [1, 8])), 8000)
    tf.summary.text("note", tf.constant("hello"))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return x, train, tf.summary.merge_all()


def test_event_file_layout_and_graph(tmp_path, no_thread_leak):
    _model()
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), 1)
        writer.close()
    name = os.listdir(tmp_path)[0]
    assert name.startswith("events.out.tfevents.") and writer.get_logdir() == str(tmp_path)
    events = _events(tmp_path)
    assert events[0].file_version == "brain.Event:2"
    kinds = [e.WhichOneof("what") for e in events]
    assert kinds == ["file_version", "graph_def", "meta_graph_def", "session_log"]
    graph_def = tf.GraphDef.FromString(events[1].graph_def)
    nodes = {n.name: n for n in graph_def.node}
    assert "layer/mm" in nodes and "_output_shapes" in nodes["layer/mm"].attr
    assert events[3].step == 1 and events[3].session_log.status == tf.SessionLog.START


def test_summaries_steps_and_first_metadata_only(tmp_path, no_thread_leak):
    x, train, merged = _model()
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path)) as writer:
        sess.run(tf.global_variables_initializer())
        for step in range(3):
            summary, _ = sess.run([merged, train], {x: np.ones((2, 3))})
            writer.add_summary(summary, step)
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="manual",
                                                              simple_value=2.5)]))
    events = [e for e in _events(tmp_path) if e.WhichOneof("what") == "summary"]
    assert [e.step for e in events] == [0, 1, 2, 0]
    notes = [v for e in events for v in e.summary.value if v.tag == "note"]
    assert notes[0].metadata.plugin_data.plugin_name == "text"
    assert not notes[1].HasField("metadata") and not notes[2].HasField("metadata")
    losses = [v.simple_value for e in events for v in e.summary.value if v.tag == "loss"]
    assert losses[0] == pytest.approx(3.0) and losses[1] < losses[0]
    assert events[-1].summary.value[0].simple_value == 2.5


def test_background_thread_flushes_and_close_stops_it(tmp_path, no_thread_leak):
    writer = tf.summary.FileWriter(str(tmp_path), flush_secs=0.05, max_queue=2)
    for step in range(5):        # more than max_queue: add_summary waits for the thread
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="v", simple_value=step)]),
                           step)
    deadline = time.time() + 5
    while len(_events(tmp_path)) < 6 and time.time() < deadline:
        time.sleep(0.02)
    assert [e.step for e in _events(tmp_path)[1:]] == list(range(5))   # without flush()
    writer.close()
    writer.close()
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="late", simple_value=1)]))
    writer.flush()
    assert len(_events(tmp_path)) == 6          # added after close: dropped, as TF


def test_reopen_starts_a_new_file(tmp_path, no_thread_leak):
    writer = tf.summary.FileWriter(str(tmp_path / "run"))
    first = writer.event_file_path
    writer.close()
    writer.reopen()
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="v", simple_value=1)]), 7)
    writer.close()
    assert writer.event_file_path != first
    assert len(glob.glob(str(tmp_path / "run" / "events.out.tfevents.*"))) == 2


def test_run_metadata_tags_are_unique(tmp_path, no_thread_leak):
    with tf.summary.FileWriter(str(tmp_path)) as writer:
        writer.add_run_metadata(tf.RunMetadata(), "step1", 1)
        with pytest.raises(ValueError, match="step1"):
            writer.add_run_metadata(tf.RunMetadata(), "step1", 2)
    (event,) = [e for e in _events(tmp_path) if e.WhichOneof("what") == "tagged_run_metadata"]
    assert event.tagged_run_metadata.tag == "step1" and event.step == 1


def test_tensorboard_reads_everything(tmp_path, no_thread_leak):
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator")
    x, train, merged = _model()
    with tf.Session(config=CPU_ONLY) as sess:  # one device in the step stats
        sess.run(tf.global_variables_initializer())
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        for step in range(3):
            metadata = tf.RunMetadata()
            summary, _ = sess.run([merged, train], {x: np.ones((2, 3))},
                                  options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                                  run_metadata=metadata)
            writer.add_summary(summary, step)
            writer.add_run_metadata(metadata, f"step{step}", step)
        writer.close()
    acc = event_accumulator.EventAccumulator(
        str(tmp_path), size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"] and tags["histograms"] == ["weights"]
    assert tags["images"] == ["picture/image/0"] and tags["audio"] == ["sound/audio/0"]
    assert tags["tensors"] == ["note"] and tags["graph"] and tags["meta_graph"]
    assert tags["run_metadata"] == ["step0", "step1", "step2"]
    assert [s.step for s in acc.Scalars("loss")] == [0, 1, 2]
    assert acc.Histograms("weights")[0].histogram_value.num == 6
    assert (acc.Images("picture/image/0")[0].width, acc.Audio("sound/audio/0")[0].sample_rate) \
        == (2, 8000)
    graph_nodes = {n.name for n in acc.Graph().node}
    run = acc.RunMetadata("step2")
    (device,) = run.step_stats.dev_stats
    assert device.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    traced = {n.node_name for n in device.node_stats}
    assert "layer/mm" in traced and traced <= graph_nodes
    assert all(n.all_end_rel_micros > 0 for n in device.node_stats)


_TF_READS_OURS = """
import glob
(path,) = glob.glob(os.path.join(ARGS[0], "events.out.tfevents.*"))
out = []
for event in tf.train.summary_iterator(path):
    kind = event.WhichOneof("what")
    item = {"kind": kind, "step": event.step}
    if kind == "summary":
        item["tags"] = [v.tag for v in event.summary.value]
    if kind == "graph_def":
        graph_def = tf.GraphDef.FromString(event.graph_def)
        with tf.Graph().as_default():
            tf.import_graph_def(graph_def, name="")
        item["nodes"] = len(graph_def.node)
    if kind == "tagged_run_metadata":
        metadata = tf.RunMetadata.FromString(event.tagged_run_metadata.run_metadata)
        item["traced"] = sorted(n.node_name for d in metadata.step_stats.dev_stats
                                for n in d.node_stats)
    out.append(item)
print(json.dumps(out))
"""


def test_real_tensorflow_reads_our_event_file(tmp_path, no_thread_leak):
    x, train, merged = _model()
    with tf.Session(config=CPU_ONLY) as sess:  # one device in the step stats
        sess.run(tf.global_variables_initializer())
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        metadata = tf.RunMetadata()
        summary = sess.run(merged, {x: np.ones((1, 3))},
                           options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                           run_metadata=metadata)
        writer.add_summary(summary, 5)
        writer.add_run_metadata(metadata, "step5", 5)
        writer.close()
    theirs = json.loads(run_tf(_TF_READS_OURS, tmp_path))
    assert [e["kind"] for e in theirs] == ["file_version", "graph_def", "meta_graph_def",
                                           "summary", "tagged_run_metadata"]
    assert theirs[1]["nodes"] == len(tf.get_default_graph().get_operations())
    assert theirs[3]["tags"] == ["loss", "weights", "picture/image/0", "sound/audio/0", "note"]
    assert "layer/mm" in theirs[4]["traced"] and theirs[4]["step"] == 5
