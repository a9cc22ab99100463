import collections
import threading

import numpy as np
import pytest

import tensorflux as tf


def test_nested_fetch_structures():
    a = tf.constant(1.0)
    b = tf.constant([2, 3])
    Pair = collections.namedtuple("Pair", "x y")
    with tf.Session() as sess:
        out = sess.run({"a": a, "rest": [b, (a, Pair(a, b))]})
        assert out["a"] == 1.0 and isinstance(out["a"], np.float32)
        assert out["rest"][0].tolist() == [2, 3]
        assert isinstance(out["rest"][1], tuple)
        assert isinstance(out["rest"][1][1], Pair) and out["rest"][1][1].y.tolist() == [2, 3]
        assert sess.run("Const:0") == 1.0
        assert sess.run(a.op) is None
        assert sess.run([a.op, a]) == [None, 1.0]


def test_fetch_errors():
    a = tf.constant(1)
    other = tf.Graph()
    with other.as_default():
        b = tf.constant(2)
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="None"):
            sess.run(None)
        with pytest.raises(TypeError, match="invalid type"):
            sess.run(3)
        with pytest.raises(ValueError, match="does not exist"):
            sess.run("nothing:0")
        with pytest.raises(ValueError, match="not an element of this graph"):
            sess.run(b)
        assert sess.run(a) == 1


def test_feed_any_tensor_and_by_name():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = x * 2
    z = y + 1
    with tf.Session() as sess:
        assert sess.run(z, {x: [[1, 2]]}).tolist() == [[3, 5]]
        assert sess.run(z, {"x:0": [[0, 0]]}).tolist() == [[1, 1]]
        assert sess.run(z, {y: [[10, 10]]}).tolist() == [[11, 11]]
        c = tf.constant(5.0)
        d = c * 3
        assert sess.run(d, {c: 1.0}) == 3.0


def test_feed_errors():
    x = tf.placeholder(tf.float32, [None, 784], name="images")
    y = tf.reduce_sum(x)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"You must feed a value for placeholder tensor 'images'"):
            sess.run(y)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Cannot feed value of shape \(2, 3\) for Tensor 'images:0', "
                                 r"which has shape '\(\?, 784\)'"):
            sess.run(y, {x: np.zeros((2, 3))})
        with pytest.raises(ValueError):
            sess.run(y, {x: np.zeros((2, 3))})
        with pytest.raises(tf.errors.InvalidArgumentError, match="images"):
            sess.run(y, {x: [["a"] * 784]})
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(y, {x: tf.zeros([1, 784])})


def test_closed_session():
    a = tf.constant(1)
    sess = tf.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(a)


def test_eval_and_run_use_default_session():
    a = tf.constant(4)
    v = tf.Variable(1)
    with pytest.raises(ValueError, match="No default session"):
        a.eval()
    with tf.Session() as sess:
        assert a.eval() == 4
        v.initializer.run()
        assert v.eval() == 1
    sess = tf.Session()
    with sess.as_default():
        assert a.eval() == 4
    assert a.eval(session=sess) == 4
    sess.close()


def test_interactive_session_is_default():
    a = tf.constant(7)
    sess = tf.InteractiveSession()
    try:
        assert a.eval() == 7
        assert tf.get_default_session() is sess
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_remote_target_unimplemented():
    with pytest.raises(tf.errors.UnimplementedError, match="in-process"):
        tf.Session("grpc://localhost:2222")


def test_kernel_error_names_op_type_and_user_line():
    x = tf.placeholder(tf.int32)
    y = tf.floordiv(x, tf.constant(0))  # the line the error must name
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: 3})
    err = info.value
    assert err.op is y.op
    text = str(err)
    assert "Integer division by zero" in text
    assert "FloorDiv" in y.op.type and y.op.name in text
    assert __file__ in text


def test_prunes_unneeded_ops_and_runs_in_dependency_order():
    x = tf.placeholder(tf.float32)
    bad = tf.floordiv(tf.constant(1), tf.constant(0))
    good = x + 1
    counter = tf.Variable(0)
    inc = tf.assign_add(counter, 1)
    with tf.control_dependencies([inc]):
        read = tf.identity(counter)
    with tf.Session() as sess:
        assert sess.run(good, {x: 1.0}) == 2.0
        sess.run(counter.initializer)
        assert sess.run(read) == 1
        assert sess.run(read) == 2
    assert bad is not None


def test_two_sessions_hold_different_values():
    v = tf.Variable(0)
    inc = tf.assign_add(v, 1)
    s1, s2 = tf.Session(), tf.Session()
    s1.run(v.initializer)
    s2.run(v.initializer)
    s1.run(inc)
    s1.run(inc)
    s2.run(inc)
    assert s1.run(v) == 2 and s2.run(v) == 1
    s1.close()
    assert s2.run(v) == 1
    s2.close()


def test_fetched_values_are_copies():
    v = tf.Variable([1, 2])
    inc = tf.assign_add(v, [1, 1])
    with tf.Session() as sess:
        sess.run(v.initializer)
        before = sess.run(v)
        sess.run(inc)
        assert before.tolist() == [1, 2]
        assert sess.run(v).tolist() == [2, 3]


def test_concurrent_runs_from_threads():
    x = tf.placeholder(tf.float32, [])
    y = x * 2
    results = {}
    with tf.Session() as sess:
        def work(i):
            results[i] = [sess.run(y, {x: float(i)}) for _ in range(50)]
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert all(r == [2.0 * i] * 50 for i, r in results.items())


def test_plan_cache_reused_and_invalidated():
    a = tf.constant(1)
    b = a + 1
    with tf.Session() as sess:
        sess.run(b)
        sess.run(b)
        assert len(sess._plans) == 1
        c = b + 1
        assert sess.run(c) == 3
        assert sess.run(b) == 2


def test_config_and_run_options_accepted():
    config = tf.ConfigProto(log_device_placement=False, allow_soft_placement=True,
                            intra_op_parallelism_threads=2)
    config.gpu_options.allow_growth = True
    a = tf.constant(3)
    with tf.Session(config=config) as sess:
        opts = tf.RunOptions(timeout_in_ms=1000)
        assert sess.run(a, options=opts) == 3
    with pytest.raises(ValueError):
        tf.ConfigProto(no_such_field=1)


def test_device_placement_errors_and_soft_placement():
    with tf.device("/gpu:3"):
        a = tf.constant(1) + 1
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot assign a device"):
            sess.run(a)
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(a) == 2
    with tf.device("/mlu:0"):
        b = tf.constant(2) * 2
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(b) == 4


def test_log_device_placement(capsys):
    a = tf.constant(1, name="one") + 1
    with tf.Session(config=tf.ConfigProto(log_device_placement=True,
                                          device_count={"GPU": 0})) as sess:
        sess.run(a)
    err = capsys.readouterr().err
    assert "one: (Const): /job:localhost/replica:0/task:0/device:CPU:0" in err
