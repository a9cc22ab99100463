"""Parsing tf.train.Example and tf.train.SequenceExample protos: parse_example,
parse_single_example, parse_single_sequence_example and the feature specs they take.

The ops are TF's ParseExample and ParseSingleSequenceExample with TF's inputs and attrs
(feature keys as scalar string inputs, their counts as Nsparse/Ndense-style attrs), so a
GraphDef using them runs in TF, and one written by TF 1.x runs here.
"""
import collections
import re

import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.graph import convert_to_tensor, get_default_graph
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.framework.shapes import TensorShape, as_shape
from tensorflux.framework.sparse_tensor import SparseTensor
from tensorflux.ops import array
from tensorflux.ops.op_util import apply_op


# ---- feature specs ----
class FixedLenFeature(collections.namedtuple("FixedLenFeature",
                                             ["shape", "dtype", "default_value"])):
    """A feature with a fixed number of values, parsed to a dense tensor of `shape`.

    Without a default_value the feature is required.
    """

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature with any number of values, parsed to a SparseTensor."""


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """A feature of any number of elements, each of `shape`, parsed to a dense tensor of
    [number of elements] + shape.

    In parse_single_sequence_example it is a feature list whose every step has one element;
    allow_missing lets the list be absent (zero steps); default_value must stay None. In
    parse_example it is a feature whose values are a whole number of elements; allow_missing
    must be True, and examples with fewer elements are padded to the longest in the batch
    with default_value (0 or b"" when None).
    """

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


_EXAMPLE_TYPES = (dtypes.float32, dtypes.int64, dtypes.string)


def _split_features(features, allowed):
    """The specs of `features` (a dict), in sorted key order, as ([(key, dtype)] of the
    sparse ones, [(key, dtype, TensorShape, spec)] of the dense ones)."""
    sparse, dense = [], []
    for key in sorted(features):
        spec = features[key]
        if not isinstance(spec, allowed):
            raise ValueError(f"Unsupported {type(spec).__name__} {spec} for key {key!r}")
        dtype = dtypes.as_dtype(spec.dtype)
        if dtype not in _EXAMPLE_TYPES:
            raise ValueError(f"Unsupported dtype {dtype.name} for feature {key!r}: use "
                             "float32, int64 or string")
        if isinstance(spec, VarLenFeature):
            sparse.append((key, dtype))
        else:
            dense.append((key, dtype, as_shape(spec.shape), spec))
    return sparse, dense


# ---- graph pieces shared by the two ops ----
def _parsed_outputs(sparse_types, index_rank, dense):
    """Output (dtype, shape) pairs in the ops' order: sparse indices, values, dense shapes,
    then the dense values; `dense` lists (dtype, shape) pairs."""
    n = len(sparse_types)
    return ([(dtypes.int64, TensorShape([None, index_rank]))] * n +
            [(t, TensorShape([None])) for t in sparse_types] +
            [(dtypes.int64, TensorShape([index_rank]))] * n + list(dense))


def _check_rank(op, index, rank):
    found = op.inputs[index].shape.ndims
    if found not in (None, rank):
        raise ValueError(f"Shape must be rank {rank} but is rank {found} for '{op.name}' "
                         f"(op: '{op.type}'): input '{op.inputs[index].name}'")


def _safe_name(key):
    """A feature key as part of a node name (TF replaces the characters names cannot hold)."""
    return re.sub(r"[^A-Za-z0-9_.\-/]", "_", key)


def _key_tensors(keys, prefix):
    return [convert_to_tensor(key, dtype=dtypes.string, name=f"{prefix}_{i}")
            for i, key in enumerate(keys)]


def _np_type(dtype):
    return object if dtype is dtypes.string else dtype.as_numpy_dtype


def _dense_default(key, dtype, shape, default, padding=False):
    """The default-value input of one dense feature.

    A fixed shape takes a value of that shape, or an empty tensor meaning "required". With
    `padding` (a FixedLenSequenceFeature in parse_example) it is the scalar that pads the
    examples with fewer elements.
    """
    if padding:
        value = np.asarray(default if default is not None else
                           (b"" if dtype is dtypes.string else 0), dtype=_np_type(dtype))
        if value.size != 1:
            raise ValueError(f"Feature {key!r}: the default_value of a FixedLenSequenceFeature "
                             f"is the one padding element, got shape {list(value.shape)}")
        return convert_to_tensor(value.reshape([]), dtype=dtype,
                                 name=f"padding_{_safe_name(key)}")
    if not shape.is_fully_defined():
        raise ValueError(f"First dimension of shape for feature {key} unknown. Consider using "
                         f"FixedLenSequenceFeature. (shape {shape})")
    if default is None:
        value = np.zeros([0], dtype=_np_type(dtype))
    else:
        value = np.asarray(default, dtype=_np_type(dtype))
        value = np.array(np.broadcast_to(value, shape.as_list()) if value.size == 1 else
                         value.reshape(shape.as_list()))
    return convert_to_tensor(value, dtype=dtype, name=f"key_{_safe_name(key)}")


def _by_key(sparse, dense, outputs):
    """{key: SparseTensor or Tensor} from a flat list of outputs in _parsed_outputs' order."""
    n = len(sparse)
    result = {key: SparseTensor(outputs[i], outputs[n + i], outputs[2 * n + i])
              for i, (key, _) in enumerate(sparse)}
    result.update((key, outputs[3 * n + i]) for i, (key, *_) in enumerate(dense))
    return result


# ---- ParseExample ----
def _infer_parse_example(op):
    _check_rank(op, 0, 1)
    batch = op.inputs[0].shape if op.inputs[0].shape.ndims == 1 else TensorShape([None])
    return _parsed_outputs(op.attrs["sparse_types"], 2,
                           [(t, batch.concatenate(as_shape(s)))
                            for t, s in zip(op.attrs["Tdense"], op.attrs["dense_shapes"])])


register_op("ParseExample", _infer_parse_example)
not_differentiable("ParseExample")


def parse_example(serialized, features, name=None, example_names=None):
    """Parses a vector of serialized tf.train.Example protos into a dict by feature key.

    FixedLenFeature gives a dense tensor [batch] + shape (its default fills a missing
    feature; without one the feature is required); VarLenFeature gives a SparseTensor with
    indices [example, position]; FixedLenSequenceFeature (allow_missing=True) gives
    [batch, longest] + shape, padded with its default_value. example_names (a vector like
    `serialized`) name the examples in error messages. Values of the wrong type or count
    raise InvalidArgumentError naming the key and the example.
    """
    if not features:
        raise ValueError("Missing: features was empty.")
    sparse, dense = _split_features(
        features, (VarLenFeature, FixedLenFeature, FixedLenSequenceFeature))
    for i, (key, dtype, shape, spec) in enumerate(dense):
        if isinstance(spec, FixedLenSequenceFeature):
            if not spec.allow_missing:
                raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing "
                                 "to be True.")
            dense[i] = (key, dtype, TensorShape([None]).concatenate(shape), spec)
    with get_default_graph().name_scope(name or "ParseExample") as scope:
        serialized = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
        names = convert_to_tensor([] if example_names is None else example_names,
                                  dtype=dtypes.string, name="names")
        inputs = ([serialized, names] + _key_tensors([k for k, _ in sparse], "sparse_keys") +
                  _key_tensors([k for k, *_ in dense], "dense_keys") +
                  [_dense_default(key, dtype, shape, spec.default_value,
                                  padding=isinstance(spec, FixedLenSequenceFeature))
                   for key, dtype, shape, spec in dense])
        outputs = apply_op("ParseExample", inputs,
                           {"Nsparse": len(sparse), "Ndense": len(dense),
                            "sparse_types": [t for _, t in sparse],
                            "Tdense": [t for _, t, *_ in dense],
                            "dense_shapes": [s for _, _, s, _ in dense]}, scope[:-1] + "/")
    return _by_key(sparse, dense, outputs if isinstance(outputs, list) else [outputs])


def parse_single_example(serialized, features, name=None, example_names=None):
    """Parses one serialized tf.train.Example (a scalar string); see parse_example."""
    with get_default_graph().name_scope(name or "ParseSingleExample"):
        serialized = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
        if example_names is not None:
            example_names = array.reshape(
                convert_to_tensor(example_names, dtype=dtypes.string), [1])
        batch = parse_example(array.reshape(serialized, [1]), features,
                              example_names=example_names)
        result = {}
        for key, value in batch.items():
            if isinstance(value, SparseTensor):
                result[key] = SparseTensor(value.indices[:, 1:], value.values,
                                           value.dense_shape[1:])
            else:
                result[key] = array.squeeze(value, [0])
        return result


# ---- ParseSingleSequenceExample ----
def _infer_parse_sequence_example(op):
    attrs = op.attrs
    _check_rank(op, 0, 0)
    context = _parsed_outputs(attrs["context_sparse_types"], 1,
                              [(t, as_shape(s)) for t, s in
                               zip(attrs["Tcontext_dense"], attrs["context_dense_shapes"])])
    steps = _parsed_outputs(attrs["feature_list_sparse_types"], 2,
                            [(t, TensorShape([None]).concatenate(as_shape(s))) for t, s in
                             zip(attrs["feature_list_dense_types"],
                                 attrs["feature_list_dense_shapes"])])
    return context + steps


register_op("ParseSingleSequenceExample", _infer_parse_sequence_example)
not_differentiable("ParseSingleSequenceExample")


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """Parses one serialized tf.train.SequenceExample into (context dict, sequence dict).

    context_features: FixedLenFeature (dense, `shape`) or VarLenFeature (SparseTensor with
    indices [position]) specs of the per-sequence features.
    sequence_features: FixedLenSequenceFeature (dense [steps] + shape; each step must hold
    exactly one element) or VarLenFeature (SparseTensor with indices [step, position]) specs
    of the feature lists. A required feature that is missing, or values of the wrong type or
    count, raise InvalidArgumentError naming the feature and example_name.
    """
    if not context_features and not sequence_features:
        raise ValueError("Both context_features and sequence_features are None, but at least "
                         "one should have values.")
    context_sparse, context_dense = _split_features(context_features or {},
                                                    (VarLenFeature, FixedLenFeature))
    list_sparse, list_dense = _split_features(sequence_features or {},
                                              (VarLenFeature, FixedLenSequenceFeature))
    for key, _, shape, spec in list_dense:
        if spec.default_value is not None:
            raise ValueError(f"Value feature_list_dense_defaults[{key}] must be None")
        if not shape.is_fully_defined():
            raise ValueError(f"Shape {shape} of feature list {key!r} is not fully defined")
    missing_ok = [key for key, *_, spec in list_dense if spec.allow_missing]
    with get_default_graph().name_scope(name or "ParseSingleSequenceExample") as scope:
        serialized = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
        missing_ok = convert_to_tensor(np.array(missing_ok, dtype=object).reshape([-1]),
                                       dtype=dtypes.string,
                                       name="feature_list_dense_missing_assumed_empty")
        inputs = ([serialized, missing_ok] +
                  _key_tensors([k for k, _ in context_sparse], "context_sparse_keys") +
                  _key_tensors([k for k, *_ in context_dense], "context_dense_keys") +
                  _key_tensors([k for k, _ in list_sparse], "feature_list_sparse_keys") +
                  _key_tensors([k for k, *_ in list_dense], "feature_list_dense_keys") +
                  [_dense_default(key, dtype, shape, spec.default_value)
                   for key, dtype, shape, spec in context_dense] +
                  [convert_to_tensor(example_name or "", dtype=dtypes.string,
                                     name="debug_name")])
        outputs = apply_op("ParseSingleSequenceExample", inputs, {
            "Ncontext_sparse": len(context_sparse), "Ncontext_dense": len(context_dense),
            "Nfeature_list_sparse": len(list_sparse), "Nfeature_list_dense": len(list_dense),
            "context_sparse_types": [t for _, t in context_sparse],
            "Tcontext_dense": [t for _, t, *_ in context_dense],
            "context_dense_shapes": [s for _, _, s, _ in context_dense],
            "feature_list_sparse_types": [t for _, t in list_sparse],
            "feature_list_dense_types": [t for _, t, *_ in list_dense],
            "feature_list_dense_shapes": [s for _, _, s, _ in list_dense]}, scope[:-1] + "/")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    split = 3 * len(context_sparse) + len(context_dense)
    return (_by_key(context_sparse, context_dense, outputs[:split]),
            _by_key(list_sparse, list_dense, outputs[split:]))


__all__ = ["FixedLenFeature", "VarLenFeature", "FixedLenSequenceFeature", "parse_example",
           "parse_single_example", "parse_single_sequence_example"]
