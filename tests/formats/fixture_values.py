"""Values shared by fixtures/make_fixtures.py (which saved them with TF) and the tests."""
import numpy as np

try:
    import ml_dtypes
    _BF16 = np.array([1.5, -2.25], ml_dtypes.bfloat16)
except ImportError:        # the same values as raw bfloat16 bits
    _BF16 = np.array([0x3FC0, 0xC010], np.uint16)

# name -> (DataType number, value), in the order they were saved with tf.raw_ops.SaveV2.
ALL_DTYPES = {
    "f32": (1, np.array([[1.5, -2.0, 3.25]], np.float32)),
    "f64": (2, np.array([0.1, -1e300], np.float64)),
    "i32": (3, np.arange(-3, 3, dtype=np.int32).reshape(2, 3)),
    "u8": (4, np.array([0, 255], np.uint8)),
    "i16": (5, np.array([-32768, 32767], np.int16)),
    "i8": (6, np.array([-128, 127], np.int8)),
    "str": (7, np.array([[b"", b"hello"], [b"\x00\xff", "\u00e9".encode()]], object)),
    "c64": (8, np.array([1 + 2j, -0.5j], np.complex64)),
    "i64": (9, np.array([-(2 ** 62), 2 ** 62], np.int64)),
    "bool": (10, np.array([True, False, True])),
    "bf16": (14, _BF16),
    "u16": (17, np.array([65535, 1], np.uint16)),
    "c128": (18, np.array([1 + 2j, -3.5j])),
    "f16": (19, np.array([0.5, 65504, -1e-4], np.float16)),
    "u32": (22, np.array([2 ** 32 - 1], np.uint32)),
    "u64": (23, np.array([2 ** 64 - 1], np.uint64)),
    "empty": (1, np.zeros((0, 3), np.float32)),
    "scalar": (1, np.float32(3.25)),
    "strscalar": (7, np.array(b"abc", object)),
}
