"""Kernels of the image ops (ops/image.py): PNG/JPEG codecs through Pillow, and resizing with
TF1's sampling rules."""
import io

import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import kernel


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise errors.UnimplementedError(
            None, None, "Decoding and encoding images needs Pillow: pip install "
                        "tensorflux[images]") from None
    return Image


_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _decode(data, channels, dtype, formats):
    """The image in `data` as [height, width, channels] (or [frames, h, w, 3] for GIF)."""
    image_module = _pillow()
    data = bytes(data.item() if isinstance(data, np.ndarray) else data)
    try:
        image = image_module.open(io.BytesIO(data))
        kind = image.format
        if formats and kind not in formats:
            raise errors.InvalidArgumentError(
                None, None, f"Expected image ({'/'.join(formats)}), got {kind or 'unknown'} "
                            "data")
        if kind == "GIF" and formats is None:
            return _decode_gif(image, dtype)
        image.load()
    except errors.OpError:
        raise
    except Exception as exc:
        raise errors.InvalidArgumentError(
            None, None, f"Invalid {' or '.join(formats or ['image'])} data: {exc}") from None
    wide = image.mode in ("I;16", "I;16B", "I")
    if not channels:
        channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "P": 4 if "transparency" in
                    image.info else 3}.get(image.mode, 1 if wide else 3)
    if wide and channels == 1:
        array = np.asarray(image, dtype=np.int64)
    else:
        array = np.asarray(image.convert(_MODES[channels]))
    array = array.reshape(array.shape[:2] + (channels,))
    return _scale(array, 65535 if wide else 255, dtype)


def _decode_gif(image, dtype):
    frames = []
    try:
        while True:
            frames.append(np.asarray(image.convert("RGB")))
            image.seek(image.tell() + 1)
    except EOFError:
        pass
    return _scale(np.stack(frames), 255, dtype)


def _scale(array, top, dtype):
    """Pixel values (0..top) in the output dtype: integer types rescale, floats go to 0..1."""
    np_type = np.dtype(dtype.as_numpy_dtype)
    if np_type.kind == "f":
        return (array / top).astype(np_type)
    target = np.iinfo(np_type).max
    if target == top:
        return array.astype(np_type)
    return np.round(array.astype(np.float64) * (target / top)).astype(np_type)


@kernel("DecodePng")
def decode_png(contents, *, channels=0, dtype=None):
    return _decode(contents, channels, dtype, ["PNG"])


@kernel("DecodeJpeg")
def decode_jpeg(contents, *, channels=0, dtype=None):
    return _decode(contents, channels, dtype, ["JPEG", "MPO"])


@kernel("DecodeImage")
def decode_image(contents, *, channels=0, dtype=None):
    return _decode(contents, channels, dtype, None)


def _as_pillow(image, what):
    image_module = _pillow()
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise errors.InvalidArgumentError(
            None, None, f"{what}: image must be [height, width, channels] with 1 to 4 "
                        f"channels, got shape {list(image.shape)}")
    channels = image.shape[2]
    if image.dtype == np.uint16:
        if channels != 1:
            raise errors.UnimplementedError(
                None, None, f"{what}: 16-bit images with {channels} channels are not supported")
        return image_module.fromarray(image[:, :, 0].astype(np.uint16), "I;16")
    return image_module.fromarray(image[:, :, 0] if channels == 1 else image, _MODES[channels])


@kernel("EncodePng")
def encode_png(image, *, compression=-1):
    buffer = io.BytesIO()
    level = 6 if compression < 0 else min(int(compression), 9)
    _as_pillow(image, "EncodePng").save(buffer, format="PNG", compress_level=level)
    return np.array(buffer.getvalue(), dtype=object)


@kernel("EncodeJpeg")
def encode_jpeg(image, *, quality=95, progressive=False):
    if np.shape(image)[-1] not in (1, 3):
        raise errors.InvalidArgumentError(
            None, None, f"EncodeJpeg: image must have 1 or 3 channels, got shape "
                        f"{list(np.shape(image))}")
    buffer = io.BytesIO()
    _as_pillow(image, "EncodeJpeg").save(buffer, format="JPEG", quality=int(quality),
                                         progressive=bool(progressive))
    return np.array(buffer.getvalue(), dtype=object)


# ---- resizing: images [batch, height, width, channels] ----
def _check_resize(images, size):
    images = np.asarray(images)
    if images.ndim != 4:
        raise errors.InvalidArgumentError(None, None, f"input must be 4-dimensional, got shape "
                                                      f"{list(images.shape)}")
    height, width = (int(s) for s in np.reshape(size, [-1]))
    if height <= 0 or width <= 0:
        raise errors.InvalidArgumentError(None, None, f"output dimensions must be positive, "
                                                      f"got {[height, width]}")
    return images, height, width


def _scale_of(in_size, out_size, align_corners):
    if align_corners and out_size > 1:
        return (in_size - 1) / (out_size - 1)
    return in_size / out_size


def _source(out_size, in_size, align_corners, half_pixel_centers):
    """Where each output row/column samples the input, as TF1 computes it."""
    scale = _scale_of(in_size, out_size, align_corners)
    positions = np.arange(out_size, dtype=np.float64)
    if half_pixel_centers:
        return (positions + 0.5) * scale - 0.5
    return positions * scale


def _linear_weights(out_size, in_size, align_corners, half_pixel_centers):
    where = _source(out_size, in_size, align_corners, half_pixel_centers)
    low = np.floor(where)
    frac = where - low
    low_index = np.clip(low, 0, in_size - 1).astype(np.int64)
    high_index = np.clip(low + 1, 0, in_size - 1).astype(np.int64)
    return low_index, high_index, frac


@kernel("ResizeBilinear")
def resize_bilinear(images, size, *, align_corners=False, half_pixel_centers=False):
    images, height, width = _check_resize(images, size)
    data = images.astype(np.float32)
    y0, y1, dy = _linear_weights(height, images.shape[1], align_corners, half_pixel_centers)
    x0, x1, dx = _linear_weights(width, images.shape[2], align_corners, half_pixel_centers)
    dy = dy.astype(np.float32)[None, :, None, None]
    dx = dx.astype(np.float32)[None, None, :, None]
    top = data[:, y0][:, :, x0] * (1 - dx) + data[:, y0][:, :, x1] * dx
    bottom = data[:, y1][:, :, x0] * (1 - dx) + data[:, y1][:, :, x1] * dx
    return (top * (1 - dy) + bottom * dy).astype(np.float32)


def _nearest_index(out_size, in_size, align_corners, half_pixel_centers):
    scale = _scale_of(in_size, out_size, align_corners)
    positions = np.arange(out_size, dtype=np.float64)
    if half_pixel_centers:
        where = np.floor((positions + 0.5) * scale)
    elif align_corners:
        where = np.floor(positions * scale + 0.5)   # half away from zero, as C's roundf
    else:
        where = np.floor(positions * scale)
    return np.clip(where, 0, in_size - 1).astype(np.int64)


@kernel("ResizeNearestNeighbor")
def resize_nearest_neighbor(images, size, *, align_corners=False, half_pixel_centers=False):
    images, height, width = _check_resize(images, size)
    rows = _nearest_index(height, images.shape[1], align_corners, half_pixel_centers)
    cols = _nearest_index(width, images.shape[2], align_corners, half_pixel_centers)
    return images[:, rows][:, :, cols]


def _cubic_matrix(out_size, in_size, align_corners, half_pixel_centers):
    """[out, in] interpolation weights of Keys' cubic kernel (a = -0.75, as TF).

    TF reads the weights from a table of 1024 steps, so the fraction is rounded to 1/1024.
    """
    a = -0.75
    where = _source(out_size, in_size, align_corners, half_pixel_centers)
    base = np.floor(where)
    frac = np.round((where - base) * 1024) / 1024
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    for offset in (-1, 0, 1, 2):
        distance = np.abs(frac - offset)
        weight = np.where(distance <= 1, ((a + 2) * distance - (a + 3)) * distance ** 2 + 1,
                          ((a * distance - 5 * a) * distance + 8 * a) * distance - 4 * a)
        weight = np.where(distance < 2, weight, 0.0)
        index = np.clip(base + offset, 0, in_size - 1).astype(np.int64)
        np.add.at(matrix, (np.arange(out_size), index), weight)
    return matrix


def _area_matrix(out_size, in_size):
    """[out, in] weights averaging the input span each output pixel covers."""
    scale = in_size / out_size
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    for i in range(out_size):
        start, end = i * scale, (i + 1) * scale
        for j in range(int(np.floor(start)), min(int(np.ceil(end)), in_size)):
            matrix[i, j] = min(end, j + 1) - max(start, j)
        matrix[i] /= scale
    return matrix


def _separable(images, rows, cols):
    data = images.astype(np.float64)
    out = np.einsum("oh,bhwc->bowc", rows, data)
    out = np.einsum("pw,bowc->bopc", cols, out)
    return out.astype(np.float32)


@kernel("ResizeBicubic")
def resize_bicubic(images, size, *, align_corners=False, half_pixel_centers=False):
    images, height, width = _check_resize(images, size)
    return _separable(images,
                      _cubic_matrix(height, images.shape[1], align_corners, half_pixel_centers),
                      _cubic_matrix(width, images.shape[2], align_corners, half_pixel_centers))


@kernel("ResizeArea")
def resize_area(images, size, *, align_corners=False):
    images, height, width = _check_resize(images, size)
    return _separable(images, _area_matrix(height, images.shape[1]),
                      _area_matrix(width, images.shape[2]))
