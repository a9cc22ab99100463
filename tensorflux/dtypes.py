"""tf.dtypes: the DType objects and conversions (public names only)."""
from tensorflux.framework.dtypes import (  # noqa: F401
    QUANTIZED_DTYPES, DType, as_dtype, bfloat16, complex64, complex128, double, float16, float32,
    float64, half, int8, int16, int32, int64, qint8, qint16, qint32, quint8, quint16, resource,
    string, uint8, uint16, uint32, uint64, variant)
from tensorflux.framework.dtypes import bool_ as bool  # noqa: F401
from tensorflux.ops.array import cast, saturate_cast  # noqa: F401
