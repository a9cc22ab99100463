"""TF's V2 checkpoint format ("tensor bundle") and the `checkpoint` state file (FORMATS.md 5).

A checkpoint with prefix P is two files:
  P.data-00000-of-00001  the tensors' bytes back to back, in the order they were added;
  P.index                a LevelDB table (SSTable) mapping "" to a BundleHeaderProto and each
                         tensor name to a BundleEntryProto {dtype, shape, offset, size, crc32c}.
The table writer below follows TF's byte for byte, so our files are identical to TF's.
"""
import logging
import os
import struct
import uuid

import numpy as np

from tensorflux.formats import protos, text_format, wire
from tensorflux.formats.crc32c import crc32c, mask, masked_crc32c, unmask
from tensorflux.framework import errors

_BLOCK_SIZE = 262144            # TF's BundleWriter table options
_RESTART_INTERVAL = 16
_FOOTER_SIZE = 48
_MAGIC = struct.pack("<Q", 0xDB4775248B80FB57)


def data_filename(prefix, shard_id=0, num_shards=1):
    return "%s.data-%05d-of-%05d" % (prefix, shard_id, num_shards)


def index_filename(prefix):
    return prefix + ".index"


# ----------------------------------------------------------------------------------------------
# Tensor bytes in the data file

def _lengths_crc(lengths):
    """CRC32C of string lengths as TF computes it: over fixed-width integers, not the varints."""
    crc = 0
    for length in lengths:
        crc = crc32c(struct.pack("<I" if length <= 0xFFFFFFFF else "<Q", length), crc)
    return crc


def _string_tensor_bytes(array):
    """varint lengths | masked CRC of the lengths | the bytes; and the running CRC of it all."""
    items = protos.string_array(array).ravel().tolist()
    crc = _lengths_crc(len(item) for item in items)
    lengths_crc = struct.pack("<I", mask(crc))
    crc = crc32c(lengths_crc, crc)
    body = b"".join(items)
    crc = crc32c(body, crc)
    return b"".join(wire.encode_varint(len(item)) for item in items) + lengths_crc + body, crc


def _tensor_bytes(dtype, array):
    """The bytes TF's BundleWriter stores for one tensor, and their (unmasked) CRC32C."""
    if dtype in (protos.DT_RESOURCE, protos.DT_VARIANT):
        raise errors.InvalidArgumentError(
            None, None, f"cannot save a {protos.DATA_TYPE[dtype]} tensor in a checkpoint")
    if dtype == protos.DT_STRING:
        return _string_tensor_bytes(array)
    array = np.asarray(array)
    storage = protos.numpy_storage_dtype(dtype)
    if dtype == protos.DT_BFLOAT16 and array.dtype == np.uint16:
        array = array.view(storage)        # raw bits given
    data = np.ascontiguousarray(array, dtype=storage).tobytes()
    return data, crc32c(data)


# ----------------------------------------------------------------------------------------------
# SSTable writing

def _shared_prefix_length(a, b):
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class _BlockBuilder:
    """Entries with prefix-compressed keys, plus the offsets of the uncompressed 'restarts'."""

    def __init__(self, restart_interval):
        self.restart_interval = restart_interval
        self.reset()

    def reset(self):
        self.buffer = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b""

    def empty(self):
        return not self.buffer

    def add(self, key, value):
        if self.counter < self.restart_interval:
            shared = _shared_prefix_length(self.last_key, key)
        else:
            self.restarts.append(len(self.buffer))
            self.counter = shared = 0
        self.buffer += (wire.encode_varint(shared) + wire.encode_varint(len(key) - shared)
                        + wire.encode_varint(len(value)) + key[shared:] + value)
        self.last_key = key
        self.counter += 1

    def size_estimate(self):
        return len(self.buffer) + 4 * len(self.restarts) + 4

    def finish(self):
        return bytes(self.buffer) + struct.pack(f"<{len(self.restarts)}I", *self.restarts) + \
            struct.pack("<I", len(self.restarts))


def _shortest_separator(start, limit):
    """A short key >= start and < limit, for the index entry of the block ending at start."""
    i = _shared_prefix_length(start, limit)
    if i < min(len(start), len(limit)) and start[i] < 0xFF and start[i] + 1 < limit[i]:
        return start[:i] + bytes((start[i] + 1,))
    return start


def _short_successor(key):
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes((byte + 1,))
    return key


class _TableWriter:
    """LevelDB's TableBuilder with TF's options: no compression, 256 KiB blocks."""

    def __init__(self, file):
        self.file = file
        self.offset = 0
        self.data_block = _BlockBuilder(_RESTART_INTERVAL)
        self.index_block = _BlockBuilder(1)
        self.last_key = b""
        self.num_entries = 0
        self.pending_handle = None     # the last flushed block awaits its index entry

    def add(self, key, value):
        # A huge entry gets a block of its own rather than bloating the current one.
        if self.num_entries and len(key) + len(value) >= 2 * _BLOCK_SIZE:
            self._flush()
        if self.pending_handle is not None:
            self.index_block.add(_shortest_separator(self.last_key, key), self.pending_handle)
            self.pending_handle = None
        self.last_key = key
        self.num_entries += 1
        self.data_block.add(key, value)
        if self.data_block.size_estimate() >= _BLOCK_SIZE:
            self._flush()

    def _flush(self):
        if self.data_block.empty():
            return
        self.pending_handle = self._write_block(self.data_block)

    def _write_block(self, block):
        contents = block.finish()
        block.reset()
        handle = wire.encode_varint(self.offset) + wire.encode_varint(len(contents))
        # Type byte 0 (uncompressed), then the masked CRC of the block plus that byte.
        trailer = b"\x00" + struct.pack("<I", masked_crc32c(contents + b"\x00"))
        self.file.write(contents + trailer)
        self.offset += len(contents) + len(trailer)
        return handle

    def finish(self):
        self._flush()
        metaindex_handle = self._write_block(_BlockBuilder(_RESTART_INTERVAL))
        if self.pending_handle is not None:
            self.index_block.add(_short_successor(self.last_key), self.pending_handle)
        index_handle = self._write_block(self.index_block)
        handles = metaindex_handle + index_handle
        self.file.write(handles + bytes(40 - len(handles)) + _MAGIC)


# ----------------------------------------------------------------------------------------------
# Writing a bundle

def _write_temp(path, write):
    """Runs write(file) on a new temporary file beside `path`; returns the temporary's name.
    The caller renames it into place, so readers never see a half-written file."""
    temp = f"{path}.tempstate{uuid.uuid4().hex}"
    try:
        with open(temp, "wb") as f:
            write(f)
        return temp
    except BaseException:
        _remove_quietly(temp)
        raise


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def write_bundle(prefix, tensors):
    """Writes a V2 checkpoint: `<prefix>.index` and `<prefix>.data-00000-of-00001`.

    tensors: an ordered mapping name -> (DataType number, array); strings as arrays of bytes.
    Data are stored in the mapping's order (TF1's Saver passes names sorted). Both files are
    written under temporary names and renamed at the end; on failure no file changes.
    """
    directory = os.path.dirname(prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    entries = {}
    temps = []

    def write_data(f):
        offset = 0
        for name, (dtype, array) in tensors.items():
            if not name:
                raise errors.InvalidArgumentError(None, None, "a tensor name cannot be empty")
            data, crc = _tensor_bytes(dtype, array)
            f.write(data)
            entry = protos.BundleEntryProto(dtype=dtype, offset=offset, size=len(data),
                                            crc32c=mask(crc))
            entry.shape = protos.as_shape_proto(np.shape(array))
            entries[name.encode("utf-8")] = entry.SerializeToString()
            offset += len(data)

    def write_index(f):
        table = _TableWriter(f)
        header = protos.BundleHeaderProto(num_shards=1, version=protos.VersionDef(producer=1))
        table.add(b"", header.SerializeToString())
        for key in sorted(entries):
            table.add(key, entries[key])
        table.finish()

    try:
        temps.append(_write_temp(data_filename(prefix), write_data))
        temps.append(_write_temp(index_filename(prefix), write_index))
        # The index goes last: its presence is what marks a checkpoint as complete.
        os.replace(temps[0], data_filename(prefix))
        os.replace(temps[1], index_filename(prefix))
    except BaseException:
        for temp in temps:
            _remove_quietly(temp)
        raise


# ----------------------------------------------------------------------------------------------
# Reading

def _parse_block(contents, path):
    """All (key, value) pairs of one table block."""
    try:
        (num_restarts,) = struct.unpack_from("<I", contents, len(contents) - 4)
        limit = len(contents) - 4 - 4 * num_restarts
        if limit < 0:
            raise wire.DecodeError("restart array is larger than the block")
        pairs, pos, key = [], 0, b""
        while pos < limit:
            shared, pos = wire.decode_varint(contents, pos)
            non_shared, pos = wire.decode_varint(contents, pos)
            value_length, pos = wire.decode_varint(contents, pos)
            if shared > len(key) or pos + non_shared + value_length > limit:
                raise wire.DecodeError("entry runs past the block")
            key = key[:shared] + bytes(contents[pos:pos + non_shared])
            pos += non_shared
            pairs.append((key, bytes(contents[pos:pos + value_length])))
            pos += value_length
        return pairs
    except (struct.error, wire.DecodeError) as e:
        raise errors.DataLossError(None, None, f"corrupt table block in {path}: {e}") from None


def _read_block(data, handle, path):
    try:
        offset, pos = wire.decode_varint(handle, 0)
        size, _ = wire.decode_varint(handle, pos)
    except wire.DecodeError:
        raise errors.DataLossError(None, None, f"bad block handle in {path}") from None
    if offset + size + 5 > len(data):
        raise errors.DataLossError(None, None, f"{path} is truncated (block at {offset})")
    contents = data[offset:offset + size]
    block_type = data[offset + size]
    (stored,) = struct.unpack_from("<I", data, offset + size + 1)
    if unmask(stored) != crc32c(data[offset:offset + size + 1]):
        raise errors.DataLossError(None, None, f"block checksum mismatch in {path} at {offset}")
    if block_type != 0:
        raise errors.UnimplementedError(
            None, None, f"{path} uses snappy-compressed blocks, which tensorflux cannot read")
    return _parse_block(contents, path)


def _read_table(path):
    """All key/value pairs of an SSTable file, in key order."""
    try:
        with open(path, "rb") as f:
            data = memoryview(f.read())
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}: no such file") from None
    if len(data) < _FOOTER_SIZE or bytes(data[-8:]) != _MAGIC:
        raise errors.DataLossError(None, None, f"{path} is not a checkpoint index (bad magic "
                                   "number or truncated file)")
    footer = data[-_FOOTER_SIZE:]
    try:   # the footer holds the metaindex handle (unused: TF writes it empty), then the index's
        _, pos = wire.decode_varint(footer, 0)
        _, pos = wire.decode_varint(footer, pos)
        index_handle = footer[pos:]
    except wire.DecodeError:
        raise errors.DataLossError(None, None, f"bad footer in {path}") from None
    pairs = []
    for _, handle in _read_block(data, index_handle, path):
        pairs.extend(_read_block(data, handle, path))
    return pairs


class BundleReader:
    """Reads a V2 checkpoint written by TF or by write_bundle (like tf.train.load_checkpoint).

    Raises NotFoundError when the files are missing and DataLossError, naming the file, when
    a checksum does not match or a file is cut short.
    """

    def __init__(self, prefix):
        self._prefix = prefix
        path = index_filename(prefix)
        if not os.path.exists(path):
            raise errors.NotFoundError(
                None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
                f"matching files for {prefix} (no {path})")
        self._entries = {}
        header = None
        for key, value in _read_table(path):
            try:
                if key == b"":
                    header = protos.BundleHeaderProto.FromString(value)
                else:
                    self._entries[key.decode("utf-8")] = protos.BundleEntryProto.FromString(value)
            except (wire.DecodeError, UnicodeDecodeError) as e:
                raise errors.DataLossError(None, None, f"corrupt entry in {path}: {e}") from None
        if header is None:
            raise errors.DataLossError(None, None, f"{path} has no bundle header")
        self._num_shards = max(header.num_shards, 1)
        self._big_endian = header.endianness == 1

    def keys(self):
        return sorted(self._entries)

    def has_tensor(self, name):
        return name in self._entries

    def variable_to_shape_map(self):
        return {name: protos.shape_from_proto(e.shape) for name, e in self._entries.items()}

    def variable_to_dtype_map(self):
        """name -> DataType number."""
        return {name: e.dtype for name, e in self._entries.items()}

    def get_entry(self, name):
        self._check_key(name)
        return self._entries[name]

    def _check_key(self, name):
        if name not in self._entries:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")

    def get_tensor(self, name):
        """The tensor as a NumPy array (object array of bytes for strings)."""
        entry = self.get_entry(name)
        if entry.slices:
            raise errors.UnimplementedError(
                None, None, f"{name} is a partitioned variable; tensorflux cannot read slices")
        path = data_filename(self._prefix, entry.shard_id, self._num_shards)
        try:
            with open(path, "rb") as f:
                f.seek(entry.offset)
                data = f.read(entry.size)
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"{path}: no such file") from None
        if len(data) != entry.size:
            raise errors.DataLossError(None, None, f"{path} is truncated: {name} needs "
                                       f"{entry.size} bytes at offset {entry.offset}")
        shape = protos.shape_from_proto(entry.shape)
        if entry.dtype == protos.DT_STRING:
            array, crc = _decode_strings(data, shape, name, path)
        else:
            array, crc = None, crc32c(data)
        if crc != unmask(entry.crc32c):
            raise errors.DataLossError(None, None, f"checksum mismatch for {name} in {path}")
        if array is not None:
            return array
        storage = protos.numpy_storage_dtype(entry.dtype)
        if len(data) != int(np.prod(shape, dtype=np.int64)) * storage.itemsize:
            raise errors.DataLossError(
                None, None, f"{name} in {path}: {len(data)} bytes do not fit shape {shape}")
        array = np.frombuffer(data, dtype=storage.newbyteorder(">") if self._big_endian
                              else storage)
        return array.astype(storage).reshape(shape)

    def close(self):
        """Nothing to release: files are opened per read. Here for API symmetry."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _decode_strings(data, shape, name, path):
    """The object array stored by _string_tensor_bytes, and the CRC it was written with."""
    count = int(np.prod(shape, dtype=np.int64))
    try:
        lengths, pos = [], 0
        for _ in range(count):
            length, pos = wire.decode_varint(data, pos)
            lengths.append(length)
        if pos + 4 + sum(lengths) != len(data):
            raise wire.DecodeError("lengths do not match the bytes stored")
    except wire.DecodeError as e:
        raise errors.DataLossError(None, None, f"corrupt string tensor {name} in {path}: {e}")
    crc = crc32c(data[pos:], _lengths_crc(lengths))    # the stored CRC bytes, then the strings
    items, pos = [], pos + 4
    for length in lengths:
        items.append(data[pos:pos + length])
        pos += length
    out = np.empty(count, dtype=object)
    out[:] = items
    return out.reshape(shape), crc


# ----------------------------------------------------------------------------------------------
# The `checkpoint` state file

def write_checkpoint_state(directory, model_checkpoint_path, all_model_checkpoint_paths=None,
                           all_model_checkpoint_timestamps=None, last_preserved_timestamp=None,
                           latest_filename="checkpoint"):
    """Writes `<directory>/<latest_filename>` (text CheckpointState) atomically.

    As TF does, model_checkpoint_path is appended to all_model_checkpoint_paths when it is not
    already its last element. Paths are written as given (absolute or relative to directory).
    """
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    state = protos.CheckpointState(model_checkpoint_path=model_checkpoint_path,
                                   all_model_checkpoint_paths=paths,
                                   all_model_checkpoint_timestamps=list(
                                       all_model_checkpoint_timestamps or []))
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    text = text_format.message_to_text(state).encode("utf-8")
    os.makedirs(directory or ".", exist_ok=True)
    path = os.path.join(directory, latest_filename)
    os.replace(_write_temp(path, lambda f: f.write(text)), path)
    return path


def read_checkpoint_state(directory, latest_filename="checkpoint", resolve_relative=True):
    """The CheckpointState in `<directory>/<latest_filename>`, or None if there is none.

    With resolve_relative (TF's get_checkpoint_state behaviour) relative paths are joined to
    `directory`. An unparsable file is logged and ignored, as TF does.
    """
    path = os.path.join(directory, latest_filename)
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        state = text_format.parse_text(text, protos.CheckpointState)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, text_format.ParseError) as e:
        logging.warning("%s: %s; checkpoint state ignored", path, e)
        return None
    if not state.model_checkpoint_path:
        raise ValueError(f"Invalid checkpoint state loaded from {directory}")
    if resolve_relative:
        def resolve(p):
            return p if os.path.isabs(p) else os.path.join(directory, p)
        state.model_checkpoint_path = resolve(state.model_checkpoint_path)
        state.all_model_checkpoint_paths = [resolve(p) for p in state.all_model_checkpoint_paths]
    return state
