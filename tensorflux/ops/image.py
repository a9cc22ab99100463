"""tf.image: decoding and encoding PNG/JPEG (through Pillow), resizing, cropping, flips and the
random colour distortions of the CIFAR-10 input pipeline.

Images are [height, width, channels] tensors, or [batch, height, width, channels] where an op
says so. Composite transforms are built from array and math ops, so they need no kernels.
"""
import enum

import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.graph import Tensor, convert_to_tensor, get_default_graph
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.framework.shapes import TensorShape
from tensorflux.ops import array, math
from tensorflux.ops.control_flow import cond
from tensorflux.ops.op_util import apply_op, check_dtype, constant_value
from tensorflux.ops.random import random_crop, random_uniform


def _scope(name, default):
    return get_default_graph().name_scope(name or default)


# ---- decoding and encoding ----
def _infer_decode(op):
    channels = op.attrs.get("channels", 0)
    dtype = op.attrs.get("dtype", dtypes.uint8)
    return [(dtype, TensorShape([None, None, channels or None]))]


register_op("DecodePng", _infer_decode)
register_op("DecodeJpeg", _infer_decode)
register_op("DecodeImage", lambda op: [(op.attrs.get("dtype", dtypes.uint8), TensorShape(None))])
register_op("EncodePng", lambda op: [(dtypes.string, TensorShape([]))])
register_op("EncodeJpeg", lambda op: [(dtypes.string, TensorShape([]))])
not_differentiable("DecodePng", "DecodeJpeg", "DecodeImage", "EncodePng", "EncodeJpeg")


def _contents(contents):
    return convert_to_tensor(contents, dtype=dtypes.string, name="contents")


def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None):
    """A PNG as a uint8 (or uint16) tensor [height, width, channels]; channels 0 keeps the
    file's, 1 grey, 3 RGB, 4 RGBA."""
    dtype = dtypes.as_dtype(dtype)
    if dtype not in (dtypes.uint8, dtypes.uint16):
        raise TypeError(f"decode_png: dtype must be uint8 or uint16, got {dtype.name}")
    return apply_op("DecodePng", [_contents(contents)],
                    {"channels": _channels(channels), "dtype": dtype}, name or "DecodePng")


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    """A JPEG as a uint8 tensor [height, width, channels] (channels 0, 1 or 3)."""
    if int(ratio) not in (1, 2, 4, 8):
        raise ValueError(f"decode_jpeg: ratio must be 1, 2, 4 or 8, got {ratio}")
    return apply_op("DecodeJpeg", [_contents(contents)],
                    {"channels": _channels(channels, (0, 1, 3)), "ratio": int(ratio),
                     "dtype": dtypes.uint8}, name or "DecodeJpeg")


def decode_image(contents, channels=None, dtype=dtypes.uint8, name=None,
                 expand_animations=True):
    """A PNG, JPEG, GIF or BMP image as [height, width, channels] (GIF: [frames, h, w, 3])."""
    return apply_op("DecodeImage", [_contents(contents)],
                    {"channels": _channels(channels or 0), "dtype": dtypes.as_dtype(dtype)},
                    name or "decode_image")


def _channels(channels, allowed=(0, 1, 2, 3, 4)):
    channels = int(channels)
    if channels not in allowed:
        raise ValueError(f"channels must be one of {list(allowed)}, got {channels}")
    return channels


def encode_png(image, compression=-1, name=None):
    """PNG bytes of a uint8 or uint16 image [height, width, channels] (1 to 4 channels)."""
    image = convert_to_tensor(image, name="image")
    check_dtype("EncodePng", "image", image, (dtypes.uint8, dtypes.uint16))
    _check_rank("encode_png", image, 3)
    return apply_op("EncodePng", [image], {"compression": int(compression),
                                           "T": image.dtype.base_dtype}, name or "EncodePng")


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                xmp_metadata="", name=None):
    """JPEG bytes of a uint8 image [height, width, channels] (1 or 3 channels)."""
    image = convert_to_tensor(image, dtype=dtypes.uint8, name="image")
    _check_rank("encode_jpeg", image, 3)
    return apply_op("EncodeJpeg", [image], {"quality": int(quality),
                                            "progressive": bool(progressive)},
                    name or "EncodeJpeg")


def _check_rank(what, image, *ranks):
    if image.shape.ndims is not None and image.shape.ndims not in ranks:
        raise ValueError(f"{what}: 'image' must have rank {' or '.join(map(str, ranks))}, got "
                         f"shape {image.shape}")


# ---- resizing ----
class ResizeMethod(enum.IntEnum):
    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


_RESIZE_OPS = {ResizeMethod.BILINEAR: "ResizeBilinear",
               ResizeMethod.NEAREST_NEIGHBOR: "ResizeNearestNeighbor",
               ResizeMethod.BICUBIC: "ResizeBicubic", ResizeMethod.AREA: "ResizeArea"}


def _infer_resize(op):
    images, size = op.inputs
    value = constant_value(size)
    height, width = (None, None) if value is None else (int(value[0]), int(value[1]))
    batch = images.shape[0] if images.shape.ndims == 4 else None
    channels = images.shape[3] if images.shape.ndims == 4 else None
    dtype = (images.dtype.base_dtype if op.type == "ResizeNearestNeighbor"
             else dtypes.float32)
    return [(dtype, TensorShape([batch, height, width, channels]))]


for _type in _RESIZE_OPS.values():
    register_op(_type, _infer_resize)
    not_differentiable(_type)


def resize_images(images, size, method=ResizeMethod.BILINEAR, align_corners=False,
                  preserve_aspect_ratio=False, name=None):
    """`images` (3-D or 4-D) resized to `size` = [new_height, new_width].

    Bilinear, bicubic and area give float32; nearest neighbour keeps the dtype. Sampling
    follows TF1 (align_corners=False: source = destination * in_size / out_size).
    """
    with _scope(name, "resize"):
        images = convert_to_tensor(images, name="images")
        _check_rank("resize_images", images, 3, 4)
        single = images.shape.ndims == 3
        if single:
            images = array.expand_dims(images, 0)
        if preserve_aspect_ratio:
            size = _aspect_preserving_size(images, size)
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        out = apply_op(_RESIZE_OPS[ResizeMethod(method)], [images, size],
                       {"T": images.dtype.base_dtype, "align_corners": bool(align_corners),
                        "half_pixel_centers": False}, _RESIZE_OPS[ResizeMethod(method)])
        return array.squeeze(out, [0]) if single else out


def _aspect_preserving_size(images, size):
    height, width = images.shape[1], images.shape[2]
    if height is None or width is None or isinstance(size, Tensor):
        raise ValueError("resize_images(preserve_aspect_ratio=True) needs static image sizes")
    scale = min(size[0] / height, size[1] / width)
    return [int(round(height * scale)), int(round(width * scale))]


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    images = convert_to_tensor(images, name="images")
    size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
    return apply_op("ResizeBilinear", [images, size],
                    {"T": images.dtype.base_dtype, "align_corners": bool(align_corners),
                     "half_pixel_centers": bool(half_pixel_centers)}, name or "ResizeBilinear")


def resize_nearest_neighbor(images, size, align_corners=False, name=None,
                            half_pixel_centers=False):
    images = convert_to_tensor(images, name="images")
    size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
    return apply_op("ResizeNearestNeighbor", [images, size],
                    {"T": images.dtype.base_dtype, "align_corners": bool(align_corners),
                     "half_pixel_centers": bool(half_pixel_centers)},
                    name or "ResizeNearestNeighbor")


# ---- cropping and padding (static sizes, built from slice and pad) ----
def _hwc(image, what):
    image = convert_to_tensor(image, name="image")
    _check_rank(what, image, 3, 4)
    return image


def _dims(image):
    """(height, width) as ints when known, else scalar tensors."""
    rank = image.shape.ndims
    h, w = image.shape[rank - 3], image.shape[rank - 2]
    shape = array.shape(image)
    return (h if h is not None else shape[rank - 3], w if w is not None else shape[rank - 2])


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The `target_height` x `target_width` window at (offset_height, offset_width)."""
    with _scope(None, "crop_to_bounding_box"):
        image = _hwc(image, "crop_to_bounding_box")
        if image.shape.ndims == 3:
            return array.slice(image, array.stack([offset_height, offset_width, 0]),
                               array.stack([target_height, target_width, -1]))
        return array.slice(image, array.stack([0, offset_height, offset_width, 0]),
                           array.stack([-1, target_height, target_width, -1]))


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """`image` placed at (offset_height, offset_width) in a zero image of the target size."""
    with _scope(None, "pad_to_bounding_box"):
        image = _hwc(image, "pad_to_bounding_box")
        height, width = _dims(image)
        after_h = math.subtract(math.subtract(target_height, offset_height), height)
        after_w = math.subtract(math.subtract(target_width, offset_width), width)
        rows = [array.stack([offset_height, after_h]), array.stack([offset_width, after_w]),
                [0, 0]]
        if image.shape.ndims == 4:
            rows = [[0, 0]] + rows
        paddings = array.stack([array.cast(r, dtypes.int32) if isinstance(r, Tensor)
                                else convert_to_tensor(r, dtype=dtypes.int32) for r in rows])
        return array.pad(image, paddings)


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """Centrally crops or zero-pads `image` to target_height x target_width."""
    with _scope(None, "resize_image_with_crop_or_pad"):
        image = _hwc(image, "resize_image_with_crop_or_pad")
        height, width = _dims(image)
        crop_h = math.maximum(math.floordiv(math.subtract(height, target_height), 2), 0)
        crop_w = math.maximum(math.floordiv(math.subtract(width, target_width), 2), 0)
        pad_h = math.maximum(math.floordiv(math.subtract(target_height, height), 2), 0)
        pad_w = math.maximum(math.floordiv(math.subtract(target_width, width), 2), 0)
        cropped = crop_to_bounding_box(image, crop_h, crop_w,
                                       math.minimum(target_height, height),
                                       math.minimum(target_width, width))
        out = pad_to_bounding_box(cropped, pad_h, pad_w, target_height, target_width)
        static = [target_height, target_width]
        if all(isinstance(d, int) for d in static):
            rank = out.shape.ndims
            shape = image.shape.as_list() if image.shape.ndims is not None else [None] * rank
            shape[rank - 3:rank - 1] = static
            out.set_shape(shape)
        return out


resize_with_crop_or_pad = resize_image_with_crop_or_pad


def central_crop(image, central_fraction):
    """The central `central_fraction` (0, 1] of the image's height and width."""
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    with _scope(None, "central_crop"):
        image = _hwc(image, "central_crop")
        if central_fraction == 1.0:
            return image
        rank = image.shape.ndims
        height, width = image.shape[rank - 3], image.shape[rank - 2]
        if height is None or width is None:
            raise ValueError("central_crop needs an image of known height and width")
        top = int((height - height * central_fraction) / 2)
        left = int((width - width * central_fraction) / 2)
        return crop_to_bounding_box(image, top, left, height - 2 * top, width - 2 * left)


# ---- flips ----
def flip_left_right(image):
    image = _hwc(image, "flip_left_right")
    return array.reverse(image, [image.shape.ndims - 2])


def flip_up_down(image):
    image = _hwc(image, "flip_up_down")
    return array.reverse(image, [image.shape.ndims - 3])


def _random_flip(image, axis, seed, name):
    with _scope(None, name):
        image = _hwc(image, name)
        if image.shape.ndims == 4:
            raise ValueError(f"{name} takes a single image [height, width, channels]")
        mirror = math.less(random_uniform([], 0, 1.0, seed=seed), 0.5)
        return cond(mirror, lambda: array.reverse(image, [axis]), lambda: image)


def random_flip_left_right(image, seed=None):
    """The image mirrored left-right with probability 1/2."""
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """The image flipped upside down with probability 1/2."""
    return _random_flip(image, 0, seed, "random_flip_up_down")


# ---- colour ----
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Converts between integer images (0..MAX) and float images (0..1), scaling values."""
    with _scope(name, "convert_image"):
        image = convert_to_tensor(image, name="image")
        dtype = dtypes.as_dtype(dtype)
        source = image.dtype.base_dtype
        if source == dtype:
            return array.identity(image)
        if source.is_floating and dtype.is_floating:
            return array.cast(image, dtype)
        if source.is_integer and dtype.is_integer:
            scaled = math.multiply(array.cast(image, dtypes.float64),
                                   (dtype.max + 1.0) / (source.max + 1.0))
            return array.cast(scaled, dtype)
        if source.is_integer:
            return math.multiply(array.cast(image, dtype), 1.0 / source.max)
        scaled = math.multiply(image, dtype.max + 0.5)
        if saturate:
            scaled = math.minimum(math.maximum(scaled, 0.0), float(dtype.max))
        return array.cast(scaled, dtype)


def _as_float(image):
    """(float image, restore) where restore converts back to the input's dtype."""
    image = convert_to_tensor(image, name="image")
    source = image.dtype.base_dtype
    if source in (dtypes.float16, dtypes.float32, dtypes.float64):
        return image, lambda x: x
    floated = convert_image_dtype(image, dtypes.float32)
    return floated, lambda x: convert_image_dtype(x, source, saturate=True)


def adjust_brightness(image, delta):
    """`image + delta` (on images converted to float; integer images are saturated back)."""
    with _scope(None, "adjust_brightness"):
        floated, restore = _as_float(image)
        delta = convert_to_tensor(delta, dtype=floated.dtype.base_dtype, name="delta")
        return restore(math.add(floated, delta))


def adjust_contrast(images, contrast_factor):
    """`(x - mean) * contrast_factor + mean`, the mean taken per channel over each image."""
    with _scope(None, "adjust_contrast"):
        floated, restore = _as_float(images)
        rank = floated.shape.ndims
        if rank is None or rank < 3:
            raise ValueError(f"adjust_contrast needs images of rank >= 3, got {floated.shape}")
        factor = convert_to_tensor(contrast_factor, dtype=floated.dtype.base_dtype,
                                   name="contrast_factor")
        mean = math.reduce_mean(floated, axis=[rank - 3, rank - 2], keepdims=True)
        return restore(math.add(math.multiply(math.subtract(floated, mean), factor), mean))


def random_brightness(image, max_delta, seed=None):
    """adjust_brightness by a delta drawn uniformly from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(image, lower, upper, seed=None):
    """adjust_contrast by a factor drawn uniformly from [lower, upper)."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    factor = random_uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, factor)


def per_image_standardization(image):
    """`(x - mean) / max(stddev, 1/sqrt(N))` over each whole image (N its element count);
    float32 result."""
    with _scope(None, "per_image_standardization"):
        image = convert_to_tensor(image, name="image")
        _check_rank("per_image_standardization", image, 3, 4)
        axes = [-1, -2, -3]
        image = array.cast(image, dtypes.float32)
        count = array.cast(math.reduce_prod(array.shape(image)[-3:]), dtypes.float32)
        mean = math.reduce_mean(image, axis=axes, keepdims=True)
        variance = math.reduce_mean(math.square(math.subtract(image, mean)), axis=axes,
                                    keepdims=True)
        stddev = math.maximum(math.sqrt(variance), math.rsqrt(count))
        return math.truediv(math.subtract(image, mean), stddev)


def rgb_to_grayscale(images, name=None):
    """The luma (0.2989 R + 0.5870 G + 0.1140 B) of RGB images, keeping a channel axis."""
    with _scope(name, "rgb_to_grayscale"):
        floated, restore = _as_float(images)
        weights = convert_to_tensor(np.array([0.2989, 0.5870, 0.1140]),
                                    dtype=floated.dtype.base_dtype)
        gray = math.reduce_sum(math.multiply(floated, weights), axis=-1, keepdims=True)
        return restore(gray)


def grayscale_to_rgb(images, name=None):
    with _scope(name, "grayscale_to_rgb"):
        images = convert_to_tensor(images, name="images")
        multiples = [1] * (images.shape.ndims - 1) + [3]
        return array.tile(images, multiples)


__all__ = ["decode_png", "decode_jpeg", "decode_image", "encode_png", "encode_jpeg",
           "ResizeMethod", "resize_images", "resize_bilinear", "resize_nearest_neighbor",
           "crop_to_bounding_box", "pad_to_bounding_box", "resize_image_with_crop_or_pad",
           "resize_with_crop_or_pad", "central_crop", "flip_left_right", "flip_up_down",
           "random_flip_left_right", "random_flip_up_down", "random_crop", "convert_image_dtype",
           "adjust_brightness", "adjust_contrast", "random_brightness", "random_contrast",
           "per_image_standardization", "rgb_to_grayscale", "grayscale_to_rgb"]
