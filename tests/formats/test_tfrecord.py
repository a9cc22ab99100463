import gzip
import os
import zlib

import pytest

from tensorflux.formats import protos
from tensorflux.formats.tfrecord import (TFRecordOptions, TFRecordWriter, encode_record,
                                         tf_record_iterator)
from tensorflux.framework import errors

RECORDS = [b"", b"a", b"hello world" * 100, bytes(range(256))]


def _write(path, records, options=None):
    with TFRecordWriter(path, options) as writer:
        for record in records:
            writer.write(record)


@pytest.mark.parametrize("options", [None, "", "GZIP", "ZLIB", TFRecordOptions("GZIP")])
def test_round_trip(tmp_path, options):
    path = str(tmp_path / "r.tfrecord")
    _write(path, RECORDS, options)
    assert list(tf_record_iterator(path, options)) == RECORDS


def test_compressed_streams_are_standard(tmp_path):
    framed = b"".join(encode_record(r) for r in RECORDS)
    _write(str(tmp_path / "g"), RECORDS, "GZIP")
    _write(str(tmp_path / "z"), RECORDS, "ZLIB")
    assert gzip.decompress((tmp_path / "g").read_bytes()) == framed
    assert zlib.decompress((tmp_path / "z").read_bytes()) == framed


def test_flush_makes_records_readable_while_open(tmp_path):
    path = str(tmp_path / "r")
    for options in (None, "GZIP"):
        writer = TFRecordWriter(path, options)
        writer.write(b"first")
        writer.flush()
        if options is None:
            assert list(tf_record_iterator(path)) == [b"first"]
        else:   # a sync-flushed gzip stream can be inflated up to the flush point
            assert zlib.decompressobj(31).decompress(open(path, "rb").read()) == \
                encode_record(b"first")
        writer.close()
        writer.close()    # closing twice is harmless


def test_write_after_close_raises(tmp_path):
    writer = TFRecordWriter(str(tmp_path / "r"))
    writer.close()
    with pytest.raises(errors.FailedPreconditionError):
        writer.write(b"x")


def test_reads_files_written_by_tensorflow(fixtures):
    # examples*.tfrecord: three tf.train.Example records written by tf.io.TFRecordWriter.
    plain = os.path.join(fixtures, "examples.tfrecord")
    for name, options in (("examples.tfrecord", None), ("examples.gzip.tfrecord", "GZIP"),
                          ("examples.zlib.tfrecord", "ZLIB")):
        records = list(tf_record_iterator(os.path.join(fixtures, name), options))
        assert len(records) == 3
        for i, record in enumerate(records):
            example = protos.Example.FromString(record)
            feature = example.features.feature
            assert feature["id"].int64_list.value == [i, -i]
            assert feature["x"].float_list.value == [0.5 * i]
            assert feature["name"].bytes_list.value == [b"n%d" % i]
            assert protos.Example.FromString(example.SerializeToString()) == example
    with open(plain, "rb") as f:
        assert b"".join(encode_record(r) for r in tf_record_iterator(plain)) == f.read()


def _corrupt(path, offset):
    data = bytearray(open(path, "rb").read())
    data[offset] ^= 0x01
    open(path, "wb").write(bytes(data))


@pytest.mark.parametrize("offset", [0, 8, 12, -1])   # length, length CRC, payload, payload CRC
def test_corruption_raises_data_loss(tmp_path, offset):
    path = str(tmp_path / "r")
    _write(path, [b"payload", b"second"])
    _corrupt(path, offset if offset >= 0 else os.path.getsize(path) + offset)
    with pytest.raises(errors.DataLossError, match="corrupted record"):
        list(tf_record_iterator(path))


@pytest.mark.parametrize("cut", [1, 5, 13, 20])
def test_truncated_last_record(tmp_path, cut):
    path = str(tmp_path / "r")
    _write(path, [b"complete", b"cut short"])
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) - cut])
    with pytest.raises(errors.DataLossError, match="truncated record at 24"):
        list(tf_record_iterator(path))
    assert list(tf_record_iterator(path, allow_truncated_tail=True)) == [b"complete"]


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(errors.NotFoundError):
        list(tf_record_iterator(str(tmp_path / "nope")))
    with pytest.raises(errors.NotFoundError):
        TFRecordWriter(str(tmp_path / "no" / "dir" / "r"))
    with pytest.raises(ValueError):
        TFRecordOptions("BZIP2")
    assert TFRecordOptions.get_compression_type_string(TFRecordOptions("gzip")) == "GZIP"
    assert TFRecordOptions.get_compression_type_string(None) == ""
