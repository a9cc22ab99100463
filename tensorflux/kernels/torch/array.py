"""torch kernels of the array family (ops/array.py); kernels/numpy/array.py is the reference.

Shapes, axes, sizes and paddings are host inputs (NumPy), as TF keeps them in host memory, so a
GPU graph never copies them back and forth. Reshape, Transpose, Slice, StridedSlice, Squeeze,
ExpandDims, BroadcastTo, Unpack, Split and SplitV return views, as NumPy does.
"""
import numpy as np
import torch
import torch.nn.functional as F

from tensorflux.kernels.numpy.array import (_outputs, mirror_paddings, split_sizes,
                                            strided_index)
from tensorflux.kernels.torch.library import (ALL, TORCH_DTYPES, as_ints, invalid, scalar,
                                              torch_kernel)


@torch_kernel(("Identity", "StopGradient", "PlaceholderWithDefault", "Snapshot",
               "PreventGradient"), types=ALL)
def identity(x):
    return x


@torch_kernel("IdentityN", types=ALL)
def identity_n(*xs):
    return _outputs(xs)


@torch_kernel("Reshape", types=ALL, host_inputs=(1,))
def reshape(x, shape):
    shape = as_ints(shape)
    try:
        return x.reshape(shape)
    except RuntimeError:
        known = int(np.prod([d for d in shape if d >= 0]))
        raise invalid(f"Input to reshape is a tensor with {x.numel()} values, but the "
                      f"requested shape has {known}") from None


@torch_kernel("Shape", types=ALL, host_outputs=(0,))
def shape(x, *, out_type):
    return np.array(tuple(x.shape), dtype=out_type.as_numpy_dtype)


@torch_kernel("Size", types=ALL, host_outputs=(0,))
def size(x, *, out_type):
    return np.array(x.numel(), dtype=out_type.as_numpy_dtype)


@torch_kernel("Rank", types=ALL, host_outputs=(0,))
def rank(x):
    return np.array(x.dim(), dtype=np.int32)


@torch_kernel("ExpandDims", types=ALL, host_inputs=(1,))
def expand_dims(x, axis):
    return x.unsqueeze(as_ints(axis)[0])


@torch_kernel("Squeeze", types=ALL)
def squeeze(x, *, squeeze_dims=()):
    return x.squeeze(tuple(squeeze_dims)) if squeeze_dims else x.squeeze()


@torch_kernel("Transpose", types=ALL, host_inputs=(1,))
def transpose(x, perm):
    return x.permute(as_ints(perm))


@torch_kernel("ConcatV2", types=ALL, host_inputs=(-1,), fresh=True)
def concat(*values_and_axis):
    *values, axis = values_and_axis
    return torch.cat(values, dim=int(axis))


@torch_kernel("Pack", types=ALL, fresh=True)
def pack(*values, axis=0):
    return torch.stack(values, dim=axis)


@torch_kernel("Unpack", types=ALL)
def unpack(value, *, num, axis=0):
    return _outputs(value.unbind(axis))


@torch_kernel("Split", types=ALL, host_inputs=(0,))
def split(axis, value, *, num_split):
    axis = int(axis)
    if value.shape[axis] % num_split:
        raise invalid(f"Number of ways to split should evenly divide the split dimension, but "
                      f"got split_dim {axis} (size = {value.shape[axis]}) and num_split "
                      f"{num_split}")
    return _outputs(value.chunk(num_split, axis))


@torch_kernel("SplitV", types=ALL, host_inputs=(1, 2))
def split_v(value, size_splits, axis, *, num_split):
    axis, sizes = split_sizes(tuple(value.shape), size_splits, int(axis))
    return _outputs(value.split(sizes, axis))


@torch_kernel("Slice", types=ALL, host_inputs=(1, 2))
def slice_(x, begin, size):
    for axis, (dim, b, s) in enumerate(zip(x.shape, as_ints(begin), as_ints(size))):
        end = dim if s == -1 else b + s
        if b < 0 or end > dim or b > end:
            raise invalid(f"Expected begin[i] in [0, {dim}] and size[i] in [-1, {dim - b}], "
                          f"but got begin {b} and size {s}")
        x = x.narrow(axis, b, end - b)
    return x


@torch_kernel("StridedSlice", types=ALL, host_inputs=(1, 2, 3))
def strided_slice(x, begin, end, strides, *, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0):
    index = strided_index(begin, end, strides, begin_mask, end_mask, ellipsis_mask,
                          new_axis_mask, shrink_axis_mask)
    if any(isinstance(i, slice) and i.step is not None and i.step < 0 for i in index):
        # torch views cannot step backwards: NumPy finds which elements, torch gathers them.
        positions = np.arange(x.numel()).reshape(tuple(x.shape))[index]
        picked = torch.from_numpy(np.ascontiguousarray(positions)).to(x.device)
        return x.reshape(-1)[picked.reshape(-1)].reshape(positions.shape)
    try:
        return x[index]
    except IndexError as exc:
        raise invalid(f"slice index out of bounds: {exc}") from None


@torch_kernel("Tile", types=ALL, host_inputs=(1,), fresh=True)
def tile(x, multiples):
    return x.repeat(as_ints(multiples))


def _pad_widths(paddings):
    """TF's [[before, after], ...] (first axis first) as F.pad's flat list (last axis first)."""
    pairs = np.asarray(paddings, dtype=np.int64).reshape(-1, 2)
    return [int(p) for pair in pairs[::-1] for p in pair]


@torch_kernel("Pad", types=ALL, host_inputs=(1,), fresh=True)
def pad(x, paddings):
    return F.pad(x, _pad_widths(paddings))


@torch_kernel("PadV2", types=ALL, host_inputs=(1, 2), fresh=True)
def pad_v2(x, paddings, constant_values):
    return F.pad(x, _pad_widths(paddings), value=scalar(constant_values))


def _mirror_index(size, before, after, mode, device):
    """Where each position of a mirror-padded axis reads from in the unpadded one: REFLECT
    leaves the edge element out of the mirror image, SYMMETRIC repeats it."""
    edge = 1 if mode.upper() == "REFLECT" else 0
    position = np.arange(-before, size + after)
    source = np.where(position < 0, -position - 1 + edge, position)
    source = np.where(source >= size, 2 * size - source - 1 - edge, source)
    return torch.from_numpy(source).to(device)


@torch_kernel("MirrorPad", types=ALL, host_inputs=(1,), fresh=True)
def mirror_pad(x, paddings, *, mode):
    # torch's own reflect padding covers only the last three axes and has no SYMMETRIC mode:
    # each padded axis is gathered instead.
    out = x
    for axis, (before, after) in enumerate(mirror_paddings(tuple(x.shape), paddings, mode)):
        if before or after:
            out = out.index_select(axis, _mirror_index(x.shape[axis], before, after, mode,
                                                       x.device))
    return x.clone() if out is x else out


@torch_kernel("MirrorPadGrad", host_inputs=(1,), fresh=True)
def mirror_pad_grad(grad, paddings, *, mode):
    """Adds each padded position's gradient onto the element it was mirrored from."""
    out = grad
    for axis, (before, after) in enumerate(mirror_paddings(tuple(grad.shape), paddings, mode,
                                                           grad=True)):
        if before or after:
            shape = list(out.shape)
            shape[axis] -= before + after
            index = _mirror_index(shape[axis], before, after, mode, grad.device)
            out = out.new_zeros(shape).index_add_(axis, index, out)
    return grad.clone() if out is grad else out


def _gather_supported(op):
    return op.attrs.get("batch_dims", 0) == 0


def _gather_supported_on_cpu(op):
    """As on the GPU, but one index (an input pipeline taking its next example) is left to
    NumPy: `np.take` of one row costs a tenth of torch's index tensors and conversions."""
    return _gather_supported(op) and op.inputs[1].shape.ndims != 0


@torch_kernel("GatherV2", types=ALL, host_inputs=(2,), supports=_gather_supported,
              devices=("GPU",), fresh=True)
def gather(params, indices, axis, *, batch_dims=0):
    axis = int(axis) % max(params.dim(), 1)
    size = params.shape[axis]
    flat = indices.reshape(-1).long()
    bad = (flat < 0) | (flat >= size)
    on_cpu = params.device.type == "cpu"
    if on_cpu and flat.numel() and bool(bad.any()):
        pos = int(torch.nonzero(bad)[0])
        raise invalid(f"indices[{pos}] = {int(flat[pos])} is not in [0, {size})")
    if not on_cpu:  # as TF's GPU kernel: a bad index gathers zeros (checking would wait)
        flat = flat.clamp(0, max(size - 1, 0))
    picked = params.index_select(axis, flat)
    if not on_cpu:
        keep = (~bad).reshape((1,) * axis + (-1,) + (1,) * (params.dim() - axis - 1))
        picked = picked * keep.to(picked.dtype)
    return picked.reshape(tuple(params.shape[:axis]) + tuple(indices.shape) +
                          tuple(params.shape[axis + 1:]))


torch_kernel("GatherV2", types=ALL, host_inputs=(2,), supports=_gather_supported_on_cpu,
             devices=("CPU",), fresh=True)(gather)


@torch_kernel("OneHot", types=ALL, host_inputs=(1,), fresh=True)
def one_hot(indices, depth, on_value, off_value, *, axis=-1):
    positions = torch.arange(int(depth), device=indices.device)
    hot = indices.unsqueeze(-1) == positions
    out = torch.where(hot, on_value, off_value)
    return out if axis == -1 else out.movedim(-1, axis)


@torch_kernel("Fill", types=ALL, host_inputs=(0,), fresh=True)
def fill(dims, value):
    return value.expand(as_ints(dims)).clone()


@torch_kernel("ZerosLike", types=ALL, fresh=True)
def zeros_like(x):
    return torch.zeros_like(x, memory_format=torch.contiguous_format)


@torch_kernel("OnesLike", types=ALL, fresh=True)
def ones_like(x):
    return torch.ones_like(x, memory_format=torch.contiguous_format)


@torch_kernel("Where", types=ALL, fresh=True)
def where(condition):
    return torch.nonzero(condition)


@torch_kernel("Select", types=ALL, fresh=True)
def select(condition, t, e):
    if condition.dim() == 1 and t.dim() > 1:
        condition = condition.reshape((-1,) + (1,) * (t.dim() - 1))
    return torch.where(condition, t, e)


@torch_kernel("SelectV2", types=ALL, fresh=True)
def select_v2(condition, t, e):
    return torch.where(condition, t, e)


@torch_kernel("ReverseV2", types=ALL, host_inputs=(1,), fresh=True)
def reverse(x, axis):
    dims = as_ints(axis)
    return x.flip(dims) if dims else x.clone()


@torch_kernel("BroadcastTo", types=ALL, host_inputs=(1,))
def broadcast_to(x, shape):
    return x.expand(as_ints(shape))


@torch_kernel("Cast", types=ALL)
def cast(x, *, DstT, Truncate=False):
    # Float to integer truncates toward zero in torch, as in TF.
    return x.to(TORCH_DTYPES[DstT])
