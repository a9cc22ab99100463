"""Nested element structures of tf.data: tuples (and namedtuples) and dicts hold components.

As in TF1's tf.data, a *list* is not a structure: it is a value converted into one tensor.
Dict components are ordered by sorted key, so a flat list of components is deterministic.
"""
import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.graph import Tensor, convert_to_tensor
from tensorflux.framework.shapes import TensorShape, as_shape


def is_nested(value):
    return isinstance(value, (tuple, dict))


def flatten(structure):
    """The leaves of `structure` in order (dicts by sorted key)."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, tuple):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack(structure, flat):
    """`structure` with its leaves replaced, in order, by the items of `flat`."""
    flat = list(flat)
    packed, used = _pack(structure, flat, 0)
    if used != len(flat):
        raise ValueError(f"Structure has {used} components but {len(flat)} values were given.")
    return packed


def _pack(structure, flat, index):
    if isinstance(structure, dict):
        out = {}
        for key in sorted(structure):
            out[key], index = _pack(structure[key], flat, index)
        return type(structure)(out) if type(structure) is not dict else out, index
    if isinstance(structure, tuple):
        items = []
        for item in structure:
            packed, index = _pack(item, flat, index)
            items.append(packed)
        if hasattr(structure, "_fields"):
            return type(structure)(*items), index
        return type(structure)(items), index
    if index >= len(flat):
        raise ValueError("Structure has more components than values were given.")
    return flat[index], index + 1


def map_structure(fn, *structures):
    """Applies `fn` to corresponding leaves of structures of the same shape."""
    for other in structures[1:]:
        assert_same_structure(structures[0], other)
    flats = [flatten(s) for s in structures]
    return pack(structures[0], [fn(*leaves) for leaves in zip(*flats)])


def assert_same_structure(a, b):
    if not _same(a, b):
        raise ValueError(f"The two structures don't have the same nested structure: {a!r} and "
                         f"{b!r}.")


def _same(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and sorted(a) == sorted(b) and \
            all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and \
            all(_same(x, y) for x, y in zip(a, b))
    return True


def to_tensor(value, name="component"):
    """One component as a Tensor; a list holding tensors is packed (as TF1's auto-packing)."""
    if isinstance(value, list) and _holds_tensor(value):
        from tensorflux.ops import array
        return array.stack([to_tensor(v, name) if isinstance(v, list) else v for v in value],
                           name=name)
    return convert_to_tensor(value, name=name)


def _holds_tensor(value):
    if isinstance(value, list):
        return any(_holds_tensor(v) for v in value)
    return isinstance(value, Tensor) or hasattr(value, "_as_graph_element")


def to_tensors(structure, what):
    """Every leaf of `structure` converted to a Tensor, keeping the nesting."""
    try:
        return map_structure(lambda v: to_tensor(v), structure)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: could not convert the elements to tensors: {exc}") from None


def normalize_types(types):
    return map_structure(lambda t: dtypes.as_dtype(t).base_dtype, types)


def normalize_shapes(types, shapes):
    """Shapes matching the nesting of `types`; None means unknown shapes for every component."""
    if shapes is None:
        return map_structure(lambda _: TensorShape(None), types)
    # A flat list of dims for a single component is a shape, not a structure.
    if not is_nested(types):
        return as_shape(shapes)
    try:
        assert_same_structure(types, shapes)
    except ValueError:
        raise ValueError(f"output_shapes {shapes!r} do not match the structure of output_types "
                         f"{types!r}") from None
    return map_structure(as_shape, shapes)


def most_specific_compatible_shape(a, b):
    """The shape both `a` and `b` satisfy: equal dimensions kept, differing ones unknown."""
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])


def shape_fits(static, array_shape):
    return static.is_compatible_with(TensorShape(list(array_shape)))


def strings(value):
    """The Python strings of a tf.string value (a scalar or any array of bytes)."""
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.reshape(value, [-1])]
