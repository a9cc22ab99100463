"""Kernel libraries and devices: lazy loading of torch, kernel selection and fallback, values
crossing libraries and devices, buffer reuse, placement (soft placement, colocation,
device_count, the placement log) and GPUs.

Without a GPU, the GPU paths run on a simulated GPU backed by CPU memory (`simulated_gpu`):
placement, copies and variables stored as device tensors behave as on CUDA. Tests marked `gpu`
run on a real CUDA device and skip without one.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import tensorflux as tf
from tensorflux.runtime import devices
from session_configs import UNOPTIMIZED

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _python(code, **env):
    """Runs `code` in a fresh interpreter; returns its stdout."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, env={**os.environ, "PYTHONPATH": REPO, **env}, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class libraries:
    """Sessions created inside use only `names`."""

    def __init__(self, *names):
        self.names = list(names)

    def __enter__(self):
        self.saved = devices.kernel_libraries()
        devices.set_kernel_libraries(self.names)

    def __exit__(self, *exc):
        devices.set_kernel_libraries(self.saved)


def steps_of(sess):
    return [s for plan in sess._plans.values() for s in plan.steps]


def library_of(sess, op):
    return next(s.library for s in steps_of(sess) if s.op is op and not s.copy)


# ---------------------------------------------------------------- loading the libraries
def test_import_does_not_import_torch():
    assert _python("import sys, tensorflux; print('torch' in sys.modules)") == "False"


def test_torch_loads_on_the_first_session():
    pytest.importorskip("torch")
    out = _python("import sys, tensorflux as tf\n"
                  "before = 'torch' in sys.modules\n"
                  "tf.Session().close()\n"
                  "from tensorflux.runtime import devices\n"
                  "print(before, 'torch' in sys.modules, devices.kernel_libraries())",
                  TENSORFLUX_KERNELS="")
    assert out == "False True ['torch', 'numpy']"


def test_environment_variable_pins_numpy():
    out = _python("import sys, tensorflux as tf\n"
                  "with tf.Session() as sess:\n"
                  "    value = sess.run(tf.constant([1.0, 2.0]) * 3.0)\n"
                  "from tensorflux.runtime import devices\n"
                  "print('torch' in sys.modules, devices.kernel_libraries(), value.tolist())",
                  TENSORFLUX_KERNELS="numpy")
    assert out == "False ['numpy'] [3.0, 6.0]"


def test_set_kernel_libraries_restricts_later_sessions():
    pytest.importorskip("torch")
    x = tf.constant(np.ones((2, 2), np.float32))
    y = tf.matmul(x, x)
    with libraries("numpy"), tf.Session(config=UNOPTIMIZED) as sess:  # y is not folded
        np.testing.assert_array_equal(sess.run(y), np.full((2, 2), 2.0))
        assert library_of(sess, y.op) == "numpy"
    with libraries("torch", "numpy"), tf.Session(config=UNOPTIMIZED) as sess:
        np.testing.assert_array_equal(sess.run(y), np.full((2, 2), 2.0))
        assert library_of(sess, y.op) == "torch"


# ---------------------------------------------------------------- kernel selection
torch_only = pytest.mark.torch


@torch_only
def test_torch_chosen_where_registered_numpy_otherwise():
    pytest.importorskip("torch")
    x = tf.placeholder(tf.float32, [3])
    y = tf.exp(x) * 2.0
    z = tf.segment_sum(y, [0, 0, 1])  # no torch kernel
    with libraries("torch", "numpy"), tf.Session() as sess:
        out = sess.run(z, {x: [0.0, 1.0, 2.0]})
        y_value = 2 * np.exp([0.0, 1.0, 2.0])
        np.testing.assert_allclose(out, [y_value[0] + y_value[1], y_value[2]], rtol=1e-6)
        assert library_of(sess, y.op) == "torch"
        assert library_of(sess, z.op) == "numpy"


@torch_only
def test_dtypes_torch_lacks_fall_back_to_numpy():
    pytest.importorskip("torch")
    a = tf.placeholder(tf.uint16, [2])
    b = a + tf.constant(np.array([1, 2], np.uint16))
    s = tf.placeholder(tf.string, [2])
    eq = tf.equal(s, tf.constant(["x", "y"]))
    f = tf.placeholder(tf.float32, [2])
    g = f + 1.0
    with libraries("torch", "numpy"), tf.Session() as sess:
        out = sess.run([b, eq, g], {a: np.array([5, 6], np.uint16), s: ["x", "z"], f: [1, 2]})
        assert out[0].dtype == np.uint16 and out[0].tolist() == [6, 8]
        assert out[1].tolist() == [True, False]
        assert library_of(sess, b.op) == "numpy"
        assert library_of(sess, eq.op) == "numpy"
        assert library_of(sess, g.op) == "torch"


# ---------------------------------------------------------------- values crossing libraries
@torch_only
def test_conversions_only_where_the_library_changes():
    pytest.importorskip("torch")
    x = tf.placeholder(tf.float32, [4])
    a = tf.exp(x)              # torch: the feed crosses once
    b = tf.sqrt(a) + tf.square(a)  # torch, torch, torch: no crossing
    c = tf.segment_sum(b, [0, 0, 1, 2])  # NumPy: crosses once
    d = c * 2.0                # torch again: crosses once; fetched: crosses back
    with libraries("torch", "numpy"), tf.Session() as sess:
        value = sess.run(d, {x: np.arange(4, dtype=np.float32)})
        copies = [s for s in steps_of(sess) if s.copy]
    b_value = np.sqrt(np.exp(np.arange(4.0))) + np.square(np.exp(np.arange(4.0)))
    expected = 2 * np.array([b_value[0] + b_value[1], b_value[2], b_value[3]])
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    assert len(copies) == 4
    assert type(value) is np.ndarray


@torch_only
def test_awkward_numpy_values_cross_to_torch():
    pytest.importorskip("torch")
    x = tf.placeholder(tf.float32, [None, None])
    y = tf.abs(x) + 1.0
    flags = tf.placeholder(tf.bool, [3])
    both = tf.logical_and(flags, tf.constant([True, True, False]))
    s = tf.placeholder(tf.float64, [])
    t = tf.square(s)
    base = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
    read_only = base.copy()
    read_only.flags.writeable = False
    cases = [base.T, base[::-1], base[:, ::2], read_only, np.broadcast_to(base[0], (3, 4))]
    with libraries("torch", "numpy"), tf.Session() as sess:
        for value in cases:
            np.testing.assert_array_equal(sess.run(y, {x: value}), np.abs(value) + 1)
        assert sess.run(both, {flags: np.array([True, False, True])}).tolist() == \
            [True, False, False]
        result = sess.run(t, {s: np.float64(3.0)})
        assert result == 9.0 and isinstance(result, np.float64)
    np.testing.assert_array_equal(read_only, base)


@torch_only
def test_fetched_values_are_numpy_copies():
    pytest.importorskip("torch")
    v = tf.Variable(np.ones(3, np.float32))
    doubled = v * 2.0
    with libraries("torch", "numpy"), tf.Session() as sess:
        sess.run(v.initializer)
        got = sess.run(doubled)
        got[:] = 0
        assert sess.run(doubled).tolist() == [2.0, 2.0, 2.0]
        snapshot = sess.run(v)
        snapshot[:] = 7
        assert sess.run(v).tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------- buffer reuse
def _reused(sess, op):
    step = next(s for s in steps_of(sess) if s.op is op and not s.copy)
    return "_in_place" in getattr(step.fn, "__qualname__", "")


@pytest.mark.parametrize("names", [("numpy",), ("torch", "numpy")])
def test_elementwise_step_reuses_a_dying_buffer(names):
    if "torch" in names:
        pytest.importorskip("torch")
    x = tf.placeholder(tf.float32, [2, 3])
    a = tf.exp(x)
    b = a * 2.0          # a dies here: b may be written into a's buffer
    c = b + 1.0          # b dies here too
    d = tf.identity(c)   # c is read by Identity (a view): not reused...
    e = c - 1.0          # ...so this step must allocate
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    fed = value.copy()
    with libraries(*names), tf.Session() as sess:
        got_d, got_e = sess.run([d, e], {x: fed})
        assert _reused(sess, b.op) and _reused(sess, c.op)
        assert not _reused(sess, a.op) and not _reused(sess, e.op)
    np.testing.assert_allclose(got_d, np.exp(value) * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(got_e, np.exp(value) * 2, rtol=1e-6)
    np.testing.assert_array_equal(fed, value)


@pytest.mark.parametrize("names", [("numpy",), ("torch", "numpy")])
def test_never_reused_feeds_consts_variables_or_fetches(names):
    if "torch" in names:
        pytest.importorskip("torch")
    x = tf.placeholder(tf.float32, [3])
    k = tf.constant(np.array([1.0, 2.0, 3.0], np.float32))
    v = tf.Variable(np.array([1.0, 1.0, 1.0], np.float32))
    a = x * 2.0
    b = k * 3.0
    c = v.value() * 4.0
    fetched = tf.exp(x)
    d = fetched + 1.0
    with libraries(*names), tf.Session(config=UNOPTIMIZED) as sess:  # b is not folded
        sess.run(v.initializer)
        feed = np.array([1.0, 2.0, 3.0], np.float32)
        for _ in range(2):
            out = sess.run([a, b, c, fetched, d], {x: feed})
        assert not any(_reused(sess, t.op) for t in (a, b, c, d))
    np.testing.assert_array_equal(feed, [1, 2, 3])
    np.testing.assert_array_equal(out[1], [3, 6, 9])
    np.testing.assert_array_equal(out[2], [4, 4, 4])
    np.testing.assert_allclose(out[3] + 1, out[4])


@pytest.mark.parametrize("names", [("numpy",), ("torch", "numpy")])
def test_shape_readers_do_not_prevent_reuse(names):
    if "torch" in names:
        pytest.importorskip("torch")
    x = tf.placeholder(tf.float32, [None, 3])
    a = tf.exp(x)
    shape = tf.shape(a)  # as a gradient would read it
    b = a + 1.0
    with libraries(*names), tf.Session() as sess:
        got_shape, got_b = sess.run([shape, b], {x: np.zeros((2, 3), np.float32)})
        assert _reused(sess, b.op)
    assert got_shape.tolist() == [2, 3]
    np.testing.assert_array_equal(got_b, np.full((2, 3), 2.0))


def test_reuse_checks_shapes_it_cannot_prove():
    x = tf.placeholder(tf.float32, None)
    y = tf.placeholder(tf.float32, None)
    s = tf.exp(x) + y  # x's buffer may be smaller than the broadcast result
    with tf.Session() as sess:
        out = sess.run(s, {x: np.zeros(3, np.float32), y: np.ones((2, 3), np.float32)})
        assert _reused(sess, s.op)
    np.testing.assert_array_equal(out, np.full((2, 3), 2.0))


def test_scalar_results_do_not_break_reuse():
    a = tf.placeholder(tf.float32, [])
    b = (a * 2.0) + 1.0
    with tf.Session() as sess:
        assert sess.run(b, {a: 3.0}) == 7.0


# ---------------------------------------------------------------- placement without a GPU
def test_missing_gpu_fails_or_moves_with_soft_placement():
    with tf.device("/gpu:0"):
        y = tf.constant(2.0) * 3.0
    with tf.Session(config=tf.ConfigProto(device_count={"GPU": 0})) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="not available"):
            sess.run(y)
    soft = tf.ConfigProto(device_count={"GPU": 0}, allow_soft_placement=True)
    with tf.Session(config=soft) as sess:
        assert sess.run(y) == 6.0
        assert all(s.device.endswith("CPU:0") for s in steps_of(sess) if not s.copy)


def test_log_device_placement_names_each_op(capsys):
    x = tf.constant(1.0, name="x")
    y = tf.multiply(x, x, name="y")
    with tf.Session(config=tf.ConfigProto(log_device_placement=True,
                                          device_count={"GPU": 0})) as sess:
        sess.run(y)
    err = capsys.readouterr().err
    assert "x: (Const): /job:localhost/replica:0/task:0/device:CPU:0" in err
    assert "y: (Mul): /job:localhost/replica:0/task:0/device:CPU:0" in err


@torch_only
def test_intra_op_threads_set_torch_threads():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        with libraries("torch", "numpy"):
            tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=1)).close()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


# ---------------------------------------------------------------- a simulated GPU
@pytest.fixture
def simulated_gpu():
    pytest.importorskip("torch")
    from tensorflux.kernels.torch import library
    saved = library.gpu_backend, library.simulated_gpus
    library.gpu_backend, library.simulated_gpus = "cpu", 1
    with libraries("torch", "numpy"):
        yield library
    library.gpu_backend, library.simulated_gpus = saved


GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"
CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"


def device_of(sess, op):
    """Where the session placed `op` (with its colocation group)."""
    return sess._devices.place(op)[0]


@torch_only
def test_default_placement_prefers_the_gpu_when_it_has_a_kernel(simulated_gpu):
    x = tf.placeholder(tf.float32, [2, 2])
    y = tf.matmul(x, x)
    z = tf.segment_sum(y, [0, 0])  # no GPU kernel: CPU, with a copy back from the GPU
    with tf.Session() as sess:
        assert [d.name for d in sess.list_devices()] == [CPU0, GPU0]
        out = sess.run(z, {x: np.eye(2, dtype=np.float32)})
        assert device_of(sess, y.op) == GPU0
        assert device_of(sess, z.op) == CPU0
        crossings = [s.library for s in steps_of(sess) if s.copy]
    np.testing.assert_array_equal(out, [[1, 1]])
    assert crossings == ["torch", "numpy"]  # the feed to the GPU, y back to the host


@torch_only
def test_int32_shape_arithmetic_stays_on_the_host(simulated_gpu):
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.reshape(tf.exp(x), tf.stack([tf.shape(x)[0] * 3]))
    with tf.Session() as sess:
        out = sess.run(y, {x: np.zeros((2, 3), np.float32)})
        copies = [s for s in steps_of(sess) if s.copy]
        shape_math = [s for s in steps_of(sess)
                      if s.op.type in ("StridedSlice", "Mul", "Pack") and not s.copy]
    np.testing.assert_array_equal(out, np.ones(6))
    assert all(s.device == GPU0 and s.library == "numpy" for s in shape_math)
    assert len(copies) == 2  # the feed to the GPU, the result back: no shape goes across


@torch_only
def test_device_count_hides_the_gpu(simulated_gpu):
    y = tf.constant(2.0) * 3.0
    with tf.Session(config=tf.ConfigProto(device_count={"GPU": 0})) as sess:
        assert [d.name for d in sess.list_devices()] == [CPU0]
        assert sess.run(y) == 6.0
        assert device_of(sess, y.op) == CPU0


@torch_only
def test_explicit_gpu_ops_and_soft_placement(simulated_gpu):
    with tf.device("/gpu:0"):
        a = tf.constant([1.0, 2.0, 3.0])
        b = tf.segment_sum(a, [0, 1, 1])  # no GPU kernel for SegmentSum
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="no kernel"):
            sess.run(b)
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        np.testing.assert_array_equal(sess.run(b), [1, 5])
        assert device_of(sess, b.op) == CPU0
    with tf.device("/device:GPU:0"):
        c = a * 2.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(c), [2, 4, 6])
        assert device_of(sess, c.op) == GPU0


@torch_only
def test_log_shows_gpu_placement(simulated_gpu, capsys):
    y = tf.multiply(tf.constant(1.0, name="one"), 2.0, name="twice")
    with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
        sess.run(y)
    err = capsys.readouterr().err
    assert f"twice: (Mul): {GPU0}" in err
    assert "Device mapping:" in err


@torch_only
def test_variables_live_on_the_gpu_with_their_updates(simulated_gpu):
    torch = pytest.importorskip("torch")
    x = tf.placeholder(tf.float32, [4, 3])
    w = tf.Variable(np.full((3, 2), 0.5, np.float32), name="w")
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w)))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    data = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    results = {}
    for name, config in [("gpu", None), ("cpu", tf.ConfigProto(device_count={"GPU": 0}))]:
        with tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {x: data})
            results[name] = sess.run(w)
            storage = sess._resources.variables["w"]
            if name == "gpu":
                assert isinstance(storage, torch.Tensor)
                assert device_of(sess, w.op) == GPU0
                updates = [s for s in steps_of(sess) if s.op.type.startswith("Apply")]
                assert updates and all(s.device == GPU0 for s in updates)
            else:
                assert isinstance(storage, np.ndarray)
    np.testing.assert_allclose(results["gpu"], results["cpu"], rtol=1e-5)


@torch_only
def test_variable_without_gpu_kernels_stays_on_the_cpu(simulated_gpu):
    counter = tf.Variable(np.array([1, 2], np.uint16), name="counter")  # no torch uint16
    bump = tf.assign_add(counter, np.array([1, 1], np.uint16))
    with tf.Session() as sess:
        sess.run(counter.initializer)
        assert sess.run(bump).tolist() == [2, 3]
        assert device_of(sess, counter.op) == CPU0
        assert device_of(sess, bump.op) == CPU0


@torch_only
def test_random_initializers_on_the_gpu_draw_as_on_the_cpu(simulated_gpu):
    with tf.device("/gpu:0"):
        r = tf.random_normal([3], seed=7)
    with tf.Session() as sess:
        on_gpu = sess.run(r)
        assert device_of(sess, r.op) == GPU0
    with tf.Session(config=tf.ConfigProto(device_count={"GPU": 0},
                                          allow_soft_placement=True)) as sess:
        np.testing.assert_array_equal(sess.run(r), on_gpu)


@torch_only
def test_fetches_from_the_gpu_are_fresh_c_ordered_arrays(simulated_gpu):
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
    wt = tf.transpose(w)  # a strided view on the device
    c = tf.constant([1.0, 2.0]) * 1.0  # folded into a constant at plan time
    with tf.Session() as sess:
        sess.run(w.initializer)
        first, t, const = sess.run([w, wt, c])
        assert device_of(sess, wt.op) == GPU0
        assert t.flags.c_contiguous and t.tolist() == [[0, 3], [1, 4], [2, 5]]
        first[0, 0] = first[0, 0] * 0 - 1  # writing into fetched arrays changes nothing
        const[0] = -1
        again, const_again = sess.run([w, c])
        assert again[0, 0] == 0 and const_again.tolist() == [1.0, 2.0]


@torch_only
def test_a_dataset_map_reads_a_gpu_variable_live(simulated_gpu):
    v = tf.Variable(10, dtype=tf.int64)
    nxt = tf.data.make_one_shot_iterator(tf.data.Dataset.range(3).map(lambda x: x + v)) \
        .get_next()
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert device_of(sess, v.op) == GPU0
        assert sess.run(nxt) == 10
        sess.run(tf.assign(v, 100))
        assert sess.run(nxt) == 101


# ---------------------------------------------------------------- a real GPU
def _cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    return torch


@pytest.mark.gpu
def test_gpu_runs_conv_matmul_and_training_on_cuda():
    _cuda()
    rng = np.random.default_rng(0)
    images = rng.standard_normal((8, 12, 12, 3)).astype(np.float32)
    labels = rng.integers(0, 5, 8)
    with tf.device("/gpu:0"):
        x = tf.placeholder(tf.float32, [None, 12, 12, 3])
        y = tf.placeholder(tf.int64, [None])
        w = tf.Variable(rng.standard_normal((3, 3, 3, 4)).astype(np.float32) * 0.1, name="cw")
        h = tf.nn.relu(tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"))
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
        v = tf.Variable(rng.standard_normal((36, 5)).astype(np.float32) * 0.1, name="fw")
        logits = tf.matmul(tf.reshape(h, [-1, 36]), v)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                             logits=logits))
        train = tf.train.AdamOptimizer(0.01).minimize(loss)
    losses = {}
    for name, config in [("gpu", tf.ConfigProto(allow_soft_placement=True)),
                         ("cpu", tf.ConfigProto(device_count={"GPU": 0},
                                                allow_soft_placement=True))]:
        with libraries("torch", "numpy"), tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            losses[name] = [sess.run([loss, train], {x: images, y: labels})[0]
                            for _ in range(5)]
            if name == "gpu":
                assert sess._resources.variables["cw"].device.type == "cuda"
                assert device_of(sess, logits.op) == GPU0
    np.testing.assert_allclose(losses["gpu"], losses["cpu"], rtol=1e-3)


@pytest.mark.gpu
def test_gpu_values_come_back_as_numpy():
    _cuda()
    with tf.device("/gpu:0"):
        a = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
        b = tf.transpose(a) * 2.0
        n = tf.shape(b)
    with libraries("torch", "numpy"), tf.Session() as sess:
        out, shape = sess.run([b, n])
    assert type(out) is np.ndarray and out.tolist() == [[0, 6], [2, 8], [4, 10]]
    assert shape.tolist() == [3, 2]


