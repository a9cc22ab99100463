"""Kernels of SaveV2 and RestoreV2 (ops/io_ops.py), over formats.bundle."""
import errno
import glob
import os

import numpy as np

from tensorflux.formats import bundle, protos
from tensorflux.framework import errors
from tensorflux.framework.dtypes import as_dtype
from tensorflux.framework.registry import kernel


def _text(value):
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _names_and_slices(tensor_names, shape_and_slices, count, op_type):
    names = [_text(n) for n in np.reshape(tensor_names, [-1])]
    slices = [_text(s) for s in np.reshape(shape_and_slices, [-1])]
    if len(names) != count or len(slices) != count:
        raise errors.InvalidArgumentError(
            None, None, f"{op_type}: {len(names)} tensor names and {len(slices)} "
                        f"shape_and_slices for {count} tensors")
    for name, spec in zip(names, slices):
        if spec:
            raise errors.UnimplementedError(
                None, None, f"{op_type}: slice '{spec}' of {name}: tensorflux saves and "
                            "restores whole tensors only (no partitioned variables)")
    return names


def _os_error(exc, path):
    """An OSError as the tf.errors class TF's file system reports."""
    message = f"{path}: {exc.strerror or exc}"
    if isinstance(exc, PermissionError):
        return errors.PermissionDeniedError(None, None, message)
    if isinstance(exc, FileNotFoundError):
        return errors.NotFoundError(None, None, message)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return errors.ResourceExhaustedError(None, None, message)
    return errors.UnknownError(None, None, message)


def _remove_orphan_data(prefix):
    """After a failed save: a data file with no index beside it is never a checkpoint."""
    if os.path.exists(bundle.index_filename(prefix)):
        return
    for path in glob.glob(glob.escape(prefix) + ".data-?????-of-?????"):
        try:
            os.remove(path)
        except OSError:
            pass


@kernel("SaveV2")
def save_v2(prefix, tensor_names, shape_and_slices, *tensors, dtypes):
    prefix = _text(prefix)
    names = _names_and_slices(tensor_names, shape_and_slices, len(tensors), "SaveV2")
    if len(set(names)) != len(names):
        raise errors.InvalidArgumentError(None, None, f"SaveV2: duplicate tensor names {names}")
    directory = os.path.dirname(prefix)
    if directory and not os.path.isdir(directory):
        raise errors.NotFoundError(
            None, None, f"Failed to create a new checkpoint file at {prefix}: directory "
                        f"{directory} does not exist")
    entries = {name: (dtype.as_datatype_enum, value)
               for name, dtype, value in zip(names, dtypes, tensors)}
    try:
        bundle.write_bundle(prefix, entries)
    except OSError as exc:
        _remove_orphan_data(prefix)
        raise _os_error(exc, prefix) from exc
    except BaseException:
        _remove_orphan_data(prefix)
        raise


@kernel("RestoreV2")
def restore_v2(prefix, tensor_names, shape_and_slices, *, dtypes):
    prefix = _text(prefix)
    names = _names_and_slices(tensor_names, shape_and_slices, len(dtypes), "RestoreV2")
    try:
        reader = bundle.BundleReader(prefix)
        values = []
        for name, dtype in zip(names, dtypes):
            entry = reader.get_entry(name)
            if entry.dtype != dtype.as_datatype_enum:
                stored = as_dtype(entry.dtype).name if entry.dtype in protos.DATA_TYPE \
                    and entry.dtype < 24 else str(entry.dtype)
                raise errors.InvalidArgumentError(
                    None, None, f"tensor_name = {name}; expected dtype {dtype.name} does not "
                                f"equal original dtype {stored} (checkpoint {prefix})")
            values.append(reader.get_tensor(name))
    except OSError as exc:
        raise _os_error(exc, prefix) from exc
    return values[0] if len(values) == 1 else tuple(values)
