"""Readers that take file names from a queue and produce records, and the record decoders:
decode_csv, decode_raw, read_file, matching_files (tf.train.Example parsing: ops/parsing.py).

A reader op outputs a resource handle naming a reader held by the session. Reading takes a
new work item (a file name) from the queue whenever the current one is used up, so it blocks
while that queue is empty and raises OutOfRangeError once it is closed and drained.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import Tensor, convert_to_tensor, get_default_graph
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.framework.shapes import TensorShape
from tensorflux.ops.op_util import apply_op, check_dtype

_HANDLE = [(dtypes.resource, TensorShape([]))]
_SCALAR_STRING = (dtypes.string, TensorShape([]))
_READER_TYPES = ("TextLineReaderV2", "FixedLengthRecordReaderV2", "TFRecordReaderV2",
                 "WholeFileReaderV2", "IdentityReaderV2")

for _type in _READER_TYPES:
    register_op(_type, lambda op: _HANDLE, stateful=True)
register_op("ReaderReadV2", lambda op: [_SCALAR_STRING, _SCALAR_STRING], stateful=True)
register_op("ReaderReadUpToV2", lambda op: [(dtypes.string, TensorShape([None]))] * 2,
            stateful=True)
register_op("ReaderNumRecordsProducedV2", lambda op: [(dtypes.int64, TensorShape([]))],
            stateful=True)
register_op("ReaderNumWorkUnitsCompletedV2", lambda op: [(dtypes.int64, TensorShape([]))],
            stateful=True)
register_op("ReaderResetV2", lambda op: [], stateful=True)
register_op("ReaderSerializeStateV2", lambda op: [_SCALAR_STRING], stateful=True)


def _infer_restore_state(op):
    rank = op.inputs[1].shape.ndims
    if rank not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {rank} for '{op.name}' "
                         f"(op: 'ReaderRestoreStateV2') with input shapes: [], "
                         f"{op.inputs[1].shape.as_list()}.")
    return []


register_op("ReaderRestoreStateV2", _infer_restore_state, stateful=True)
register_op("ReadFile", lambda op: [_SCALAR_STRING])
register_op("WriteFile", lambda op: [], stateful=True)
register_op("MatchingFiles", lambda op: [(dtypes.string, TensorShape([None]))])
not_differentiable(*_READER_TYPES, "ReaderReadV2", "ReaderReadUpToV2",
                   "ReaderNumRecordsProducedV2", "ReaderNumWorkUnitsCompletedV2",
                   "ReaderResetV2", "ReaderSerializeStateV2", "ReaderRestoreStateV2", "ReadFile",
                   "WriteFile", "MatchingFiles")


# ---- readers ----
class ReaderBase:
    """A reader: `read(queue)` gives the next (key, value) record, both scalar strings.

    The key names the record's origin (`file:line`, `file:index`, `file:offset`, or the file
    name); the queue supplies file names, one work unit each.
    """

    def __init__(self, reader_ref, supports_serialize=False):
        self._reader_ref = reader_ref
        self._supports_serialize = supports_serialize

    @property
    def reader_ref(self):
        return self._reader_ref

    @property
    def supports_serialize(self):
        return self._supports_serialize

    def _queue_ref(self, queue):
        return queue if isinstance(queue, Tensor) else queue.queue_ref

    def read(self, queue, name=None):
        """The next record as (key, value), taking a new file from `queue` when needed."""
        key, value = apply_op("ReaderReadV2", [self._reader_ref, self._queue_ref(queue)], {},
                              name or "ReaderReadV2")
        return key, value

    def read_up_to(self, queue, num_records, name=None):
        """Up to `num_records` records (keys, values) of the current file; fewer at its end."""
        num = convert_to_tensor(num_records, dtype=dtypes.int64, name="num_records")
        keys, values = apply_op("ReaderReadUpToV2", [self._reader_ref, self._queue_ref(queue),
                                                     num], {}, name or "ReaderReadUpToV2")
        return keys, values

    def num_records_produced(self, name=None):
        return apply_op("ReaderNumRecordsProducedV2", [self._reader_ref], {},
                        name or "ReaderNumRecordsProducedV2")

    def num_work_units_completed(self, name=None):
        return apply_op("ReaderNumWorkUnitsCompletedV2", [self._reader_ref], {},
                        name or "ReaderNumWorkUnitsCompletedV2")

    def reset(self, name=None):
        """Forgets the current file and the counts."""
        return apply_op("ReaderResetV2", [self._reader_ref], {}, name or "ReaderResetV2")

    def serialize_state(self, name=None):
        """The reader's state (a ReaderBaseState proto) as a scalar string.

        Readers whose `supports_serialize` is False raise UnimplementedError when it runs.
        """
        return apply_op("ReaderSerializeStateV2", [self._reader_ref], {},
                        name or "ReaderSerializeStateV2")

    def restore_state(self, state, name=None):
        """Restores a state from serialize_state(); the reader is reset if that fails
        (InvalidArgumentError for a state that does not parse or is inconsistent)."""
        with get_default_graph().name_scope(name or "ReaderRestoreStateV2") as scope:
            state = convert_to_tensor(state, dtype=dtypes.string, name="state")
            return apply_op("ReaderRestoreStateV2", [self._reader_ref, state], {}, scope)


def _reader(op_type, attrs, name):
    attrs = dict(attrs, container="", shared_name="")
    return apply_op(op_type, [], attrs, name or op_type)


class TextLineReader(ReaderBase):
    """Records are the lines of each file (without the line break); key `file:line_number`.

    skip_header_lines: lines to skip at the start of every file.
    """

    def __init__(self, skip_header_lines=None, name=None):
        ref = _reader("TextLineReaderV2", {"skip_header_lines": int(skip_header_lines or 0)},
                      name)
        super().__init__(ref)


class FixedLengthRecordReader(ReaderBase):
    """Records of `record_bytes` bytes between `header_bytes` and `footer_bytes` of each file
    (the CIFAR-10 binary format); key `file:record_index`.

    A file whose body is not a whole number of records fails with InvalidArgumentError
    instead of yielding a short record. encoding: '', 'ZLIB' or 'GZIP'.
    """

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None,
                 name=None, encoding=None):
        if int(record_bytes) <= 0:
            raise ValueError(f"FixedLengthRecordReader: record_bytes must be positive, got "
                             f"{record_bytes}")
        ref = _reader("FixedLengthRecordReaderV2",
                      {"record_bytes": int(record_bytes), "header_bytes": int(header_bytes or 0),
                       "footer_bytes": int(footer_bytes or 0), "hop_bytes": int(hop_bytes or 0),
                       "encoding": encoding or ""}, name)
        super().__init__(ref)


class TFRecordReader(ReaderBase):
    """Records of TFRecord files (CRCs checked: DataLossError if corrupt); key `file:offset`."""

    def __init__(self, name=None, options=None):
        from tensorflux.formats.tfrecord import TFRecordOptions
        compression = TFRecordOptions.get_compression_type_string(options)
        ref = _reader("TFRecordReaderV2", {"compression_type": compression}, name)
        super().__init__(ref)


class WholeFileReader(ReaderBase):
    """One record per file: key the file name, value its whole contents."""

    def __init__(self, name=None):
        super().__init__(_reader("WholeFileReaderV2", {}, name), supports_serialize=True)


class IdentityReader(ReaderBase):
    """One record per work item: key and value are the work string itself."""

    def __init__(self, name=None):
        super().__init__(_reader("IdentityReaderV2", {}, name), supports_serialize=True)


# ---- files ----
def read_file(filename, name=None):
    """The contents of the file `filename` as a scalar string."""
    filename = convert_to_tensor(filename, dtype=dtypes.string, name="filename")
    return apply_op("ReadFile", [filename], {}, name or "ReadFile")


def write_file(filename, contents, name=None):
    """Writes the scalar string `contents` to `filename`, creating directories as needed."""
    filename = convert_to_tensor(filename, dtype=dtypes.string, name="filename")
    contents = convert_to_tensor(contents, dtype=dtypes.string, name="contents")
    return apply_op("WriteFile", [filename, contents], {}, name or "WriteFile")


def matching_files(pattern, name=None):
    """The sorted file names matching the glob `pattern` (a string or vector of them)."""
    pattern = convert_to_tensor(pattern, dtype=dtypes.string, name="pattern")
    return apply_op("MatchingFiles", [pattern], {}, name or "MatchingFiles")


# ---- decoders ----
_CSV_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)


def _infer_decode_csv(op):
    records = op.inputs[0]
    return [(t, records.shape) for t in op.attrs["OUT_TYPE"]]


register_op("DecodeCSV", _infer_decode_csv)
not_differentiable("DecodeCSV")


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):
    """Splits CSV lines into one tensor per column, each of `records`' shape.

    record_defaults: one entry per column, `[value]` (its dtype gives the column's type:
    float32, float64, int32, int64 or string; the value fills empty fields) or `[]` for a
    required column. A record with the wrong number of fields or a value that does not
    parse raises InvalidArgumentError naming the record.
    """
    records = convert_to_tensor(records, dtype=dtypes.string, name="records")
    if select_cols is not None:
        select_cols = [int(c) for c in select_cols]
        if len(select_cols) != len(record_defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
        if any(b <= a for a, b in zip(select_cols, select_cols[1:])) or \
                (select_cols and select_cols[0] < 0):
            raise ValueError("select_cols is not strictly increasing.")
    if len(field_delim) != 1:
        raise ValueError(f"field_delim should be only 1 char, got {field_delim!r}")
    with get_default_graph().name_scope(name or "DecodeCSV") as scope:
        defaults = []
        for i, value in enumerate(record_defaults):
            default = convert_to_tensor(value, name=f"record_defaults_{i}")
            check_dtype("DecodeCSV", "record_defaults", default, _CSV_TYPES)
            if default.shape.ndims is not None and default.shape.ndims > 1:
                raise ValueError(f"DecodeCSV: record_defaults[{i}] must have rank 0 or 1, got "
                                 f"shape {default.shape}")
            defaults.append(default)
        outputs = apply_op("DecodeCSV", [records] + defaults,
                           {"OUT_TYPE": [d.dtype.base_dtype for d in defaults],
                            "field_delim": field_delim, "use_quote_delim": bool(use_quote_delim),
                            "na_value": na_value, "select_cols": select_cols or []},
                           scope[:-1] + "/")
    return outputs if isinstance(outputs, list) else [outputs]


def _infer_decode_raw(op):
    return [(op.attrs["out_type"], op.inputs[0].shape.concatenate(TensorShape([None])))]


register_op("DecodeRaw", _infer_decode_raw)
not_differentiable("DecodeRaw")
_RAW_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.uint16,
              dtypes.uint8, dtypes.int16, dtypes.int8, dtypes.int64, dtypes.complex64,
              dtypes.complex128, dtypes.bool_)


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None):
    """Reinterprets the bytes of each string as a vector of `out_type` (shape input + [n]).

    All strings must have the same length, a multiple of the element size.
    """
    value = input_bytes if input_bytes is not None else bytes
    out_type = dtypes.as_dtype(out_type)
    if out_type not in _RAW_TYPES:
        raise TypeError(f"DecodeRaw: out_type {out_type.name} is not supported")
    value = convert_to_tensor(value, dtype=dtypes.string, name="bytes")
    return apply_op("DecodeRaw", [value], {"out_type": out_type,
                                           "little_endian": bool(little_endian)},
                    name or "DecodeRaw")


__all__ = ["ReaderBase", "TextLineReader", "FixedLengthRecordReader", "TFRecordReader",
           "WholeFileReader", "IdentityReader", "read_file", "write_file", "matching_files",
           "decode_csv", "decode_raw"]
