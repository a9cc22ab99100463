"""Graph passes (runtime/passes): each one's switch, what it removes or fuses, and that every
graph computes the same values with the passes on and off."""
import numpy as np
import pytest

import tensorflux as tf
from tensorflux.core.protobuf.rewriter_config_pb2 import RewriterConfig
from tensorflux.ops.op_util import apply_op
from tensorflux.runtime.passes import enabled_passes
from session_configs import CPU_ONLY, UNOPTIMIZED

OFF = RewriterConfig.OFF


def _config(**rewrite):
    """A ConfigProto with the given RewriterConfig switches."""
    config = tf.ConfigProto()
    for name, value in rewrite.items():
        setattr(config.graph_options.rewrite_options, name, value)
    return config


def _run_both(fetches, feed=None, init=False):
    """(values with every pass on, values with none), each in a fresh session."""
    results = []
    for config in (tf.ConfigProto(), UNOPTIMIZED):
        with tf.Session(config=config) as sess:
            if init:
                sess.run(tf.global_variables_initializer())
            results.append(sess.run(fetches, feed))
    return results


def _executed(fetches, feed=None, config=None):
    """{op name: timeline label} of the ops one traced run executed."""
    metadata = tf.RunMetadata()
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(fetches, feed, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=metadata)
    return {n.node_name: n.timeline_label for d in metadata.step_stats.dev_stats
            for n in d.node_stats}


def _types(executed):
    return sorted(label.split("(")[0].split("=")[-1].strip() for label in executed.values())


# ---- switches ----

def _names(config):
    return [p.__name__ for p in enabled_passes(config.graph_options)]


ALL = ["remove_identities_and_noops", "eliminate_common_subexpressions", "fold_constants",
       "fuse_contractions", "hand_workspaces"]


def test_every_pass_is_on_by_default():
    assert _names(tf.ConfigProto()) == ALL


@pytest.mark.parametrize("switch, gone", [
    ("dependency_optimization", "remove_identities_and_noops"),
    ("arithmetic_optimization", "eliminate_common_subexpressions"),
    ("constant_folding", "fold_constants"),
    ("remapping", "fuse_contractions"),
    ("layout_optimizer", "hand_workspaces"),
])
def test_a_rewriter_switch_turns_its_pass_off(switch, gone):
    assert _names(_config(**{switch: OFF})) == [n for n in ALL if n != gone]
    assert _names(_config(**{switch: RewriterConfig.ON})) == ALL


def test_disable_meta_optimizer_turns_every_pass_off():
    assert _names(_config(disable_meta_optimizer=True)) == []


def test_opt_level_l0_leaves_folding_and_cse_to_their_flags():
    config = tf.ConfigProto()
    options = config.graph_options.optimizer_options
    options.opt_level = tf.OptimizerOptions.L0
    assert _names(config) == ["remove_identities_and_noops", "fuse_contractions",
                              "hand_workspaces"]
    options.do_constant_folding = True
    assert "fold_constants" in _names(config)
    options.do_common_subexpression_elimination = True
    assert _names(config) == ALL


def test_optimizer_options_defaults_are_tfs():
    options = tf.OptimizerOptions()
    assert (options.opt_level, options.do_constant_folding,
            options.do_common_subexpression_elimination) == (tf.OptimizerOptions.L1, False, False)


# ---- constant folding ----

def test_constant_subgraph_folds_and_keeps_its_value():
    x = tf.placeholder(tf.float32, [2], name="x")
    scale = tf.square(tf.constant(3.0)) + tf.constant(1.0)  # 10, known at plan time
    y = x * scale
    feed = {x: [1.0, 2.0]}
    on, off = _run_both(y, feed)
    np.testing.assert_array_equal(on, [10.0, 20.0])
    np.testing.assert_array_equal(on, off)
    assert _types(_executed(y, feed)) == ["Mul"]
    assert _types(_executed(y, feed, _config(constant_folding=OFF))) == ["Add", "Mul", "Square"]


def test_shapes_of_fully_defined_tensors_fold():
    x = tf.placeholder(tf.float32, [3, 4])
    y = tf.reshape(x, tf.shape(x)[::-1]) + tf.cast(tf.size(x) + tf.rank(x), tf.float32)
    feed = {x: np.arange(12, dtype=np.float32).reshape(3, 4)}
    on, off = _run_both(y, feed)
    np.testing.assert_array_equal(on, np.arange(12).reshape(4, 3) + 14)
    np.testing.assert_array_equal(on, off)
    assert _types(_executed(y, feed)) == ["Add", "Reshape"]


def test_shape_of_a_partly_known_tensor_is_computed_at_run_time():
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.shape(x)
    on, off = _run_both(y, {x: np.zeros((5, 4))})
    assert on.tolist() == off.tolist() == [5, 4]
    assert "Shape" in _types(_executed(y, {x: np.zeros((5, 4))}))


def test_folding_skips_stateful_and_large_results():
    small = tf.random_uniform([2], seed=1) * tf.constant(2.0)
    big = tf.fill([2048, 2048], 1.5)  # 16 MiB: over TF's 10 MiB folding limit
    types = _types(_executed([small, big]))
    assert "RandomUniform" in types and "Mul" in types and "Fill" in types


def test_an_op_that_fails_while_folding_fails_at_run_time_as_usual():
    bad = tf.gather(tf.constant([1, 2, 3]), tf.constant(7))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="GatherV2"):
            sess.run(bad)


def test_folded_ops_with_control_inputs_still_wait_for_them():
    v = tf.Variable(1.0)
    bump = tf.assign_add(v, 1.0)
    with tf.control_dependencies([bump]):
        two = tf.constant(1.0) * 2.0
    after = tf.assign(v, two)
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(after)
        assert sess.run(v) == 2.0
    assert "Mul" in _types(_executed(after))


# ---- identities, NoOps and common subexpressions ----

def test_identities_and_noops_are_dropped_and_values_kept():
    x = tf.placeholder(tf.float32, [2])
    y = tf.identity(tf.stop_gradient(tf.identity(x * 2.0)))
    group = tf.group(y)
    feed = {x: [1.0, 3.0]}
    on, off = _run_both([y, group], feed)
    np.testing.assert_array_equal(on[0], [2.0, 6.0])
    np.testing.assert_array_equal(on[0], off[0])
    assert _types(_executed([y, group], feed)) == ["Mul"]
    assert _types(_executed([y, group], feed, _config(dependency_optimization=OFF))) == \
        ["Identity", "Identity", "Mul", "NoOp", "StopGradient"]


def test_what_a_dropped_noop_or_identity_waited_for_still_runs():
    x = tf.placeholder(tf.float32, [2, 2])
    product = tf.matmul(x, x)
    feed = {x: np.ones((2, 2))}
    assert _types(_executed(tf.group(product, tf.group(x + 1.0)), feed)) == ["Add", "MatMul"]
    bad = tf.gather(x, [0, 5])  # stateless: only the dependency makes it run
    with tf.control_dependencies([bad]):
        out = tf.identity(x)
    with tf.Session(config=CPU_ONLY) as sess, \
            pytest.raises(tf.errors.InvalidArgumentError, match="is not in"):
        sess.run(out, feed)


def test_identity_inside_a_cond_is_kept():
    p = tf.placeholder(tf.bool, [])
    x = tf.constant(5.0)
    out = tf.cond(p, lambda: tf.identity(x * 2.0), lambda: tf.identity(x - 1.0))
    with tf.Session() as sess:
        assert sess.run(out, {p: True}) == 10.0
        assert sess.run(out, {p: False}) == 4.0


def test_common_subexpressions_run_once():
    x = tf.placeholder(tf.float32, [3])
    a = tf.exp(x) * 2.0
    b = tf.exp(x) * 2.0
    total = a + b
    feed = {x: [0.0, 1.0, 2.0]}
    on, off = _run_both([a, b, total], feed)
    np.testing.assert_allclose(on[2], 4 * np.exp([0.0, 1.0, 2.0]), rtol=1e-6)
    for got, want in zip(on, off):
        np.testing.assert_array_equal(got, want)
    assert _types(_executed(total, feed)) == ["Add", "Exp", "Mul"]
    assert _types(_executed(total, feed, _config(arithmetic_optimization=OFF))) == \
        ["Add", "Exp", "Exp", "Mul", "Mul"]


def test_stateful_ops_are_never_merged():
    r1 = tf.random_uniform([4])
    r2 = tf.random_uniform([4])
    v = tf.Variable(0.0)
    inc1 = tf.assign_add(v, 1.0)
    inc2 = tf.assign_add(v, 1.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        a, b = sess.run([r1, r2])
        assert not np.array_equal(a, b)
        sess.run([inc1, inc2])
        assert sess.run(v) == 2.0


def test_ops_with_different_control_inputs_are_not_merged():
    v = tf.Variable(1.0)
    before = v * 3.0
    with tf.control_dependencies([before]):
        assign = tf.assign(v, 10.0)
    with tf.control_dependencies([assign]):
        after = v * 3.0
    with tf.Session() as sess:
        sess.run(v.initializer)
        got_before, got_after = sess.run([before, after])
    assert (got_before, got_after) == (3.0, 30.0)


# ---- fusion ----

def _conv_net(activation, use_bias_add, data_format="NHWC"):
    rng = np.random.RandomState(0)
    shape = [2, 6, 6, 3] if data_format == "NHWC" else [2, 3, 6, 6]
    x = tf.constant(rng.randn(*shape).astype(np.float32))
    w = tf.constant(rng.randn(3, 3, 3, 4).astype(np.float32))
    b = tf.constant(rng.randn(4).astype(np.float32))
    x = tf.placeholder_with_default(x, shape)  # not folded: the conv runs
    conv = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME", data_format=data_format)
    y = tf.nn.bias_add(conv, b, data_format=data_format) if use_bias_add else conv + b
    return activation(y) if activation is not None else y


ACTIVATIONS = {"none": None, "relu": tf.nn.relu, "relu6": tf.nn.relu6, "elu": tf.nn.elu,
               "leaky": lambda t: tf.nn.leaky_relu(t, alpha=0.3), "tanh": tf.tanh,
               "sigmoid": tf.sigmoid}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("use_bias_add", [True, False])
def test_conv_bias_activation_fuse_and_match(activation, use_bias_add):
    y = _conv_net(ACTIVATIONS[activation], use_bias_add)
    on, off = _run_both(y)
    np.testing.assert_allclose(on, off, rtol=1e-5, atol=1e-5)
    assert _types(_executed(y)) == ["PlaceholderWithDefault", "_FusedConv2D"]
    assert "Conv2D" in _types(_executed(y, config=_config(remapping=OFF)))


def test_nchw_bias_add_fuses():
    y = _conv_net(tf.nn.relu, use_bias_add=True, data_format="NCHW")
    try:
        on, off = _run_both(y)
    except tf.errors.InvalidArgumentError:
        pytest.skip("no kernel library here runs NCHW convolutions")
    np.testing.assert_allclose(on, off, rtol=1e-5, atol=1e-5)
    assert "_FusedConv2D" in _types(_executed(y))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("transpose_b", [False, True])
def test_matmul_bias_activation_fuse_and_match(activation, transpose_b):
    rng = np.random.RandomState(1)
    a = tf.placeholder(tf.float32, [None, 5])
    w = tf.constant(rng.randn(*((3, 5) if transpose_b else (5, 3))).astype(np.float32))
    b = tf.constant(rng.randn(3).astype(np.float32))
    y = tf.matmul(a, w, transpose_b=transpose_b) + b
    if ACTIVATIONS[activation] is not None:
        y = ACTIVATIONS[activation](y)
    feed = {a: rng.randn(4, 5).astype(np.float32)}
    on, off = _run_both(y, feed)
    np.testing.assert_allclose(on, off, rtol=1e-5, atol=1e-6)
    assert _types(_executed(y, feed)) == ["_FusedMatMul"]


def test_fetched_or_shared_links_are_not_fused():
    y = _conv_net(tf.nn.relu, use_bias_add=True)
    pre = y.op.inputs[0]  # the BiasAdd, fetched too
    on, off = _run_both([y, pre])
    np.testing.assert_allclose(on[0], off[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(on[1], off[1], rtol=1e-5, atol=1e-5)
    types = _types(_executed([y, pre]))
    assert "_FusedConv2D" in types and "Relu" in types  # conv+bias fused; relu on its own
    conv = pre.op.inputs[0]
    shared = [y, conv * 2.0]  # the conv's value has a second reader
    types = _types(_executed(shared))
    assert "Conv2D" in types and "_FusedConv2D" not in types


def test_the_bias_must_be_a_channel_vector():
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.constant(np.ones((3, 2), np.float32))
    y = tf.nn.relu(tf.matmul(x, w) + tf.constant(np.ones((4, 2), np.float32))[:1])
    feed = {x: np.ones((1, 3), np.float32)}
    assert "_FusedMatMul" not in _types(_executed(y, feed))  # a [1, 2] addend is no bias
    on, off = _run_both(y, feed)
    np.testing.assert_array_equal(on, off)


def test_no_fusion_across_a_write_to_the_filter():
    w = tf.Variable(np.ones((1, 1, 1, 1), np.float32))
    x = tf.constant(np.ones((1, 2, 2, 1), np.float32))
    conv = tf.nn.conv2d(x, w, [1, 1, 1, 1], "VALID")
    with tf.control_dependencies([conv]):
        bump = tf.assign(w, w * 5.0)
    with tf.control_dependencies([bump]):
        bias = tf.constant([1.0]) * 1.0
    out = tf.nn.relu(conv + bias)
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(out).ravel(), [2.0] * 4)


def test_training_matches_with_passes_on_and_off():
    """Three Adam steps of a small conv net give the same weights either way."""
    rng = np.random.RandomState(2)
    images = rng.rand(8, 8, 8, 1).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.randint(0, 3, 8)]
    x = tf.placeholder(tf.float32, [None, 8, 8, 1])
    y_ = tf.placeholder(tf.float32, [None, 3])
    w1 = tf.Variable(rng.randn(3, 3, 1, 4).astype(np.float32) * 0.3)
    b1 = tf.Variable(np.full(4, 0.1, np.float32))
    h = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME") + b1),
                       [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    flat = tf.reshape(h, [-1, 4 * 4 * 4])
    w2 = tf.Variable(rng.randn(64, 3).astype(np.float32) * 0.1)
    b2 = tf.Variable(np.zeros(3, np.float32))
    logits = tf.matmul(flat, w2) + b2
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_, logits=logits))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    results = []
    for config in (tf.ConfigProto(), UNOPTIMIZED):
        with tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {x: images, y_: labels})
            results.append(sess.run([w1, b1, w2, b2]))
    for on, off in zip(*results):
        np.testing.assert_allclose(on, off, rtol=1e-5, atol=1e-6)
    assert "_FusedConv2D" in _types(_executed(train, {x: images, y_: labels}))


# ---- workspaces ----

def _pool_lrn_net(x, padding="SAME"):
    """x -> MaxPool -> LRN -> a loss; returns (pool output, loss)."""
    pooled = tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], padding)
    normed = tf.nn.lrn(pooled, 2, bias=1.0, alpha=0.1, beta=0.75)
    return pooled, tf.reduce_sum(normed * normed)


_FORWARD_AND_GRADIENT = ["MaxPool", "MaxPoolGrad", "LRN", "LRNGrad"]
_WITH_WORKSPACES = ["_LRNGradWithWorkspace", "_LRNWithWorkspace", "_MaxPoolGradWithWorkspace",
                    "_MaxPoolWithWorkspace"]


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_pool_and_lrn_hand_their_gradients_a_workspace(padding):
    rng = np.random.default_rng(0)
    x = tf.placeholder(tf.float32, [2, 9, 8, 5])
    # Whole numbers: many windows hold tied maxima, which must go to the first one.
    feed = {x: rng.integers(0, 3, (2, 9, 8, 5)).astype(np.float32)}
    pooled, loss = _pool_lrn_net(x, padding)
    fetches = [pooled, tf.gradients(loss, x)[0]]
    on, off = _run_both(fetches, feed)
    np.testing.assert_allclose(on[1], off[1], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(on[0], off[0])
    types = set(_types(_executed(fetches, feed)))
    assert types >= set(_WITH_WORKSPACES) and not types & set(_FORWARD_AND_GRADIENT)
    off_types = set(_types(_executed(fetches, feed, _config(layout_optimizer=OFF))))
    assert off_types >= set(_FORWARD_AND_GRADIENT) and not off_types & set(_WITH_WORKSPACES)


def test_a_forward_without_its_gradient_keeps_its_plain_op():
    x = tf.placeholder(tf.float32, [1, 4, 4, 6])
    pooled, loss = _pool_lrn_net(x)
    types = _types(_executed(loss, {x: np.ones((1, 4, 4, 6))}))
    assert "MaxPool" in types and "LRN" in types


def test_a_gradient_of_another_input_recomputes():
    x = tf.placeholder(tf.float32, [1, 4, 4, 2])
    other = tf.placeholder(tf.float32, [1, 4, 4, 2])
    pooled = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    grad = apply_op("MaxPoolGrad", [other, pooled, tf.ones_like(pooled)], dict(pooled.op._attrs),
                    "MaxPoolGrad")
    feed = {x: np.arange(32.0).reshape(1, 4, 4, 2), other: -np.arange(32.0).reshape(1, 4, 4, 2)}
    assert _types(_executed(grad, feed)).count("MaxPoolGrad") == 1
    on, off = _run_both(grad, feed)
    np.testing.assert_array_equal(on, off)
    assert on.reshape(-1)[:2].tolist() == [1.0, 1.0]  # other's maxima: each window's first


def test_a_variable_assigned_between_pool_and_gradient_is_read_again():
    v = tf.Variable(np.array([1.0, 5.0, 2.0, 3.0], np.float32).reshape(1, 2, 2, 1))
    pooled = tf.nn.max_pool(v, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    with tf.control_dependencies([pooled]):
        moved = tf.assign(v, np.array([9.0, 0.0, 0.0, 0.0], np.float32).reshape(1, 2, 2, 1))
    with tf.control_dependencies([moved]):
        grad = tf.gradients(pooled, v)[0]
    assert "MaxPoolGrad" in _types(_executed(grad))
    on, off = _run_both(grad, init=True)
    # MaxPoolGrad reads the variable when it runs: the maximum has moved to the first element.
    np.testing.assert_array_equal(on.reshape(-1), [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(on, off)
