import numpy as np
import pytest

import tensorflux as tf


@pytest.mark.parametrize("dtype,np_type,enum", [
    (tf.float32, np.float32, 1), (tf.float64, np.float64, 2), (tf.int32, np.int32, 3),
    (tf.uint8, np.uint8, 4), (tf.int16, np.int16, 5), (tf.int8, np.int8, 6),
    (tf.complex64, np.complex64, 8), (tf.int64, np.int64, 9), (tf.bool, np.bool_, 10),
    (tf.uint16, np.uint16, 17), (tf.complex128, np.complex128, 18), (tf.float16, np.float16, 19),
    (tf.uint32, np.uint32, 22), (tf.uint64, np.uint64, 23)])
def test_dtype_numpy_and_enum(dtype, np_type, enum):
    assert dtype.as_numpy_dtype is np_type
    assert dtype.as_datatype_enum == enum
    assert tf.as_dtype(np_type) is dtype
    assert tf.as_dtype(enum) is dtype
    assert tf.as_dtype(dtype.name) is dtype


def test_dtype_properties():
    assert tf.float32.is_floating and not tf.int32.is_floating
    assert tf.int32.is_integer and tf.uint8.is_unsigned and not tf.int8.is_unsigned
    assert tf.int8.min == -128 and tf.int8.max == 127
    assert tf.float16.max == pytest.approx(65504.0)
    assert tf.float32._as_ref.base_dtype is tf.float32
    assert tf.float32._as_ref.name == "float32_ref"
    assert str(tf.float32) == "<dtype: 'float32'>"
    assert tf.as_dtype("float") is tf.float32 and tf.as_dtype("double") is tf.float64
    assert tf.string.as_datatype_enum == 7
    with pytest.raises(TypeError):
        tf.as_dtype("no_such_type")


def test_quantized_and_bfloat16_dtypes():
    for dtype, enum, storage in ((tf.qint8, 11, np.int8), (tf.quint8, 12, np.uint8),
                                 (tf.qint32, 13, np.int32), (tf.qint16, 15, np.int16),
                                 (tf.quint16, 16, np.uint16)):
        assert dtype.is_quantized and dtype.as_datatype_enum == enum
        assert dtype.storage_numpy_dtype == np.dtype(storage)
        assert dtype != tf.as_dtype(storage)
    ml_dtypes = pytest.importorskip("ml_dtypes")
    assert tf.bfloat16.as_numpy_dtype is ml_dtypes.bfloat16
    assert tf.bfloat16.as_datatype_enum == 14 and tf.bfloat16.is_floating


def test_tensor_shape_partial():
    s = tf.TensorShape([None, 784])
    assert s.ndims == 2 and s.as_list() == [None, 784]
    assert str(s) == "(?, 784)"
    assert not s.is_fully_defined()
    assert s.is_compatible_with([32, 784]) and not s.is_compatible_with([32, 10])
    assert s.merge_with([32, None]).as_list() == [32, 784]
    with pytest.raises(ValueError):
        s.merge_with([32, 10])
    assert tf.TensorShape(None).ndims is None
    with pytest.raises(ValueError):
        tf.TensorShape(None).as_list()
    assert tf.TensorShape([2, 3]).num_elements() == 6
    assert tf.TensorShape([3]).__str__() == "(3,)"
    assert tf.Dimension(None).value is None
    assert (tf.Dimension(3) + tf.Dimension(None)).value is None
    assert tf.TensorShape([1, 2]).concatenate([3]).as_list() == [1, 2, 3]
