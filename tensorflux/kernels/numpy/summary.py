"""Kernels of the summary ops (summary/summary_ops.py): each returns a serialized Summary.

The encodings follow TF1's kernels: histograms over TF's default bucket limits
(FORMATS.md section 4), images as PNG (float images rescaled per image), audio as 16-bit PCM
WAV. PNG and WAV are written here with zlib and struct, so no imaging package is needed.
"""
import struct
import sys
import zlib

import numpy as np

from tensorflux.formats import protos
from tensorflux.framework import errors
from tensorflux.framework.registry import kernel


def _text(value):
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _serialized(values):
    return np.array(protos.Summary(value=values).SerializeToString(), dtype=object)


def _bad(op_type, message):
    return errors.InvalidArgumentError(None, None, f"{op_type}: {message}")


# ----------------------------------------------------------------------------------------------
# Scalars, tensors and merging

@kernel("ScalarSummary")
def scalar_summary(tags, values):
    tags, values = np.asarray(tags, dtype=object), np.asarray(values)
    if tags.shape != values.shape:
        raise _bad("ScalarSummary", f"tags and values are not the same shape: "
                                    f"{list(tags.shape)} != {list(values.shape)}")
    return _serialized([protos.Summary.Value(tag=_text(tag), simple_value=float(value))
                        for tag, value in zip(tags.ravel(), values.ravel())])


@kernel("TensorSummaryV2")
def tensor_summary(tag, tensor, serialized_summary_metadata):
    metadata = protos.SummaryMetadata.FromString(_bytes(serialized_summary_metadata))
    tensor = np.asarray(tensor)
    value = protos.Summary.Value(tag=_text(tag), metadata=metadata,
                                 tensor=protos.make_tensor_proto(tensor))
    return _serialized([value])


def _bytes(value):
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


@kernel("MergeSummary")
def merge_summary(*inputs):
    merged, seen = [], set()
    for serialized in inputs:
        for value in protos.Summary.FromString(_bytes(serialized)).value:
            if value.tag in seen:
                raise _bad("MergeSummary", f"Duplicate tag {value.tag} found in summary inputs")
            seen.add(value.tag)
            merged.append(value)
    return _serialized(merged)


# ----------------------------------------------------------------------------------------------
# Histograms

def _default_bucket_limits():
    positive, value = [], 1e-12
    while value < 1e20:
        positive.append(value)
        value *= 1.1          # repeated multiplication, as TF: 1e-12 * 1.1**k rounds differently
    positive.append(sys.float_info.max)
    return np.array([-v for v in reversed(positive)] + [0.0] + positive)


BUCKET_LIMITS = _default_bucket_limits()


def histogram_proto(values):
    """The HistogramProto of `values` (any real array) over TF's default buckets."""
    values = np.asarray(values, dtype=np.float64).ravel()
    index = np.minimum(np.searchsorted(BUCKET_LIMITS, values, side="right"),
                       len(BUCKET_LIMITS) - 1)
    counts = np.bincount(index, minlength=len(BUCKET_LIMITS))
    limits, buckets = [], []
    i, n = 0, len(counts)
    while i < n:
        if counts[i]:
            limits.append(BUCKET_LIMITS[i])
            buckets.append(float(counts[i]))
            i += 1
            continue
        while i + 1 < n and not counts[i + 1]:   # a run of empty buckets is one entry
            i += 1
        limits.append(BUCKET_LIMITS[i])
        buckets.append(0.0)
        i += 1
    if values.size:
        low, high = float(values.min()), float(values.max())
    else:
        low, high = sys.float_info.max, -sys.float_info.max
    return protos.HistogramProto(min=low, max=high, num=float(values.size),
                                 sum=float(np.sum(values)),
                                 sum_squares=float(np.dot(values, values)),
                                 bucket_limit=limits, bucket=buckets)


@kernel("HistogramSummary")
def histogram_summary(tag, values):
    tag = _text(tag)
    values = np.asarray(values)
    if values.dtype.kind == "c" or values.dtype == object:
        raise _bad("HistogramSummary", f"{tag}: values must be real numbers")
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise _bad("HistogramSummary", f"Nan in summary histogram for: {tag}")
    return _serialized([protos.Summary.Value(tag=tag, histo=histogram_proto(values))])


# ----------------------------------------------------------------------------------------------
# Images

def encode_png(image):
    """PNG bytes of a uint8 array [height, width, channels], channels 1-4."""
    height, width, channels = image.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.concatenate([np.zeros((height, 1), np.uint8),             # filter type 0 per row
                           np.ascontiguousarray(image, np.uint8).reshape(height, -1)], axis=1)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def _image_to_uint8(image, bad_color):
    """One float image rescaled as TF1 does: [0, max] -> [0, 255] when nothing is negative,
    else [-m, m] -> [1, 255] around 128, m the largest magnitude; non-finite pixels get
    bad_color."""
    if image.dtype == np.uint8:
        return image
    image = image.astype(np.float32)
    finite = np.isfinite(image)
    pixel_ok = np.all(finite, axis=-1)
    values = image[finite]
    low = float(values.min()) if values.size else 0.0
    high = float(values.max()) if values.size else 0.0
    if low < 0:
        magnitude = max(-low, abs(high))
        scale, offset = (127.0 / magnitude if magnitude > 0 else 0.0), 128.0
    else:
        scale, offset = (255.0 / high if high > 0 else 0.0), 0.0
    with np.errstate(invalid="ignore"):
        out = np.where(finite, image * scale + offset, 0.0)
    out = np.clip(out, 0, 255).astype(np.uint8)         # truncates, as TF's cast
    out[~pixel_ok] = bad_color[:image.shape[-1]]
    return out


@kernel("ImageSummary")
def image_summary(tag, tensor, *, max_images=3, bad_color=None):
    tag = _text(tag)
    tensor = np.asarray(tensor)
    if tensor.ndim != 4 or tensor.shape[-1] not in (1, 3, 4):
        raise _bad("ImageSummary", f"{tag}: tensor must be 4-D [batch, height, width, "
                                   f"channels] with 1, 3 or 4 channels, got shape "
                                   f"{list(tensor.shape)}")
    if tensor.dtype != np.uint8 and tensor.dtype.kind != "f":
        raise _bad("ImageSummary", f"{tag}: images must be uint8 or floating point, "
                                   f"got {tensor.dtype}")
    bad_color = np.array([255, 0, 0, 255], np.uint8) if bad_color is None else \
        np.asarray(bad_color, np.uint8).ravel()
    count = min(int(max_images), tensor.shape[0])
    values = []
    for i in range(count):
        image = _image_to_uint8(tensor[i], bad_color)
        name = f"{tag}/image" if max_images == 1 else f"{tag}/image/{i}"
        values.append(protos.Summary.Value(tag=name, image=protos.Summary.Image(
            height=image.shape[0], width=image.shape[1], colorspace=image.shape[2],
            encoded_image_string=encode_png(image))))
    return _serialized(values)


# ----------------------------------------------------------------------------------------------
# Audio

def encode_wav(samples, sample_rate):
    """16-bit PCM WAV bytes of float samples [frames, channels] in [-1, 1] (clipped)."""
    frames, channels = samples.shape
    scaled = np.clip(samples.astype(np.float64) * 32768.0, -32768, 32767)
    pcm = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype("<i2")   # half away
    data = pcm.tobytes()
    rate = int(sample_rate)
    header = (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt "
              + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2,
                            channels * 2, 16)
              + b"data" + struct.pack("<I", len(data)))
    return header + data


@kernel("AudioSummaryV2")
def audio_summary(tag, tensor, sample_rate, *, max_outputs=3):
    tag = _text(tag)
    tensor = np.asarray(tensor, dtype=np.float32)
    if tensor.ndim == 2:
        tensor = tensor[:, :, None]
    if tensor.ndim != 3:
        raise _bad("AudioSummaryV2", f"{tag}: tensor must be [batch, frames] or [batch, "
                                     f"frames, channels], got shape {list(tensor.shape)}")
    rate = float(np.asarray(sample_rate))
    if rate <= 0:
        raise _bad("AudioSummaryV2", f"{tag}: sample_rate must be positive, got {rate}")
    values = []
    for i in range(min(int(max_outputs), tensor.shape[0])):
        name = f"{tag}/audio" if max_outputs == 1 else f"{tag}/audio/{i}"
        values.append(protos.Summary.Value(tag=name, audio=protos.Summary.Audio(
            sample_rate=rate, num_channels=tensor.shape[2], length_frames=tensor.shape[1],
            encoded_audio_string=encode_wav(tensor[i], rate), content_type="audio/wav")))
    return _serialized(values)
