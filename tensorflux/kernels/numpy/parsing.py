"""Kernels of the Example parsing ops (ops/parsing.py): ParseExample over a batch of
tf.train.Example protos, ParseSingleSequenceExample over one tf.train.SequenceExample.

The error messages are TF's kernels' (users search for them): they name the example, the
feature key, and what was expected against what was found.
"""
import numpy as np

from tensorflux.formats import protos, text_format, wire
from tensorflux.framework import dtypes, errors
from tensorflux.framework.registry import kernel
from tensorflux.framework.shapes import as_shape
from tensorflux.kernels.numpy.data_flow import fmt_shape

_LIST_OF = {dtypes.float32: "float_list", dtypes.int64: "int64_list", dtypes.string: "bytes_list"}
_TYPE_NAMES = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _text(value):
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _type_name(dtype):
    return _TYPE_NAMES[_LIST_OF[dtype]]


def _empty(dtype):
    return np.zeros([0], dtype=object if dtype is dtypes.string else dtype.as_numpy_dtype)


def _parsed(message_class, data, index=0):
    data = bytes(data.item() if isinstance(data, np.ndarray) else data)
    try:
        return message_class.FromString(data)
    except (wire.DecodeError, ValueError):
        raise _invalid(f"Could not parse example input, value: "
                       f"'{text_format.escape_bytes(data[:64])}' (index {index})") from None


def _values(feature, dtype, mismatch):
    """The values of a Feature as a 1-D array, or None when it holds no list.

    mismatch(type name found): the message for a list of another type than `dtype`.
    """
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    if kind != _LIST_OF[dtype]:
        raise _invalid(mismatch(_TYPE_NAMES[kind]))
    values = getattr(feature, kind).value
    if dtype is dtypes.string:
        out = np.empty(len(values), dtype=object)
        out[:] = [bytes(v) for v in values]
        return out
    return np.asarray(values, dtype=dtype.as_numpy_dtype)


def _sparse(rows, dtype):
    """(indices [row, position], values, dense shape [rows, widest row]) of a SparseTensor
    holding per-row value arrays (None for a row without values)."""
    lengths = np.array([0 if r is None else r.size for r in rows], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    row_ids = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    positions = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(starts, lengths)
    present = [r for r in rows if r is not None and r.size]
    values = np.concatenate(present) if present else _empty(dtype)
    width = int(lengths.max()) if len(rows) else 0
    return (np.stack([row_ids, positions], axis=1), values,
            np.array([len(rows), width], dtype=np.int64))


def _sparse_outputs(parts):
    """The op's sparse outputs from (indices, values, shape) per feature: all the indices,
    then all the values, then all the shapes."""
    return [p[0] for p in parts] + [p[1] for p in parts] + [p[2] for p in parts]


def _fixed(found, default, size, missing, mismatch):
    """The `size` values of a fixed-shape feature: those found, or the default when none are.

    missing(): the message when there is no default; mismatch(count): for a wrong count.
    """
    if found is None or (found.size == 0 and default.size):
        if default.size == 0:
            raise _invalid(missing())
        return default.reshape(-1)
    if found.size != size:
        raise _invalid(mismatch(found.size))
    return found


def _padded(rows, element_dims, pad, dtype, mismatch):
    """[rows, most elements] + element_dims: each row's values as whole elements, padded.

    mismatch(row, count): the message for a count that is not a whole number of elements.
    """
    stride = int(np.prod(element_dims, dtype=np.int64))
    lengths = []
    for index, found in enumerate(rows):
        count = 0 if found is None else found.size
        if (count % stride) if stride else count:
            raise _invalid(mismatch(index, count))
        lengths.append(count // stride if stride else 0)
    out = np.full([len(rows), max(lengths, default=0)] + element_dims, pad,
                  dtype=_empty(dtype).dtype)
    for index, (found, length) in enumerate(zip(rows, lengths)):
        if length:
            out[index, :length] = found.reshape([length] + element_dims)
    return out


def _check_defaults(defaults, shapes, attr):
    """TF's checks of the dense defaults against the shapes (they matter for imported graphs:
    the wrappers build them right)."""
    for i, (default, dims) in enumerate(zip(defaults, shapes)):
        if dims and dims[0] is None:
            if np.size(default) != 1:
                raise _invalid(f"dense_shape[{i}] is a variable length shape: "
                               f"{fmt_shape(dims)}, therefore def_value[{i}] must contain a "
                               f"single element (the padding element).  But its shape is: "
                               f"{fmt_shape(np.shape(default))}")
        elif np.size(default) and list(np.shape(default)) != dims:
            raise _invalid(f"def_value[{i}].shape() == {fmt_shape(np.shape(default))} != "
                           f"{attr}[{i}] == {fmt_shape(dims)}")


def _shapes(attr):
    return [as_shape(s).as_list() for s in attr]


def _outputs(outputs):
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


# ---- ParseExample ----
@kernel("ParseExample")
def parse_example(serialized, names, *keys_and_defaults, Nsparse, Ndense, sparse_types, Tdense,
                  dense_shapes):
    sparse_keys = [_text(k) for k in keys_and_defaults[:Nsparse]]
    dense_keys = [_text(k) for k in keys_and_defaults[Nsparse:Nsparse + Ndense]]
    defaults = keys_and_defaults[Nsparse + Ndense:]
    shapes = _shapes(dense_shapes)
    _check_defaults(defaults, shapes, "dense_shapes_")
    if np.size(names) and np.shape(names) != np.shape(serialized):
        raise _invalid(f"Expected names have the same shape as serialized: "
                       f"name.shape={fmt_shape(np.shape(names))}, "
                       f"serialized.shape={fmt_shape(np.shape(serialized))}")
    labels = [_text(n) for n in np.reshape(names, [-1])]
    feature_maps = [_parsed(protos.Example, data, index).features.feature
                    for index, data in enumerate(np.reshape(serialized, [-1]))]
    batch = len(feature_maps)

    def label(index):
        return labels[index] if labels else "<unknown>"

    def column(key, dtype):
        """Each example's values of `key` (None where it lacks the feature)."""
        rows = []
        for index, feature_map in enumerate(feature_maps):
            feature = feature_map.get(key)
            rows.append(None if feature is None else _values(
                feature, dtype, lambda kind: f"Name: {label(index)}, Key: {key}, Index: "
                                            f"{index}.  Data types don't match. Data type: "
                                            f"{kind} but expected type: {_type_name(dtype)}"))
        return rows

    sparse = [_sparse(column(key, dtype), dtype) for key, dtype in zip(sparse_keys, sparse_types)]
    dense = []
    for key, dtype, dims, default in zip(dense_keys, Tdense, shapes, defaults):
        rows = column(key, dtype)
        if dims and dims[0] is None:
            dense.append(_padded(
                rows, dims[1:], np.reshape(default, [-1])[0], dtype,
                lambda index, count: f"Name: {label(index)}, Key: {key}, Index: {index}.  "
                                     f"Number of {_type_name(dtype)} values is not a multiple "
                                     f"of stride length. Saw {count} values but output shape "
                                     f"is: {fmt_shape(dims)}"))
            continue
        size = int(np.prod(dims, dtype=np.int64))
        out = np.empty([batch, size], dtype=_empty(dtype).dtype)
        for index, found in enumerate(rows):
            out[index, :] = _fixed(
                found, np.asarray(default), size,
                lambda: f"Name: {label(index)}, Feature: {key} (data type: "
                        f"{_type_name(dtype)}) is required but could not be found.",
                lambda count: f"Name: {label(index)}, Key: {key}, Index: {index}.  Number of "
                              f"{_type_name(dtype)} values != expected.  Values size: {count} "
                              f"but output shape: {fmt_shape(dims)}")
        dense.append(out.reshape([batch] + dims))
    return _outputs(_sparse_outputs(sparse) + dense)


# ---- ParseSingleSequenceExample ----
@kernel("ParseSingleSequenceExample")
def parse_single_sequence_example(serialized, missing_assumed_empty, *inputs, Ncontext_sparse,
                                  Ncontext_dense, Nfeature_list_sparse, Nfeature_list_dense,
                                  context_sparse_types, Tcontext_dense,
                                  feature_list_dense_types, context_dense_shapes,
                                  feature_list_sparse_types, feature_list_dense_shapes):
    keys, start = [], 0
    for count in (Ncontext_sparse, Ncontext_dense, Nfeature_list_sparse, Nfeature_list_dense):
        keys.append([_text(k) for k in inputs[start:start + count]])
        start += count
    context_sparse_keys, context_dense_keys, list_sparse_keys, list_dense_keys = keys
    defaults, name = inputs[start:-1], f"Name: {_text(inputs[-1])}"
    context_shapes = _shapes(context_dense_shapes)
    _check_defaults(defaults, context_shapes, "context_dense_shapes_")
    example = _parsed(protos.SequenceExample, serialized)
    context, lists = example.context.feature, example.feature_lists.feature_list
    missing_ok = {_text(k) for k in np.reshape(missing_assumed_empty, [-1])}

    def context_values(key, dtype):
        feature = context.get(key)
        return None if feature is None else _values(
            feature, dtype, lambda kind: f"{name}, Context feature: {key}.  Data types don't "
                                         f"match. Expected type: {_type_name(dtype)}  Feature "
                                         f"is: {text_format.message_to_text(feature)}")

    def steps(key, dtype, what):
        """The values at each step of feature list `key` (None: no such list)."""
        if key not in lists:
            return None
        return [_values(step, dtype, lambda kind: f"{name}, {what}: {key}, Index: {t}.  Data "
                                                  f"types don't match. Expected type: "
                                                  f"{_type_name(dtype)}  Feature is: "
                                                  f"{text_format.message_to_text(step)}")
                for t, step in enumerate(lists[key].feature)]

    outputs = []
    for key, dtype in zip(context_sparse_keys, context_sparse_types):
        indices, values, shape = _sparse([context_values(key, dtype)], dtype)
        outputs.append((indices[:, 1:], values, shape[1:]))   # one row: drop its index
    outputs = _sparse_outputs(outputs)
    for key, dtype, dims, default in zip(context_dense_keys, Tcontext_dense, context_shapes,
                                         defaults):
        size = int(np.prod(dims, dtype=np.int64))
        outputs.append(np.asarray(_fixed(
            context_values(key, dtype), np.asarray(default), size,
            lambda: f"{name}, Context feature '{key}' is required but could not be found.",
            lambda count: f"{name}, Key: {key}, Index: 0.  Number of {_type_name(dtype)} values "
                          f"!= expected.  values size: {count} but output shape: "
                          f"{fmt_shape(dims)}")).reshape(dims))
    outputs += _sparse_outputs([_sparse(steps(key, dtype, "Feature List") or [], dtype)
                                for key, dtype in zip(list_sparse_keys,
                                                      feature_list_sparse_types)])
    for key, dtype, dims in zip(list_dense_keys, feature_list_dense_types,
                                _shapes(feature_list_dense_shapes)):
        rows = steps(key, dtype, "Feature list")
        if rows is None and key not in missing_ok:
            raise _invalid(f"{name}, Feature list '{key}' is required but could not be found.  "
                           f"Did you mean to include it in feature_list_dense_missing_assumed_"
                           f"empty or feature_list_dense_defaults?")
        size = int(np.prod(dims, dtype=np.int64))
        out = np.empty([len(rows or []), size], dtype=_empty(dtype).dtype)
        for t, found in enumerate(rows or []):
            out[t, :] = _fixed(
                _empty(dtype) if found is None else found, _empty(dtype), size, None,
                lambda count: f"{name}, Key: {key}, Index: {t}.  Number of {_type_name(dtype)} "
                              f"values != expected.  values size: {count} but output shape: "
                              f"{fmt_shape(dims)}")
        outputs.append(out.reshape([len(rows or [])] + dims))
    return _outputs(outputs)
