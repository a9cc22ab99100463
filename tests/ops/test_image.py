"""tf.image: codecs, resizing with TF1's sampling, crops, flips and colour distortions."""
import io

import numpy as np
import pytest

import tensorflux as tf

PIL = pytest.importorskip("PIL.Image")

RNG = np.random.RandomState(0)
IMAGE = RNG.randint(0, 256, size=(5, 7, 3)).astype(np.uint8)


def run(fetch):
    with tf.Session() as sess:
        return sess.run(fetch)


def test_png_round_trip_and_channels():
    encoded = tf.image.encode_png(IMAGE)
    decoded = tf.image.decode_png(encoded)
    assert decoded.shape.as_list() == [None, None, None]
    np.testing.assert_array_equal(run(decoded), IMAGE)
    rgba = run(tf.image.decode_png(encoded, channels=4))
    assert rgba.shape == (5, 7, 4) and (rgba[..., 3] == 255).all()
    gray = run(tf.image.decode_png(encoded, channels=1))
    assert gray.shape == (5, 7, 1)
    assert tf.image.decode_png(encoded, channels=3).shape.as_list() == [None, None, 3]
    wide = run(tf.image.decode_png(encoded, dtype=tf.uint16))
    np.testing.assert_array_equal(wide, IMAGE.astype(np.uint16) * 257)


def test_decode_png_of_a_file_written_by_pillow():
    buffer = io.BytesIO()
    PIL.fromarray(IMAGE).save(buffer, format="PNG")
    np.testing.assert_array_equal(run(tf.image.decode_png(buffer.getvalue())), IMAGE)
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(tf.image.decode_png(b"not an image"))


def test_jpeg_round_trip_is_close():
    smooth = np.tile(np.linspace(0, 255, 16, dtype=np.uint8)[None, :, None], (16, 1, 3))
    decoded = run(tf.image.decode_jpeg(tf.image.encode_jpeg(smooth, quality=100)))
    assert decoded.shape == (16, 16, 3) and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - smooth).max() <= 4
    assert run(tf.image.decode_image(tf.image.encode_png(IMAGE))).shape == (5, 7, 3)


def _bilinear_reference(image, height, width):
    """TF1's resize_bilinear (align_corners=False) computed pixel by pixel."""
    in_h, in_w = image.shape[:2]
    out = np.zeros((height, width, image.shape[2]))
    for y in range(height):
        fy = y * in_h / height
        y0, dy = int(np.floor(fy)), fy - np.floor(fy)
        y1 = min(y0 + 1, in_h - 1)
        for x in range(width):
            fx = x * in_w / width
            x0, dx = int(np.floor(fx)), fx - np.floor(fx)
            x1 = min(x0 + 1, in_w - 1)
            top = image[y0, x0] * (1 - dx) + image[y0, x1] * dx
            bottom = image[y1, x0] * (1 - dx) + image[y1, x1] * dx
            out[y, x] = top * (1 - dy) + bottom * dy
    return out


@pytest.mark.parametrize("size", [(3, 4), (9, 11), (5, 7)])
def test_resize_bilinear_matches_tf1_sampling(size):
    out = tf.image.resize_images(IMAGE, size)
    assert out.dtype == tf.float32 and out.shape.as_list() == [size[0], size[1], 3]
    np.testing.assert_allclose(run(out), _bilinear_reference(IMAGE.astype(float), *size),
                               rtol=1e-5, atol=1e-3)


def test_resize_nearest_keeps_dtype_and_picks_floor():
    out = tf.image.resize_images(IMAGE, [3, 4], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    assert out.dtype == tf.uint8
    rows = np.floor(np.arange(3) * 5 / 3).astype(int)
    cols = np.floor(np.arange(4) * 7 / 4).astype(int)
    np.testing.assert_array_equal(run(out), IMAGE[rows][:, cols])
    batch = tf.placeholder(tf.uint8, [None, 5, 7, 3])
    assert tf.image.resize_images(batch, [3, 4], method=1).shape.as_list() == [None, 3, 4, 3]


def test_resize_bicubic_and_area_values():
    ramp = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    area = run(tf.image.resize_images(ramp, [2, 2], method=tf.image.ResizeMethod.AREA))
    np.testing.assert_allclose(area[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    # On a linear ramp the cubic kernel reproduces the ramp away from the borders.
    line = np.arange(8, dtype=np.float32).reshape(1, 1, 8, 1)
    cubic = run(tf.image.resize_images(line, [1, 8], method=tf.image.ResizeMethod.BICUBIC))
    np.testing.assert_allclose(cubic.ravel()[1:6], np.arange(1, 6), atol=1e-3)


def test_crops_and_pads():
    np.testing.assert_array_equal(run(tf.image.central_crop(IMAGE, 0.5)), IMAGE[1:4, 1:6])
    out = tf.image.resize_image_with_crop_or_pad(IMAGE, 3, 10)
    assert out.shape.as_list() == [3, 10, 3]
    expected = np.zeros((3, 10, 3), np.uint8)
    expected[:, 1:8] = IMAGE[1:4]
    np.testing.assert_array_equal(run(out), expected)
    unknown = tf.placeholder_with_default(IMAGE, [None, None, 3])
    expected = np.zeros((8, 4, 3), np.uint8)
    expected[1:6] = IMAGE[:, 1:5]
    np.testing.assert_array_equal(run(tf.image.resize_image_with_crop_or_pad(unknown, 8, 4)),
                                  expected)
    crop = tf.random_crop(IMAGE, [2, 3, 3], seed=1)
    value = run(crop)
    assert value.shape == (2, 3, 3)
    assert any((IMAGE[i:i + 2, j:j + 3] == value).all() for i in range(4) for j in range(5))


def test_flips():
    np.testing.assert_array_equal(run(tf.image.flip_left_right(IMAGE)), IMAGE[:, ::-1])
    np.testing.assert_array_equal(run(tf.image.flip_up_down(IMAGE)), IMAGE[::-1])
    flipped = tf.image.random_flip_left_right(IMAGE)
    seen = set()
    with tf.Session() as sess:
        for _ in range(30):
            value = sess.run(flipped)
            assert (value == IMAGE).all() or (value == IMAGE[:, ::-1]).all()
            seen.add((value == IMAGE).all())
    assert seen == {True, False}


def test_brightness_contrast_and_dtype_conversion():
    floats = IMAGE.astype(np.float32)
    np.testing.assert_allclose(run(tf.image.adjust_brightness(floats, 10.0)), floats + 10)
    brighter = run(tf.image.adjust_brightness(IMAGE, 0.5))
    assert brighter.dtype == np.uint8 and brighter.min() >= 127
    mean = floats.mean(axis=(0, 1), keepdims=True)
    np.testing.assert_allclose(run(tf.image.adjust_contrast(floats, 1.5)),
                               (floats - mean) * 1.5 + mean, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(run(tf.image.convert_image_dtype(IMAGE, tf.float32)),
                               IMAGE / 255.0, rtol=1e-6)
    back = tf.image.convert_image_dtype(tf.image.convert_image_dtype(IMAGE, tf.float32), tf.uint8)
    np.testing.assert_array_equal(run(back), IMAGE)
    with tf.Session() as sess:
        delta = sess.run(tf.image.random_brightness(floats, 5.0)) - floats
        np.testing.assert_allclose(delta, delta.flat[0], atol=1e-3)
        assert abs(delta.flat[0]) <= 5
        scaled = sess.run(tf.image.random_contrast(floats, 0.5, 0.6)) - mean
        centred = floats - mean
        factor = (scaled * centred).sum() / (centred * centred).sum()
        np.testing.assert_allclose(scaled, centred * factor, atol=1e-3)
        assert 0.5 - 1e-6 <= factor <= 0.6 + 1e-6
    with pytest.raises(ValueError):
        tf.image.random_contrast(floats, 0.6, 0.5)


def test_per_image_standardization():
    out = run(tf.image.per_image_standardization(IMAGE))
    x = IMAGE.astype(np.float64)
    expected = (x - x.mean()) / max(x.std(), 1 / np.sqrt(x.size))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert out.dtype == np.float32
    flat = run(tf.image.per_image_standardization(np.full((2, 2, 1), 7.0, np.float32)))
    np.testing.assert_array_equal(flat, np.zeros((2, 2, 1)))
    batch = run(tf.image.per_image_standardization(np.stack([IMAGE, IMAGE[::-1]])))
    np.testing.assert_allclose(batch[0], expected, rtol=1e-4, atol=1e-5)


def test_grayscale():
    gray = run(tf.image.rgb_to_grayscale(IMAGE.astype(np.float32)))
    np.testing.assert_allclose(gray[..., 0], IMAGE @ np.array([0.2989, 0.5870, 0.1140]),
                               rtol=1e-5)
    assert run(tf.image.grayscale_to_rgb(gray)).shape == (5, 7, 3)
