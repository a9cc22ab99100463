"""Backend parity: every op with a torch kernel, run on the torch and the NumPy kernels with the
same inputs, agrees within float tolerance.

The cases are the op tables' (tests/ops/op_table.py, nn_table.py: one record per op type) plus
the records below, which add sizes and layouts the speed work cares about (LeNet's shapes, odd
sizes with strides 2 so SAME pads unevenly, NCHW) and the optimizer updates. Each case builds
one graph and runs it in a session restricted to NumPy kernels and in one preferring torch,
checking that the torch session did run the op on torch (or that torch declined it). Both run
on the CPU; where torch sees a CUDA GPU, the table runs once more with torch on it.
"""
import itertools
import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorflux as tf  # noqa: E402
from tensorflux.kernels.torch import math as torch_math  # noqa: E402  (registers torch)
from tensorflux.framework import registry  # noqa: E402
from tensorflux.ops import array_grad, training_ops  # noqa: E402
from tensorflux.ops.fused import FUSED_ACTIVATIONS  # noqa: E402
from tensorflux.ops.op_util import apply_op  # noqa: E402
from tensorflux.runtime import devices  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ops"))
import nn_table  # noqa: E402  (adds the nn records to op_table.RECORDS)
from op_table import (FLOAT, REAL, RECORDS, Record, arg, build, case, make_inputs,  # noqa: E402
                      raw)
from session_configs import UNOPTIMIZED, UNOPTIMIZED_CPU  # noqa: E402

pytestmark = pytest.mark.torch


# ---------------------------------------------------------------- records of this file
def _out_shape(x_shape, f_shape, strides, padding, data_format="NHWC", depthwise=False):
    h, w = (x_shape[2], x_shape[3]) if data_format == "NCHW" else (x_shape[1], x_shape[2])
    sh, sw = (strides[2], strides[3]) if data_format == "NCHW" else (strides[1], strides[2])
    if padding == "SAME":
        oh, ow = -(-h // sh), -(-w // sw)
    else:
        oh, ow = (h - f_shape[0]) // sh + 1, (w - f_shape[1]) // sw + 1
    c = f_shape[2] * f_shape[3] if depthwise else f_shape[3]
    return (x_shape[0], c, oh, ow) if data_format == "NCHW" else (x_shape[0], oh, ow, c)


# (input shape, filter shape, attrs): LeNet's layers, odd sizes with strides 2 (uneven SAME
# padding on both sides), a 1x1 filter, NCHW.
CONVS = [
    ((4, 28, 28, 1), (5, 5, 1, 8), dict(strides=[1, 1, 1, 1], padding="SAME")),
    ((4, 14, 14, 8), (5, 5, 8, 16), dict(strides=[1, 1, 1, 1], padding="SAME")),
    ((3, 9, 7, 5), (3, 3, 5, 6), dict(strides=[1, 2, 2, 1], padding="SAME")),
    ((3, 8, 8, 5), (3, 3, 5, 6), dict(strides=[1, 2, 2, 1], padding="SAME")),
    ((3, 9, 7, 5), (4, 2, 5, 6), dict(strides=[1, 2, 1, 1], padding="SAME")),
    ((3, 9, 7, 5), (3, 3, 5, 6), dict(strides=[1, 2, 2, 1], padding="VALID")),
    ((2, 7, 7, 4), (1, 1, 4, 3), dict(strides=[1, 1, 1, 1], padding="VALID")),
    ((3, 5, 9, 7), (3, 3, 5, 6), dict(strides=[1, 1, 2, 2], padding="SAME", data_format="NCHW")),
    ((3, 5, 8, 8), (2, 2, 5, 6), dict(strides=[1, 1, 1, 1], padding="VALID",
                                      data_format="NCHW")),
]
POOLS = [
    ((4, 28, 28, 8), dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")),
    ((3, 9, 7, 5), dict(ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")),
    ((3, 8, 8, 5), dict(ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")),
    ((3, 9, 7, 5), dict(ksize=[1, 2, 3, 1], strides=[1, 1, 2, 1], padding="VALID")),
    ((3, 5, 9, 7), dict(ksize=[1, 1, 3, 3], strides=[1, 1, 2, 2], padding="SAME",
                        data_format="NCHW")),
]

EXTRA = []


def extra(op_type, build_fn, cases, **options):
    EXTRA.append(Record(op_type, "parity", build_fn, None, cases, **options))
    return EXTRA[-1]


extra("Conv2D", lambda x, w, **kw: tf.nn.conv2d(x, w, **kw),
      [case(x, f, **kw) for x, f, kw in CONVS])
extra("Conv2DBackpropInput",
      lambda w, dy, input_sizes, **kw: tf.nn.conv2d_backprop_input(input_sizes, w, dy, **kw),
      [case(f, _out_shape(x, f, **kw), input_sizes=list(x), **kw) for x, f, kw in CONVS])
extra("Conv2DBackpropFilter",
      lambda x, dy, filter_sizes, **kw: tf.nn.conv2d_backprop_filter(x, filter_sizes, dy, **kw),
      [case(x, _out_shape(x, f, **kw), filter_sizes=list(f), **kw) for x, f, kw in CONVS],
      rtol=1e-4)

DEPTHWISE = [(x, (f[0], f[1], x[1] if kw.get("data_format") == "NCHW" else x[3], 2), kw)
             for x, f, kw in CONVS[2:]]
extra("DepthwiseConv2dNative", lambda x, w, **kw: tf.nn.depthwise_conv2d_native(x, w, **kw),
      [case(x, f, **kw) for x, f, kw in DEPTHWISE])
extra("DepthwiseConv2dNativeBackpropInput",
      lambda w, dy, input_sizes, **kw: tf.nn.depthwise_conv2d_native_backprop_input(
          input_sizes, w, dy, **kw),
      [case(f, _out_shape(x, f, depthwise=True, **kw), input_sizes=list(x), **kw)
       for x, f, kw in DEPTHWISE])
extra("DepthwiseConv2dNativeBackpropFilter",
      lambda x, dy, filter_sizes, **kw: tf.nn.depthwise_conv2d_native_backprop_filter(
          x, filter_sizes, dy, **kw),
      [case(x, _out_shape(x, f, depthwise=True, **kw), filter_sizes=list(f), **kw)
       for x, f, kw in DEPTHWISE], rtol=1e-4)


def _pool_grad(op_type, x, grad, data_format="NHWC", **kw):
    pooled = tf.nn.max_pool(x, data_format=data_format, **kw)
    return raw(op_type, x, pooled, grad, data_format=data_format, **kw)


def _pooled_shape(x_shape, ksize, strides, padding, data_format="NHWC"):
    if data_format == "NCHW":
        window = (ksize[2], ksize[3], x_shape[1], x_shape[1])
    else:
        window = (ksize[1], ksize[2], x_shape[3], x_shape[3])
    return _out_shape(x_shape, window, strides, padding, data_format)


extra("MaxPool", lambda x, **kw: tf.nn.max_pool(x, **kw), [case(x, **kw) for x, kw in POOLS])
extra("AvgPool", lambda x, **kw: tf.nn.avg_pool(x, **kw), [case(x, **kw) for x, kw in POOLS])
extra("MaxPoolGrad", lambda x, g, **kw: _pool_grad("MaxPoolGrad", x, g, **kw),
      [case(x, _pooled_shape(x, **kw), **kw) for x, kw in POOLS])
extra("AvgPoolGrad",
      lambda g, orig_input_shape, data_format="NHWC", **kw: raw(
          "AvgPoolGrad", tf.constant(orig_input_shape, tf.int32), g, data_format=data_format,
          **kw),
      [case(_pooled_shape(x, **kw), orig_input_shape=list(x), **kw) for x, kw in POOLS])
# Ties: MaxPoolGrad must route each window's gradient to its first maximum, and
# MaxPoolWithArgmax name it. The first input of these records is rounded to whole numbers 0..2.
TIES = [dict(ksize=[1, 3, 3, 1], strides=[1, 1, 1, 1], padding="SAME"),
        dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")]
TIED = [extra("MaxPoolGrad", lambda x, g, **kw: _pool_grad("MaxPoolGrad", x, g, **kw),
              [case(arg((2, 6, 6, 3), domain=(0, 2)), _pooled_shape((2, 6, 6, 3), **kw), **kw)
               for kw in TIES])]
# MaxPoolWithArgmax: the NHWC pools, with and without the batch term; ties; windows of only
# -inf, whose index is their first real element (SAME with 4x4 windows pads 1 before).
ARGMAX_POOLS = [(x, kw) for x, kw in POOLS if "data_format" not in kw] + [
    ((2, 6, 6, 3), dict(kw, include_batch_in_index=True)) for kw in TIES]
_MINUS_INF = np.full((1, 4, 5, 2), -np.inf)
_MINUS_INF[0, 3, 4, 1] = 1.0
extra("MaxPoolWithArgmax", lambda x, **kw: list(tf.nn.max_pool_with_argmax(x, **kw)),
      [case(x, **kw) for x, kw in ARGMAX_POOLS] +
      [case((3, 9, 7, 5), Targmax=tf.int32, **POOLS[1][1])] +
      [case(arg(_MINUS_INF.shape, values=_MINUS_INF), ksize=[1, k, k, 1], strides=[1, 1, 1, 1],
            padding="SAME") for k in (3, 4)])
TIED.append(extra("MaxPoolWithArgmax", lambda x, **kw: list(tf.nn.max_pool_with_argmax(x, **kw)),
                  [case(arg((2, 6, 6, 3), domain=(0, 2)), **kw) for kw in TIES]))
extra("MaxPoolGradWithArgmax", nn_table._max_pool_grad_with_argmax,
      [case(x, _pooled_shape(x, **{k: v for k, v in kw.items() if k != "include_batch_in_index"}),
            **kw) for x, kw in ARGMAX_POOLS])
TIED.append(extra("MaxPoolGradWithArgmax", nn_table._max_pool_grad_with_argmax,
                  [case(arg((2, 6, 6, 3), domain=(0, 2)), _pooled_shape((2, 6, 6, 3), **kw),
                        **kw) for kw in TIES]))
extra("BiasAdd", lambda x, b, **kw: tf.nn.bias_add(x, b, **kw),
      [case((4, 6, 6, 5), (5,)), case((4, 5, 6, 6), (5,), data_format="NCHW"),
       case((7, 3), (3,))], dtypes=REAL)
extra("BiasAddGrad", lambda g, **kw: raw("BiasAddGrad", g, **kw),
      [case((4, 6, 6, 5)), case((4, 5, 6, 6), data_format="NCHW"), case((7, 3))])
extra("MatMul", lambda a, b, **kw: tf.matmul(a, b, **kw),
      [case((50, 64), (64, 10)), case((64, 50), (64, 10), transpose_a=True),
       case((50, 64), (10, 64), transpose_b=True)])
# The graph rewriter's fused ops (ops/fused.py): every activation, on the conv geometries.
_FUSIONS = [["BiasAdd"]] + [["BiasAdd", a] for a in FUSED_ACTIVATIONS]


def _rewritten(op_type, *inputs, **attrs):
    """An op only the graph rewriter makes (named apart: a node name cannot start with "_")."""
    return apply_op(op_type, list(inputs), dict(attrs, T=inputs[0].dtype.base_dtype),
                    "rewritten")


def _fused(op_type):
    return lambda *inputs, **kw: _rewritten(op_type, *inputs, num_args=1, **kw)


extra("_FusedConv2D", _fused("_FusedConv2D"),
      [case(x, f, (f[3],), fused_ops=ops, data_format=kw.pop("data_format", "NHWC"),
            dilations=[1, 1, 1, 1], leakyrelu_alpha=0.3, **kw)
       for (x, f, kw), ops in zip([(x, f, dict(kw)) for x, f, kw in CONVS],
                                  itertools.cycle(_FUSIONS))])
extra("_FusedMatMul", _fused("_FusedMatMul"),
      [case((50, 64), (64, 10), (10,), fused_ops=ops, transpose_a=False, transpose_b=False)
       for ops in _FUSIONS] +
      [case((64, 50), (10, 64), (10,), fused_ops=["BiasAdd", "Relu"], transpose_a=True,
            transpose_b=True, leakyrelu_alpha=0.2)])
# The workspace ops (runtime/passes/workspace.py): every pool, SAME windows that torch cannot
# pad itself (stride 1, more padding after than before), and ties.
_WORKSPACE_POOLS = POOLS + [
    ((2, 5, 6, 3), dict(ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="SAME")),
    ((2, 6, 5, 3), dict(ksize=[1, 4, 4, 1], strides=[1, 1, 1, 1], padding="SAME"))]


def _max_pool_grad_with_workspace(x, g, **kw):
    _, workspace = _rewritten("_MaxPoolWithWorkspace", x, **kw)
    return _rewritten("_MaxPoolGradWithWorkspace", x, g, workspace, **kw)


def _lrn_grad_with_workspace(g, x, **kw):
    y, norm = _rewritten("_LRNWithWorkspace", x, **kw)
    return _rewritten("_LRNGradWithWorkspace", g, x, y, norm, **kw)


_TIE_INPUT = arg((2, 6, 6, 3), domain=(0, 2))
extra("_MaxPoolWithWorkspace", lambda x, **kw: _rewritten("_MaxPoolWithWorkspace", x, **kw),
      [case(x, **kw) for x, kw in _WORKSPACE_POOLS])
extra("_MaxPoolGradWithWorkspace", _max_pool_grad_with_workspace,
      [case(x, _pooled_shape(x, **kw), **kw) for x, kw in _WORKSPACE_POOLS])
TIED.append(extra("_MaxPoolWithWorkspace",
                  lambda x, **kw: _rewritten("_MaxPoolWithWorkspace", x, **kw),
                  [case(_TIE_INPUT, **kw) for kw in TIES]))
TIED.append(extra("_MaxPoolGradWithWorkspace", _max_pool_grad_with_workspace,
                  [case(_TIE_INPUT, _pooled_shape(_TIE_INPUT.shape, **kw), **kw) for kw in TIES]))
_LRN_SETTINGS = [dict(depth_radius=2, bias=1.0, alpha=1e-3, beta=beta) for beta in (0.5, 0.75)]
extra("_LRNWithWorkspace", lambda x, **kw: _rewritten("_LRNWithWorkspace", x, **kw),
      [case((2, 3, 3, 7), **kw) for kw in _LRN_SETTINGS])
extra("_LRNGradWithWorkspace", _lrn_grad_with_workspace,
      [case((2, 3, 3, 7), (2, 3, 3, 7), **kw) for kw in _LRN_SETTINGS])
extra("Mean", lambda x, **kw: tf.reduce_mean(x, **kw),
      [case((4, 5), axis=0), case((4, 5), axis=[0, 1], keepdims=True), case((3,), axis=[])],
      dtypes=REAL)
extra("Sum", lambda x, **kw: tf.reduce_sum(x, **kw),
      [case((4, 5), axis=1), case((2, 3, 4), axis=[0, 2], keepdims=True),
       case((3, 2), axis=[])], dtypes=REAL)
extra("Max", lambda x, **kw: tf.reduce_max(x, **kw), [case((4, 5), axis=1), case((0, 3), axis=0)],
      dtypes=REAL)
extra("Min", lambda x, **kw: tf.reduce_min(x, **kw), [case((4, 5), axis=0), case((0, 3), axis=0)],
      dtypes=REAL)
extra("Prod", lambda x, **kw: tf.reduce_prod(x, **kw), [case((3, 4), axis=[0, 1])])
extra("ArgMax", lambda x, **kw: tf.argmax(x, **kw), [case((6, 5), axis=1)], dtypes=REAL)
extra("ArgMin", lambda x, **kw: tf.argmin(x, **kw), [case((6, 5), axis=0)], dtypes=REAL)
extra("FloorDiv", lambda x, y: tf.floordiv(x, y), [case((3, 4), (3, 4))], dtypes=REAL,
      domain="nonzero")
extra("FloorMod", lambda x, y: tf.floormod(x, y), [case((3, 4), (3, 4))], dtypes=REAL,
      domain="nonzero")
extra("TruncateDiv", lambda x, y: tf.truncatediv(x, y), [case((3, 4), (3, 4))],
      dtypes=REAL, domain="nonzero")
extra("TruncateMod", lambda x, y: tf.truncatemod(x, y), [case((3, 4), (3, 4))],
      dtypes=REAL, domain="nonzero")
extra("Div", lambda x, y: raw("Div", x, y), [case((3, 4), (4,))], dtypes=REAL,
      domain="nonzero")
extra("RealDiv", lambda x, y: raw("RealDiv", x, y), [case((3, 4), (3, 4))], dtypes=REAL,
      domain="nonzero")
extra("Sign", tf.sign, [case((3, 4))], dtypes=REAL, domain="with_nan")
extra("Round", tf.round, [case((3, 4))], domain="halves")
extra("Rint", tf.rint, [case((3, 4))], domain="halves")
extra("Sigmoid", tf.sigmoid, [case((3, 4))], domain=(-30.0, 30.0))
extra("L2Loss", tf.nn.l2_loss, [case((50, 10)), case(())])
extra("LRNGrad", lambda g, x, **kw: raw("LRNGrad", g, x, raw("LRN", x, **kw), **kw),
      [case((2, 3, 3, 7), (2, 3, 3, 7), depth_radius=2, bias=1.0, alpha=1e-3, beta=beta)
       for beta in (0.5, 0.75, 1.0, 0.6)])
extra("BatchMatMulV2", lambda x, y, **kw: tf.matmul(x, y, **kw),
      [case((2, 3, 4), (2, 4, 5)), case((2, 4, 3), (1, 5, 4), adjoint_a=True, adjoint_b=True)])
extra("Cumsum", lambda x, **kw: tf.cumsum(x, **kw),
      [case((64, 100), axis=1), case((3, 5, 7), axis=-2, exclusive=True, reverse=True),
       case((2, 0), axis=1, exclusive=True), case((6,), reverse=True)], dtypes=REAL)
extra("Cumprod", lambda x, **kw: tf.cumprod(x, **kw),
      [case((3, 5, 7), axis=-1, exclusive=True), case((4, 6), axis=0, reverse=True)],
      dtypes=REAL, domain="nonzero")
extra("SplitV", lambda x, sizes, axis: tf.split(x, sizes, axis),
      [case((4, 10, 3), sizes=[2, 0, -1, 5], axis=1), case((6, 5), sizes=[6], axis=-2)],
      dtypes=REAL + ("bool",))
extra("MirrorPad", lambda x, paddings, mode: tf.pad(x, paddings, mode),
      [case((2, 9, 7, 3), paddings=[[0, 0], [2, 3], [3, 1], [0, 0]], mode=mode)
       for mode in ("REFLECT", "SYMMETRIC")] +
      [case((5,), paddings=[[4, 4]], mode="REFLECT"),
       case((5,), paddings=[[5, 5]], mode="SYMMETRIC"),
       case((3, 4), paddings=[[0, 0], [0, 0]], mode="REFLECT")], dtypes=REAL + ("bool",))
extra("MirrorPadGrad",
      lambda dy, paddings, mode: array_grad.mirror_pad_grad(dy, tf.constant(paddings, tf.int32),
                                                            mode),
      [case((2, 14, 11, 3), paddings=[[0, 0], [2, 3], [3, 1], [0, 0]], mode=mode)
       for mode in ("REFLECT", "SYMMETRIC")] +
      [case((13,), paddings=[[4, 4]], mode="REFLECT"),
       case((3, 4), paddings=[[0, 0], [0, 0]], mode="SYMMETRIC")], dtypes=REAL)
# Top-k: rows of ties (TF takes the lowest indices, where torch.topk takes any), large rows
# (torch's partial selection), k = 0, NaN (ranked above every number), the attr-k TopK.
_TIED_ROWS = [[3, 1, 3, 2, 3, 1, 0, 3], [5, 5, 5, 5, 5, 5, 5, 5], [1, 2, 3, 4, 4, 3, 2, 1]]
_NAN_ROWS = [[1, np.nan, 3, np.nan, 3], [np.nan] * 5, [2, 1, 2, np.nan, 0]]
extra("TopKV2", lambda x, k: list(tf.nn.top_k(x, k)),
      [case(arg((3, 8), values=_TIED_ROWS), k=k) for k in (1, 2, 3, 5, 8)] +
      [case((4, 1000), k=5), case((16,), k=0), case((2, 0), k=0)], dtypes=REAL)
extra("TopKV2", lambda x, k: list(tf.nn.top_k(x, k)),
      [case(arg((3, 5), values=_NAN_ROWS), k=k) for k in (1, 2, 3)])
extra("TopK", lambda x, k: list(raw("TopK", x, k=k, sorted=True)),
      [case((3, 6), k=2), case(arg((3, 8), values=_TIED_ROWS), k=3)], dtypes=REAL)
# InTopK: ties count, a non-finite prediction anywhere in a row makes it False, targets out
# of range are False.
_PREDICTIONS = [[0.1, 0.5, 0.5, 0.2], [np.inf, 0.1, 0.2, 0.3], [0.3, np.nan, 0.1, 0.9],
                [0.2, 0.2, 0.2, 0.2], [1, 2, 3, 4], [4, 3, 2, 1]]
_TARGETS = [2, 1, 3, 0, 4, -1]
_IN_TOP_K_CASES = [case(arg((6, 4), values=_PREDICTIONS), arg((6,), t, values=_TARGETS), k=k)
                   for k in (1, 2, 4) for t in ("int32", "int64")] + [
    case((64, 10), arg((64,), "int64", domain=(0, 9)), k=3),
    case((3, 0), arg((3,), "int32", values=[0, 1, -1]), k=1)]
extra("InTopKV2", lambda p, t, k: tf.nn.in_top_k(p, t, k), _IN_TOP_K_CASES, dtypes=("float32",))
extra("InTopK", lambda p, t, k: raw("InTopK", p, t, k=k, T=t.dtype.base_dtype),
      _IN_TOP_K_CASES, dtypes=("float32",))
extra("Switch", lambda x, p: tf.cond(p, lambda: x * 2.0, lambda: x - 1.0),
      [case((3,), arg((), "bool", values=True)), case((3,), arg((), "bool", values=False))])


RECORDS_BY_OP = {}
for _rec in RECORDS + EXTRA:
    RECORDS_BY_OP.setdefault(_rec.op_type, []).append(_rec)


def _torch_op_types():
    """The registered op types with a torch kernel (some kernels serve legacy op types that
    no wrapper builds)."""
    return sorted({t for (t, d, lib) in registry._KERNELS
                   if lib == "torch" and d == "CPU" and t in registry.registered_op_types()})


def _numpy_body(op_type):
    """Whether the torch kernel is the NumPy kernel's own function (routing, host ops)."""
    ours = registry.find_kernel(op_type, "CPU", "torch") or \
        registry.find_kernel(op_type, "GPU", "torch")
    theirs = registry.find_kernel(op_type, "CPU", "numpy")
    return theirs is not None and ours.fn is theirs.fn


# ---------------------------------------------------------------- running one case
class _Libraries:
    """Sessions created inside use only `names` (restored afterwards)."""

    def __init__(self, names):
        self.names = names

    def __enter__(self):
        self.saved = devices.kernel_libraries()
        devices.set_kernel_libraries(self.names)

    def __exit__(self, *exc):
        devices.set_kernel_libraries(self.saved)


def _inputs(rec, c, dtype):
    if any(rec is tied for tied in TIED):  # whole numbers 0..2: many equal maxima per window
        x, *rest = make_inputs(rec, c, dtype)
        return [np.round(x)] + rest
    if rec.domain == "halves":
        return [np.array([[-2.5, -1.5, -0.5, 0.5], [1.5, 2.5, 3.5, 0.3], [-0.7, 4.5, 1.0, 0.0]],
                         dtype)]
    if rec.domain == "with_nan":
        x = np.array([[-2, 0, 3, 1], [4, -1, 0, 2], [1, 1, -3, 0]], dtype)
        if x.dtype.kind == "f":
            x[0, 1] = np.nan
        return [x]
    return make_inputs(rec, c, dtype)


def _run(rec, c, values, libraries, config=UNOPTIMIZED_CPU):
    """The fetched values and {op type: the step that ran it}."""
    with tf.Graph().as_default():
        feeds, outs = build(rec, c, values)
        with _Libraries(libraries):
            sess = tf.Session(config=config)
        with sess:
            got = sess.run(outs, dict(zip(feeds, values)))
            steps = {s.op.type: s for plan in sess._plans.values() for s in plan.steps
                     if not s.copy}
    return got, steps


def _torch_takes(rec, c, values):
    """Whether the built graph holds the op and its torch kernel accepts it (dtypes)."""
    with tf.Graph().as_default() as graph:
        build(rec, c, values)
        ops = [op for op in graph.get_operations() if op.type == rec.op_type]
        kern = registry.find_kernel(rec.op_type, "CPU", "torch")
        return bool(ops) and all(kern.supports is None or kern.supports(op) for op in ops)


def _compare(got, expected, rtol, atol):
    for g, e in zip(got, expected):
        g, e = np.asarray(g), np.asarray(e)
        assert g.dtype == e.dtype and g.shape == e.shape, (g.dtype, g.shape, e.dtype, e.shape)
        if g.dtype.kind == "f":
            finite = np.abs(e[np.isfinite(e)])  # an inf or nan must not make the scale inf
            scale = max(float(finite.max()), 1.0) if finite.size else 1.0
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol * scale, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, e)


def _items():
    items = []
    for op_type in _torch_op_types():
        for rec in RECORDS_BY_OP.get(op_type, []):
            for i in range(len(rec.cases)):
                for dtype in rec.dtypes:
                    items.append((rec, i, dtype))
    return items


ITEMS = _items()


@pytest.mark.parametrize("rec,case_index,dtype", ITEMS,
                         ids=[f"{r.op_type}-{r.family}-{i}-{d}" for r, i, d in ITEMS])
def test_torch_matches_numpy(rec, case_index, dtype):
    c = rec.cases[case_index]
    values = _inputs(rec, c, dtype)
    expected, numpy_steps = _run(rec, c, values, ["numpy"])
    got, torch_steps = _run(rec, c, values, ["torch", "numpy"])
    assert {s.library for s in numpy_steps.values()} <= {"numpy"}
    if _torch_takes(rec, c, values):
        step = torch_steps.get(rec.op_type)
        assert step is not None and step.library == "torch", torch_steps
    _compare_as_table(got, expected, rec, dtype)


def _compare_as_table(got, expected, rec, dtype):
    tight = dtype == "float64"
    _compare(got, expected, rtol=max(rec.rtol, 1e-7 if tight else 2e-5),
             atol=1e-9 if tight else 1e-5)


GPU_ITEMS = ITEMS if torch.cuda.is_available() else []
GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"


@pytest.mark.gpu
@pytest.mark.parametrize("rec,case_index,dtype", GPU_ITEMS,
                         ids=[f"{r.op_type}-{r.family}-{i}-{d}" for r, i, d in GPU_ITEMS])
def test_torch_on_the_gpu_matches_numpy(rec, case_index, dtype):
    """The same table with the GPU visible: ops with a GPU kernel run on CUDA by default, and
    int32 and bool ops mostly stay on the host, as in TF1, so only a float op is required to
    have run on the GPU."""
    c = rec.cases[case_index]
    values = _inputs(rec, c, dtype)
    expected, _ = _run(rec, c, values, ["numpy"])
    got, steps = _run(rec, c, values, ["torch", "numpy"], config=UNOPTIMIZED)
    if dtype.startswith("float") and registry.find_kernel(rec.op_type, "GPU", "torch") and \
            _torch_takes(rec, c, values):
        step = steps.get(rec.op_type)
        assert step is not None and (step.library, step.device) == ("torch", GPU0), steps
    _compare_as_table(got, expected, rec, dtype)


def test_every_torch_kernel_has_a_parity_case():
    covered = set(RECORDS_BY_OP) | {name.replace("Nesterov", "").replace("Zero", "")
                                     for name in APPLY}
    missing = [t for t in _torch_op_types() if t not in covered and not _numpy_body(t)]
    assert not missing, f"torch kernels without a parity record: {missing}"


# ---------------------------------------------------------------- run-time errors
def _max_pool_grad_with_argmax(x, grad, argmax):
    return raw("MaxPoolGradWithArgmax", x, grad, argmax, ksize=[1, 2, 2, 1],
               strides=[1, 2, 2, 1], padding="VALID", Targmax=tf.int64,
               include_batch_in_index=False)


# (op type, builder, fed values): inputs the kernels must refuse, fed so that no shape
# function sees them first.
ERRORS = [
    ("SplitV", lambda x, s: tf.split(x, s, 1, num=2), [np.zeros((2, 5)), np.int32([-1, -1])]),
    ("SplitV", lambda x, s: tf.split(x, s, 1, num=2), [np.zeros((2, 5)), np.int32([6, -1])]),
    ("SplitV", lambda x, s: tf.split(x, s, 1, num=2), [np.zeros((2, 5)), np.int32([-2, 7])]),
    ("SplitV", lambda x, s: tf.split(x, s, 1, num=2), [np.zeros((2, 5)), np.int32([1, 2])]),
    ("MirrorPad", lambda x, p: tf.pad(x, p, "REFLECT"),
     [np.zeros((2, 3)), np.int32([[2, 0], [0, 0]])]),
    ("MirrorPad", lambda x, p: tf.pad(x, p, "SYMMETRIC"),
     [np.zeros((2, 3)), np.int32([[0, 0], [0, 4]])]),
    ("MirrorPad", lambda x, p: tf.pad(x, p, "SYMMETRIC"),
     [np.zeros((2, 3)), np.int32([[0, -1], [0, 0]])]),
    ("MirrorPadGrad", lambda g, p: array_grad.mirror_pad_grad(g, p, "REFLECT"),
     [np.zeros((3, 3)), np.int32([[1, 1], [0, 0]])]),
    ("MirrorPadGrad", lambda g, p: array_grad.mirror_pad_grad(g, p, "SYMMETRIC"),
     [np.zeros((5, 3)), np.int32([[3, 1], [0, 0]])]),
    ("Cumsum", lambda x, a: tf.cumsum(x, a), [np.zeros((2, 3)), np.int32(2)]),
    ("TopKV2", lambda x, k: tf.nn.top_k(x, k).values, [np.zeros((2, 3)), np.int32(4)]),
    ("MaxPoolGradWithArgmax", _max_pool_grad_with_argmax,
     [np.zeros((1, 4, 4, 1)), np.zeros((1, 2, 2, 1)), np.int64([[[[0], [1]], [[16], [2]]]])]),
    ("MatMul", lambda a, b: raw("MatMul", a, b, transpose_a=False, transpose_b=False),
     [np.zeros((300, 400), np.float32), np.zeros((500, 600), np.float32)]),
    ("MatMul", lambda a, b: raw("MatMul", a, b, transpose_a=True, transpose_b=False),
     [np.zeros((2, 2, 2), np.float32), np.zeros((2, 2), np.float32)]),
]


@pytest.mark.parametrize("op_type,build_fn,values", ERRORS, ids=[e[0] for e in ERRORS])
def test_torch_refuses_what_numpy_refuses_with_the_same_message(op_type, build_fn, values):
    messages = []
    for names in (["numpy"], ["torch", "numpy"]):
        with tf.Graph().as_default():
            feeds = [tf.placeholder(v.dtype) for v in values]
            out = build_fn(*feeds)
            with _Libraries(names):
                sess = tf.Session(config=UNOPTIMIZED_CPU)
            with sess:
                with pytest.raises(tf.errors.InvalidArgumentError) as raised:
                    sess.run(out, dict(zip(feeds, values)))
                libs = {s.op.type: s.library for plan in sess._plans.values()
                        for s in plan.steps if not s.copy}
        assert libs[op_type] == names[0]
        messages.append(raised.value.message)
    assert messages[0] == messages[1]


# ---------------------------------------------------------------- in-place variants
def _inplace_kernels():
    return sorted((t, k) for (t, d, lib), k in registry._KERNELS.items()
                  if lib == "torch" and d == "CPU" and k.inplace)


@pytest.mark.parametrize("op_type", [t for t, _ in _inplace_kernels()])
def test_inplace_variant_writes_the_same_result_into_its_input(op_type):
    kern = registry.find_kernel(op_type, "CPU", "torch")
    rng = np.random.default_rng(1)
    dtype = np.bool_ if op_type.startswith("Logical") else np.float32
    arity = 1 if op_type in ("Relu", "Relu6") or op_type in torch_math.UNARY else 2
    shape = (3, 4)
    arrays = [rng.uniform(0.5, 2.0, shape).astype(dtype) if dtype != np.bool_ else
              rng.integers(0, 2, shape).astype(bool) for _ in range(arity)]
    if op_type in ("BiasAdd", "BiasAddV1"):
        arrays[1] = arrays[1][0]
    if op_type == "Acosh":
        arrays[0] += 1
    elif op_type in ("Asin", "Acos", "Atanh"):
        arrays[0] /= 3
    inputs = [torch.from_numpy(a.copy()) for a in arrays]
    expected = kern.fn(*[torch.from_numpy(a.copy()) for a in arrays])
    for index in kern.inplace:
        if inputs[index].shape != expected.shape or inputs[index].dtype != expected.dtype:
            continue
        target = [t.clone() for t in inputs]
        result = kern.fn(*target, out=target[index])
        assert result.data_ptr() == target[index].data_ptr()
        np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduce", [tf.reduce_sum, tf.reduce_mean, tf.reduce_max])
def test_a_reduction_over_no_axes_forwards_its_input_which_stays_intact(reduce):
    # The reduction hands its input on; the Mul after it must not then write into that
    # buffer, which the Add still reads.
    x = tf.placeholder(tf.float32, [2, 3])
    hidden = tf.nn.relu(x)
    doubled = reduce(hidden, axis=[]) * 2.0
    shifted = hidden + 1.0
    value = np.arange(-3.0, 3.0, dtype=np.float32).reshape(2, 3)
    with tf.Session() as sess:
        got_doubled, got_shifted = sess.run([doubled, shifted], {x: value})
    np.testing.assert_array_equal(got_doubled, 2 * np.maximum(value, 0))
    np.testing.assert_array_equal(got_shifted, np.maximum(value, 0) + 1)


# ---------------------------------------------------------------- optimizer updates
def _apply(name, var, slots, grad):
    def f(value):
        return tf.constant(value, var.dtype.base_dtype)

    ops = {
        "ApplyGradientDescent": lambda: training_ops.apply_gradient_descent(var, f(0.1), grad),
        "ApplyMomentum": lambda: training_ops.apply_momentum(var, slots[0], f(0.1), grad,
                                                             f(0.9)),
        "ApplyMomentumNesterov": lambda: training_ops.apply_momentum(
            var, slots[0], f(0.1), grad, f(0.9), use_nesterov=True),
        "ApplyMomentumZero": lambda: training_ops.apply_momentum(var, slots[0], f(0.1), grad,
                                                                 f(0.0)),
        "ApplyAdam": lambda: training_ops.apply_adam(var, slots[0], slots[1], f(0.9 ** 3),
                                                     f(0.999 ** 3), f(0.01), f(0.9), f(0.999),
                                                     f(1e-8), grad),
        "ApplyAdamNesterov": lambda: training_ops.apply_adam(
            var, slots[0], slots[1], f(0.9 ** 3), f(0.999 ** 3), f(0.01), f(0.9), f(0.999),
            f(1e-8), grad, use_nesterov=True),
        "ApplyAdagrad": lambda: training_ops.apply_adagrad(var, slots[0], f(0.1), grad),
        "ApplyAdadelta": lambda: training_ops.apply_adadelta(var, slots[0], slots[1], f(1.0),
                                                             f(0.95), f(1e-6), grad),
        "ApplyRMSProp": lambda: training_ops.apply_rms_prop(var, slots[0], slots[1], f(0.01),
                                                            f(0.9), f(0.5), f(1e-10), grad),
        "ApplyCenteredRMSProp": lambda: training_ops.apply_centered_rms_prop(
            var, slots[0], slots[1], slots[2], f(0.01), f(0.9), f(0.5), f(1e-3), grad),
    }
    return ops[name]()


APPLY = ["ApplyGradientDescent", "ApplyMomentum", "ApplyMomentumNesterov", "ApplyMomentumZero",
         "ApplyAdam",
         "ApplyAdamNesterov", "ApplyAdagrad", "ApplyAdadelta", "ApplyRMSProp",
         "ApplyCenteredRMSProp"]


def _run_updates(name, dtype, libraries):
    rng = np.random.default_rng(2)
    start = rng.standard_normal((5, 3)).astype(dtype)
    grads = [rng.standard_normal((5, 3)).astype(dtype) for _ in range(3)]
    with tf.Graph().as_default():
        var = tf.Variable(start)
        slots = [tf.Variable(np.full((5, 3), 0.1, dtype)) for _ in range(3)]
        grad = tf.placeholder(dtype, (5, 3))
        update = _apply(name, var, slots, grad)
        with _Libraries(libraries):
            sess = tf.Session(config=UNOPTIMIZED_CPU)
        with sess:
            sess.run(tf.global_variables_initializer())
            for g in grads:
                sess.run(update.op, {grad: g})
            steps = [s for plan in sess._plans.values() for s in plan.steps
                     if s.op is update.op and not s.copy]
            return sess.run([var] + slots), steps[0].library


@pytest.mark.parametrize("dtype", FLOAT)
@pytest.mark.parametrize("name", APPLY)
def test_optimizer_update_matches_numpy(name, dtype):
    expected, numpy_lib = _run_updates(name, dtype, ["numpy"])
    got, torch_lib = _run_updates(name, dtype, ["torch", "numpy"])
    assert (numpy_lib, torch_lib) == ("numpy", "torch")
    _compare(got, expected, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


def test_optimizer_update_writes_the_variables_numpy_storage_in_place():
    with tf.Graph().as_default():
        var = tf.Variable(np.ones((4, 2), np.float32))
        update = training_ops.apply_gradient_descent(var, tf.constant(0.5),
                                                     tf.constant(np.ones((4, 2), np.float32)))
        with _Libraries(["torch", "numpy"]):
            sess = tf.Session(config=UNOPTIMIZED_CPU)
        with sess:
            sess.run(var.initializer)
            storage = next(iter(sess._resources.variables.values()))
            sess.run(update.op)
            assert isinstance(storage, np.ndarray)
            assert next(iter(sess._resources.variables.values())) is storage
            np.testing.assert_array_equal(storage, np.full((4, 2), 0.5, np.float32))
