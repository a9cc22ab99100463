"""The math family (ops/math.py): table-generated value and shape checks, plus TF1's rules for
integer division, dtype promotion, reductions and construction-time errors, and the ops whose
GraphDefs must import into real TF (div_no_nan, logical_xor)."""
import inspect
import json

import numpy as np
import pytest

import tensorflux as tf
import op_table
from op_table import family_tests, raw
from realtf import run_tf
from session_configs import CPU_ONLY

test_value_matches_numpy, test_static_shape_matches_output = family_tests("math")


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


# ---- integer division and modulo ----
def test_floordiv_and_mod_of_negative_integers_round_toward_minus_infinity():
    x = tf.constant([-7, 7, -7, 7])
    y = tf.constant([2, 2, -2, -2])
    q, r = run([x // y, x % y])
    np.testing.assert_array_equal(q, [-4, 3, 3, -4])
    np.testing.assert_array_equal(r, [1, 1, -1, -1])
    assert q.dtype == np.int32 and r.dtype == np.int32


def test_truncatediv_and_truncatemod_round_toward_zero():
    x = tf.constant([-7, 7, -7, 7])
    y = tf.constant([2, 2, -2, -2])
    q, r = run([tf.truncatediv(x, y), tf.truncatemod(x, y)])
    np.testing.assert_array_equal(q, [-3, 3, 3, -3])
    np.testing.assert_array_equal(r, [-1, 1, -1, 1])


def test_float_floordiv_and_floormod():
    q, r = run([tf.floordiv(tf.constant([-7.5, 7.5]), [2.0, -2.0]),
                tf.floormod(tf.constant([-7.5, 7.5]), [2.0, -2.0])])
    np.testing.assert_array_equal(q, [-4.0, -4.0])
    np.testing.assert_array_equal(r, [0.5, -0.5])


def test_python_operators_on_tensors():
    x = tf.constant([7, -7])
    values = run([x // 2, x % 3, 7 // x, -x, abs(x), x ** 2, 2 ** x[:1]])
    np.testing.assert_array_equal(values[0], [3, -4])
    np.testing.assert_array_equal(values[1], [1, 2])
    np.testing.assert_array_equal(values[2], [1, -1])
    np.testing.assert_array_equal(values[3], [-7, 7])
    np.testing.assert_array_equal(values[4], [7, 7])
    np.testing.assert_array_equal(values[5], [49, 49])
    np.testing.assert_array_equal(values[6], [128])


@pytest.mark.parametrize("fn", [tf.floordiv, tf.floormod, tf.truncatediv, tf.truncatemod,
                                lambda x, y: x // y, lambda x, y: x % y])
def test_integer_division_by_zero_is_invalid_argument(fn):
    out = fn(tf.constant([1, 2]), tf.constant([1, 0]))
    with tf.Session(config=CPU_ONLY) as sess, \
            pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        sess.run(out)


def test_integer_to_negative_power_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative integer powers"):
        run(tf.pow(tf.constant([2]), tf.constant([-1])))


# ---- division dtypes ----
@pytest.mark.parametrize("dtype,expected", [(tf.int8, np.float32), (tf.uint8, np.float32),
                                            (tf.int16, np.float32), (tf.int32, np.float64),
                                            (tf.int64, np.float64), (tf.float32, np.float32),
                                            (tf.float64, np.float64)])
def test_truediv_promotes_integers_to_floats(dtype, expected):
    out = tf.constant([7, 1], dtype) / tf.constant([2, 4], dtype)
    assert out.dtype.as_numpy_dtype == expected
    value = run(out)
    assert value.dtype == expected
    np.testing.assert_allclose(value, [3.5, 0.25])


def test_truediv_of_integers_by_zero_gives_inf():
    np.testing.assert_array_equal(run(tf.truediv(tf.constant([1, 2]), tf.constant([1, 0]))),
                                  [1.0, np.inf])


def test_div_is_floordiv_for_integers_and_truediv_for_floats():
    assert run(tf.div(tf.constant(-7), tf.constant(2))) == -4
    assert run(tf.div(tf.constant(-7.0), tf.constant(2.0))) == -3.5
    assert run(tf.divide(tf.constant(-7), tf.constant(2))) == -3.5


def test_binary_ops_refuse_mixed_dtypes():
    with pytest.raises(TypeError, match="float32.*int32|int32.*float32"):
        tf.add(tf.constant(1.0), tf.constant(1))


def test_broadcast_shape_mismatch_is_value_error_at_construction():
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.add(tf.zeros([2, 3]), tf.zeros([4]))


# ---- reductions ----
def test_reductions_axis_keepdims_and_reduction_indices():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = tf.constant(x)
    cases = {
        "all": (tf.reduce_sum(t), x.sum()),
        "axis": (tf.reduce_sum(t, 1), x.sum(1)),
        "negative": (tf.reduce_mean(t, -1), x.mean(-1)),
        "list": (tf.reduce_max(t, [0, -1]), x.max((0, 2))),
        "keepdims": (tf.reduce_min(t, 1, keepdims=True), x.min(1, keepdims=True)),
        "keep_dims": (tf.reduce_prod(t[0, :2], 0, keep_dims=True), x[0, :2].prod(0, keepdims=True)),
        "reduction_indices": (tf.reduce_sum(t, reduction_indices=[2]), x.sum(2)),
        "tensor axis": (tf.reduce_sum(t, tf.constant([0, 1])), x.sum((0, 1))),
    }
    for name, (out, expected) in cases.items():
        value = run(out)
        assert out.shape.as_list() == list(expected.shape), name
        np.testing.assert_allclose(value, expected, err_msg=name)


def test_reduction_axis_out_of_range_is_value_error():
    with pytest.raises(ValueError, match="out of bounds|Invalid reduction dimension"):
        tf.reduce_sum(tf.zeros([2, 3]), 2)


def test_reduce_with_unknown_axis_has_unknown_shape_of_known_rank_when_keepdims():
    axis = tf.placeholder(tf.int32, [])
    out = tf.reduce_sum(tf.zeros([2, 3]), axis, keepdims=True)
    assert out.shape.ndims == 2
    assert run(out, {axis: 1}).shape == (2, 1)


def test_integer_mean_truncates_and_empty_max_is_lowest():
    assert run(tf.reduce_mean(tf.constant([-3, -4]))) == -3
    np.testing.assert_array_equal(run(tf.reduce_max(tf.zeros([0, 2]), 0)), [-np.inf, -np.inf])
    np.testing.assert_array_equal(run(tf.reduce_max(tf.zeros([0, 2], tf.int32), 0)),
                                  [np.iinfo(np.int32).min] * 2)


def test_reduce_all_and_any():
    x = tf.constant([[True, False], [True, True]])
    np.testing.assert_array_equal(run(tf.reduce_all(x, 1)), [False, True])
    np.testing.assert_array_equal(run(tf.reduce_any(x, 0)), [True, True])


def test_argmax_returns_first_of_ties_as_int64():
    out = tf.argmax(tf.constant([[1, 3, 3], [5, 0, 5]]), axis=1)
    assert out.dtype == tf.int64
    np.testing.assert_array_equal(run(out), [1, 0])
    assert run(tf.argmin(tf.constant([2.0, 1.0, 1.0]), output_type=tf.int32)) == 1


# ---- matmul ----
def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\[2,3\], \[2,3\]"):
        tf.matmul(tf.zeros([2, 3]), tf.zeros([2, 3]))


@pytest.mark.parametrize("a_shape, b_shape, attrs, message", [
    ((300, 400), (500, 600), {}, "Matrix size-incompatible: In[0]: [300,400], In[1]: [500,600]"),
    ((3, 4), (3, 5), {"transpose_b": True}, "Matrix size-incompatible: In[0]: [3,4], In[1]: [3,5]"),
    ((2, 2, 2), (2, 2), {}, "In[0] is not a matrix. Instead it has shape [2,2,2]"),
])
def test_matmul_of_fed_shapes_that_do_not_fit_fails_as_tf(a_shape, b_shape, attrs, message):
    a, b = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
    product = raw("MatMul", a, b, **{"transpose_a": False, "transpose_b": False, **attrs})
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as raised:
            sess.run(product, {a: np.zeros(a_shape), b: np.zeros(b_shape)})
    assert raised.value.message == message


def test_matmul_operator_and_batched_broadcasting():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(run(tf.constant(a) @ tf.constant(b)), a @ b)
    batch = np.ones([5, 1, 2, 3], np.float32)
    out = tf.matmul(batch, tf.constant(np.ones([4, 3, 2], np.float32)))
    assert out.shape.as_list() == [5, 4, 2, 2]
    assert run(out).shape == (5, 4, 2, 2)


def test_matrix_inverse_of_singular_matrix_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        run(tf.matrix_inverse(tf.zeros([2, 2])))


def test_matrix_transpose_and_linalg_namespace():
    x = np.arange(12, dtype=np.float64).reshape(2, 2, 3)
    np.testing.assert_array_equal(run(tf.matrix_transpose(x)), np.swapaxes(x, 1, 2))
    m = np.array([[4.0, 1.0], [2.0, 3.0]])
    np.testing.assert_allclose(run(tf.linalg.inv(m)), np.linalg.inv(m))
    np.testing.assert_allclose(run(tf.linalg.det(m)), np.linalg.det(m))
    np.testing.assert_allclose(run(tf.linalg.trace(m)), 7.0)
    np.testing.assert_array_equal(run(tf.linalg.eye(2, 3)), np.eye(2, 3))
    np.testing.assert_allclose(run(tf.linalg.band_part(m, 0, 0)), np.diag([4.0, 3.0]))
    np.testing.assert_allclose(run(tf.norm(m)), np.linalg.norm(m))
    np.testing.assert_allclose(run(tf.norm(m, ord=1, axis=[0, 1])), np.linalg.norm(m, 1))
    np.testing.assert_allclose(run(tf.norm(m, ord=np.inf, axis=[-2, -1])),
                               np.linalg.norm(m, np.inf))
    np.testing.assert_allclose(run(tf.norm(m, ord=1, axis=1)), np.abs(m).sum(1))


# ---- logical and elementwise odds and ends ----
def test_logical_operators():
    a = tf.constant([True, True, False])
    b = tf.constant([True, False, False])
    values = run([a & b, a | b, a ^ b, ~a])
    np.testing.assert_array_equal(values[0], [True, False, False])
    np.testing.assert_array_equal(values[1], [True, True, False])
    np.testing.assert_array_equal(values[2], [False, True, False])
    np.testing.assert_array_equal(values[3], [False, False, True])


def test_logical_ops_need_bool():
    with pytest.raises(TypeError):
        tf.logical_and(tf.constant([1]), tf.constant([1]))


def _structure(ops):
    return [(op.name, op.type, [t.name for t in op.inputs]) for op in ops]


def test_logical_xor_is_built_from_and_or_not_as_tf1_builds_it():
    # TF1 has no LogicalXor op; these are the ops, names and inputs TF 1.15 gives these calls.
    a = tf.placeholder(tf.bool, [2, 1], name="a")
    b = tf.placeholder(tf.bool, [3], name="b")
    c, d, e = tf.logical_xor(a, b), a ^ b, tf.logical_xor(a, True)
    assert (c.name, d.name, e.name) == ("LogicalXor:0", "xor:0", "LogicalXor_1:0")
    assert _structure(tf.get_default_graph().get_operations()[2:]) == [
        ("LogicalOr", "LogicalOr", ["a:0", "b:0"]),
        ("LogicalAnd", "LogicalAnd", ["a:0", "b:0"]),
        ("LogicalNot", "LogicalNot", ["LogicalAnd:0"]),
        ("LogicalXor", "LogicalAnd", ["LogicalOr:0", "LogicalNot:0"]),
        ("xor/LogicalOr", "LogicalOr", ["a:0", "b:0"]),
        ("xor/LogicalAnd", "LogicalAnd", ["a:0", "b:0"]),
        ("xor/LogicalNot", "LogicalNot", ["xor/LogicalAnd:0"]),
        ("xor", "LogicalAnd", ["xor/LogicalOr:0", "xor/LogicalNot:0"]),
        ("LogicalOr_1/y", "Const", []),
        ("LogicalOr_1", "LogicalOr", ["a:0", "LogicalOr_1/y:0"]),
        ("LogicalAnd_1/y", "Const", []),
        ("LogicalAnd_1", "LogicalAnd", ["a:0", "LogicalAnd_1/y:0"]),
        ("LogicalNot_1", "LogicalNot", ["LogicalAnd_1:0"]),
        ("LogicalXor_1", "LogicalAnd", ["LogicalOr_1:0", "LogicalNot_1:0"])]
    x, y = np.array([[True], [False]]), np.array([True, False, True])
    values = run([c, d, e], {a: x, b: y})
    for got, other in zip(values, (y, y, True)):
        np.testing.assert_array_equal(got, np.logical_xor(x, other))
    assert c.shape.as_list() == [2, 3]
    with pytest.raises(TypeError):
        tf.logical_xor(tf.constant([1]), tf.constant([0]))


def test_div_no_nan_wrapper_names_and_dtypes_as_tf1():
    x = tf.placeholder(tf.float32, [3], name="x")
    z = tf.div_no_nan(x, 2.0)
    assert z.name == "div_no_nan:0" and z.op.inputs[1].op.name == "div_no_nan/y"
    assert tf.div_no_nan(x, x, name="q").name == "q:0"
    with pytest.raises(TypeError):
        tf.div_no_nan(tf.constant([1, 2]), tf.constant([1, 0]))
    with pytest.raises(TypeError):
        tf.div_no_nan(x, tf.constant([1.0, 2.0, 3.0], tf.float64))


def test_div_no_nan_gradient_is_zero_where_y_is_zero():
    x = tf.constant([1.0, np.inf, np.nan, 2.0])
    y = tf.constant([0.0, 0.0, 0.0, 4.0])
    dx, dy = run(tf.gradients(tf.div_no_nan(x, y), [x, y]))
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.0, 0.25])
    np.testing.assert_array_equal(dy, [0.0, 0.0, 0.0, -0.125])


def _div_no_nan_and_xor_graph(tf):
    """Builds the graph both frameworks run: its source also goes into the TF script."""
    x = tf.placeholder(tf.float32, [2, 7], name="x")
    y = tf.placeholder(tf.float32, [7], name="y")
    z = tf.div_no_nan(x, y, name="z")
    dx, dy = tf.gradients(z, [x, y])
    tf.identity(dx, name="dx")
    tf.identity(dy, name="dy")
    tf.logical_xor(tf.placeholder(tf.bool, [4], name="a"), tf.placeholder(tf.bool, [4], name="b"),
                   name="xor")


_TF_RUNS_DIV_NO_NAN_AND_XOR = inspect.getsource(_div_no_nan_and_xor_graph) + """
directory = ARGS[0]
feeds = json.load(open(os.path.join(directory, "feeds.json")))
fetches = ["z:0", "dx:0", "dy:0", "xor:0"]
out = {}
graph_def = tf.GraphDef()
graph_def.ParseFromString(open(os.path.join(directory, "ours.pb"), "rb").read())
with tf.Graph().as_default():
    tf.import_graph_def(graph_def, name="")
    with tf.Session() as sess:
        out["ours"] = [v.tolist() for v in sess.run(fetches, feeds)]
with tf.Graph().as_default() as graph:
    _div_no_nan_and_xor_graph(tf)
    with tf.Session() as sess:
        out["theirs"] = [v.tolist() for v in sess.run(fetches, feeds)]
    with open(os.path.join(directory, "theirs.pb"), "wb") as f:
        f.write(graph.as_graph_def().SerializeToString())
print(json.dumps(out))
"""


def test_div_no_nan_and_logical_xor_graphs_run_the_same_in_real_tensorflow(tmp_path):
    _div_no_nan_and_xor_graph(tf)
    feeds = {"x:0": [[np.inf, np.nan, 1, 1, 0, -np.inf, -2], [1, 2, 3, 4, 5, 6, 7]],
             "y:0": [0, 0, 0, np.nan, np.inf, 2, 0],
             "a:0": [True, True, False, False], "b:0": [True, False, True, False]}
    fetches = ["z:0", "dx:0", "dy:0", "xor:0"]
    (tmp_path / "feeds.json").write_text(json.dumps(feeds))
    ours = tf.get_default_graph().as_graph_def()
    (tmp_path / "ours.pb").write_bytes(ours.SerializeToString())
    with tf.Session() as sess:
        expected = sess.run(fetches, feeds)
    results = json.loads(run_tf(_TF_RUNS_DIV_NO_NAN_AND_XOR, tmp_path))
    theirs = tf.GraphDef()
    theirs.ParseFromString((tmp_path / "theirs.pb").read_bytes())
    with tf.Graph().as_default():
        tf.import_graph_def(theirs, name="")
        with tf.Session() as sess:
            imported = sess.run(fetches, feeds)
    for values in (results["ours"], results["theirs"], imported):
        for got, want in zip(values, expected):
            np.testing.assert_allclose(np.asarray(got, np.float64),
                                       np.asarray(want, np.float64), equal_nan=True)
    # The forward ops are TF's own, node for node.
    forward = {"z", "a", "b", "xor", "LogicalOr", "LogicalAnd", "LogicalNot"}
    assert sorted((n.name, n.op, list(n.input)) for n in theirs.node if n.name in forward) == \
        sorted((n.name, n.op, list(n.input)) for n in ours.node if n.name in forward)


def test_round_is_half_to_even_and_sigmoid_does_not_overflow():
    np.testing.assert_array_equal(run(tf.round([-2.5, -0.5, 0.5, 1.5])), [-2.0, -0.0, 0.0, 2.0])
    np.testing.assert_array_equal(run(tf.sigmoid([-1000.0, 1000.0])), [0.0, 1.0])


def test_comparison_operators_broadcast():
    x = tf.constant([[1, 2], [3, 4]])
    np.testing.assert_array_equal(run(x > 2), [[False, False], [True, True]])
    np.testing.assert_array_equal(run(x <= [1, 4]), [[True, True], [False, True]])


def test_unsorted_segment_sum_id_out_of_range_is_invalid_argument():
    out = tf.unsorted_segment_sum(tf.ones([3]), [0, 5, 1], 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        run(out)


def test_segment_sum_needs_sorted_ids():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not increasing"):
        run(tf.segment_sum(tf.ones([3]), [1, 0, 1]))


def test_every_spec_name_exists():
    names = ("add subtract multiply div divide truediv floordiv mod greater less equal "
             "not_equal greater_equal less_equal abs sign square sqrt rsqrt pow exp log log1p "
             "sin cos tan tanh sigmoid negative reciprocal maximum minimum where matmul "
             "matrix_inverse matrix_determinant matrix_transpose transpose logical_and "
             "logical_or logical_not logical_xor is_finite is_nan is_inf shape size rank cast "
             "to_float to_double to_int32 to_int64 reshape slice strided_slice split concat "
             "stack unstack squeeze expand_dims tile pad gather one_hot range fill zeros ones "
             "zeros_like ones_like argmax argmin reduce_sum reduce_mean reduce_max reduce_min "
             "reduce_prod reduce_all reduce_any add_n identity stop_gradient tuple group no_op "
             "unsorted_segment_sum segment_sum cumsum cumprod").split()
    assert [n for n in names if not hasattr(tf, n)] == []
    assert op_table.RECORDS


def test_tensordot_with_an_unknown_batch_dimension():
    a = tf.placeholder(tf.float32, [None, 3, 4])
    b = np.arange(8, dtype=np.float32).reshape(4, 2)
    out = tf.tensordot(a, b, [[2], [0]])
    assert out.shape.as_list() == [None, 3, 2]
    value = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    with tf.Session() as sess:
        got = sess.run(out, {a: value})
    np.testing.assert_allclose(got, np.tensordot(value, b, [[2], [0]]), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"tensordot: the contracted dimensions \[1\] of a"):
        tf.tensordot(tf.placeholder(tf.float32, [2, None]), b, [[1], [0]])
