"""Finding and reading checkpoints: the `checkpoint` state file, latest_checkpoint, readers.

A checkpoint is a prefix P with `P.index` and `P.data-00000-of-00001` (TF's V2 format, see
formats/bundle.py). The directory's `checkpoint` file (text CheckpointState) names the latest
one and those kept; relative paths in it are relative to that directory.
"""
import glob
import logging
import os

import numpy as np

from tensorflux.formats import bundle, protos
from tensorflux.framework import dtypes

_logger = logging.getLogger("tensorflux")

_DATA_PATTERN = ".data-?????-of-?????"


def _state_path(save_dir, latest_filename=None):
    return os.path.join(save_dir, latest_filename or "checkpoint")


def meta_graph_filename(checkpoint_filename, meta_graph_suffix="meta"):
    """`<prefix>.meta` for a checkpoint prefix (a sharded V1 suffix is dropped first)."""
    import re
    base = re.sub(r"-[\d\?]+-of-\d+$", "", checkpoint_filename)
    return f"{base}.{meta_graph_suffix}"


def generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                    all_model_checkpoint_paths=None,
                                    all_model_checkpoint_timestamps=None,
                                    last_preserved_timestamp=None):
    """The CheckpointState naming model_checkpoint_path as the latest checkpoint.

    When save_dir is relative, relative paths are rewritten relative to save_dir (the file
    lives there, and readers resolve against it). model_checkpoint_path is appended to
    all_model_checkpoint_paths unless it is already the last one.
    """
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    timestamps = list(all_model_checkpoint_timestamps or [])
    if timestamps and len(timestamps) != len(paths):
        raise ValueError(f"Checkpoint timestamps ({len(timestamps)}) must match the checkpoint "
                         f"paths ({len(paths)})")
    if not os.path.isabs(save_dir):
        def rel(path):
            return path if os.path.isabs(path) else os.path.relpath(path, save_dir)
        model_checkpoint_path = rel(model_checkpoint_path)
        paths = [rel(p) for p in paths]
    state = protos.CheckpointState(model_checkpoint_path=model_checkpoint_path,
                                   all_model_checkpoint_paths=paths,
                                   all_model_checkpoint_timestamps=timestamps)
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    return state


def update_checkpoint_state_internal(save_dir, model_checkpoint_path,
                                     all_model_checkpoint_paths=None, latest_filename=None,
                                     save_relative_paths=False,
                                     all_model_checkpoint_timestamps=None,
                                     last_preserved_timestamp=None):
    """Rewrites the state file atomically (temporary file, then rename)."""
    state_path = _state_path(save_dir, latest_filename)
    if save_relative_paths:
        def rel(path):
            return os.path.relpath(path, save_dir) if os.path.isabs(path) else path
        model_checkpoint_path = rel(model_checkpoint_path)
        all_model_checkpoint_paths = [rel(p) for p in all_model_checkpoint_paths or []]
    state = generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                            all_model_checkpoint_paths,
                                            all_model_checkpoint_timestamps,
                                            last_preserved_timestamp)
    if os.path.abspath(state_path) == os.path.abspath(
            os.path.join(save_dir, state.model_checkpoint_path)):
        raise RuntimeError(f"Save path '{model_checkpoint_path}' conflicts with the checkpoint "
                           f"state file '{state_path}'.")
    bundle.write_checkpoint_state(
        save_dir, state.model_checkpoint_path, list(state.all_model_checkpoint_paths),
        list(state.all_model_checkpoint_timestamps),
        state.last_preserved_timestamp if last_preserved_timestamp is not None else None,
        latest_filename or "checkpoint")


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None, all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None):
    """tf.train.update_checkpoint_state: writes `<save_dir>/checkpoint`."""
    update_checkpoint_state_internal(save_dir, model_checkpoint_path,
                                     all_model_checkpoint_paths, latest_filename, False,
                                     all_model_checkpoint_timestamps, last_preserved_timestamp)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The CheckpointState of `checkpoint_dir` (relative paths made relative to the current
    directory by joining them to checkpoint_dir), or None when there is no state file."""
    return bundle.read_checkpoint_state(os.fspath(checkpoint_dir),
                                        latest_filename or "checkpoint")


def checkpoint_exists(checkpoint_prefix):
    """Whether a checkpoint with this prefix exists (its `.index` file; or, for old V1
    checkpoints, a file matching the prefix itself)."""
    checkpoint_prefix = os.fspath(checkpoint_prefix)
    if glob.glob(glob.escape(checkpoint_prefix) + ".index") or \
            glob.glob(checkpoint_prefix + ".index"):
        return True
    return bool(glob.glob(checkpoint_prefix))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint the state file names, if it exists; else None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not state.model_checkpoint_path:
        return None
    if checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    _logger.error("Couldn't match files for checkpoint %s", state.model_checkpoint_path)
    return None


def get_checkpoint_mtimes(checkpoint_prefixes):
    """The modification time of each existing checkpoint (of its `.index` file)."""
    times = []
    for prefix in checkpoint_prefixes:
        for path in (bundle.index_filename(prefix), prefix):
            if os.path.exists(path):
                times.append(os.path.getmtime(path))
                break
    return times


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=2, meta_graph_suffix="meta"):
    """Deletes a checkpoint's files: the index first, so that a checkpoint interrupted while
    being deleted is never mistaken for a complete one."""
    del checkpoint_format_version
    paths = [bundle.index_filename(checkpoint_prefix)]
    paths += sorted(glob.glob(glob.escape(checkpoint_prefix) + _DATA_PATTERN))
    paths.append(meta_graph_filename(checkpoint_prefix, meta_graph_suffix))
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


# ----------------------------------------------------------------------------------------------
# Reading checkpoints

class CheckpointReader:
    """Reads the tensors of one checkpoint (tf.train.NewCheckpointReader's object).

    Missing files raise NotFoundError; corrupt or truncated ones DataLossError.
    """

    def __init__(self, prefix):
        self._prefix = os.fspath(prefix)
        self._reader = bundle.BundleReader(self._prefix)

    def has_tensor(self, name):
        return self._reader.has_tensor(name)

    def get_tensor(self, name):
        """The tensor's value as NumPy (a NumPy scalar, or bytes, for a rank-0 tensor)."""
        value = self._reader.get_tensor(name)
        entry = self._reader.get_entry(name)
        dtype = dtypes.as_dtype(entry.dtype) if entry.dtype in dtypes._BY_ENUM else None
        if dtype is not None and dtype.is_numpy_compatible and dtype is not dtypes.string:
            value = value.astype(dtype.as_numpy_dtype, copy=False)
        return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value

    def get_variable_to_shape_map(self):
        return {name: list(shape) for name, shape in
                self._reader.variable_to_shape_map().items()}

    def get_variable_to_dtype_map(self):
        return {name: dtypes.as_dtype(enum) for name, enum in
                self._reader.variable_to_dtype_map().items()}

    def debug_string(self):
        lines = []
        dtype_map = self._reader.variable_to_dtype_map()
        for name, shape in sorted(self._reader.variable_to_shape_map().items()):
            lines.append(f"{name} ({protos.DATA_TYPE.get(dtype_map[name])}) {shape}\n")
        return "".join(lines).encode("utf-8")


def NewCheckpointReader(filepattern):    # noqa: N802 (TF's name)
    """A CheckpointReader for the checkpoint prefix `filepattern`."""
    return CheckpointReader(filepattern)


def _checkpoint_prefix(ckpt_dir_or_file):
    ckpt_dir_or_file = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(ckpt_dir_or_file):
        prefix = latest_checkpoint(ckpt_dir_or_file)
        if prefix is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {ckpt_dir_or_file}")
        return prefix
    return ckpt_dir_or_file


def load_checkpoint(ckpt_dir_or_file):
    """A CheckpointReader for a checkpoint prefix, or the latest checkpoint of a directory."""
    return CheckpointReader(_checkpoint_prefix(ckpt_dir_or_file))


def load_variable(ckpt_dir_or_file, name):
    """The value of one variable of a checkpoint ("w" or "w:0")."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def list_variables(ckpt_dir_or_file):
    """[(name, shape)] of every tensor in a checkpoint, sorted by name."""
    reader = load_checkpoint(ckpt_dir_or_file)
    return sorted(reader.get_variable_to_shape_map().items())


__all__ = ["latest_checkpoint", "get_checkpoint_state", "checkpoint_exists",
           "update_checkpoint_state", "generate_checkpoint_state_proto", "get_checkpoint_mtimes",
           "remove_checkpoint", "meta_graph_filename", "NewCheckpointReader", "load_checkpoint",
           "load_variable", "list_variables"]
