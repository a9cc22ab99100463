"""Checkpoint ops: SaveV2 and RestoreV2 write and read TF's V2 tensor bundles.

A Saver (training/saver.py) is built from them, so its save and restore are graph ops that a
MetaGraphDef can carry, and a `.meta` file restores in a fresh program as in TF.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.dtypes import as_dtype
from tensorflux.framework.graph import convert_to_tensor, get_default_graph
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.framework.shapes import unknown_shape
from tensorflux.ops.op_util import apply_op


def _infer_restore(op):
    return [(dtype, unknown_shape()) for dtype in op.attrs["dtypes"]]


register_op("SaveV2", lambda op: [], stateful=True)
register_op("RestoreV2", _infer_restore, stateful=True)
not_differentiable("SaveV2", "RestoreV2")


def _string_tensor(value, name):
    return convert_to_tensor(value, dtype=dtypes.string, name=name)


def save_v2(prefix, tensor_names, shape_and_slices, tensors, name=None):
    """An op writing `tensors` under `tensor_names` to the checkpoint `prefix`.

    shape_and_slices: "" for each whole tensor (slices of partitioned variables are not
    supported). As TF's op wrappers, the op is named by a name scope that also holds the
    constants made from Python arguments (`SaveV2/tensor_names`). Returns the Operation.
    """
    tensors = [convert_to_tensor(t) for t in tensors]
    with get_default_graph().name_scope(name or "SaveV2") as scope:
        inputs = [_string_tensor(prefix, "prefix"),
                  _string_tensor(tensor_names, "tensor_names"),
                  _string_tensor(shape_and_slices, "shape_and_slices")] + tensors
        return apply_op("SaveV2", inputs, {"dtypes": [t.dtype.base_dtype for t in tensors]},
                        scope)


def restore_v2(prefix, tensor_names, shape_and_slices, dtypes, name=None):
    """An op reading `tensor_names` from the checkpoint `prefix`: a list of tensors, one per
    dtype, of unknown static shape."""
    with get_default_graph().name_scope(name or "RestoreV2") as scope:
        inputs = [_string_tensor(prefix, "prefix"),
                  _string_tensor(tensor_names, "tensor_names"),
                  _string_tensor(shape_and_slices, "shape_and_slices")]
        result = apply_op("RestoreV2", inputs,
                          {"dtypes": [as_dtype(d).base_dtype for d in dtypes]}, scope)
    return [result] if len(dtypes) == 1 else list(result)
