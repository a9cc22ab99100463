"""Opening the data files readers and datasets take, with TF's errors and compressions."""
import gzip
import io
import zlib

from tensorflux.framework import errors


def open_file(path, compression=""):
    """A binary stream of the file's contents, decompressed ('', 'GZIP' or 'ZLIB')."""
    try:
        if compression == "GZIP":
            return gzip.open(path, "rb")
        raw = open(path, "rb")
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{path}; Is a directory") from None
    if compression == "ZLIB":
        with raw:
            try:
                return io.BytesIO(zlib.decompress(raw.read()))
            except zlib.error as exc:
                raise errors.DataLossError(None, None, f"{path}: {exc}") from None
    return raw
