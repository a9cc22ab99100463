"""Gradients of the array family (ops/array.py), and the ops only gradients create.

BroadcastGradientArgs, StridedSliceGrad and MirrorPadGrad are defined here rather than in
array.py because nothing but a gradient builds them. `reduce_to_shape` is the one place that
sums a broadcast gradient back to an input's shape; math_grad.py uses it too.
"""
import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.registry import gradient, not_differentiable, register_op
from tensorflux.framework.shapes import TensorShape, unknown_shape
from tensorflux.ops import array, math
from tensorflux.ops.op_util import apply_op, constant_value, shape_from_tensor

_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


# ---- ops built by gradients ----
def _infer_broadcast_gradient_args(op):
    dtype = op.inputs[0].dtype.base_dtype
    return [(dtype, TensorShape([None])), (dtype, TensorShape([None]))]


register_op("BroadcastGradientArgs", _infer_broadcast_gradient_args)


def broadcast_gradient_args(s0, s1, name=None):
    """For two shape vectors, the axes each input was broadcast along (two int vectors)."""
    return tuple(apply_op("BroadcastGradientArgs", [s0, s1], {"T": s0.dtype.base_dtype},
                          name or "BroadcastGradientArgs"))


register_op("StridedSliceGrad", lambda op: [(op.inputs[4].dtype.base_dtype,
                                             shape_from_tensor(op.inputs[0]))])


def strided_slice_grad(shape, begin, end, strides, dy, name=None, **masks):
    """Zeros of `shape` holding `dy` where StridedSlice(begin, end, strides, masks) reads."""
    attrs = {"T": dy.dtype.base_dtype, "Index": begin.dtype.base_dtype}
    attrs.update((k, masks.get(k, 0)) for k in _MASKS)
    return apply_op("StridedSliceGrad", [shape, begin, end, strides, dy], attrs,
                    name or "StridedSliceGrad")


def _infer_mirror_pad_grad(op):
    grad, pads_t = op.inputs
    pads = constant_value(pads_t)
    dtype = grad.dtype.base_dtype
    if grad.shape.ndims is None or pads is None:
        return [(dtype, unknown_shape(grad.shape.ndims))]
    pads = np.asarray(pads).reshape(-1, 2)
    return [(dtype, TensorShape([None if d is None else d - int(a) - int(b)
                                 for d, (a, b) in zip(grad.shape.as_list(), pads)]))]


register_op("MirrorPadGrad", _infer_mirror_pad_grad)


def mirror_pad_grad(grad, paddings, mode, name=None):
    """The gradient of MirrorPad: each mirrored border added back onto the elements it copied."""
    return apply_op("MirrorPadGrad", [grad, paddings],
                    {"T": grad.dtype.base_dtype, "Tpaddings": paddings.dtype.base_dtype,
                     "mode": mode}, name or "MirrorPadGrad")


# ---- helpers shared by the gradients ----
def shape_of(x):
    """x's shape: a Python list when statically known, else a Shape op."""
    return x.shape.as_list() if x.shape.is_fully_defined() else array.shape(x)


def reduce_to_shape(grad, x):
    """`grad`, shaped like the broadcast of `x` with other inputs, summed back to x's shape."""
    g_shape, x_shape = grad.shape, x.shape
    if g_shape.is_fully_defined() and x_shape.is_fully_defined():
        g, s = g_shape.as_list(), x_shape.as_list()
        if g == s:
            return grad
        lead = len(g) - len(s)
        axes = list(range(lead)) + [lead + i for i, d in enumerate(s)
                                    if d == 1 and g[lead + i] != 1]
        return array.reshape(math.reduce_sum(grad, axes) if axes else grad, s)
    dynamic_shape = array.shape(x)
    axes, _ = broadcast_gradient_args(dynamic_shape, array.shape(grad))
    return array.reshape(math.reduce_sum(grad, axes), dynamic_shape)


# ---- not differentiable: integer/bool results, or values independent of the input ----
not_differentiable("Placeholder", "StopGradient", "Shape", "ShapeN", "Size", "Rank",
                   "ZerosLike", "OnesLike", "Where", "Range", "OneHot", "InvertPermutation",
                   "BroadcastGradientArgs")


# ---- identities ----
def _pass_through(op, grad):
    return [grad]


for _type in ("Identity", "Snapshot", "PlaceholderWithDefault"):
    gradient(_type)(_pass_through)


@gradient("IdentityN")
def _identity_n_grad(op, *grads):
    return list(grads)


@gradient("PreventGradient")
def _prevent_gradient_grad(op, grad):
    raise LookupError(f"Gradient explicitly disabled. Reason: {op.attrs.get('message', '')}")


@gradient("Cast")
def _cast_grad(op, grad):
    # Only float<->float (and complex) casts pass a gradient; ints carry none, as in TF.
    inexact = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64,
               dtypes.complex64, dtypes.complex128)
    src, dst = op.attrs["SrcT"], op.attrs["DstT"]
    return [array.cast(grad, src) if src in inexact and dst in inexact else None]


# ---- reshaping ----
def _reshape_to_input(op, grad):
    return [array.reshape(grad, shape_of(op.inputs[0]))] + [None] * (len(op.inputs) - 1)


for _type in ("Reshape", "ExpandDims", "Squeeze"):
    gradient(_type)(_reshape_to_input)


@gradient("Transpose")
def _transpose_grad(op, grad):
    perm = op.inputs[1]
    known = constant_value(perm)
    inverse = np.argsort(known).astype(np.int32) if known is not None \
        else array.invert_permutation(perm)
    return [array.transpose(grad, inverse), None]


@gradient("ReverseV2")
def _reverse_grad(op, grad):
    return [array.reverse(grad, op.inputs[1]), None]


@gradient("BroadcastTo")
def _broadcast_to_grad(op, grad):
    return [reduce_to_shape(grad, op.inputs[0]), None]


# ---- joining and splitting ----
@gradient("ConcatV2")
def _concat_grad(op, grad):
    *values, axis_t = op.inputs
    rank = values[0].shape.ndims
    axis = constant_value(axis_t)
    if axis is not None and rank is not None:
        axis = int(axis) % rank
        sizes = [v.shape.as_list()[axis] for v in values]
        if None in sizes:
            sizes = array.stack([array.shape(v)[axis] for v in values])
    else:
        axis = math.floormod(axis_t, array.rank(values[0]))
        sizes = array.stack([array.gather(array.shape(v), axis) for v in values])
    return array.split(grad, sizes, axis=axis, num=len(values)) + [None]


@gradient("Pack")
def _pack_grad(op, grad):
    return array.unstack(grad, num=op.attrs["N"], axis=op.attrs["axis"])


@gradient("Unpack")
def _unpack_grad(op, *grads):
    return [array.stack(list(grads), axis=op.attrs["axis"])]


@gradient("Split")
def _split_grad(op, *grads):
    return [None, array.concat(list(grads), axis=op.inputs[0])]


@gradient("SplitV")
def _split_v_grad(op, *grads):
    return [array.concat(list(grads), axis=op.inputs[2]), None, None]


# ---- slicing ----
@gradient("Slice")
def _slice_grad(op, grad):
    x, begin = op.inputs[0], array.cast(op.inputs[1], dtypes.int32)
    after = array.shape(x) - begin - array.shape(op.outputs[0])
    return [array.pad(grad, array.stack([begin, after], axis=1)), None, None]


@gradient("StridedSlice")
def _strided_slice_grad(op, grad):
    x, begin, end, strides = op.inputs
    shape = array.shape(x, out_type=begin.dtype.base_dtype)
    masks = {k: op.attrs[k] for k in _MASKS}
    return [strided_slice_grad(shape, begin, end, strides, grad, **masks), None, None, None]


@gradient("StridedSliceGrad")
def _strided_slice_grad_grad(op, grad):
    _, begin, end, strides, _ = op.inputs
    masks = {k: op.attrs[k] for k in _MASKS}
    return [None, None, None, None, array.strided_slice(grad, begin, end, strides, **masks)]


# ---- tiling and padding ----
@gradient("Tile")
def _tile_grad(op, grad):
    x = op.inputs[0]
    multiples = array.cast(op.inputs[1], dtypes.int32)
    # Viewed as [m0, d0, m1, d1, ...], grad's copies of x lie along the even axes.
    split_shape = array.reshape(array.transpose(array.stack([multiples, array.shape(x)])), [-1])
    axes = array.range_(0, array.size(split_shape), 2)
    x_grad = math.reduce_sum(array.reshape(grad, split_shape), axes)
    x_grad.set_shape(x.shape)
    return [x_grad, None]


@gradient("Pad")
@gradient("PadV2")
def _pad_grad(op, grad):
    x, paddings = op.inputs[:2]
    begin = array.cast(array.reshape(array.slice(paddings, [0, 0], [-1, 1]), [-1]), dtypes.int32)
    x_grad = array.slice(grad, begin, shape_of(x))
    # As TF: no gradient for PadV2's constant_values.
    return [x_grad] + [None] * (len(op.inputs) - 1)


@gradient("MirrorPad")
def _mirror_pad_grad(op, grad):
    return [mirror_pad_grad(grad, op.inputs[1], op.attrs["mode"]), None]


@gradient("MirrorPadGrad")
def _mirror_pad_grad_grad(op, grad):
    return [array.pad(grad, op.inputs[1], mode=op.attrs["mode"]), None]


# ---- gathering and selection ----
@gradient("GatherV2")
def _gather_grad(op, grad):
    params, indices, axis_t = op.inputs
    if op.attrs.get("batch_dims", 0):
        raise NotImplementedError("The gradient of gather with batch_dims != 0 is not "
                                  f"implemented (op {op.name})")
    params_shape = array.shape(params)
    ids = array.reshape(indices, [-1])
    count = array.reshape(array.size(indices), [1])
    axis, rank = constant_value(axis_t), params.shape.ndims
    if axis is not None and rank is not None and int(axis) % rank == 0:
        rows = array.reshape(grad, array.concat([count, params_shape[1:]], 0))
        return [math.unsorted_segment_sum(rows, ids, params_shape[0]), None, None]
    # Any axis: view grad as [outer, len(ids), inner], sum rows by id along the middle axis.
    axis = math.floormod(axis_t, array.rank(params))
    outer = math.reduce_prod(array.slice(params_shape, [0], array.reshape(axis, [1])))
    inner = math.reduce_prod(array.slice(params_shape, array.reshape(axis + 1, [1]), [-1]))
    values = array.transpose(array.reshape(grad, array.stack([outer, count[0], inner])),
                             [1, 0, 2])
    summed = math.unsorted_segment_sum(values, ids, array.gather(params_shape, axis))
    return [array.reshape(array.transpose(summed, [1, 0, 2]), params_shape), None, None]


@gradient("Select")
def _select_grad(op, grad):
    condition = op.inputs[0]
    zeros = array.zeros_like(grad)
    return [None, array.where(condition, grad, zeros), array.where(condition, zeros, grad)]


@gradient("SelectV2")
def _select_v2_grad(op, grad):
    condition, x, y = op.inputs
    zeros = array.zeros_like(grad)
    return [None, reduce_to_shape(array.where_v2(condition, grad, zeros), x),
            reduce_to_shape(array.where_v2(condition, zeros, grad), y)]


@gradient("Fill")
def _fill_grad(op, grad):
    return [None, math.reduce_sum(grad)]


# ---- diagonals ----
@gradient("MatrixDiag")
def _matrix_diag_grad(op, grad):
    return [array.matrix_diag_part(grad)]


@gradient("MatrixDiagPart")
def _matrix_diag_part_grad(op, grad):
    x = op.inputs[0]
    dims = x.shape.as_list() if x.shape.ndims else [None, None]
    if dims[-1] is not None and dims[-1] == dims[-2]:
        return [array.matrix_diag(grad)]
    # Non-square: the k x k diagonal matrix of grad, zero-padded to m x n.
    x_shape = array.shape(x)
    m, n = x_shape[-2], x_shape[-1]
    k = math.minimum(m, n)
    batch = array.zeros(array.stack([array.rank(x) - 2, 2]), dtypes.int32)
    inner = array.stack([array.stack([0, m - k]), array.stack([0, n - k])])
    return [array.pad(array.matrix_diag(grad), array.concat([batch, inner], 0))]
