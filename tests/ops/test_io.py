"""Readers (and their saved states), TFRecord files, decode_csv and decode_raw."""
import json
import struct

import numpy as np
import pytest

import tensorflux as tf
from queue_session import BOUNDED, running
from realtf import run_tf
from tensorflux.formats import protos

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


# ---- reader state ----
def _state(work_started=0, work_finished=0, num_records_produced=0, current_work=b""):
    return protos.ReaderBaseState(work_started=work_started, work_finished=work_finished,
                                  num_records_produced=num_records_produced,
                                  current_work=current_work).SerializeToString()


def _identity_reader_with_work(items):
    queue = tf.FIFOQueue(10, tf.string, shapes=[[]])
    reader = tf.IdentityReader(name="idr")
    return queue.enqueue_many([items]), reader, reader.read(queue)


def test_identity_reader_state_round_trip():
    fill, reader, (key, value) = _identity_reader_with_work(["a", "b", "c", "d"])
    state = reader.serialize_state()
    assert (state.dtype, state.shape.as_list()) == (tf.string, [])
    counts = [reader.num_work_units_completed(), reader.num_records_produced()]
    with tf.Session(config=BOUNDED) as sess:
        sess.run(fill)
        assert sess.run(state) == b""
        assert sess.run([key, value], options=TIMEOUT) == [b"a", b"a"]
        # ReaderBaseState: 1 work_started, 2 work_finished, 3 num_records_produced,
        # 4 current_work (the identity reader finishes each work unit as it reads it).
        saved = sess.run(state)
        assert saved == b"\x08\x01\x10\x01\x18\x01\x22\x01a"
        assert sess.run(value, options=TIMEOUT) == b"b"
        assert sess.run(counts) == [2, 2]
        sess.run(reader.restore_state(saved))
        assert sess.run(counts) == [1, 1]
        assert sess.run(value, options=TIMEOUT) == b"c"      # the queue is not rewound
        assert sess.run(state) == _state(2, 2, 2, b"c")
        sess.run(reader.restore_state(_state(5, 5, 7, b"z")))
        assert sess.run(counts) == [5, 7]
        assert sess.run(value, options=TIMEOUT) == b"d"
        assert protos.ReaderBaseState.FromString(sess.run(state)) == protos.ReaderBaseState(
            work_started=6, work_finished=6, num_records_produced=8, current_work=b"d")
        sess.run(reader.restore_state(b""))                   # all zero
        assert sess.run(counts) == [0, 0]
        sess.run(reader.restore_state(saved))
        sess.run(reader.reset())
        assert sess.run(state) == b""


def test_whole_file_reader_saves_its_state(tmp_path, no_thread_leak):
    (tmp_path / "x").write_bytes(b"data")
    reader = tf.WholeFileReader()
    queue = tf.train.string_input_producer([str(tmp_path / "x")], shuffle=False)
    _, value = reader.read(queue)
    with running() as sess:
        assert sess.run(value, options=TIMEOUT) == b"data"
        assert sess.run(reader.serialize_state()) == _state(1, 1, 1, str(tmp_path / "x").encode())
        sess.run(reader.restore_state(_state(3, 3, 4)))
        assert sess.run(reader.num_records_produced()) == 4


def test_readers_that_cannot_save_their_state(tmp_path):
    readers = [tf.TextLineReader(), tf.FixedLengthRecordReader(4), tf.TFRecordReader()]
    assert [r.supports_serialize for r in readers] == [False] * 3
    assert tf.IdentityReader().supports_serialize and tf.WholeFileReader().supports_serialize
    with tf.Session(config=BOUNDED) as sess:
        for reader in readers:
            with pytest.raises(tf.errors.UnimplementedError) as info:
                sess.run(reader.serialize_state())
            assert info.value.message == "Reader SerializeState"
            with pytest.raises(tf.errors.UnimplementedError) as info:
                sess.run(reader.restore_state(b""))
            assert info.value.message == "Reader RestoreState"


@pytest.mark.parametrize("state, message", [
    (b"\xff\xff", "Could not parse state for IdentityReader 'idr': \\377\\377"),
    (_state(-1), "Unexpected negative value when restoring in IdentityReader 'idr': "
                 "work_started: -1\n"),
    (_state(0, 0, -3), "Unexpected negative value when restoring in IdentityReader 'idr': "
                       "num_records_produced: -3\n"),
    # TF restores only states with no work unit half done.
    (_state(2, 1, 0, b"x"), "Inconsistent work started vs. finished when restoring in "
                            "IdentityReader 'idr': work_started: 2\nwork_finished: 1\n"
                            "current_work: \"x\"\n"),
])
def test_corrupt_state_is_invalid_argument_and_resets_the_reader(state, message):
    fill, reader, (_, value) = _identity_reader_with_work(["a", "b"])
    with tf.Session(config=BOUNDED) as sess:
        sess.run(fill)
        sess.run(value, options=TIMEOUT)
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(reader.restore_state(state))
        assert info.value.message == message
        assert sess.run(reader.serialize_state()) == b""


def test_reader_state_must_be_a_scalar():
    reader = tf.IdentityReader()
    with pytest.raises(ValueError, match="rank 0 but is rank 1"):
        reader.restore_state([b""])
    state = tf.placeholder(tf.string)
    with tf.Session(config=BOUNDED) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Reader state must be scalar, but had shape: \[1\]"):
            sess.run(reader.restore_state(state), {state: [b""]})


_TF_READER_STATES = """
queue = tf.FIFOQueue(10, tf.string, shapes=[[]])
reader = tf.IdentityReader()
_, value = reader.read(queue)
state = reader.serialize_state()
out = []
with tf.Session() as sess:
    sess.run(queue.enqueue_many([["a", "b", "c"]]))
    out.append(sess.run(state).hex())
    sess.run(value)
    out.append(sess.run(state).hex())
    sess.run(reader.restore_state(bytes.fromhex(ARGS[0])))
    out.append([int(sess.run(reader.num_records_produced())),
                int(sess.run(reader.num_work_units_completed()))])
    sess.run(value)
    out.append(sess.run(state).hex())
print(json.dumps(out))
"""


def test_reader_states_match_real_tensorflow():
    fill, reader, (_, value) = _identity_reader_with_work(["a", "b", "c"])
    state = reader.serialize_state()
    ours = _state(4, 4, 9, b"zz")
    theirs = json.loads(run_tf(_TF_READER_STATES, ours.hex()))
    with tf.Session(config=BOUNDED) as sess:
        sess.run(fill)
        mine = [sess.run(state).hex()]
        sess.run(value, options=TIMEOUT)
        mine.append(sess.run(state).hex())
        sess.run(reader.restore_state(ours))
        mine.append([int(sess.run(reader.num_records_produced())),
                     int(sess.run(reader.num_work_units_completed()))])
        sess.run(value, options=TIMEOUT)
        mine.append(sess.run(state).hex())
    assert mine == theirs
    assert theirs[3] == _state(5, 5, 10, b"b").hex()
