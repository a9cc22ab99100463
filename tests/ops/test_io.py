"""Readers, TFRecord files, decode_csv, decode_raw and tf.train.Example parsing."""
import struct

import numpy as np
import pytest

import tensorflux as tf
from queue_session import BOUNDED, running

TIMEOUT = tf.RunOptions(timeout_in_ms=5000)


def _records(reader, files, **read):
    """Every (key, value) the reader gives for one pass over `files`."""
    queue = tf.train.string_input_producer([str(f) for f in files], num_epochs=1, shuffle=False)
    fetch = reader.read(queue) if not read else reader.read_up_to(queue, read["up_to"])
    out = []
    with running() as sess:
        with pytest.raises(tf.errors.OutOfRangeError):
            while True:
                out.append(list(sess.run(fetch, options=TIMEOUT)))
    return out


def test_text_line_reader_keys_headers_and_line_ends(tmp_path, no_thread_leak):
    (tmp_path / "a.csv").write_bytes(b"h1\nh2\nx,1\r\ny,2")
    (tmp_path / "b.csv").write_bytes(b"h\nz,3\n")
    got = _records(tf.TextLineReader(skip_header_lines=1), [tmp_path / "a.csv",
                                                             tmp_path / "b.csv"])
    a, b = str(tmp_path / "a.csv"), str(tmp_path / "b.csv")
    assert got == [[f"{a}:2".encode(), b"h2"], [f"{a}:3".encode(), b"x,1"],
                   [f"{a}:4".encode(), b"y,2"], [f"{b}:2".encode(), b"z,3"]]


def test_read_up_to_stays_in_one_file_and_counts(tmp_path, no_thread_leak):
    (tmp_path / "a.txt").write_text("1\n2\n3\n")
    reader = tf.TextLineReader()
    queue = tf.train.string_input_producer([str(tmp_path / "a.txt")] * 2, num_epochs=1,
                                           shuffle=False)
    keys, values = reader.read_up_to(queue, 2)
    assert keys.shape.as_list() == [None]
    with running() as sess:
        batches = [sess.run(values, options=TIMEOUT).tolist() for _ in range(4)]
        assert sess.run(reader.num_records_produced()) == 6
        assert sess.run(reader.num_work_units_completed()) == 2
        sess.run(reader.reset())
        assert sess.run(reader.num_records_produced()) == 0
    assert batches == [[b"1", b"2"], [b"3"], [b"1", b"2"], [b"3"]]


def test_fixed_length_reader_header_footer_and_truncation(tmp_path, no_thread_leak):
    (tmp_path / "ok.bin").write_bytes(b"HH" + bytes(range(8)) + b"FFF")
    got = _records(tf.FixedLengthRecordReader(4, header_bytes=2, footer_bytes=3),
                   [tmp_path / "ok.bin"])
    name = str(tmp_path / "ok.bin")
    assert got == [[f"{name}:0".encode(), bytes([0, 1, 2, 3])],
                   [f"{name}:1".encode(), bytes([4, 5, 6, 7])]]

    tf.reset_default_graph()
    (tmp_path / "cut.bin").write_bytes(bytes(range(10)))
    queue = tf.train.string_input_producer([str(tmp_path / "cut.bin")], shuffle=False)
    _, value = tf.FixedLengthRecordReader(4).read(queue)
    with running() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"cut.bin.*truncated"):
            sess.run(value, options=TIMEOUT)
    with pytest.raises(ValueError):
        tf.FixedLengthRecordReader(0)


def test_whole_file_and_missing_file(tmp_path, no_thread_leak):
    (tmp_path / "x").write_bytes(b"\x00contents")
    assert _records(tf.WholeFileReader(), [tmp_path / "x"]) == [
        [str(tmp_path / "x").encode(), b"\x00contents"]]

    tf.reset_default_graph()
    queue = tf.train.string_input_producer([str(tmp_path / "nope")])
    _, value = tf.WholeFileReader().read(queue)
    with running() as sess:
        with pytest.raises(tf.errors.NotFoundError, match="nope"):
            sess.run(value, options=TIMEOUT)


def _example(label, values):
    return tf.train.Example(features=tf.train.Features(feature={
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
        "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"n%d" % label])),
        "values": tf.train.Feature(float_list=tf.train.FloatList(value=values)),
    })).SerializeToString()


def test_tfrecord_write_iterate_and_read(tmp_path, no_thread_leak):
    path = str(tmp_path / "data.tfrecord")
    with tf.python_io.TFRecordWriter(path) as writer:
        for i in range(3):
            writer.write(_example(i, [0.5] * (i + 1)))
    records = list(tf.python_io.tf_record_iterator(path))
    assert len(records) == 3
    got = _records(tf.TFRecordReader(), [path])
    assert [v for _, v in got] == records
    offsets = np.cumsum([0] + [len(r) + 16 for r in records[:-1]])   # 16 framing bytes each
    assert [k for k, _ in got] == [f"{path}:{o}".encode() for o in offsets]

    gz = str(tmp_path / "data.gz")
    options = tf.python_io.TFRecordOptions(tf.python_io.TFRecordCompressionType.GZIP)
    with tf.io.TFRecordWriter(gz, options) as writer:
        writer.write(b"zipped")
    tf.reset_default_graph()
    assert [v for _, v in _records(tf.TFRecordReader(options=options), [gz])] == [b"zipped"]


def test_tfrecord_corruption_is_data_loss(tmp_path, no_thread_leak):
    path = tmp_path / "bad.tfrecord"
    with tf.python_io.TFRecordWriter(str(path)) as writer:
        writer.write(b"payload")
    data = bytearray(path.read_bytes())
    data[14] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(tf.errors.DataLossError):
        list(tf.python_io.tf_record_iterator(str(path)))
    queue = tf.train.string_input_producer([str(path)])
    _, value = tf.TFRecordReader().read(queue)
    with running() as sess:
        with pytest.raises(tf.errors.DataLossError):
            sess.run(value, options=TIMEOUT)


def test_parse_example_dense_and_sparse():
    records = [_example(i, [0.5 * i] * (i + 1)) for i in range(3)]
    parsed = tf.parse_example(records, {"label": tf.FixedLenFeature([], tf.int64),
                                        "values": tf.VarLenFeature(tf.float32),
                                        "extra": tf.FixedLenFeature([2], tf.float32, [1., 2.])})
    assert parsed["label"].shape.as_list() == [3]
    assert parsed["extra"].shape.as_list() == [3, 2]
    with tf.Session(config=BOUNDED) as sess:
        out = sess.run(parsed)
    assert out["label"].tolist() == [0, 1, 2]
    assert out["extra"].tolist() == [[1., 2.]] * 3
    assert isinstance(out["values"], tf.SparseTensorValue)
    assert out["values"].indices.tolist() == [[0, 0], [1, 0], [1, 1], [2, 0], [2, 1], [2, 2]]
    assert out["values"].values.tolist() == [0., .5, .5, 1., 1., 1.]
    assert out["values"].dense_shape.tolist() == [3, 3]


def test_parse_single_example_and_errors():
    record = _example(7, [1.5, 2.5])
    parsed = tf.parse_single_example(record, {"label": tf.FixedLenFeature([], tf.int64),
                                              "name": tf.FixedLenFeature([], tf.string),
                                              "values": tf.VarLenFeature(tf.float32)})
    with tf.Session(config=BOUNDED) as sess:
        out = sess.run(parsed)
        assert out["label"] == 7 and out["name"] == b"n7"
        assert out["values"].indices.tolist() == [[0], [1]]
        assert out["values"].dense_shape.tolist() == [2]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Data types don't match"):
            sess.run(tf.parse_single_example(record, {"label": tf.FixedLenFeature([],
                                                                                  tf.float32)}))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Values size: 2"):
            sess.run(tf.parse_single_example(record, {"values": tf.FixedLenFeature([3],
                                                                                   tf.float32)}))
        with pytest.raises(tf.errors.InvalidArgumentError, match="required but could not"):
            sess.run(tf.parse_single_example(record, {"gone": tf.FixedLenFeature([],
                                                                                 tf.int64)}))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse"):
            sess.run(tf.parse_single_example(b"\xff\xff", {"label": tf.FixedLenFeature(
                [], tf.int64)}))


def test_decode_csv_types_defaults_and_quotes():
    records = ["1,,3.5,\"a,b\"", " 4 ,5,6e1,plain"]
    cols = tf.decode_csv(records, [[0], [9], [0.0], [""]])
    assert [c.dtype for c in cols] == [tf.int32, tf.int32, tf.float32, tf.string]
    assert cols[0].shape.as_list() == [2]
    with tf.Session(config=BOUNDED) as sess:
        a, b, c, d = sess.run(cols)
        assert a.tolist() == [1, 4] and b.tolist() == [9, 5]
        assert c.tolist() == [3.5, 60.0] and d.tolist() == [b"a,b", b"plain"]
        semi = sess.run(tf.decode_csv("1;x", [[0], ["?"]], field_delim=";"))
        assert semi == [1, b"x"]
        picked = sess.run(tf.decode_csv(["1,2,3"], [[0], [0]], select_cols=[0, 2]))
        assert [p.tolist() for p in picked] == [[1], [3]]
        na = sess.run(tf.decode_csv(["1,NA"], [[0], [-1]], na_value="NA"))
        assert [p.tolist() for p in na] == [[1], [-1]]
        wide = sess.run(tf.decode_csv(["9999999999"], [tf.constant([0], tf.int64)]))
        assert wide[0].tolist() == [9999999999]


@pytest.mark.parametrize("records,defaults,message", [
    (["1,2,3", "4,5"], [[1], [1], [1]], r"Expect 3 fields but have 2 in record 1.*4,5"),
    (["1,x,3"], [[1], [1], [1]], r"Field 1 in record 0 is not a valid int32: x"),
    (["1.5"], [[1]], r"not a valid int32"),
    (["abc"], [[1.0]], r"not a valid float"),
    (["9999999999"], [[1]], r"not a valid int32"),
    (["1,,3"], [[1], "required", [1]], r"Field 1 is required but missing"),
    (["\"open,1"], [[""], [1]], r"Quoted field"),
])
def test_decode_csv_bad_records(records, defaults, message):
    defaults = [tf.constant([], tf.int32) if d == "required" else d for d in defaults]
    with tf.Session(config=BOUNDED) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            sess.run(tf.decode_csv(records, defaults))


def test_decode_csv_rejects_bad_arguments():
    with pytest.raises(TypeError, match="record_defaults"):
        tf.decode_csv(["1"], [[True]])
    with pytest.raises(ValueError, match="select_cols"):
        tf.decode_csv(["1"], [[1]], select_cols=[0, 1])


def test_decode_raw():
    with tf.Session(config=BOUNDED) as sess:
        little = sess.run(tf.decode_raw(["abcd", "efgh"], tf.int16))
        assert little.tolist() == [list(struct.unpack("<2h", b"abcd")),
                                   list(struct.unpack("<2h", b"efgh"))]
        big = sess.run(tf.decode_raw("abcd", tf.int16, little_endian=False))
        assert big.tolist() == list(struct.unpack(">2h", b"abcd"))
        floats = sess.run(tf.decode_raw(np.float32([1.5, -2]).tobytes(), tf.float32))
        assert floats.tolist() == [1.5, -2.0]
        with pytest.raises(tf.errors.InvalidArgumentError, match="same size"):
            sess.run(tf.decode_raw(["abcd", "efg"], tf.uint8))
        with pytest.raises(tf.errors.InvalidArgumentError, match="not a multiple of 2"):
            sess.run(tf.decode_raw(["abc"], tf.int16))
    assert tf.decode_raw(tf.placeholder(tf.string, [3]), tf.int32).shape.as_list() == [3, None]


def test_read_write_and_match_files(tmp_path):
    target = str(tmp_path / "sub" / "out.bin")
    with tf.Session(config=BOUNDED) as sess:
        sess.run(tf.write_file(target, b"\x01\x02"))
        assert sess.run(tf.read_file(target)) == b"\x01\x02"
        assert sess.run(tf.matching_files(str(tmp_path / "sub" / "*.bin"))).tolist() == [
            target.encode()]
        with pytest.raises(tf.errors.NotFoundError):
            sess.run(tf.read_file(str(tmp_path / "missing")))
