"""QueueRunner <-> QueueRunnerDef, and queue runners travelling in MetaGraphDefs (also to and
from a real TensorFlow)."""
import json
import os

import pytest

import queue_session
import tensorflux as tf
from realtf import run_tf
from tensorflux.formats import protos

TIMEOUT = tf.RunOptions(timeout_in_ms=5000)


def _named_runner(exception_types=None):
    queue = tf.FIFOQueue(4, tf.int32, shapes=[[]], name="q")
    enqueue = queue.enqueue(7, name="e")
    return tf.train.QueueRunner(queue, [enqueue], queue.close(name="c"),
                                queue.close(cancel_pending_enqueues=True, name="k"),
                                queue_closed_exception_types=exception_types)


def test_to_proto_writes_queue_runner_def_bytes():
    runner = _named_runner()
    proto = runner.to_proto()
    assert (proto.queue_name, list(proto.enqueue_op_name)) == ("q", ["e"])
    assert (proto.close_op_name, proto.cancel_op_name) == ("c", "k")
    # Field by field: 1 "q", 2 "e", 3 "c", 4 "k", 5 packed [OUT_OF_RANGE = 11].
    assert proto.SerializeToString() == b"\n\x01q\x12\x01e\x1a\x01c\x22\x01k\x2a\x01\x0b"
    several = _named_runner((tf.errors.OutOfRangeError, tf.errors.CancelledError))
    assert list(several.to_proto().queue_closed_exception_types) == [11, 1]


def test_from_proto_finds_the_graph_elements():
    runner = _named_runner((tf.errors.OutOfRangeError, tf.errors.CancelledError))
    graph = tf.get_default_graph()
    copy = tf.train.QueueRunner.from_proto(runner.to_proto())
    assert copy.queue is graph.get_operation_by_name("q")
    assert copy.name == "q"
    assert copy.enqueue_ops == runner.enqueue_ops
    assert (copy.close_op, copy.cancel_op) == (runner.close_op, runner.cancel_op)
    assert copy.queue_closed_exception_types == (tf.errors.OutOfRangeError,
                                                 tf.errors.CancelledError)
    # A QueueRunnerDef without exception types (written before the field existed).
    old = protos.QueueRunnerDef(queue_name="q", enqueue_op_name=["e"], close_op_name="c",
                                cancel_op_name="k")
    assert tf.train.QueueRunner(queue_runner_def=old).queue_closed_exception_types == \
        (tf.errors.OutOfRangeError,)
    with pytest.raises(ValueError, match="mutually exclusive"):
        tf.train.QueueRunner(runner.queue, runner.enqueue_ops, queue_runner_def=old)
    with pytest.raises(KeyError):
        tf.train.QueueRunner(queue_runner_def=protos.QueueRunnerDef(queue_name="gone"))


def test_export_and_import_scopes():
    with tf.name_scope("model"):
        runner = _named_runner()
    outside = _named_runner()
    tf.train.add_queue_runner(runner)
    tf.train.add_queue_runner(outside)
    proto = runner.to_proto(export_scope="model")
    assert (proto.queue_name, list(proto.enqueue_op_name)) == ("q", ["e"])
    assert outside.to_proto(export_scope="model") is None
    meta = tf.train.export_meta_graph(export_scope="model")
    [data] = meta.collection_def["queue_runners"].bytes_list.value
    assert protos.QueueRunnerDef.FromString(data) == proto
    tf.train.import_meta_graph(meta, import_scope="copy")
    imported = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)[-1]
    assert imported.queue.name == "copy/q"
    assert [op.name for op in imported.enqueue_ops] == ["copy/e"]
    assert imported.cancel_op.name == "copy/k"


def test_queue_runner_proto_functions_are_registered_once():
    from tensorflux.framework import meta_graph
    assert meta_graph.get_collection_proto_type("queue_runners") is protos.QueueRunnerDef
    assert meta_graph.get_from_proto_function("queue_runners") == tf.train.QueueRunner.from_proto
    with pytest.raises(KeyError, match=r"registered twice: at .*queue_runner.py:\d+ and"):
        meta_graph.register_proto_function("queue_runners", protos.QueueRunnerDef)


def _csv_pipeline(directory, batch_size=3):
    """Two CSV files read in order twice, batched; the batches are named nums and words."""
    files = tf.train.string_input_producer(
        [os.path.join(directory, "f0.csv"), os.path.join(directory, "f1.csv")], num_epochs=2,
        shuffle=False)
    _, line = tf.TextLineReader().read(files)
    num, word = tf.decode_csv(line, [[0], [""]])
    nums, words = tf.train.batch([num, word], batch_size, allow_smaller_final_batch=True)
    tf.identity(nums, name="nums")
    tf.identity(words, name="words")


def _write_csv(directory):
    (directory / "f0.csv").write_text("1,a\n2,b\n3,c\n")
    (directory / "f1.csv").write_text("4,d\n5,e\n")


# Both epochs of the two files, in batches of three (the last one smaller).
_EXPECTED = [([1, 2, 3], ["a", "b", "c"]), ([4, 5, 1], ["d", "e", "a"]),
             ([2, 3, 4], ["b", "c", "d"]), ([5], ["e"])]


def _batches(sess):
    out = []
    with pytest.raises(tf.errors.OutOfRangeError):
        while True:
            nums, words = sess.run(["nums:0", "words:0"], options=TIMEOUT)
            out.append((nums.tolist(), [w.decode() for w in words]))
    return out


@pytest.mark.parametrize("as_text", [False, True])
def test_imported_meta_graph_starts_its_queue_runners(tmp_path, no_thread_leak, as_text):
    _write_csv(tmp_path)
    _csv_pipeline(str(tmp_path))
    path = str(tmp_path / "pipeline.meta")
    tf.train.export_meta_graph(path, as_text=as_text)
    with tf.Graph().as_default():
        tf.train.import_meta_graph(path)
        assert [r.name for r in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)] == \
            ["input_producer", "batch/fifo_queue"]
        with queue_session.running(init_globals=True) as sess:
            assert _batches(sess) == _EXPECTED


_TF_RUNS_OURS = """
tf.train.import_meta_graph(ARGS[0])
out = {"runners": [r.name for r in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)],
       "batches": []}
with tf.Session() as sess:
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess, coord)
    try:
        while True:
            nums, words = sess.run(["nums:0", "words:0"])
            out["batches"].append([nums.tolist(), [w.decode() for w in words]])
    except tf.errors.OutOfRangeError:
        pass
    coord.request_stop()
    coord.join(threads)
print(json.dumps(out))
"""


def test_real_tensorflow_runs_our_queue_runners(tmp_path):
    _write_csv(tmp_path)
    _csv_pipeline(str(tmp_path))
    path = str(tmp_path / "ours.meta")
    tf.train.export_meta_graph(path)
    theirs = json.loads(run_tf(_TF_RUNS_OURS, path, timeout=300))
    assert theirs["runners"] == ["input_producer", "batch/fifo_queue"]
    assert [tuple(b) for b in theirs["batches"]] == _EXPECTED


_TF_WRITES_PIPELINE = """
directory = ARGS[0]
files = tf.train.string_input_producer(
    [os.path.join(directory, "f0.csv"), os.path.join(directory, "f1.csv")], num_epochs=2,
    shuffle=False)
_, line = tf.TextLineReader().read(files)
num, word = tf.decode_csv(line, [[0], [""]])
nums, words = tf.train.batch([num, word], 3, allow_smaller_final_batch=True)
tf.identity(nums, name="nums")
tf.identity(words, name="words")
tf.train.export_meta_graph(os.path.join(directory, "tf.meta"))
"""


def test_we_run_queue_runners_of_a_real_tensorflow_meta_graph(tmp_path, no_thread_leak):
    _write_csv(tmp_path)
    run_tf(_TF_WRITES_PIPELINE, tmp_path, timeout=300)
    tf.train.import_meta_graph(str(tmp_path / "tf.meta"))
    runners = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
    assert [r.name for r in runners] == ["input_producer", "batch/fifo_queue"]
    assert runners[0].queue_closed_exception_types == (tf.errors.OutOfRangeError,)
    with queue_session.running(init_globals=True) as sess:
        assert _batches(sess) == _EXPECTED
