"""tf.constant and the conversion of Python and NumPy values into Const ops."""
import numbers

import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.graph import (Tensor, convert_to_tensor, get_default_graph,
                                        register_tensor_conversion_function)
from tensorflux.framework.registry import register_op, kernel, not_differentiable
from tensorflux.framework.shapes import TensorShape


def _infer_const(op):
    value = op.attrs["value"]
    return [(op.attrs["dtype"], TensorShape(value.shape))]


register_op("Const", _infer_const)
not_differentiable("Const")


@kernel("Const")
def _const_kernel(*, value):
    return value


def _inferred_dtype(value):
    """TF1's dtype for a Python value: int32 (int64 if too large), float32, bool, string."""
    flat = [value]
    found = set()
    while flat:
        item = flat.pop()
        if isinstance(item, (list, tuple)):
            flat.extend(item)
        elif isinstance(item, np.ndarray):
            found.add(dtypes.as_dtype(item.dtype))
        elif isinstance(item, (bool, np.bool_)):
            found.add(dtypes.bool_)
        elif isinstance(item, np.generic):
            found.add(dtypes.as_dtype(item.dtype))
        elif isinstance(item, numbers.Integral):
            found.add(dtypes.int32 if -2**31 <= item < 2**31 else dtypes.int64)
        elif isinstance(item, numbers.Real):
            found.add(dtypes.float32)
        elif isinstance(item, numbers.Complex):
            found.add(dtypes.complex128)
        elif isinstance(item, (str, bytes)):
            found.add(dtypes.string)
        elif item is None:
            raise TypeError("Failed to convert object of type <class 'NoneType'> to Tensor. "
                            "Contents: None. Consider casting elements to a supported type.")
        else:
            raise TypeError(f"Failed to convert object of type {type(item)} to Tensor. Contents: "
                            f"{item!r}. Consider casting elements to a supported type.")
    if not found:
        return dtypes.float32
    if len(found) == 1:
        return found.pop()
    if dtypes.string not in found and dtypes.bool_ not in found:
        for widest in (dtypes.complex128, dtypes.complex64, dtypes.float64, dtypes.float32,
                       dtypes.float16, dtypes.int64):
            if widest in found:
                return widest
    raise TypeError(f"Can't convert a list of mixed types {sorted(d.name for d in found)} to Tensor.")


def to_numpy_value(value, dtype=None):
    """`value` as an ndarray of `dtype` (or of the dtype TF1 infers), checking compatibility."""
    if dtype is None:
        if isinstance(value, np.ndarray) and value.dtype.kind not in "USO":
            dtype = dtypes.as_dtype(value.dtype)
        else:
            dtype = _inferred_dtype(value)
    dtype = dtypes.as_dtype(dtype).base_dtype
    if dtype is dtypes.string:
        array = np.array(value, dtype=object)
        return np.vectorize(lambda s: s.encode() if isinstance(s, str) else s,
                            otypes=[object])(array) if array.size else array.reshape(array.shape)
    np_dtype = dtype.storage_numpy_dtype
    raw = np.asarray(value)
    if raw.dtype.kind in "USO" and raw.size:
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type '{type(value).__name__}' "
                        "instead.")
    if dtype.is_integer or dtype.is_bool:
        if raw.dtype.kind in "fc" and raw.size and not np.all(np.mod(raw, 1) == 0):
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                            f"'{type(value).__name__}' instead.")
        if dtype.is_integer and raw.size and raw.dtype.kind in "iuf":
            info = np.iinfo(np_dtype)
            if np.any(raw < info.min) or np.any(raw > info.max):
                raise ValueError(f"Value {value!r} is out of range for dtype {dtype.name}")
    return np.asarray(value, dtype=np_dtype)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """A Const op. With `shape`, a scalar fills it; fewer values repeat the last one (TF1)."""
    array = to_numpy_value(value, dtype)
    dtype = dtypes.as_dtype(dtype).base_dtype if dtype is not None else \
        (dtypes.as_dtype(array.dtype) if array.dtype != object else dtypes.string)
    if shape is not None:
        shape = [int(d) for d in (shape if not isinstance(shape, int) else [shape])]
        size = int(np.prod(shape))
        if verify_shape and list(array.shape) != shape:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {array.shape}.")
        if array.size == 1:
            array = np.full(shape, array.reshape(()), dtype=array.dtype)
        elif array.size == size:
            array = array.reshape(shape)
        elif 0 < array.size < size:
            flat = array.reshape(-1)
            array = np.concatenate([flat, np.repeat(flat[-1:], size - flat.size)]).reshape(shape)
        else:
            raise TypeError(f"Too many elements provided. Needed at most {size}, but received "
                            f"{array.size}")
    graph = get_default_graph()
    op = graph.create_op("Const", [], {"value": array, "dtype": dtype}, name)
    return op.outputs[0]


def _holds_tensor(value):
    if isinstance(value, (list, tuple)):
        return any(_holds_tensor(v) for v in value)
    return isinstance(value, Tensor) or hasattr(value, "_as_graph_element")


def _pack(value, dtype, name):
    """A nested list mixing tensors and numbers becomes a Pack of its elements, as TF1."""
    from tensorflux.ops.array import stack
    if not isinstance(value, (list, tuple)):
        return convert_to_tensor(value, dtype=dtype)
    if not value:
        raise ValueError("Cannot pack an empty list that holds tensors")
    parts = [_pack(v, dtype, None) for v in value]
    target = dtype or next(p.dtype.base_dtype for p in parts if p.op.type != "Const")
    parts = [p if p.dtype.base_dtype == target else convert_to_tensor(v, dtype=target)
             for p, v in zip(parts, value)]
    return stack(parts, name=name or "packed")


def _constant_conversion(value, dtype, name, as_ref):
    if isinstance(value, (list, tuple)) and _holds_tensor(value):
        return _pack(value, dtype, name)
    return constant(value, dtype, name=name or "Const")


register_tensor_conversion_function(
    (list, tuple, np.ndarray, np.generic, numbers.Number, bool, str, bytes),
    _constant_conversion, priority=100)

__all__ = ["constant"]
