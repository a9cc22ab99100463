"""File datasets: TextLineDataset, TFRecordDataset, FixedLengthRecordDataset, list_files."""
import gzip
import os
import zlib

import pytest

import tensorflux as tf
from tensorflux.formats.tfrecord import TFRecordWriter

from .test_dataset import elements

D = tf.data.Dataset


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def test_text_lines_without_line_endings(tmp_path):
    a = _write(tmp_path / "a.txt", b"l1\r\nl2\n\nl4")
    b = _write(tmp_path / "b.txt", b"m1\n")
    ds = tf.data.TextLineDataset([a, b])
    assert ds.output_types == tf.string and ds.output_shapes.as_list() == []
    assert elements(ds) == [b"l1", b"l2", b"", b"l4", b"m1"]


def test_text_lines_compressed(tmp_path):
    gz = _write(tmp_path / "a.gz", gzip.compress(b"x\ny\n"))
    zl = _write(tmp_path / "a.z", zlib.compress(b"p\nq\n"))
    assert elements(tf.data.TextLineDataset(gz, compression_type="GZIP")) == [b"x", b"y"]
    assert elements(tf.data.TextLineDataset(zl, compression_type="ZLIB")) == [b"p", b"q"]


def test_text_lines_from_fed_file_names(tmp_path):
    a = _write(tmp_path / "a.txt", b"1\n2\n")
    b = _write(tmp_path / "b.txt", b"3\n")
    names = tf.placeholder(tf.string, [None])
    it = tf.data.make_initializable_iterator(tf.data.TextLineDataset(names))
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {names: [b, a]})
        assert [sess.run(nxt) for _ in range(3)] == [b"3", b"1", b"2"]


def test_missing_file_is_not_found(tmp_path):
    ds = tf.data.TextLineDataset(str(tmp_path / "missing.txt"))
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.NotFoundError):
            sess.run(nxt)


def _records(path, payloads, options=None):
    with TFRecordWriter(str(path), options) as writer:
        for p in payloads:
            writer.write(p)
    return str(path)


def test_tfrecord_dataset(tmp_path):
    a = _records(tmp_path / "a.tfrecord", [b"a0", b"a1", b"a2"])
    b = _records(tmp_path / "b.tfrecord", [b"b0"], "GZIP")
    assert elements(tf.data.TFRecordDataset(a)) == [b"a0", b"a1", b"a2"]
    assert elements(tf.data.TFRecordDataset([b], compression_type="GZIP")) == [b"b0"]
    c = _records(tmp_path / "c.tfrecord", [b"c0", b"c1"])
    parallel = tf.data.TFRecordDataset([a, c], num_parallel_reads=2)
    assert elements(parallel) == [b"a0", b"c0", b"a1", b"c1", b"a2"]


def test_tfrecord_file_names_from_list_files(tmp_path):
    _records(tmp_path / "x1.tfrecord", [b"1"])
    _records(tmp_path / "x2.tfrecord", [b"2"])
    files = D.list_files(str(tmp_path / "x*.tfrecord"), shuffle=False)
    assert elements(tf.data.TFRecordDataset(files)) == [b"1", b"2"]


def test_tfrecord_corruption_is_data_loss(tmp_path):
    path = _records(tmp_path / "a.tfrecord", [b"payload"])
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[14] ^= 0xFF
    _write(path, bytes(data))
    nxt = tf.data.TFRecordDataset(path).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.DataLossError):
            sess.run(nxt)


def test_fixed_length_records_between_header_and_footer(tmp_path):
    path = _write(tmp_path / "r.bin", b"HH" + bytes(range(9)) + b"F")
    ds = tf.data.FixedLengthRecordDataset(path, 3, header_bytes=2, footer_bytes=1)
    assert elements(ds) == [bytes([0, 1, 2]), bytes([3, 4, 5]), bytes([6, 7, 8])]
    gz = _write(tmp_path / "r.gz", gzip.compress(bytes(range(4))))
    ds = tf.data.FixedLengthRecordDataset(gz, 2, compression_type="GZIP")
    assert elements(ds) == [bytes([0, 1]), bytes([2, 3])]


def test_fixed_length_truncated_record_is_an_error(tmp_path):
    path = _write(tmp_path / "r.bin", b"HH" + bytes(range(10)) + b"F")
    ds = tf.data.FixedLengthRecordDataset(path, 3, header_bytes=2, footer_bytes=1)
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="not an exact multiple"):
            sess.run(nxt)


def test_list_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.dat"):
        _write(tmp_path / name, b"")
    pattern = str(tmp_path / "*.txt")
    listed = elements(D.list_files(pattern, shuffle=False))
    assert [os.path.basename(f) for f in listed] == [b"a.txt", b"b.txt"]
    shuffled = elements(D.list_files(pattern, seed=4))
    assert sorted(shuffled) == listed
    nxt = D.list_files(str(tmp_path / "*.none")).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched"):
            sess.run(nxt)

