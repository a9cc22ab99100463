"""Constant folding: ops whose inputs are all constants run once, at plan time.

A stateless op whose inputs are Consts (or results folded before it) is run by its NumPy
kernel while the Plan compiles, and a Const holding the result takes its place; so is a Shape,
Size or Rank of a tensor whose static shape is fully known (gradients build many of them, and
the BroadcastGradientArgs and reshapes that read them then fold too). Ops left with no reader
by folding are dropped when nothing else needs them to run.

As TF: a result larger than 10 MiB stays computed at run time, and an op that fails while
folding is left to fail at run time with the usual error.
"""
import numpy as np

from tensorflux.framework import registry
from tensorflux.runtime.passes.rewrite import SHAPE_READERS

MAX_FOLDED_BYTES = 10 << 20
# Stateless ops that still must not fold: their value is decided at run time.
_NEVER_FOLDED = frozenset({"Const", "Placeholder", "PlaceholderWithDefault", "Switch", "Merge",
                           "RefSwitch", "Enter", "Exit", "NextIteration", "LoopCond"})


def fold_constants(rewrite):
    constants = {}  # tensor -> its value, for Consts and folded results
    ops = []
    for op in rewrite.ops:
        if op.type == "Const" and op not in rewrite.region and not op._control_inputs:
            constants[op._outputs[0]] = op._attrs["value"]
        values = _folded_values(op, rewrite, constants)
        consts = _constant_ops(rewrite, op, values) if values is not None else None
        if consts is None:
            ops.append(op)
            continue
        for out, const in zip(op._outputs, consts):
            rewrite.alias[out] = const._outputs[0]
            constants[const._outputs[0]] = const._attrs["value"]
            ops.append(const)
    rewrite.ops = ops
    _drop_unread(rewrite)


def _folded_values(op, rewrite, constants):
    """The values of `op`'s outputs when they are known at plan time, else None."""
    if op in rewrite.region or op._control_inputs or not op._outputs or \
            op.type in _NEVER_FOLDED or op._op_def.stateful or op._op_def.ref_inputs:
        return None
    if op.type in SHAPE_READERS:
        values = _static_shape_values(op)
        if values is not None:
            return values
    inputs = rewrite.inputs(op)
    if not all(t in constants for t in inputs) or _too_large(op):
        return None
    kern = registry.find_kernel(op.type, "CPU", "numpy")
    if kern is None or kern.context or (kern.supports is not None and not kern.supports(op)):
        return None
    attrs = {name: op._attrs[name] for name in kern.attr_names if name in op._attrs}
    try:
        with np.errstate(all="ignore"):  # inf and NaN results fold silently, as in TF
            result = kern.fn(*[constants[t] for t in inputs], **attrs)
    except Exception:  # noqa: BLE001  (the op raises its error when it runs instead)
        return None
    results = (result,) if len(op._outputs) == 1 else tuple(result)
    values = []
    for out, value in zip(op._outputs, results):
        value = np.asarray(value, dtype=out.dtype.base_dtype.as_numpy_dtype)
        if value.nbytes > MAX_FOLDED_BYTES or not out.shape.is_compatible_with(value.shape):
            return None
        values.append(value)
    return values


def _static_shape_values(op):
    """Shape, ShapeN, Size and Rank of inputs whose static shapes are fully defined."""
    shapes = [t.shape for t in op._inputs]
    if not all(s.is_fully_defined() for s in shapes):
        return None
    dtype = op._outputs[0].dtype.base_dtype.as_numpy_dtype
    if op.type == "Rank":
        return [np.asarray(shapes[0].ndims, dtype)]
    if op.type == "Size":
        return [np.asarray(shapes[0].num_elements(), dtype)]
    return [np.asarray(s.as_list(), dtype) for s in shapes]


def _too_large(op):
    for out in op._outputs:
        if out.shape.is_fully_defined():
            count = out.shape.num_elements()
            if count * out.dtype.base_dtype.size > MAX_FOLDED_BYTES:
                return True
    return False


def _constant_ops(rewrite, op, values):
    """A detached Const per output of `op`; None when one cannot be placed like it."""
    consts = []
    for out, value in zip(op._outputs, values):
        name = op.name if len(op._outputs) == 1 else f"{op.name}/output_{out.value_index}"
        const = rewrite.new_op(op, "Const", [], {"value": value, "dtype": out.dtype.base_dtype},
                               name=name)
        if const is None:
            return None
        consts.append(const)
    return consts


def _drop_unread(rewrite):
    """Drops stateless ops nothing reads any more (the inputs of shapes that folded)."""
    needed = set(rewrite.targets)
    for op in rewrite.ops:
        needed.update(op._control_inputs)
    fetched = {rewrite.resolve(t) for t in rewrite.fetched}
    kept = []
    readers = rewrite.consumers()
    for op in reversed(rewrite.ops):
        unread = all(t not in fetched and not readers.get(t) for t in op._outputs)
        if unread and op not in needed and op not in rewrite.region and \
                not op._op_def.stateful and not op._op_def.ref_inputs and op._outputs:
            for t in rewrite.inputs(op):
                readers[t].remove(op)
            continue
        kept.append(op)
    rewrite.ops = kept[::-1]
