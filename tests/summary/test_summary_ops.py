"""Summary ops: names and tags as TF1 makes them, and the Summary each evaluates to (TF's
histogram buckets, PNG images, WAV audio); compared with real TF where it is installed."""
import io
import json
import struct
import zlib

import numpy as np
import pytest

import tensorflux as tf
from tensorflux.formats.protos import make_ndarray
from tensorflux.kernels.numpy.summary import BUCKET_LIMITS
from realtf import run_tf


def _run(summary_op, feed=None):
    with tf.Session() as sess:
        return tf.Summary.FromString(sess.run(summary_op, feed))


def _decode_png(data):
    """Pixels of a non-interlaced 8-bit PNG with filter 0 rows (what the kernel writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        chunks[kind] = chunks.get(kind, b"") + data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == \
            zlib.crc32(kind + data[pos + 8:pos + 8 + length])
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert depth == 8 and not rows[:, 0].any()
    return rows[:, 1:].reshape(height, width, channels)


def test_scalar_names_tags_and_collections():
    loss = tf.constant(0.25, name="value")
    first = tf.summary.scalar("loss", loss)
    second = tf.summary.scalar("loss", loss)
    with tf.name_scope("train"):
        scoped = tf.summary.scalar("acc", tf.constant(1, tf.int64))
    family = tf.summary.scalar("lr", loss, family="opt", collections=["mine"])
    graph = tf.get_default_graph()
    assert [first.op.name, second.op.name, scoped.op.name] == ["loss", "loss_1", "train/acc"]
    assert first.op.type == "ScalarSummary" and first.dtype == tf.string
    assert graph.get_operation_by_name("loss/tags").type == "Const"
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [first, second, scoped]
    assert tf.get_collection("mine") == [family]
    values = [(v.tag, v.simple_value) for s in (first, second, scoped, family)
              for v in _run(s).value]
    assert values == [("loss", 0.25), ("loss_1", 0.25), ("train/acc", 1.0),
                      ("opt/opt/lr", 0.25)]


def test_scalar_of_the_wrong_shape_fails_at_run_time():
    summary = tf.summary.scalar("bad", tf.constant([1.0, 2.0]))
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
        sess.run(summary)
    with pytest.raises(TypeError, match="real numbers"):
        tf.summary.scalar("s", tf.constant("text"))


def test_histogram_uses_tf_default_buckets():
    assert len(BUCKET_LIMITS) == 1551 and BUCKET_LIMITS[775] == 0.0
    assert BUCKET_LIMITS[776] == 1e-12 and BUCKET_LIMITS[-1] == np.finfo(np.float64).max
    values = np.array([1.0, 2.0, -3.0, 0.0, -0.0, 1e-13])
    histo = _run(tf.summary.histogram("h", values)).value[0].histo
    assert (histo.min, histo.max, histo.num, histo.sum) == (-3.0, 2.0, 6.0, 1e-13)
    assert histo.sum_squares == pytest.approx(14.0)
    limits, counts = np.array(histo.bucket_limit), np.array(histo.bucket)
    assert counts.sum() == 6 and limits[-1] == np.finfo(np.float64).max
    assert counts[list(limits).index(1e-12)] == 3        # 0.0, -0.0 and 1e-13
    assert all(counts[i] == 0 for i in range(0, len(counts), 2))   # runs of empty buckets
    empty = _run(tf.summary.histogram("e", tf.zeros([0]))).value[0].histo
    assert list(empty.bucket_limit) == [np.finfo(np.float64).max] and list(empty.bucket) == [0]
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="Nan in summary histogram for: n"):
        sess.run(tf.summary.histogram("n", [1.0, np.nan]))


def test_images_are_pngs_scaled_like_tf():
    images = np.array([[[[0.0], [0.5]], [[1.0], [0.25]]],
                       [[[-1.0], [0.5]], [[2.0], [np.nan]]]], np.float32)
    summary = _run(tf.summary.image("im", images))
    assert [v.tag for v in summary.value] == ["im/image/0", "im/image/1"]
    first, second = summary.value
    assert (first.image.height, first.image.width, first.image.colorspace) == (2, 2, 1)
    assert _decode_png(first.image.encoded_image_string)[..., 0].tolist() == [[0, 127],
                                                                            [255, 63]]
    assert _decode_png(second.image.encoded_image_string)[..., 0].tolist() == [[64, 159],
                                                                             [255, 255]]
    rgb = np.random.RandomState(0).randint(0, 256, (3, 4, 5, 3)).astype(np.uint8)
    summary = _run(tf.summary.image("rgb", rgb, max_outputs=1))
    assert [v.tag for v in summary.value] == ["rgb/image"]
    np.testing.assert_array_equal(_decode_png(summary.value[0].image.encoded_image_string),
                                  rgb[0])
    with pytest.raises(ValueError, match="4-D"):
        tf.summary.image("flat", tf.zeros([4, 4]))


def test_images_decode_with_pillow():
    image_module = pytest.importorskip("PIL.Image")
    rgba = np.random.RandomState(1).randint(0, 256, (1, 3, 2, 4)).astype(np.uint8)
    data = _run(tf.summary.image("x", rgba)).value[0].image.encoded_image_string
    np.testing.assert_array_equal(np.asarray(image_module.open(io.BytesIO(data))), rgba[0])


def test_audio_is_16_bit_wav():
    clip = np.array([[0.0, 0.5, -0.5, 1.0, -1.0, 2.0, 0.123456]], np.float32)
    summary = _run(tf.summary.audio("au", clip, 8000))
    (value,) = summary.value
    assert value.tag == "au/audio/0"
    audio = value.audio
    assert (audio.sample_rate, audio.num_channels, audio.length_frames, audio.content_type) == \
        (8000.0, 1, 7, "audio/wav")
    data = audio.encoded_audio_string
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt " and data[36:40] == b"data"
    assert struct.unpack("<HHIIHH", data[20:36]) == (1, 1, 8000, 16000, 2, 16)
    assert np.frombuffer(data[44:], "<i2").tolist() == [0, 16384, -16384, 32767, -32768,
                                                         32767, 4045]
    stereo = _run(tf.summary.audio("st", tf.zeros([2, 3, 2]), 100, max_outputs=1))
    assert [v.tag for v in stereo.value] == ["st/audio"]
    assert stereo.value[0].audio.num_channels == 2


def test_text_and_tensor_summaries():
    summary = _run(tf.summary.text("notes", tf.constant(["*hello*", "world"])))
    (value,) = summary.value
    assert value.tag == "notes" and value.metadata.plugin_data.plugin_name == "text"
    assert value.tensor.string_val == [b"*hello*", b"world"]
    with pytest.raises(ValueError, match="dtype string"):
        tf.summary.text("n", tf.constant(1.0))
    raw = _run(tf.summary.tensor_summary("t", tf.constant([[1, 2]]), display_name="T"))
    assert raw.value[0].metadata.display_name == "T"
    assert make_ndarray(raw.value[0].tensor).tolist() == [[1, 2]]


def test_merge_and_merge_all():
    assert tf.summary.merge_all() is None
    a = tf.summary.scalar("a", tf.constant(1.0))
    b = tf.summary.histogram("b", tf.constant([1.0]))
    merged = tf.summary.merge_all()
    assert merged.op.name == "Merge/MergeSummary" and merged.op.type == "MergeSummary"
    assert [v.tag for v in _run(merged).value] == ["a", "b"]
    assert [v.tag for v in _run(tf.summary.merge([b, a])).value] == ["b", "a"]
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="Duplicate tag a"):
        sess.run(tf.summary.merge([a, a]))


# ----------------------------------------------------------------------------------------------
# Real TensorFlow computes the same summaries

_TF_SUMMARIES = """
values = np.array(json.loads(ARGS[0]))
images = np.array(json.loads(ARGS[1]), np.float32)
clip = np.array(json.loads(ARGS[2]), np.float32)
ops = [tf.summary.histogram("h", values), tf.summary.image("im", images),
       tf.summary.audio("au", clip, 16000, max_outputs=1)]
with tf.Session() as sess:
    print(json.dumps([sess.run(op).hex() for op in ops]))
"""


def test_summaries_match_real_tensorflow():
    rng = np.random.RandomState(3)
    values = np.concatenate([rng.standard_normal(1000) * 10.0 ** rng.randint(-15, 18, 1000),
                             [5e21, -5e21, 0.0, -0.0, 1e-12, -1e-12]])
    images = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    images[1] = np.abs(images[1])
    clip = np.clip(rng.standard_normal((1, 50, 2)) * 0.5, -1.2, 1.2).astype(np.float32)
    clip[0, :4, 0] = [0.5 / 32768, -0.5 / 32768, 1.5 / 32768, 1.0]
    theirs = [tf.Summary.FromString(bytes.fromhex(h)) for h in json.loads(run_tf(
        _TF_SUMMARIES, json.dumps(values.tolist()), json.dumps(images.tolist()),
        json.dumps(clip.tolist())))]
    ours = [_run(tf.summary.histogram("h", values)), _run(tf.summary.image("im", images)),
            _run(tf.summary.audio("au", clip, 16000, max_outputs=1))]
    mine, tf_histo = ours[0].value[0].histo, theirs[0].value[0].histo
    assert list(mine.bucket_limit) == list(tf_histo.bucket_limit)
    assert list(mine.bucket) == list(tf_histo.bucket)
    assert (mine.min, mine.max, mine.num) == (tf_histo.min, tf_histo.max, tf_histo.num)
    assert mine.sum == pytest.approx(tf_histo.sum, rel=1e-9, abs=1e-9)
    assert [v.tag for v in ours[1].value] == [v.tag for v in theirs[1].value]
    for a, b in zip(ours[1].value, theirs[1].value):
        assert (a.image.height, a.image.width, a.image.colorspace) == \
            (b.image.height, b.image.width, b.image.colorspace)
        np.testing.assert_array_equal(_decode_png(a.image.encoded_image_string),
                                      _png_pixels(b.image.encoded_image_string))
    assert ours[2].value[0].tag == theirs[2].value[0].tag
    assert ours[2].value[0].audio == theirs[2].value[0].audio


def _png_pixels(data):
    """Pixels of TF's PNG (which may use other row filters): decoded with Pillow if present."""
    image_module = pytest.importorskip("PIL.Image")
    return np.asarray(image_module.open(io.BytesIO(data)))
