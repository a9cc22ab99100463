"""Kernels of variables and their updates (ops/state.py): values live in session resources."""
import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import kernel


def variable_key(op):
    """The name a variable's value is stored under in the session."""
    return op._attrs.get("shared_name") or op.name


@kernel("VariableV2", context=True)
def variable(ctx):
    key = variable_key(ctx.op)
    try:
        return ctx.resources.variables[key]
    except KeyError:
        raise errors.FailedPreconditionError(
            None, ctx.op, f"Attempting to use uninitialized value {ctx.op.name}") from None


@kernel("Assign", context=True)
def assign(ctx, ref, value, *, validate_shape=True):
    return ref.assign(value, validate_shape)


def _update(name, fn):
    @kernel(name, context=True)
    def update(ctx, ref, value):
        current = ref.value()
        if current.shape != np.shape(value):
            raise errors.InvalidArgumentError(
                None, ctx.op, f"{name}: variable {ref.op.name} has shape {list(current.shape)} "
                              f"but the update has shape {list(np.shape(value))}")
        fn(current, value, out=current, casting="unsafe")
        return current
    return update


_update("AssignAdd", np.add)
_update("AssignSub", np.subtract)


@kernel("IsVariableInitialized", context=True)
def is_variable_initialized(ctx, ref):
    return np.array(ref.initialized)


@kernel("ScatterUpdate", context=True)
def scatter_update(ctx, ref, indices, updates):
    current = ref.value()
    current[indices] = updates
    return current


@kernel("ScatterAdd", context=True)
def scatter_add(ctx, ref, indices, updates):
    current = ref.value()
    np.add.at(current, indices, updates)
    return current


@kernel("ScatterSub", context=True)
def scatter_sub(ctx, ref, indices, updates):
    current = ref.value()
    np.subtract.at(current, indices, updates)
    return current


@kernel("CountUpTo", context=True)
def count_up_to(ctx, ref, *, limit):
    current = ref.value()
    if current >= limit:
        raise errors.OutOfRangeError(None, ctx.op, f"Reached limit of {limit}")
    before = current.copy()
    current += 1
    return before
