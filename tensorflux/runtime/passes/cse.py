"""Common-subexpression elimination: of two stateless ops of one type, reading the same
tensors with the same attrs, control inputs and device, the later one reads the earlier one's
results instead of computing them again."""
import numpy as np

# Const values up to this size take part (larger ones are compared by identity only).
_MAX_COMPARED_BYTES = 1 << 16


class _Unhashable(Exception):
    pass


def eliminate_common_subexpressions(rewrite):
    seen = {}
    kept = []
    for op in rewrite.ops:
        key = _key(op, rewrite)
        first = seen.setdefault(key, op) if key is not None else op
        if first is op:
            kept.append(op)
            continue
        for mine, theirs in zip(op._outputs, first._outputs):
            rewrite.alias[mine] = theirs
    rewrite.ops = kept


def _key(op, rewrite):
    if op in rewrite.region or op._op_def.stateful or op._op_def.ref_inputs or not op._outputs:
        return None
    try:
        attrs = tuple(sorted((name, _hashable(value)) for name, value in op._attrs.items()))
    except _Unhashable:
        return None
    return (op.type, tuple(rewrite.inputs(op)), tuple(op._control_inputs),
            rewrite.devices.place(op)[0], attrs)


def _hashable(value):
    if isinstance(value, np.ndarray):
        if value.dtype == object or value.nbytes > _MAX_COMPARED_BYTES:
            raise _Unhashable
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_hashable(v) for v in value)
    if isinstance(value, float) and value != value:
        raise _Unhashable  # NaN equals nothing, not even itself
    try:
        hash(value)
    except TypeError:
        raise _Unhashable from None
    return (type(value).__name__, value)
