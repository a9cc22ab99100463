"""File sources of tf.data: TextLineDataset, TFRecordDataset, FixedLengthRecordDataset, and
the file listing behind Dataset.list_files. Each yields one scalar tf.string per record."""
import glob
import io
import os

import numpy as np

from tensorflux.framework import dtypes, errors
from tensorflux.framework.shapes import TensorShape
from tensorflux.formats.files import open_file
from tensorflux.formats.tfrecord import tf_record_iterator
from tensorflux.ops import array
from tensorflux.data import structure
from tensorflux.data.dataset import Dataset, _scalar
from tensorflux.data.pipeline import GeneratorIterator


def _names_tensor(filenames, what):
    tensor = _scalar(filenames, dtypes.string, "filenames")
    if tensor.shape.ndims is not None and tensor.shape.ndims > 1:
        raise ValueError(f"{what}: `filenames` must be a scalar or a vector of strings, got "
                         f"shape {tensor.shape}")
    return tensor


def _record(payload):
    return (np.array(bytes(payload), dtype=object),)


def _compression(value):
    name = structure.strings(value)[0].upper()
    if name not in ("", "GZIP", "ZLIB"):
        raise errors.InvalidArgumentError(None, None, f"Unsupported compression_type: {name!r}; "
                                                      "expected '', 'GZIP' or 'ZLIB'")
    return name


class _FileDataset(Dataset):
    """Records of each file in `filenames` in order; a Dataset of file names is flat-mapped."""

    def _init_files(self, filenames, extra_tensors, what, per_file=None):
        if isinstance(filenames, Dataset):
            if filenames.output_types != dtypes.string:
                raise TypeError(f"{what}: a dataset of file names must have tf.string elements")
            self._names = None
            self._inner = filenames.flat_map(per_file)
            self._setup(dtypes.string, TensorShape([]), inputs=(self._inner,))
            return
        self._names = _names_tensor(filenames, what)
        self._inner = None
        self._setup(dtypes.string, TensorShape([]), tensors=[self._names] + list(extra_tensors))

    def _make(self, env, values):
        if self._inner is not None:
            return self._inner._make(env, values)
        files = structure.strings(values[self._names])
        return GeneratorIterator(_record(r) for path in files
                                 for r in self._read_file(path, values))

    def _read_file(self, path, values):
        raise NotImplementedError


class TextLineDataset(_FileDataset):
    """The lines of text files, without their line endings ("\\n" or "\\r\\n")."""

    def __init__(self, filenames, compression_type=None, buffer_size=None):
        self._compression = _scalar(compression_type or "", dtypes.string, "compression_type")
        self._init_files(filenames, [self._compression], "TextLineDataset",
                         lambda f: TextLineDataset(f, compression_type, buffer_size))

    def _read_file(self, path, values):
        with open_file(path, _compression(values[self._compression])) as stream:
            for line in stream:
                if line.endswith(b"\n"):
                    line = line[:-1]
                    if line.endswith(b"\r"):
                        line = line[:-1]
                yield line


class TFRecordDataset(_FileDataset):
    """The records of TFRecord files (CRCs checked: a damaged file raises DataLossError).

    With num_parallel_reads, that many files are read in turn, one record from each.
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        self._compression = _scalar(compression_type or "", dtypes.string, "compression_type")
        per_file = (lambda f: TFRecordDataset(f, compression_type))
        if num_parallel_reads is not None and num_parallel_reads != 1:
            if not isinstance(filenames, Dataset):
                names = _names_tensor(filenames, "TFRecordDataset")
                filenames = Dataset.from_tensor_slices(array.reshape(names, [-1]))
            self._names = None
            self._inner = filenames.interleave(per_file, cycle_length=num_parallel_reads,
                                               block_length=1)
            self._setup(dtypes.string, TensorShape([]), inputs=(self._inner,))
            return
        self._init_files(filenames, [self._compression], "TFRecordDataset", per_file)

    def _read_file(self, path, values):
        return tf_record_iterator(path, _compression(values[self._compression]))


class FixedLengthRecordDataset(_FileDataset):
    """Records of `record_bytes` bytes between `header_bytes` and `footer_bytes` of each file.

    A body that is not a whole number of records fails with InvalidArgumentError rather than
    yielding a short record.
    """

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None):
        self._sizes = [_scalar(v or 0, dtypes.int64, name) for v, name in
                       ((record_bytes, "record_bytes"), (header_bytes, "header_bytes"),
                        (footer_bytes, "footer_bytes"))]
        self._compression = _scalar(compression_type or "", dtypes.string, "compression_type")
        self._init_files(filenames, self._sizes + [self._compression],
                         "FixedLengthRecordDataset",
                         lambda f: FixedLengthRecordDataset(f, record_bytes, header_bytes,
                                                            footer_bytes, buffer_size,
                                                            compression_type))

    def _read_file(self, path, values):
        record, header, footer = (int(values[t]) for t in self._sizes)
        if record <= 0:
            raise errors.InvalidArgumentError(None, None, f"record_bytes must be positive, got "
                                                          f"{record}")
        compression = _compression(values[self._compression])
        with open_file(path, compression) as stream:
            data = stream.read() if compression else None
            size = len(data) if compression else os.fstat(stream.fileno()).st_size
            body = size - header - footer
            if body < 0 or body % record:
                raise errors.InvalidArgumentError(
                    None, None, f"Excluding the header ({header} bytes) and footer ({footer} "
                                f"bytes), input file \"{path}\" has body length {body} bytes, "
                                f"which is not an exact multiple of the record length "
                                f"({record} bytes).")
            if data is not None:
                stream = io.BytesIO(data)
            stream.seek(header)
            for _ in range(body // record):
                yield stream.read(record)


class MatchingFilesDataset(Dataset):
    """The file names matching a glob pattern (or a vector of them), sorted."""

    def __init__(self, file_pattern):
        self._patterns = _names_tensor(file_pattern, "list_files")
        self._setup(dtypes.string, TensorShape([]), tensors=[self._patterns])

    def _make(self, env, values):
        patterns = structure.strings(values[self._patterns])
        files = []
        for pattern in patterns:
            files.extend(sorted(glob.glob(pattern)))
        if not files:
            raise errors.InvalidArgumentError(None, None, "No files matched pattern: " +
                                              ", ".join(patterns))
        return GeneratorIterator(_record(f.encode()) for f in files)
