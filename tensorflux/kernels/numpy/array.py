"""NumPy kernels of the array family (ops/array.py)."""
import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import kernel


@kernel("Placeholder", context=True)
def placeholder(ctx, *, dtype, shape=None):
    # Reached only when the placeholder was not fed.
    shape_text = "<unknown>" if shape is None or shape.ndims is None else \
        "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"
    raise errors.InvalidArgumentError(
        None, ctx.op, f"You must feed a value for placeholder tensor '{ctx.op.name}' with dtype "
                      f"{dtype.name} and shape {shape_text}")


@kernel(("Identity", "StopGradient", "PlaceholderWithDefault", "Snapshot", "PreventGradient"))
def identity(x):
    return x


def _outputs(parts):
    """A kernel's result for a variable number of outputs: one array, or a tuple of several."""
    parts = tuple(parts)
    return parts[0] if len(parts) == 1 else parts


@kernel("IdentityN")
def identity_n(*xs):
    return _outputs(xs)


@kernel("Reshape")
def reshape(x, shape):
    try:
        return np.reshape(x, [int(d) for d in shape])
    except ValueError:
        raise errors.InvalidArgumentError(
            None, None, f"Input to reshape is a tensor with {np.size(x)} values, but the "
                        f"requested shape has {int(np.prod([d for d in shape if d >= 0]))}"
        ) from None


@kernel("Shape")
def shape(x, *, out_type):
    return np.array(np.shape(x), dtype=out_type.as_numpy_dtype)


@kernel("ShapeN")
def shape_n(*inputs, out_type):
    return _outputs(np.array(np.shape(x), dtype=out_type.as_numpy_dtype) for x in inputs)


@kernel("Size")
def size(x, *, out_type):
    return np.array(np.size(x), dtype=out_type.as_numpy_dtype)


@kernel("Rank")
def rank(x):
    return np.array(np.ndim(x), dtype=np.int32)


@kernel("ExpandDims")
def expand_dims(x, axis):
    return np.expand_dims(x, int(np.reshape(axis, [-1])[0]))


@kernel("Squeeze")
def squeeze(x, *, squeeze_dims=()):
    return np.squeeze(x, axis=tuple(squeeze_dims) if squeeze_dims else None)


@kernel("Transpose")
def transpose(x, perm):
    return np.transpose(x, [int(p) for p in perm])


@kernel("ConcatV2")
def concat(*values_and_axis):
    *values, axis = values_and_axis
    return np.concatenate(values, axis=int(axis))


@kernel("Pack")
def pack(*values, axis=0):
    return np.stack(values, axis=axis)


@kernel("Unpack")
def unpack(value, *, num, axis=0):
    return _outputs(np.moveaxis(value, axis, 0))


@kernel("Split")
def split(axis, value, *, num_split):
    axis = int(axis)
    if value.shape[axis] % num_split:
        raise errors.InvalidArgumentError(
            None, None, f"Number of ways to split should evenly divide the split dimension, but "
                        f"got split_dim {axis} (size = {value.shape[axis]}) and num_split "
                        f"{num_split}")
    return _outputs(np.split(value, num_split, axis=axis))


def split_sizes(value_shape, size_splits, axis):
    """SplitV's (axis, sizes) with a -1 size resolved, checked as TF checks them."""
    rank = len(value_shape)
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(
            None, None, f"-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {axis}")
    axis %= rank
    sizes = [int(s) for s in np.reshape(size_splits, [-1])]
    if sizes.count(-1) > 1:
        raise errors.InvalidArgumentError(None, None, "There can only be one -1 in the input.")
    for i, s in enumerate(sizes):
        if s < -1:
            raise errors.InvalidArgumentError(
                None, None, f"Split size at index {i} must be >= 0. Got: {s}")
    known = sum(s for s in sizes if s != -1)
    dim = value_shape[axis]
    if (-1 in sizes and known > dim) or (-1 not in sizes and known != dim):
        raise errors.InvalidArgumentError(
            None, None, f"Determined shape must either match input shape along split_dim exactly "
                        f"if fully specified, or be less than the size of the input along "
                        f"split_dim if not fully specified.  Got: {known}")
    if -1 in sizes:
        sizes[sizes.index(-1)] = dim - known
    return axis, sizes


@kernel("SplitV")
def split_v(value, size_splits, axis, *, num_split):
    axis, sizes = split_sizes(value.shape, size_splits, int(axis))
    return _outputs(np.split(value, np.cumsum(sizes)[:-1], axis=axis))


@kernel("Slice")
def slice_(x, begin, size):
    index = []
    for dim, b, s in zip(x.shape, begin, size):
        b, s = int(b), int(s)
        end = dim if s == -1 else b + s
        if b < 0 or end > dim or b > end:
            raise errors.InvalidArgumentError(
                None, None, f"Expected begin[i] in [0, {dim}] and size[i] in [-1, {dim - b}], "
                            f"but got begin {b} and size {s}")
        index.append(slice(b, end))
    return x[tuple(index)]


def strided_index(begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                  shrink_axis_mask):
    """The NumPy index tuple a StridedSlice's begin/end/strides and masks describe."""
    index = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if ellipsis_mask & bit:
            index.append(Ellipsis)
        elif new_axis_mask & bit:
            index.append(None)
        elif shrink_axis_mask & bit:
            index.append(int(b))
        else:
            index.append(slice(None if begin_mask & bit else int(b),
                               None if end_mask & bit else int(e), int(s)))
    return tuple(index)


@kernel("StridedSlice")
def strided_slice(x, begin, end, strides, *, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0):
    index = strided_index(begin, end, strides, begin_mask, end_mask, ellipsis_mask,
                          new_axis_mask, shrink_axis_mask)
    try:
        return np.asarray(x[index])
    except IndexError as exc:
        raise errors.InvalidArgumentError(None, None, f"slice index out of bounds: {exc}") from None


@kernel("Tile")
def tile(x, multiples):
    return np.tile(x, [int(m) for m in multiples])


@kernel("Pad")
def pad(x, paddings):
    return np.pad(x, np.asarray(paddings, dtype=np.int64))


@kernel("PadV2")
def pad_v2(x, paddings, constant_values):
    return np.pad(x, np.asarray(paddings, dtype=np.int64), constant_values=constant_values)


def mirror_paddings(shape, paddings, mode, grad=False):
    """MirrorPad's paddings as [[before, after], ...] ints, checked as TF checks them: at most
    the dimension (SYMMETRIC) or less than it (REFLECT), which for MirrorPadGrad is the
    dimension of its output."""
    pairs = np.asarray(paddings, dtype=np.int64).reshape(-1, 2)
    if len(pairs) != len(shape):
        raise errors.InvalidArgumentError(
            None, None, f"The first dimension of paddings must be the rank of inputs"
                        f"[{len(pairs)},2], [{','.join(map(str, shape))}]")
    reflect = mode.upper() == "REFLECT"
    where = "output dimension size" if grad else "dimension size"
    for dim, (before, after) in zip(shape, pairs):
        if before < 0 or after < 0:
            raise errors.InvalidArgumentError(
                None, None, f"paddings must be non-negative: {before} {after}")
        if grad:
            if before + after >= dim:
                raise errors.InvalidArgumentError(
                    None, None, f"Total paddings must be less than the input dimension size: "
                                f"{before + after} was not less than {dim}")
            dim -= before + after
        if reflect and max(before, after) >= dim:
            raise errors.InvalidArgumentError(
                None, None, f"paddings must be less than the {where}: {before}, {after} not "
                            f"less than {dim}")
        if not reflect and max(before, after) > dim:
            raise errors.InvalidArgumentError(
                None, None, f"paddings must be no greater than the {where}: {before}, "
                            f"{after} greater than {dim}")
    return pairs.tolist()


@kernel("MirrorPad")
def mirror_pad(x, paddings, *, mode):
    return np.pad(x, mirror_paddings(x.shape, paddings, mode),
                  mode="reflect" if mode.upper() == "REFLECT" else "symmetric")


@kernel("GatherV2")
def gather(params, indices, axis, *, batch_dims=0):
    axis = int(axis)
    size = params.shape[axis]
    if np.ndim(indices) == 0:  # one index (an input pipeline's next example): no reductions
        out_of_range = not 0 <= int(indices) < size
    else:
        out_of_range = np.size(indices) and (np.min(indices) < 0 or np.max(indices) >= size)
    if out_of_range:
        bad = np.asarray(indices).reshape(-1)
        pos = int(np.flatnonzero((bad < 0) | (bad >= size))[0])
        raise errors.InvalidArgumentError(
            None, None, f"indices[{pos}] = {bad[pos]} is not in [0, {size})")
    return np.take(params, indices, axis=axis)


@kernel("OneHot")
def one_hot(indices, depth, on_value, off_value, *, axis=-1):
    depth = int(depth)
    hot = np.asarray(indices)[..., None] == np.arange(depth)
    out = np.where(hot, on_value, off_value).astype(np.result_type(on_value))
    return out if axis == -1 else np.moveaxis(out, -1, axis)


@kernel("Fill")
def fill(dims, value):
    return np.full([int(d) for d in dims], value, dtype=np.asarray(value).dtype)


@kernel("ZerosLike")
def zeros_like(x):
    return np.zeros_like(x)


@kernel("OnesLike")
def ones_like(x):
    return np.ones_like(x)


@kernel("Where")
def where(condition):
    return np.argwhere(condition).astype(np.int64)


@kernel("Select")
def select(condition, t, e):
    if condition.ndim == 1 and t.ndim > 1:
        condition = condition.reshape((-1,) + (1,) * (t.ndim - 1))
    return np.where(condition, t, e)


@kernel("SelectV2")
def select_v2(condition, t, e):
    return np.where(condition, t, e)


@kernel("ReverseV2")
def reverse(x, axis):
    return np.flip(x, axis=tuple(int(a) for a in np.reshape(axis, [-1])))


@kernel("BroadcastTo")
def broadcast_to(x, shape):
    return np.broadcast_to(x, [int(d) for d in shape])


@kernel("Cast")
def cast(x, *, DstT, Truncate=False):
    target = DstT.storage_numpy_dtype
    if np.iscomplexobj(x) and not np.issubdtype(target, np.complexfloating):
        x = np.real(x)
    if np.issubdtype(target, np.integer) and x.dtype.kind == "f":
        # TF casts float to int by truncation toward zero; NaN/inf are undefined in TF.
        with np.errstate(invalid="ignore"):
            return np.trunc(x).astype(target)
    return np.asarray(x).astype(target)


@kernel("Range")
def range_(start, limit, delta, *, Tidx):
    if delta == 0:
        raise errors.InvalidArgumentError(None, None, "Requires delta != 0: 0")
    if (delta > 0 and start > limit) or (delta < 0 and start < limit):
        raise errors.InvalidArgumentError(
            None, None, f"Requires start <= limit when delta > 0: {start}/{limit}" if delta > 0
            else f"Requires start >= limit when delta < 0: {start}/{limit}")
    return np.arange(start, limit, delta, dtype=Tidx.as_numpy_dtype)


@kernel("InvertPermutation")
def invert_permutation(x):
    return np.argsort(x).astype(x.dtype)


@kernel("MatrixDiagPart")
def matrix_diag_part(x):
    return np.diagonal(x, axis1=-2, axis2=-1).copy()


@kernel("MatrixDiag")
def matrix_diag(d):
    n = d.shape[-1]
    out = np.zeros(d.shape + (n,), dtype=d.dtype)
    idx = np.arange(n)
    out[..., idx, idx] = d
    return out


# ---- ops that gradients build (ops/array_grad.py) ----
@kernel("BroadcastGradientArgs")
def broadcast_gradient_args(s0, s1):
    """The axes each input was broadcast along, over which its gradient must be summed.

    Equal shapes need no reduction; otherwise every axis where an input's (left-padded) size
    is 1 is listed for it, even where the other input's size is 1 too (a no-op sum).
    """
    a, b = [int(d) for d in s0], [int(d) for d in s1]
    empty = np.zeros([0], dtype=s0.dtype)
    if a == b:
        return empty, empty.copy()
    rank = max(len(a), len(b))
    pa = [1] * (rank - len(a)) + a
    pb = [1] * (rank - len(b)) + b
    for da, db in zip(pa, pb):
        if da != db and da != 1 and db != 1:
            raise errors.InvalidArgumentError(
                None, None, f"Incompatible shapes: [{','.join(map(str, a))}] vs. "
                            f"[{','.join(map(str, b))}]")
    return (np.array([i for i, d in enumerate(pa) if d == 1], dtype=s0.dtype),
            np.array([i for i, d in enumerate(pb) if d == 1], dtype=s1.dtype))


@kernel("StridedSliceGrad")
def strided_slice_grad(shape, begin, end, strides, dy, *, begin_mask=0, end_mask=0,
                       ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0):
    """Zeros of `shape` with `dy` written where StridedSlice read its output from."""
    index = strided_index(begin, end, strides, begin_mask, end_mask, ellipsis_mask,
                          new_axis_mask, shrink_axis_mask)
    out = np.zeros([int(d) for d in shape], dtype=dy.dtype)
    out[index] = dy
    return out


@kernel("MirrorPadGrad")
def mirror_pad_grad(grad, paddings, *, mode):
    """Folds the mirrored borders of `grad` back onto the elements they copied."""
    offset = 1 if mode.upper() == "REFLECT" else 0
    out = grad
    pairs = mirror_paddings(grad.shape, paddings, mode, grad=True)
    for axis, (before, after) in enumerate(pairs):
        g = np.moveaxis(out, axis, 0)
        n = g.shape[0] - before - after
        core = g[before:before + n].copy()
        if before:
            core[offset:offset + before] += g[:before][::-1]
        if after:
            core[n - offset - after:n - offset] += g[before + n:][::-1]
        out = np.moveaxis(core, 0, axis)
    return np.ascontiguousarray(out)

