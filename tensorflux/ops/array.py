"""The array family: placeholders, identity, shapes, reshaping, slicing, joining, gathering."""
import builtins

import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.graph import Tensor, convert_to_tensor, get_default_graph
from tensorflux.framework.registry import register_op
from tensorflux.framework.shapes import TensorShape, as_shape, unknown_shape
from tensorflux.kernels.numpy.array import strided_index
from tensorflux.ops.constant import constant
from tensorflux.ops.op_util import (INDEX, apply_op, axis_value, check_dtype, constant_value,
                                    same_as_input, shape_from_tensor)

newaxis = None


def _name_scope(name, default):
    return get_default_graph().name_scope(name or default)


# ---- placeholders and identity ----
register_op("Placeholder", lambda op: [(op.attrs["dtype"], op.attrs["shape"] or unknown_shape())])
register_op("PlaceholderWithDefault", lambda op: [(op.inputs[0].dtype.base_dtype,
                                                   op.attrs["shape"])])


def placeholder(dtype, shape=None, name=None):
    """A tensor that must be fed; `shape` may have None dimensions."""
    dtype = dtypes.as_dtype(dtype)
    shape = None if shape is None else as_shape(shape)
    return apply_op("Placeholder", [], {"dtype": dtype, "shape": shape}, name or "Placeholder")


def placeholder_with_default(input, shape, name=None):
    """`input` unless fed; a feed must match `shape`."""
    input = convert_to_tensor(input)
    shape = as_shape(shape)
    if not shape.is_compatible_with(input.shape):
        raise ValueError(f"placeholder_with_default: default value shape {input.shape} is not "
                         f"compatible with shape {shape}")
    return apply_op("PlaceholderWithDefault", [input],
                    {"dtype": input.dtype.base_dtype, "shape": shape},
                    name or "PlaceholderWithDefault")


for _type in ("Identity", "StopGradient", "Snapshot", "PreventGradient"):
    register_op(_type, same_as_input())
register_op("IdentityN", lambda op: [(t.dtype.base_dtype, t.shape) for t in op.inputs])


def identity(input, name=None):
    input = convert_to_tensor(input)
    return apply_op("Identity", [input], {"T": input.dtype.base_dtype}, name or "Identity")


def stop_gradient(input, name=None):
    input = convert_to_tensor(input)
    return apply_op("StopGradient", [input], {"T": input.dtype.base_dtype}, name or "StopGradient")


def identity_n(input, name=None):
    inputs = [convert_to_tensor(t) for t in input]
    return apply_op("IdentityN", inputs, {"T": [t.dtype.base_dtype for t in inputs]},
                    name or "IdentityN")


# ---- shape, size, rank ----
def _infer_shape_op(op):
    rank = op.inputs[0].shape.ndims
    return [(op.attrs["out_type"], TensorShape([rank]))]


register_op("Shape", _infer_shape_op)
register_op("Size", lambda op: [(op.attrs["out_type"], TensorShape([]))])
register_op("Rank", lambda op: [(dtypes.int32, TensorShape([]))])


def _infer_shape_n(op):
    out_type = op.attrs.get("out_type", dtypes.int32)
    return [(out_type, TensorShape([t.shape.ndims])) for t in op.inputs]


# TF's own gradient graphs use ShapeN, so importing a TF training graph needs it.
register_op("ShapeN", _infer_shape_n)


def shape(input, name=None, out_type=dtypes.int32):
    input = convert_to_tensor(input)
    return apply_op("Shape", [input], {"T": input.dtype.base_dtype,
                                       "out_type": dtypes.as_dtype(out_type)}, name or "Shape")


def shape_n(input, out_type=dtypes.int32, name=None):
    """The shapes of several tensors, as a list of 1-D tensors, from one op."""
    inputs = [convert_to_tensor(t) for t in input]
    outs = apply_op("ShapeN", inputs, {"N": len(inputs), "T": inputs[0].dtype.base_dtype,
                                       "out_type": dtypes.as_dtype(out_type)}, name or "ShapeN")
    return list(outs) if len(inputs) > 1 else [outs]


def size(input, name=None, out_type=dtypes.int32):
    input = convert_to_tensor(input)
    return apply_op("Size", [input], {"T": input.dtype.base_dtype,
                                      "out_type": dtypes.as_dtype(out_type)}, name or "Size")


def rank(input, name=None):
    input = convert_to_tensor(input)
    return apply_op("Rank", [input], {"T": input.dtype.base_dtype}, name or "Rank")


# ---- reshaping ----
def _infer_reshape(op):
    x, shape_t = op.inputs
    target = shape_from_tensor(shape_t)
    if target.ndims is None:
        return [(x.dtype.base_dtype, target)]
    dims = target.as_list()
    known = x.shape.num_elements()
    if dims.count(None) > 1 and constant_value(shape_t) is not None:
        raise ValueError(f"Reshape ({op.name}): can only infer one dimension; got shape {dims}")
    if known is not None and None not in dims:
        if int(np.prod(dims)) != known:
            raise ValueError(f"Cannot reshape a tensor with {known} elements to shape {dims} "
                             f"({int(np.prod(dims))} elements) for '{op.name}' (op: 'Reshape') "
                             f"with input shapes: {x.shape}, [{len(dims)}].")
    elif known is not None and dims.count(None) == 1:
        rest = int(np.prod([d for d in dims if d is not None]))
        if rest == 0 or known % rest:
            raise ValueError(f"Cannot reshape a tensor with {known} elements to shape "
                             f"{['-1' if d is None else d for d in dims]} for '{op.name}' "
                             "(op: 'Reshape')")
        dims[dims.index(None)] = known // rest
    return [(x.dtype.base_dtype, TensorShape(dims))]


register_op("Reshape", _infer_reshape)


def reshape(tensor, shape, name=None):
    """`tensor` with a new shape; one dimension may be -1."""
    tensor = convert_to_tensor(tensor)
    shape = convert_to_tensor(shape, dtype=dtypes.int32, name="shape") \
        if not isinstance(shape, Tensor) else shape
    return apply_op("Reshape", [tensor, shape], {"T": tensor.dtype.base_dtype,
                                                 "Tshape": shape.dtype.base_dtype},
                    name or "Reshape")


def _infer_expand_dims(op):
    x, axis_t = op.inputs
    rank = x.shape.ndims
    axis = axis_value("ExpandDims", axis_t, None if rank is None else rank + 1, "dim")
    if rank is None or axis is None:
        return [(x.dtype.base_dtype, unknown_shape(None if rank is None else rank + 1))]
    dims = x.shape.as_list()
    dims.insert(axis[0], 1)
    return [(x.dtype.base_dtype, TensorShape(dims))]


register_op("ExpandDims", _infer_expand_dims)


def expand_dims(input, axis=None, name=None, dim=None):
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("expand_dims: either 'axis' or 'dim' must be given")
    input = convert_to_tensor(input)
    axis = convert_to_tensor(axis, dtype=dtypes.int32, name="dim")
    return apply_op("ExpandDims", [input, axis], {"T": input.dtype.base_dtype,
                                                  "Tdim": dtypes.int32}, name or "ExpandDims")


def _infer_squeeze(op):
    x = op.inputs[0]
    axes = op.attrs["squeeze_dims"]
    if x.shape.ndims is None:
        return [(x.dtype.base_dtype, unknown_shape())]
    dims = x.shape.as_list()
    rank = len(dims)
    axes = [a % rank for a in axes] if axes else None
    out = []
    for i, d in enumerate(dims):
        if axes is None:
            if d is None:
                return [(x.dtype.base_dtype, unknown_shape())]
            if d != 1:
                out.append(d)
        elif i in axes:
            if d is not None and d != 1:
                raise ValueError(f"Can not squeeze dim[{i}], expected a dimension of 1, got {d} "
                                 f"for '{op.name}' (op: 'Squeeze') with input shapes: {x.shape}.")
        else:
            out.append(d)
    return [(x.dtype.base_dtype, TensorShape(out))]


register_op("Squeeze", _infer_squeeze)


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    axis = squeeze_dims if axis is None else axis
    axis = [] if axis is None else ([axis] if isinstance(axis, int) else list(axis))
    input = convert_to_tensor(input)
    rank = input.shape.ndims
    if rank is not None:
        for a in axis:
            if not -rank <= a < rank:
                raise ValueError(f"squeeze: axis {a} is out of bounds for a tensor of rank {rank}")
    return apply_op("Squeeze", [input], {"T": input.dtype.base_dtype, "squeeze_dims": axis},
                    name or "Squeeze")


def _infer_transpose(op):
    x, perm_t = op.inputs
    perm = constant_value(perm_t)
    if perm is None or x.shape.ndims is None:
        return [(x.dtype.base_dtype, unknown_shape(x.shape.ndims))]
    if sorted(int(p) for p in perm) != list(range(x.shape.ndims)):
        raise ValueError(f"Transpose ({op.name}): perm {list(perm)} is not a permutation of "
                         f"0..{x.shape.ndims - 1}")
    dims = x.shape.as_list()
    return [(x.dtype.base_dtype, TensorShape([dims[int(p)] for p in perm]))]


register_op("Transpose", _infer_transpose)


def transpose(a, perm=None, name="transpose", conjugate=False):
    """Permutes dimensions; by default reverses them."""
    with _name_scope(name, "transpose") as scope:
        a = convert_to_tensor(a, name="a")
        if perm is None:
            if a.shape.ndims is not None:
                perm = list(range(a.shape.ndims - 1, -1, -1))
            else:
                from tensorflux.ops import math
                r = rank(a)
                perm = math.subtract(math.subtract(r, 1), range_(0, r, 1))
        perm = convert_to_tensor(perm, dtype=dtypes.int32, name="perm")
        return apply_op("Transpose", [a, perm], {"T": a.dtype.base_dtype, "Tperm": dtypes.int32},
                        scope[:-1] + "/" if scope else None)


# ---- joining and splitting ----
def _infer_concat(op):
    *values, axis_t = op.inputs
    dtype = values[0].dtype.base_dtype
    for v in values:
        if v.dtype.base_dtype != dtype:
            raise TypeError(f"ConcatV2 ({op.name}): all values must have dtype {dtype.name}, "
                            f"got {v.dtype.base_dtype.name}")
    ranks = {v.shape.ndims for v in values if v.shape.ndims is not None}
    if len(ranks) > 1:
        raise ValueError(f"Shape must be rank {min(ranks)} but is rank {max(ranks)} for "
                         f"'{op.name}' (op: 'ConcatV2')")
    if not ranks:
        return [(dtype, unknown_shape())]
    rank = ranks.pop()
    axis = axis_value("ConcatV2", axis_t, rank)
    if axis is None:
        return [(dtype, unknown_shape(rank))]
    axis = axis[0]
    out = [None] * rank
    total = 0
    for v in values:
        if v.shape.ndims is None:
            total = None
            continue
        dims = v.shape.as_list()
        for i, d in enumerate(dims):
            if i == axis:
                continue
            if d is not None:
                if out[i] is not None and out[i] != d:
                    raise ValueError(f"Dimension {i} in both shapes must be equal, but are "
                                     f"{out[i]} and {d}. Shapes are {values[0].shape} and "
                                     f"{v.shape}. for '{op.name}' (op: 'ConcatV2')")
                out[i] = d
        total = None if total is None or dims[axis] is None else total + dims[axis]
    out[axis] = total
    return [(dtype, TensorShape(out))]


register_op("ConcatV2", _infer_concat)


def concat(values, axis, name="concat"):
    """Joins `values` along `axis`; a single value is returned as an identity."""
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    if len(values) == 1:
        with _name_scope(name, "concat") as scope:
            return identity(values[0], name=scope[:-1] + "/" if scope else None)
    tensors = [convert_to_tensor(v) for v in values]
    dtype = next((t.dtype.base_dtype for t in tensors if not t.op.type == "Const"),
                 tensors[0].dtype.base_dtype)
    tensors = [convert_to_tensor(v, dtype=dtype) if not isinstance(v, Tensor) else t
               for v, t in zip(values, tensors)]
    axis = convert_to_tensor(axis, dtype=dtypes.int32, name="axis")
    return apply_op("ConcatV2", tensors + [axis], {"N": len(tensors), "T": dtype,
                                                   "Tidx": dtypes.int32}, name)


def _infer_pack(op):
    values = op.inputs
    dtype = values[0].dtype.base_dtype
    shape = unknown_shape()
    for v in values:
        if v.dtype.base_dtype != dtype:
            raise TypeError(f"Pack ({op.name}): all values must have dtype {dtype.name}, got "
                            f"{v.dtype.base_dtype.name}")
        try:
            shape = shape.merge_with(v.shape)
        except ValueError:
            raise ValueError(f"Shapes must be equal rank, but are {shape} and {v.shape} for "
                             f"'{op.name}' (op: 'Pack') with {len(values)} inputs") from None
    if shape.ndims is None:
        return [(dtype, unknown_shape())]
    axis = op.attrs["axis"]
    dims = shape.as_list()
    dims.insert(axis % (len(dims) + 1), len(values))
    return [(dtype, TensorShape(dims))]


register_op("Pack", _infer_pack)


def stack(values, axis=0, name="stack"):
    """Stacks rank-R tensors into one rank-(R+1) tensor along `axis`."""
    tensors = [convert_to_tensor(v) for v in values]
    dtype = next((t.dtype.base_dtype for t in tensors if t.op.type != "Const"),
                 tensors[0].dtype.base_dtype)
    tensors = [t if isinstance(v, Tensor) else convert_to_tensor(v, dtype=dtype)
               for v, t in zip(values, tensors)]
    rank = tensors[0].shape.ndims
    if rank is not None and not -rank - 1 <= axis <= rank:
        raise ValueError(f"stack: axis = {axis} not in [{-rank - 1}, {rank}]")
    return apply_op("Pack", tensors, {"N": len(tensors), "T": dtype, "axis": axis}, name)


def _infer_unpack(op):
    x = op.inputs[0]
    num, axis = op.attrs["num"], op.attrs["axis"]
    if x.shape.ndims is None:
        return [(x.dtype.base_dtype, unknown_shape())] * num
    dims = x.shape.as_list()
    del dims[axis % len(dims)]
    return [(x.dtype.base_dtype, TensorShape(dims))] * num


register_op("Unpack", _infer_unpack)


def unstack(value, num=None, axis=0, name="unstack"):
    value = convert_to_tensor(value)
    if num is None:
        if value.shape.ndims is None or value.shape.dims[axis].value is None:
            raise ValueError(f"Cannot infer num from shape {value.shape}")
        num = value.shape.dims[axis].value
    return list(apply_op("Unpack", [value], {"num": num, "axis": axis,
                                             "T": value.dtype.base_dtype}, name)) \
        if num != 1 else [apply_op("Unpack", [value], {"num": 1, "axis": axis,
                                                       "T": value.dtype.base_dtype}, name)]


def _split_shapes(x, axis, sizes):
    if x.shape.ndims is None or axis is None:
        return [(x.dtype.base_dtype, unknown_shape(x.shape.ndims))] * len(sizes)
    out = []
    for s in sizes:
        dims = x.shape.as_list()
        dims[axis] = s
        out.append((x.dtype.base_dtype, TensorShape(dims)))
    return out


def _infer_split(op):
    axis_t, x = op.inputs
    n = op.attrs["num_split"]
    axis = axis_value("Split", axis_t, x.shape.ndims)
    axis = None if axis is None else axis[0]
    size = None if axis is None or x.shape.ndims is None else x.shape.as_list()[axis]
    if size is not None and size % n:
        raise ValueError(f"Dimension size must be evenly divisible by {n} but is {size} for "
                         f"'{op.name}' (op: 'Split')")
    return _split_shapes(x, axis, [None if size is None else size // n] * n)


def _infer_split_v(op):
    x, sizes_t, axis_t = op.inputs
    n = op.attrs["num_split"]
    axis = axis_value("SplitV", axis_t, x.shape.ndims)
    axis = None if axis is None else axis[0]
    sizes = constant_value(sizes_t)
    if sizes is None:
        return _split_shapes(x, axis, [None] * n)
    sizes = [int(s) for s in sizes]
    total = None if axis is None or x.shape.ndims is None else x.shape.as_list()[axis]
    if -1 in sizes:
        sizes[sizes.index(-1)] = None if total is None else total - (sum(sizes) + 1)
    elif total is not None and sum(sizes) != total:
        raise ValueError(f"Determined shape must either match input shape along split_dim "
                         f"exactly if fully specified, or be less than the size of the input "
                         f"along split_dim if not fully specified.  Got: {sum(sizes)} "
                         f"for '{op.name}' (op: 'SplitV')")
    return _split_shapes(x, axis, sizes)


register_op("Split", _infer_split)
register_op("SplitV", _infer_split_v)


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits into `num_or_size_splits` equal parts, or parts of the listed sizes."""
    value = convert_to_tensor(value)
    axis_t = convert_to_tensor(axis, dtype=dtypes.int32, name="split_dim")
    if isinstance(num_or_size_splits, (int, np.integer)):
        outs = apply_op("Split", [axis_t, value], {"num_split": int(num_or_size_splits),
                                                   "T": value.dtype.base_dtype}, name)
        return [outs] if int(num_or_size_splits) == 1 else list(outs)
    sizes = convert_to_tensor(num_or_size_splits, dtype=dtypes.int32, name="size_splits") \
        if not isinstance(num_or_size_splits, Tensor) else num_or_size_splits
    if num is None:
        if sizes.shape.ndims != 1 or sizes.shape.dims[0].value is None:
            raise ValueError(f"Cannot infer num from shape {sizes.shape}")
        num = sizes.shape.dims[0].value
    outs = apply_op("SplitV", [value, sizes, axis_t], {"num_split": num,
                                                       "T": value.dtype.base_dtype,
                                                       "Tlen": sizes.dtype.base_dtype}, name)
    return [outs] if num == 1 else list(outs)


# ---- slicing ----
def _infer_slice(op):
    x, begin_t, size_t = op.inputs
    begin, size_v = constant_value(begin_t), constant_value(size_t)
    rank = x.shape.ndims
    if rank is None:
        n = size_t.shape[0] if size_t.shape.ndims == 1 else None
        return [(x.dtype.base_dtype, unknown_shape(n))]
    if size_v is None:
        return [(x.dtype.base_dtype, unknown_shape(rank))]
    dims = x.shape.as_list()
    out = []
    for i, s in enumerate(int(v) for v in size_v):
        if s == -1:
            out.append(None if begin is None or dims[i] is None else dims[i] - int(begin[i]))
        else:
            out.append(s)
    return [(x.dtype.base_dtype, TensorShape(out))]


register_op("Slice", _infer_slice)


def slice(input_, begin, size, name=None):
    input_ = convert_to_tensor(input_)
    begin = convert_to_tensor(begin, dtype=dtypes.int32) if not isinstance(begin, Tensor) else begin
    size = convert_to_tensor(size, dtype=begin.dtype) if not isinstance(size, Tensor) else size
    return apply_op("Slice", [input_, begin, size], {"T": input_.dtype.base_dtype,
                                                     "Index": begin.dtype.base_dtype},
                    name or "Slice")


def _infer_strided_slice(op):
    x, begin_t, end_t, strides_t = op.inputs
    masks = [op.attrs[k] for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                   "shrink_axis_mask")]
    values = [constant_value(t) for t in (begin_t, end_t, strides_t)]
    if x.shape.ndims is None or any(v is None for v in values):
        return [(x.dtype.base_dtype, unknown_shape())]
    index = strided_index(*values, *masks)
    dims = x.shape.as_list()
    specified = sum(1 for i in index if i is not None and i is not Ellipsis)
    expanded = []
    for i in index:
        if i is Ellipsis:
            expanded.extend([builtins.slice(None)] * (len(dims) - specified))
        else:
            expanded.append(i)
    if Ellipsis not in index:
        expanded.extend([builtins.slice(None)] * (len(dims) - specified))
    out, d = [], 0
    for i in expanded:
        if i is None:
            out.append(1)
            continue
        if d >= len(dims):
            raise ValueError(f"Index out of range using input dim {d}; input has only "
                             f"{len(dims)} dims for '{op.name}' (op: 'StridedSlice')")
        size = dims[d]
        d += 1
        if isinstance(i, int):
            if size is not None and not -size <= i < size:
                raise ValueError(f"slice index {i} of dimension {d - 1} out of bounds for "
                                 f"'{op.name}' (op: 'StridedSlice') with input shapes: {x.shape}")
            continue
        out.append(None if size is None else len(range(*i.indices(size))))
    return [(x.dtype.base_dtype, TensorShape(out))]


register_op("StridedSlice", _infer_strided_slice)


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    input_ = convert_to_tensor(input_)
    begin = _index_tensor(begin, "begin")
    end = _index_tensor(end, "end")
    strides = _index_tensor(strides if strides is not None else [1] * begin.shape[0], "strides")
    return apply_op("StridedSlice", [input_, begin, end, strides],
                    {"T": input_.dtype.base_dtype, "Index": begin.dtype.base_dtype,
                     "begin_mask": begin_mask, "end_mask": end_mask,
                     "ellipsis_mask": ellipsis_mask, "new_axis_mask": new_axis_mask,
                     "shrink_axis_mask": shrink_axis_mask}, name or "StridedSlice")


def _index_tensor(value, name):
    if isinstance(value, Tensor):
        return value
    if any(isinstance(v, Tensor) for v in value):
        return stack([v if isinstance(v, Tensor) else constant(v, dtypes.int32) for v in value],
                     name=name)
    return constant(np.array(value, dtype=np.int32).reshape([-1]), dtypes.int32, name=name)


def _slice_helper(tensor, slice_spec):
    """`tensor[slice_spec]` as a StridedSlice: slices, ints, tensors, newaxis and Ellipsis."""
    if isinstance(slice_spec, Tensor) and slice_spec.dtype.base_dtype is dtypes.bool_:
        raise TypeError("Indexing a tensor with a boolean tensor is not supported; use "
                        "tf.boolean_mask")
    if not isinstance(slice_spec, tuple):
        slice_spec = (slice_spec,)
    begin, end, strides = [], [], []
    masks = {"begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0,
             "shrink_axis_mask": 0}
    for i, s in enumerate(slice_spec):
        bit = 1 << i
        if isinstance(s, builtins.slice):
            for part, key, out in ((s.start, "begin_mask", begin), (s.stop, "end_mask", end)):
                if part is None:
                    masks[key] |= bit
                    out.append(0)
                else:
                    out.append(_check_index(part))
            strides.append(1 if s.step is None else _check_index(s.step))
        elif s is Ellipsis:
            begin.append(0), end.append(0), strides.append(1)
            masks["ellipsis_mask"] |= bit
        elif s is None:
            begin.append(0), end.append(0), strides.append(1)
            masks["new_axis_mask"] |= bit
        else:
            s = _check_index(s)
            begin.append(s)
            end.append(s + 1)
            strides.append(1)
            masks["shrink_axis_mask"] |= bit
    with get_default_graph().name_scope("strided_slice") as scope:
        return strided_slice(tensor, begin, end, strides, name=scope[:-1] + "/", **masks)


def _check_index(value):
    if isinstance(value, Tensor):
        if value.dtype.base_dtype not in INDEX:
            raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) "
                            f"and scalar tf.int32/tf.int64 tensors are valid indices, got "
                            f"{value!r}")
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                    f"scalar tf.int32/tf.int64 tensors are valid indices, got {value!r}")


Tensor.__getitem__ = _slice_helper


# ---- tiling and padding ----
def _infer_tile(op):
    x, mult_t = op.inputs
    mult = constant_value(mult_t)
    if x.shape.ndims is None:
        return [(x.dtype.base_dtype, unknown_shape())]
    if mult is None:
        return [(x.dtype.base_dtype, unknown_shape(x.shape.ndims))]
    if len(mult) != x.shape.ndims:
        raise ValueError(f"Shape must be rank {x.shape.ndims} but is rank {len(mult)} for "
                         f"'{op.name}' (op: 'Tile') multiples")
    return [(x.dtype.base_dtype, TensorShape([None if d is None else d * int(m)
                                              for d, m in zip(x.shape.as_list(), mult)]))]


register_op("Tile", _infer_tile)


def tile(input, multiples, name=None):
    input = convert_to_tensor(input)
    multiples = convert_to_tensor(multiples, dtype=dtypes.int32, name="multiples") \
        if not isinstance(multiples, Tensor) else multiples
    return apply_op("Tile", [input, multiples], {"T": input.dtype.base_dtype,
                                                 "Tmultiples": multiples.dtype.base_dtype},
                    name or "Tile")


def _infer_pad(op):
    x, pads_t = op.inputs[0], op.inputs[1]
    pads = constant_value(pads_t)
    if x.shape.ndims is None:
        return [(x.dtype.base_dtype, unknown_shape())]
    if pads is None:
        return [(x.dtype.base_dtype, unknown_shape(x.shape.ndims))]
    pads = np.asarray(pads).reshape(-1, 2)
    if len(pads) != x.shape.ndims:
        raise ValueError(f"The first dimension of paddings must be the rank of inputs"
                         f"[{len(pads)},2], {x.shape} for '{op.name}' (op: '{op.type}')")
    return [(x.dtype.base_dtype, TensorShape([None if d is None else d + int(a) + int(b)
                                              for d, (a, b) in zip(x.shape.as_list(), pads)]))]


for _type in ("Pad", "PadV2", "MirrorPad"):
    register_op(_type, _infer_pad)


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """Pads with `constant_values`, or mirrors (REFLECT / SYMMETRIC)."""
    tensor = convert_to_tensor(tensor)
    paddings = convert_to_tensor(paddings, dtype=dtypes.int32, name="paddings") \
        if not isinstance(paddings, Tensor) else paddings
    mode = mode.upper()
    attrs = {"T": tensor.dtype.base_dtype, "Tpaddings": paddings.dtype.base_dtype}
    if mode == "CONSTANT":
        if isinstance(constant_values, (int, float)) and constant_values == 0:
            return apply_op("Pad", [tensor, paddings], attrs, name or "Pad")
        value = convert_to_tensor(constant_values, dtype=tensor.dtype.base_dtype)
        return apply_op("PadV2", [tensor, paddings, value], attrs, name or "PadV2")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"pad: unknown padding mode: {mode}; expected CONSTANT, REFLECT or "
                         "SYMMETRIC")
    return apply_op("MirrorPad", [tensor, paddings], dict(attrs, mode=mode), name or "MirrorPad")


# ---- gathering ----
def _infer_gather(op):
    params, indices, axis_t = op.inputs
    if params.shape.ndims is None or indices.shape.ndims is None:
        return [(params.dtype.base_dtype, unknown_shape())]
    axis = axis_value("GatherV2", axis_t, params.shape.ndims)
    if axis is None:
        return [(params.dtype.base_dtype, unknown_shape(params.shape.ndims +
                                                        indices.shape.ndims - 1))]
    dims = params.shape.as_list()
    a = axis[0]
    return [(params.dtype.base_dtype,
             TensorShape(dims[:a] + indices.shape.as_list() + dims[a + 1:]))]


register_op("GatherV2", _infer_gather)


def gather(params, indices, validate_indices=None, name=None, axis=0, batch_dims=0):
    """Slices of `params` along `axis` at `indices`; out-of-range indices fail at run time."""
    if hasattr(params, "_gather"):
        return params._gather(indices, name)
    params = convert_to_tensor(params, name="params")
    indices = check_dtype("GatherV2", "indices", convert_to_tensor(indices, name="indices"), INDEX)
    axis = convert_to_tensor(axis, dtype=dtypes.int32, name="axis")
    return apply_op("GatherV2", [params, indices, axis],
                    {"Tparams": params.dtype.base_dtype, "Tindices": indices.dtype.base_dtype,
                     "Taxis": dtypes.int32, "batch_dims": batch_dims}, name or "GatherV2")


def _infer_one_hot(op):
    indices, depth_t, on, _ = op.inputs
    depth = constant_value(depth_t)
    if indices.shape.ndims is None:
        return [(on.dtype.base_dtype, unknown_shape())]
    dims = indices.shape.as_list()
    axis = op.attrs["axis"]
    dims.insert(len(dims) if axis == -1 else axis, None if depth is None else int(depth))
    return [(on.dtype.base_dtype, TensorShape(dims))]


register_op("OneHot", _infer_one_hot)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """A one-hot encoding; indices out of [0, depth) give all-`off_value` rows."""
    with _name_scope(name, "one_hot") as scope:
        if dtype is None:
            dtype = next((convert_to_tensor(v).dtype for v in (on_value, off_value)
                          if v is not None), dtypes.float32)
        dtype = dtypes.as_dtype(dtype).base_dtype
        on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype, name="on_value")
        off = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype,
                                name="off_value")
        indices = check_dtype("OneHot", "indices", convert_to_tensor(indices, name="indices"),
                              INDEX + (dtypes.uint8,))
        depth = convert_to_tensor(depth, dtype=dtypes.int32, name="depth")
        return apply_op("OneHot", [indices, depth, on, off],
                        {"T": dtype, "TI": indices.dtype.base_dtype,
                         "axis": -1 if axis is None else axis}, scope[:-1] + "/")


# ---- filling ----
def _infer_fill(op):
    dims_t, value = op.inputs
    return [(value.dtype.base_dtype, shape_from_tensor(dims_t))]


register_op("Fill", _infer_fill)


def fill(dims, value, name=None):
    value = convert_to_tensor(value)
    dims = convert_to_tensor(dims, dtype=dtypes.int32, name="dims") \
        if not isinstance(dims, Tensor) else dims
    return apply_op("Fill", [dims, value], {"T": value.dtype.base_dtype,
                                            "index_type": dims.dtype.base_dtype}, name or "Fill")


def _filled(shape, dtype, number, name):
    dtype = dtypes.as_dtype(dtype).base_dtype
    with _name_scope(name, "zeros" if number == 0 else "ones") as scope:
        if isinstance(shape, Tensor):
            return fill(shape, constant(number, dtype), name=scope[:-1] + "/")
        if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape):
            return fill(stack(shape), constant(number, dtype), name=scope[:-1] + "/")
        dims = as_shape(shape).as_list() if not isinstance(shape, int) else [shape]
        value = np.full(dims, number, dtype=dtype.storage_numpy_dtype) \
            if dtype is not dtypes.string else np.full(dims, b"", dtype=object)
        return apply_op("Const", [], {"value": value, "dtype": dtype}, scope[:-1] + "/")


def zeros(shape, dtype=dtypes.float32, name=None):
    return _filled(shape, dtype, 0, name)


def ones(shape, dtype=dtypes.float32, name=None):
    return _filled(shape, dtype, 1, name)


register_op("ZerosLike", same_as_input())
register_op("OnesLike", same_as_input())


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    tensor = convert_to_tensor(tensor)
    if dtype is not None and dtypes.as_dtype(dtype) != tensor.dtype.base_dtype:
        return zeros(shape(tensor), dtype, name)
    return apply_op("ZerosLike", [tensor], {"T": tensor.dtype.base_dtype}, name or "zeros_like")


def ones_like(tensor, dtype=None, name=None, optimize=True):
    tensor = convert_to_tensor(tensor)
    if dtype is not None and dtypes.as_dtype(dtype) != tensor.dtype.base_dtype:
        return ones(shape(tensor), dtype, name)
    return apply_op("OnesLike", [tensor], {"T": tensor.dtype.base_dtype}, name or "ones_like")


# ---- selection ----
register_op("Where", lambda op: [(dtypes.int64, TensorShape([None, op.inputs[0].shape.ndims]))])


def _infer_select(op):
    cond, t, e = op.inputs
    shape = t.shape.merge_with(e.shape)
    if cond.shape.ndims not in (None, 1) or shape.ndims in (None, 1, 0):
        shape = shape.merge_with(cond.shape) if shape.ndims != 0 else cond.shape
    return [(t.dtype.base_dtype, shape)]


def _infer_select_v2(op):
    from tensorflux.ops.op_util import broadcast_shapes
    cond, t, e = op.inputs
    return [(t.dtype.base_dtype, broadcast_shapes(op, broadcast_shapes(op, cond.shape, t.shape),
                                                  e.shape))]


register_op("Select", _infer_select)
register_op("SelectV2", _infer_select_v2)


def where(condition, x=None, y=None, name=None):
    """With x and y: elementwise choice (condition the shape of x, or a vector over its first
    dimension). Without: the int64 coordinates of true elements, shape [num_true, rank]."""
    condition = check_dtype("Where", "condition", convert_to_tensor(condition, name="condition"),
                            (dtypes.bool_,))
    if x is None and y is None:
        return apply_op("Where", [condition], {"T": dtypes.bool_}, name or "Where")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    from tensorflux.ops.op_util import binary_inputs
    x, y = binary_inputs("Select", x, y)
    return apply_op("Select", [condition, x, y], {"T": x.dtype.base_dtype}, name or "Select")


def where_v2(condition, x=None, y=None, name=None):
    if x is None and y is None:
        return where(condition, name=name)
    from tensorflux.ops.op_util import binary_inputs
    x, y = binary_inputs("SelectV2", x, y)
    condition = convert_to_tensor(condition, dtype=dtypes.bool_)
    return apply_op("SelectV2", [condition, x, y], {"T": x.dtype.base_dtype}, name or "SelectV2")


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The elements of `tensor` where the boolean `mask` (over its leading dims) is true."""
    with _name_scope(name, "boolean_mask"):
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, name="mask")
        axis = axis or 0
        k = mask.shape.ndims
        if k is None:
            raise ValueError("Number of mask dimensions must be specified, even if some "
                             "dimensions are None.")
        dims = shape(tensor)
        from tensorflux.ops import math
        leading = math.reduce_prod(dims[axis:axis + k], [0], keepdims=True)
        flat = reshape(tensor, concat([dims[:axis], leading, dims[axis + k:]], 0))
        indices = squeeze(where(reshape(mask, [-1])), axis=[1])
        return gather(flat, indices, axis=axis)


def _infer_diag_part(op):
    x = op.inputs[0]
    if x.shape.ndims is None:
        return [(x.dtype.base_dtype, unknown_shape())]
    *batch, m, n = x.shape.as_list()
    k = None if m is None or n is None else min(m, n)
    return [(x.dtype.base_dtype, TensorShape(batch + [k]))]


register_op("MatrixDiagPart", _infer_diag_part)
register_op("MatrixDiag", lambda op: [(op.inputs[0].dtype.base_dtype,
                                       op.inputs[0].shape.concatenate(op.inputs[0].shape[-1:])
                                       if op.inputs[0].shape.ndims else unknown_shape())])


def matrix_diag_part(input, name=None):
    input = convert_to_tensor(input)
    return apply_op("MatrixDiagPart", [input], {"T": input.dtype.base_dtype},
                    name or "MatrixDiagPart")


def matrix_diag(diagonal, name=None):
    diagonal = convert_to_tensor(diagonal)
    return apply_op("MatrixDiag", [diagonal], {"T": diagonal.dtype.base_dtype},
                    name or "MatrixDiag")


register_op("ReverseV2", same_as_input())


def reverse(tensor, axis, name=None):
    tensor = convert_to_tensor(tensor)
    axis = convert_to_tensor(axis, dtype=dtypes.int32, name="axis")
    return apply_op("ReverseV2", [tensor, axis], {"T": tensor.dtype.base_dtype,
                                                  "Tidx": dtypes.int32}, name or "ReverseV2")


reverse_v2 = reverse


register_op("BroadcastTo", lambda op: [(op.inputs[0].dtype.base_dtype,
                                        shape_from_tensor(op.inputs[1]))])


def broadcast_to(input, shape, name=None):
    input = convert_to_tensor(input)
    shape = convert_to_tensor(shape, dtype=dtypes.int32, name="shape")
    return apply_op("BroadcastTo", [input, shape], {"T": input.dtype.base_dtype,
                                                    "Tidx": dtypes.int32}, name or "BroadcastTo")


# ---- casting and ranges ----
register_op("Cast", lambda op: [(op.attrs["DstT"], op.inputs[0].shape)])


def cast(x, dtype, name=None):
    """`x` converted to `dtype`; float to int truncates toward zero, complex to real drops the
    imaginary part."""
    dtype = dtypes.as_dtype(dtype).base_dtype
    if hasattr(x, "_as_graph_element") or isinstance(x, Tensor):
        x = convert_to_tensor(x)
        if x.dtype.base_dtype == dtype:
            return x
    else:
        x = convert_to_tensor(x, name="x")
        if x.dtype.base_dtype == dtype:
            return x
    return apply_op("Cast", [x], {"SrcT": x.dtype.base_dtype, "DstT": dtype,
                                  "Truncate": False}, name or "Cast")


def to_float(x, name="ToFloat"):
    return cast(x, dtypes.float32, name)


def to_double(x, name="ToDouble"):
    return cast(x, dtypes.float64, name)


def to_int32(x, name="ToInt32"):
    return cast(x, dtypes.int32, name)


def to_int64(x, name="ToInt64"):
    return cast(x, dtypes.int64, name)


def saturate_cast(value, dtype, name=None):
    from tensorflux.ops import math
    dtype = dtypes.as_dtype(dtype)
    with _name_scope(name, "saturate_cast"):
        value = convert_to_tensor(value)
        if value.dtype.is_floating or value.dtype.is_integer:
            lo = max(value.dtype.min, dtype.min) if not dtype.is_floating else value.dtype.min
            hi = min(value.dtype.max, dtype.max) if not dtype.is_floating else value.dtype.max
            value = math.clip_by_value(value, lo, hi)
        return cast(value, dtype)


def _infer_range(op):
    values = [constant_value(t) for t in op.inputs]
    dtype = op.attrs["Tidx"]
    if any(v is None for v in values):
        return [(dtype, TensorShape([None]))]
    start, limit, delta = (v.item() for v in values)
    if delta == 0:
        raise ValueError(f"Requires delta != 0 for '{op.name}' (op: 'Range')")
    return [(dtype, TensorShape([max(0, int(np.ceil((limit - start) / delta)))]))]


register_op("Range", _infer_range)


def range_(start, limit=None, delta=1, dtype=None, name="range"):
    """[start, limit) in steps of delta; `range(n)` is [0, n)."""
    if limit is None:
        start, limit = 0, start
    with _name_scope(name, "Range") as scope:
        parts = [convert_to_tensor(v) if isinstance(v, Tensor) else None
                 for v in (start, limit, delta)]
        if dtype is None:
            inferred = [p.dtype.base_dtype if p is not None else
                        (dtypes.float32 if isinstance(v, float) else dtypes.int32)
                        for p, v in zip(parts, (start, limit, delta))]
            order = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]
            dtype = max(inferred, key=order.index)
        dtype = dtypes.as_dtype(dtype)
        tensors = [cast(p, dtype) if p is not None else convert_to_tensor(v, dtype=dtype, name=n)
                   for p, v, n in zip(parts, (start, limit, delta), ("start", "limit", "delta"))]
        return apply_op("Range", tensors, {"Tidx": dtype}, scope[:-1] + "/")


register_op("InvertPermutation", same_as_input())


def invert_permutation(x, name=None):
    x = convert_to_tensor(x)
    return apply_op("InvertPermutation", [x], {"T": x.dtype.base_dtype},
                    name or "InvertPermutation")


__all__ = ["placeholder", "placeholder_with_default", "identity", "identity_n", "stop_gradient",
           "shape", "shape_n", "size", "rank", "reshape", "expand_dims", "squeeze", "transpose",
           "concat", "stack", "unstack", "split", "slice", "strided_slice", "tile", "pad", "gather",
           "one_hot", "fill", "zeros", "ones", "zeros_like", "ones_like", "where", "where_v2",
           "boolean_mask", "reverse", "broadcast_to", "cast", "to_float", "to_double",
           "to_int32", "to_int64", "saturate_cast", "invert_permutation", "newaxis",
           "matrix_diag_part", "matrix_diag", "reverse_v2"]

