"""tf.train.Saver and checkpoint management: TF's V2 checkpoints, the `checkpoint` state file,
max_to_keep, crash safety, errors, meta graphs; round trips with real TF where it is installed."""
import json
import os

import numpy as np
import pytest

import tensorflux as tf
from tensorflux.formats import bundle
from realtf import run_tf

# Every dtype of SPEC section 3, with values that exercise its range.
ALL_DTYPES = {
    "i8": ("int8", [-128, 127]), "i16": ("int16", [-300, 2]), "i32": ("int32", [[1, -2]]),
    "i64": ("int64", 2 ** 40), "u8": ("uint8", [255, 0]), "u16": ("uint16", [65535]),
    "u32": ("uint32", [2 ** 32 - 1]), "u64": ("uint64", [2 ** 64 - 1]),
    "f16": ("float16", [1.5, -2.0]), "f32": ("float32", [[0.25, -1e30]]),
    "f64": ("float64", [1e-300]), "bf16": ("bfloat16", [1.5, 3.0]), "b": ("bool", [True, False]),
    "s": ("string", [b"x", b"", b"\xc3\xa9\x00"]), "c64": ("complex64", [1 + 2j]),
    "c128": ("complex128", [3 - 4j]), "qi8": ("qint8", [-5, 5]), "qi16": ("qint16", [7]),
    "qi32": ("qint32", [-9]), "qu8": ("quint8", [200]), "qu16": ("quint16", [60000]),
}


def _variables_of_every_dtype():
    variables = {}
    for name, (dtype_name, value) in ALL_DTYPES.items():
        dtype = tf.as_dtype(dtype_name)
        array = value if dtype == tf.string else np.array(value, dtype.storage_numpy_dtype)
        variables[name] = tf.Variable(array, dtype=dtype, name=name)
    return variables


def _simple_model():
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
    b = tf.Variable(0.5, name="b")
    return w, b


def _files(directory):
    return sorted(os.listdir(directory))


# ----------------------------------------------------------------------------------------------
# Saving and restoring

def test_restore_needs_no_initializer_and_save_returns_the_prefix(tmp_path):
    w, b = _simple_model()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign_add(tf.ones([2, 3])))
        path = saver.save(sess, str(tmp_path / "model.ckpt"))
    assert path == str(tmp_path / "model.ckpt")
    assert _files(tmp_path) == ["checkpoint", "model.ckpt.data-00000-of-00001",
                                "model.ckpt.index", "model.ckpt.meta"]
    with tf.Session() as sess:
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(w), np.arange(1, 7).reshape(2, 3))
        assert sess.run(b) == np.float32(0.5)


def test_saver_builds_tf1_ops_and_saver_def():
    _simple_model()
    saver = tf.train.Saver(max_to_keep=3)
    graph = tf.get_default_graph()
    assert saver.saver_def.filename_tensor_name == "save/Const:0"
    assert saver.saver_def.save_tensor_name == "save/control_dependency:0"
    assert saver.saver_def.restore_op_name == "save/restore_all"
    assert saver.saver_def.max_to_keep == 3 and saver.saver_def.version == 2
    assert saver.as_saver_def() is saver.saver_def
    save = graph.get_operation_by_name("save/SaveV2")
    assert [t.name for t in save.inputs[3:]] == ["b:0", "w:0"]   # sorted by name, as TF
    restore = graph.get_operation_by_name("save/RestoreV2")
    assert restore.get_attr("dtypes") == [tf.float32, tf.float32]
    assert {op.name for op in graph.get_operation_by_name("save/restore_all").control_inputs} \
        == {"save/Assign", "save/Assign_1"}
    tf.train.Saver()
    assert graph.get_operation_by_name("save_1/restore_all").type == "NoOp"


def test_global_step_names_checkpoints_and_state_file_lists_them(tmp_path):
    _simple_model()
    step = tf.train.get_or_create_global_step()
    saver = tf.train.Saver()
    prefix = str(tmp_path / "model")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert saver.save(sess, prefix, global_step=7) == prefix + "-7"
        sess.run(step.assign(12))
        assert saver.save(sess, prefix, global_step=step) == prefix + "-12"
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == prefix + "-12"
    assert list(state.all_model_checkpoint_paths) == [prefix + "-7", prefix + "-12"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == prefix + "-12"
    assert tf.train.checkpoint_exists(prefix + "-7") and not tf.train.checkpoint_exists(prefix)
    assert saver.last_checkpoints == [prefix + "-7", prefix + "-12"]


def test_var_list_as_list_and_dict(tmp_path):
    w, b = _simple_model()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver({"weights": w}).save(sess, str(tmp_path / "a"))
        tf.train.Saver([b]).save(sess, str(tmp_path / "b"))
    assert tf.train.list_variables(str(tmp_path / "a")) == [("weights", [2, 3])]
    assert tf.train.list_variables(str(tmp_path / "b")) == [("b", [])]
    with tf.Graph().as_default():
        other = tf.Variable(tf.zeros([2, 3]), name="other")
        saver = tf.train.Saver({"weights": other})
        with tf.Session() as sess:
            saver.restore(sess, str(tmp_path / "a"))
            np.testing.assert_array_equal(sess.run(other), np.arange(6).reshape(2, 3))


def test_empty_var_lists():
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()
    saver = tf.train.Saver(allow_empty=True)
    with tf.Session() as sess:
        assert saver.save(sess, "/nonexistent/x") is None
        saver.restore(sess, "/nonexistent/x")
    with pytest.raises(TypeError, match="cannot save"):
        tf.train.Saver([tf.constant(1.0)])


def test_every_dtype_round_trips(tmp_path):
    variables = _variables_of_every_dtype()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(variables)
        path = saver.save(sess, str(tmp_path / "all"))
    with tf.Session() as sess:
        saver.restore(sess, path)
        after = sess.run(variables)
    reader = tf.train.NewCheckpointReader(path)
    dtype_map = reader.get_variable_to_dtype_map()
    for name, (dtype_name, _) in ALL_DTYPES.items():
        assert np.asarray(after[name]).dtype == np.asarray(before[name]).dtype, name
        assert np.array_equal(np.asarray(after[name]), np.asarray(before[name])), name
        assert dtype_map[name] == tf.as_dtype(dtype_name), name


def test_checkpoint_reader_list_and_load_variable(tmp_path):
    w, b = _simple_model()
    step = tf.train.get_or_create_global_step()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"), global_step=3)
    reader = tf.train.NewCheckpointReader(path)
    assert reader.has_tensor("w") and not reader.has_tensor("nope")
    assert reader.get_variable_to_shape_map() == {"w": [2, 3], "b": [], "global_step": []}
    assert reader.get_variable_to_dtype_map()["global_step"] == tf.int64
    assert reader.get_tensor("b") == np.float32(0.5) and np.ndim(reader.get_tensor("b")) == 0
    with pytest.raises(tf.errors.NotFoundError, match="Key nope not found in checkpoint"):
        reader.get_tensor("nope")
    assert tf.train.list_variables(str(tmp_path)) == [("b", []), ("global_step", []),
                                                      ("w", [2, 3])]
    np.testing.assert_array_equal(tf.train.load_variable(str(tmp_path), "w:0"),
                                  np.arange(6).reshape(2, 3))
    with pytest.raises(tf.errors.NotFoundError):
        tf.train.NewCheckpointReader(str(tmp_path / "missing"))
    os.mkdir(tmp_path / "empty")
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file"):
        tf.train.list_variables(str(tmp_path / "empty"))


# ----------------------------------------------------------------------------------------------
# Keeping and deleting checkpoints

def _save_steps(saver, directory, steps, **kwargs):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return [saver.save(sess, os.path.join(directory, "model"), global_step=step, **kwargs)
                for step in steps]


def test_max_to_keep_deletes_only_old_complete_checkpoints(tmp_path):
    _simple_model()
    saver = tf.train.Saver(max_to_keep=2)
    paths = _save_steps(saver, str(tmp_path), range(4))
    assert saver.last_checkpoints == paths[2:]
    assert _files(tmp_path) == ["checkpoint"] + [
        f"model-{i}{suffix}" for i in (2, 3)
        for suffix in (".data-00000-of-00001", ".index", ".meta")]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert list(state.all_model_checkpoint_paths) == paths[2:]


def test_max_to_keep_none_keeps_every_checkpoint_and_lists_only_the_last(tmp_path):
    _simple_model()
    saver = tf.train.Saver(max_to_keep=None)
    paths = _save_steps(saver, str(tmp_path), range(3), write_meta_graph=False)
    assert all(tf.train.checkpoint_exists(p) for p in paths)
    assert saver.last_checkpoints == []
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert list(state.all_model_checkpoint_paths) == [paths[-1]]


def test_keep_checkpoint_every_n_hours_spares_one_per_period(tmp_path):
    _simple_model()
    saver = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1e-9)
    paths = _save_steps(saver, str(tmp_path), range(3), write_meta_graph=False)
    assert all(tf.train.checkpoint_exists(p) for p in paths)
    assert saver.last_checkpoints == paths[-1:]


def test_recover_last_checkpoints_lets_a_new_saver_delete_old_ones(tmp_path):
    _simple_model()
    first = tf.train.Saver(max_to_keep=5)
    old = _save_steps(first, str(tmp_path), range(3), write_meta_graph=False)
    saver = tf.train.Saver(max_to_keep=2)
    saver.recover_last_checkpoints(
        list(tf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths))
    assert saver.last_checkpoints == old
    new = _save_steps(saver, str(tmp_path), [3], write_meta_graph=False)
    # As TF, each save retires one checkpoint beyond max_to_keep.
    assert saver.last_checkpoints == old[1:] + new
    assert [tf.train.checkpoint_exists(p) for p in old] == [False, True, True]
    saver.set_last_checkpoints_with_time([(old[2], 1.0)])
    assert saver.last_checkpoints == [old[2]]


def test_relative_paths_in_state_file(tmp_path, monkeypatch):
    _simple_model()
    monkeypatch.chdir(tmp_path)
    os.mkdir("ckpt")
    _save_steps(tf.train.Saver(), "ckpt", [1], write_meta_graph=False)
    assert 'model_checkpoint_path: "model-1"' in (tmp_path / "ckpt" / "checkpoint").read_text()
    _save_steps(tf.train.Saver(save_relative_paths=True), str(tmp_path / "ckpt"), [2],
                write_meta_graph=False)
    text = (tmp_path / "ckpt" / "checkpoint").read_text()
    assert 'model_checkpoint_path: "model-2"' in text
    assert tf.train.latest_checkpoint("ckpt") == os.path.join("ckpt", "model-2")


def test_latest_filename_and_defer_build(tmp_path):
    _simple_model()
    saver = tf.train.Saver(defer_build=True)
    with tf.Session() as sess:
        with pytest.raises(RuntimeError, match="build"):
            saver.save(sess, str(tmp_path / "m"))
        saver.build()
        sess.run(tf.global_variables_initializer())
        saver.save(sess, str(tmp_path / "m"), latest_filename="latest", write_meta_graph=False)
        with pytest.raises(ValueError, match="path components"):
            saver.save(sess, str(tmp_path / "m"), latest_filename="a/b")
        with pytest.raises(TypeError, match="Session"):
            saver.save(object(), str(tmp_path / "m"))
    assert tf.train.latest_checkpoint(str(tmp_path), "latest") == str(tmp_path / "m")
    assert tf.train.latest_checkpoint(str(tmp_path)) is None


def test_reshape_and_sharded_options(tmp_path):
    v = tf.Variable(np.arange(6, dtype=np.float32), name="v")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = tf.train.Saver(sharded=True).save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        v = tf.Variable(tf.zeros([2, 3]), name="v")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError):
                tf.train.Saver().restore(sess, path)
            tf.train.Saver(reshape=True).restore(sess, path)
            np.testing.assert_array_equal(sess.run(v), np.arange(6).reshape(2, 3))


# ----------------------------------------------------------------------------------------------
# Bad input

def _saved_model(tmp_path):
    _simple_model()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return saver.save(sess, str(tmp_path / "model"), write_meta_graph=False)


def test_missing_variable_raises_not_found_naming_it(tmp_path):
    path = _saved_model(tmp_path)
    with tf.Graph().as_default():
        tf.Variable(1.0, name="w")
        tf.Variable(1.0, name="extra")
        with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError) as info:
            tf.train.Saver([tf.global_variables()[1]]).restore(sess, path)
    assert "Key extra not found in checkpoint" in str(info.value)


def test_shape_mismatch_names_variable_and_both_shapes(tmp_path):
    path = _saved_model(tmp_path)
    with tf.Graph().as_default():
        tf.Variable(tf.zeros([3, 2]), name="w")
        tf.Variable(0.5, name="b")
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
            tf.train.Saver().restore(sess, path)
    message = str(info.value)
    assert "variable w" in message and "[3, 2]" in message and "[2, 3]" in message


def test_dtype_mismatch_names_variable(tmp_path):
    path = _saved_model(tmp_path)
    with tf.Graph().as_default():
        tf.Variable(np.zeros([2, 3]), name="w")       # float64
        tf.Variable(0.5, name="b")
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                                 match="tensor_name = w; expected dtype "
                                                       "float64 does not equal original "
                                                       "dtype float32"):
            tf.train.Saver().restore(sess, path)


def test_restore_of_a_path_that_is_no_checkpoint(tmp_path):
    _simple_model()
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            tf.train.Saver().restore(sess, str(tmp_path / "nothing"))
        with pytest.raises(ValueError, match="None"):
            tf.train.Saver().restore(sess, None)


def test_corrupt_data_file_raises_data_loss(tmp_path):
    path = _saved_model(tmp_path)
    data = bundle.data_filename(path)
    content = bytearray(open(data, "rb").read())
    content[3] ^= 0xFF
    open(data, "wb").write(bytes(content))
    with tf.Graph().as_default():
        _simple_model()
        with tf.Session() as sess, pytest.raises(tf.errors.DataLossError, match="checksum"):
            tf.train.Saver().restore(sess, path)
    open(data, "wb").write(bytes(content[:10]))
    with pytest.raises(tf.errors.DataLossError):
        tf.train.NewCheckpointReader(path).get_tensor("w")


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_index_raises_data_loss(tmp_path, cut):
    path = _saved_model(tmp_path)
    index = bundle.index_filename(path)
    content = open(index, "rb").read()
    open(index, "wb").write(content[:int(len(content) * cut)])
    with tf.Graph().as_default():
        _simple_model()
        with tf.Session() as sess, pytest.raises(tf.errors.DataLossError):
            tf.train.Saver().restore(sess, path)


def test_missing_directory_is_a_value_error_and_writes_nothing(tmp_path):
    _simple_model()
    saver = tf.train.Saver()
    target = tmp_path / "missing" / "model"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(ValueError, match="Parent directory of .* doesn't exist, can't save"):
            saver.save(sess, str(target))
    assert _files(tmp_path) == []


def test_unwritable_directory_is_permission_denied_and_leaves_no_files(tmp_path, monkeypatch):
    _simple_model()
    saver = tf.train.Saver()
    real_open = open

    def deny(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        monkeypatch.setattr("builtins.open", deny)
        with pytest.raises(tf.errors.PermissionDeniedError, match="Permission denied"):
            saver.save(sess, str(tmp_path / "model"))
        monkeypatch.undo()
    assert _files(tmp_path) == []


def test_save_interrupted_between_files_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    w, b = _simple_model()
    saver = tf.train.Saver(max_to_keep=1)
    prefix = str(tmp_path / "model")
    real_replace = os.replace
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        good = saver.save(sess, prefix, global_step=1)
        sess.run(w.assign(tf.zeros([2, 3])))

        def crash_on_index(src, dst):
            if str(dst).endswith(".index"):
                raise OSError(28, "No space left on device", str(dst))
            return real_replace(src, dst)
        monkeypatch.setattr(bundle.os, "replace", crash_on_index)
        with pytest.raises(tf.errors.ResourceExhaustedError, match="No space left"):
            saver.save(sess, prefix, global_step=2)
        monkeypatch.undo()
    assert tf.train.latest_checkpoint(str(tmp_path)) == good
    assert saver.last_checkpoints == [good]
    assert _files(tmp_path) == ["checkpoint", "model-1.data-00000-of-00001", "model-1.index",
                                "model-1.meta"]
    with tf.Session() as sess:
        saver.restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
        np.testing.assert_array_equal(sess.run(w), np.arange(6).reshape(2, 3))


def test_saving_uninitialized_variables_fails_naming_them(tmp_path):
    _simple_model()
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError, match="w|b"):
        tf.train.Saver().save(sess, str(tmp_path / "m"))
    assert _files(tmp_path) == []


# ----------------------------------------------------------------------------------------------
# Meta graphs

def _train_and_save(directory):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable([[1.0], [2.0]], name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)), name="loss")
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    tf.add_to_collection("my_train", train)
    tf.add_to_collection("names", "hello")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: [[1.0, 1.0]]})
        return saver.save(sess, os.path.join(directory, "model"), global_step=step), \
            sess.run(loss, {x: [[1.0, 1.0]]})


def test_import_meta_graph_restores_variables_in_a_fresh_graph(tmp_path):
    path, expected = _train_and_save(str(tmp_path))
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(path + ".meta")
        assert [v.name for v in tf.global_variables()] == ["w:0", "global_step:0"]
        assert [v.name for v in tf.trainable_variables()] == ["w:0"]
        assert tf.get_collection("names") == [b"hello"]
        with tf.Session() as sess:
            saver.restore(sess, path)
            assert sess.run("loss:0", {"x:0": [[1.0, 1.0]]}) == pytest.approx(expected)
            sess.run(tf.get_collection("my_train")[0], {"x:0": [[1.0, 1.0]]})
            assert sess.run(tf.train.get_global_step()) == 2
            assert sess.run(tf.global_variables()[0].initializer) is None
        assert graph.get_operation_by_name("save/restore_all").type == "NoOp"


def test_import_meta_graph_under_a_scope_and_without_saver_def(tmp_path):
    path, expected = _train_and_save(str(tmp_path))
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(path + ".meta", import_scope="copy")
        assert saver.saver_def.restore_op_name == "copy/save/restore_all"
        with tf.Session() as sess:
            saver.restore(sess, path)
            assert sess.run("copy/loss:0", {"copy/x:0": [[1.0, 1.0]]}) == \
                pytest.approx(expected)
    meta = tf.train.export_meta_graph()
    assert not meta.HasField("saver_def")
    with tf.Graph().as_default():
        tf.Variable(1.0, name="v")
        meta = tf.train.export_meta_graph(as_text=True,
                                          filename=str(tmp_path / "plain.meta"))
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(str(tmp_path / "plain.meta"))
        assert isinstance(saver, tf.train.Saver) and tf.global_variables()[0].name == "v:0"
    with tf.Graph().as_default():
        assert tf.train.import_meta_graph(tf.train.export_meta_graph()) is None
    with pytest.raises(IOError, match="does not exist"):
        tf.train.import_meta_graph(str(tmp_path / "none.meta"))


# ----------------------------------------------------------------------------------------------
# Real TensorFlow, both directions

_TF_RESTORES_OURS = """
prefix, meta_prefix = ARGS
reader = tf.train.NewCheckpointReader(prefix)
dtypes = reader.get_variable_to_dtype_map()
shapes = reader.get_variable_to_shape_map()
out = {}
from tensorflow.python.ops import gen_state_ops
with tf.Graph().as_default():
    # Bare VariableV2 ops of every dtype: restoring needs no initial value.
    # (TF has no CPU Assign kernel for qint16: that one is read with the reader only.)
    variables = {name: gen_state_ops.variable_v2(shapes[name], dtypes[name], name=name)
                 for name in dtypes if dtypes[name] != tf.qint16}
    with tf.Session() as sess:
        tf.train.Saver(variables).restore(sess, prefix)
        values = sess.run(variables)
        values["qi16"] = reader.get_tensor("qi16")
        for name, value in values.items():
            value = np.asarray(value)
            if value.dtype == object:
                out[name] = [v.hex() for v in value.ravel().tolist()]
            else:
                out[name] = [repr(v) for v in value.ravel().tolist()]
with tf.Graph().as_default():
    saver = tf.train.import_meta_graph(meta_prefix + ".meta")
    with tf.Session() as sess:
        saver.restore(sess, meta_prefix)
        out["loss"] = float(sess.run("loss:0", {"x:0": [[1.0, 1.0]]}))
        sess.run(tf.get_collection("my_train")[0], {"x:0": [[1.0, 1.0]]})
        out["step"] = int(sess.run("global_step:0"))
print(json.dumps(out))
"""


def _flat(value):
    value = np.asarray(value)
    if value.dtype == object:
        return [v.hex() for v in value.ravel().tolist()]
    return [repr(v) for v in value.ravel().tolist()]


def test_real_tensorflow_restores_our_checkpoints_and_meta_graph(tmp_path):
    variables = _variables_of_every_dtype()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = tf.train.Saver().save(sess, str(tmp_path / "all"), write_meta_graph=False)
        values = sess.run(variables)
    with tf.Graph().as_default():
        meta_prefix, loss = _train_and_save(str(tmp_path))
    theirs = json.loads(run_tf(_TF_RESTORES_OURS, prefix, meta_prefix))
    for name in ALL_DTYPES:
        assert theirs[name] == _flat(values[name]), name
    assert theirs["loss"] == pytest.approx(float(loss))
    assert theirs["step"] == 2


_TF_SAVES = """
directory = ARGS[0]
values = {
    "i8": np.array([-128, 127], np.int8), "u64": np.array([2 ** 64 - 1], np.uint64),
    "f16": np.array([1.5, -2], np.float16), "f64": np.array(1e-300), "b": np.array([True]),
    "s": np.array([b"x", b"", b"\\xc3\\xa9"], object), "c128": np.array([3 - 4j]),
    "bf16": np.array([1.5, 3.0], tf.bfloat16.as_numpy_dtype), "qi8": np.array([-5, 5], np.int8),
}
with tf.Graph().as_default():
    for name, value in values.items():
        dtype = tf.qint8 if name == "qi8" else None
        tf.Variable(tf.constant(value, dtype=dtype), name=name)
    x = tf.placeholder(tf.float32, [None, 4, 4, 1], name="x")
    k = tf.get_variable("k", initializer=tf.truncated_normal([3, 3, 1, 2], seed=1))
    y = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME")), [1, 2, 2, 1],
                       [1, 2, 2, 1], "VALID")
    with tf.variable_scope("fc"):
        kernel = tf.get_variable("kernel", initializer=tf.random_normal([8, 3], seed=2))
        bias = tf.get_variable("bias", initializer=tf.zeros([3]))
    logits = tf.nn.bias_add(tf.matmul(tf.reshape(y, [-1, 8]), kernel), bias)
    probs = tf.nn.softmax(logits, name="probs")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                         logits=logits))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
    xs = np.random.RandomState(0).rand(2, 4, 4, 1).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: xs, labels: [0, 2]})
        tf.train.Saver().save(sess, os.path.join(directory, "model.ckpt"), global_step=step)
        out = {"probs": sess.run(probs, {x: xs}).tolist(), "xs": xs.tolist(),
               "values": {n: [repr(v) for v in np.asarray(sess.run(n + ":0")).ravel().tolist()]
                          for n in values if n not in ("s", "bf16", "qi8")}}
print(json.dumps(out))
"""


def test_we_restore_real_tensorflow_checkpoints_and_meta_graphs(tmp_path):
    theirs = json.loads(run_tf(_TF_SAVES, tmp_path))
    prefix = tf.train.latest_checkpoint(str(tmp_path))
    assert prefix == str(tmp_path / "model.ckpt-1")
    saver = tf.train.import_meta_graph(prefix + ".meta")
    names = {v.op.name for v in tf.global_variables()}
    assert {"i8", "s", "k", "fc/kernel", "fc/bias", "global_step"} <= names
    with tf.Session() as sess:
        saver.restore(sess, prefix)
        probs = sess.run("probs:0", {"x:0": np.array(theirs["xs"], np.float32)})
        np.testing.assert_allclose(probs, theirs["probs"], rtol=1e-5, atol=1e-6)
        assert sess.run("s:0").tolist() == [b"x", b"", b"\xc3\xa9"]
        assert sess.run("bf16:0").astype(np.float32).tolist() == [1.5, 3.0]
        assert sess.run("qi8:0").tolist() == [-5, 5]
        for name, expected in theirs["values"].items():
            assert _flat(sess.run(name + ":0")) == expected, name
        before = sess.run("global_step:0")
        sess.run(tf.get_collection(tf.GraphKeys.TRAIN_OP)[0],
                 {"x:0": np.array(theirs["xs"], np.float32), "labels:0": [0, 2]})
        assert sess.run("global_step:0") == before + 1
    with tf.Graph().as_default():      # and into a graph built in code, by variable names
        i8 = tf.Variable(np.zeros(2, np.int8), name="i8")
        s = tf.Variable([b"", b"", b""], name="s")
        with tf.Session() as sess:
            tf.train.Saver([i8, s]).restore(sess, prefix)
            assert sess.run(i8).tolist() == [-128, 127]
            assert sess.run(s).tolist() == [b"x", b"", b"\xc3\xa9"]
