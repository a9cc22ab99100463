"""Kernels of variables placed on a GPU (ops/state.py): their storage is a device tensor.

A CPU variable keeps a NumPy array as its storage and its NumPy kernels; torch kernels that
update it in place (training.py) work on a tensor sharing that array's memory.
"""
import torch

from tensorflux.framework import errors
from tensorflux.kernels.numpy import state
from tensorflux.kernels.torch.library import ALL, REALS, torch_kernel

_GPU = ("GPU",)

torch_kernel("VariableV2", types=ALL, devices=_GPU, context=True)(state.variable)
torch_kernel("IsVariableInitialized", types=ALL, devices=_GPU, context=True,
             host_outputs=(0,))(state.is_variable_initialized)


@torch_kernel("Assign", types=ALL, devices=_GPU, context=True)
def assign(ctx, ref, value, *, validate_shape=True):
    current = ref.storage()
    if isinstance(current, torch.Tensor) and current.shape == value.shape and \
            current.dtype == value.dtype:
        return current.copy_(value)
    if validate_shape:
        ref.check_shape(tuple(value.shape))
    stored = value.clone(memory_format=torch.contiguous_format)
    ref.replace(stored)
    return stored


def _update(name, method):
    @torch_kernel(name, types=REALS, devices=_GPU, context=True)
    def update(ctx, ref, value):
        current = ref.value()
        if current.shape != value.shape:
            raise errors.InvalidArgumentError(
                None, ctx.op, f"{name}: variable {ref.op.name} has shape {list(current.shape)} "
                              f"but the update has shape {list(value.shape)}")
        return getattr(current, method)(value)
    return update


_update("AssignAdd", "add_")
_update("AssignSub", "sub_")
