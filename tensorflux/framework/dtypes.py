"""DType objects: TF's enum numbers and names over NumPy storage types."""
import numpy as np

try:  # bfloat16 needs ml_dtypes; without it the dtype exists but holds no values
    import ml_dtypes as _ml_dtypes
    _BFLOAT16_NP = np.dtype(_ml_dtypes.bfloat16)
except ImportError:
    _ml_dtypes = None
    _BFLOAT16_NP = None


class DType:
    """One element type. Reference dtypes (`float32_ref`) carry the enum number + 100."""

    __slots__ = ("_enum", "_name", "_np", "_storage")

    def __init__(self, enum, name, np_dtype, storage=None):
        self._enum = enum
        self._name = name
        self._np = np_dtype
        self._storage = storage

    @property
    def name(self):
        return self._name

    @property
    def as_datatype_enum(self):
        return self._enum

    @property
    def is_ref_dtype(self):
        return self._enum > 100

    @property
    def base_dtype(self):
        return _BY_ENUM[self._enum - 100] if self._enum > 100 else self

    @property
    def _as_ref(self):
        return self if self._enum > 100 else _BY_ENUM[self._enum + 100]

    @property
    def real_dtype(self):
        base = self.base_dtype
        return {complex64: float32, complex128: float64}.get(base, base)

    @property
    def as_numpy_dtype(self):
        base = self.base_dtype
        if base._np is None:
            if base is bfloat16:
                raise TypeError("bfloat16 needs the ml_dtypes package: pip install ml_dtypes")
            raise TypeError(f"dtype {base.name} has no NumPy equivalent")
        return base._np.type

    @property
    def storage_numpy_dtype(self):
        """The NumPy dtype that holds this type's values (quantized types use integers)."""
        base = self.base_dtype
        return base._np if base._np is not None else base._storage

    @property
    def is_floating(self):
        return self.base_dtype in (float16, float32, float64, bfloat16)

    @property
    def is_integer(self):
        return self.base_dtype in (int8, int16, int32, int64, uint8, uint16, uint32, uint64)

    @property
    def is_unsigned(self):
        return self.base_dtype in (uint8, uint16, uint32, uint64, quint8, quint16)

    @property
    def is_complex(self):
        return self.base_dtype in (complex64, complex128)

    @property
    def is_quantized(self):
        return self.base_dtype in (qint8, qint16, qint32, quint8, quint16)

    @property
    def is_bool(self):
        return self.base_dtype is bool_

    @property
    def is_numpy_compatible(self):
        return self.base_dtype._np is not None

    @property
    def min(self):
        return self._limit(np.finfo, np.iinfo, "min")

    @property
    def max(self):
        return self._limit(np.finfo, np.iinfo, "max")

    def _limit(self, finfo, iinfo, which):
        base = self.base_dtype
        if base is bool_ or base is string or base.is_complex:
            raise TypeError(f"Cannot find {which} of dtype {self.name}")
        if base is bfloat16:
            return float(getattr(_ml_dtypes.finfo(_ml_dtypes.bfloat16), which))
        np_type = base.storage_numpy_dtype
        info = finfo(np_type) if np.issubdtype(np_type, np.floating) else iinfo(np_type)
        return getattr(info, which).item() if hasattr(getattr(info, which), "item") else getattr(info, which)

    @property
    def size(self):
        return self.storage_numpy_dtype.itemsize if self.base_dtype is not string else 1

    def is_compatible_with(self, other):
        other = as_dtype(other)
        return self._enum == other._enum or self._enum == other.base_dtype._enum

    def __eq__(self, other):
        if other is None:
            return False
        if isinstance(other, DType):
            return self._enum == other._enum
        try:
            return self._enum == as_dtype(other)._enum
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return self._enum

    def __reduce__(self):
        return as_dtype, (self._name,)

    def __repr__(self):
        return f"tf.{self._name}"

    def __str__(self):
        return f"<dtype: '{self._name}'>"


_BY_ENUM = {}
_BY_NAME = {}


def _define(enum, name, np_dtype, aliases=(), storage=None):
    dtype = DType(enum, name, None if np_dtype is None else np.dtype(np_dtype), storage)
    ref = DType(enum + 100, name + "_ref", dtype._np, storage)
    _BY_ENUM[enum], _BY_ENUM[enum + 100] = dtype, ref
    for alias in (name,) + tuple(aliases):
        _BY_NAME[alias] = dtype
    _BY_NAME[name + "_ref"] = ref
    return dtype


float32 = _define(1, "float32", np.float32, ("float",))
float64 = _define(2, "float64", np.float64, ("double",))
int32 = _define(3, "int32", np.int32)
uint8 = _define(4, "uint8", np.uint8)
int16 = _define(5, "int16", np.int16)
int8 = _define(6, "int8", np.int8)
string = _define(7, "string", np.object_)
complex64 = _define(8, "complex64", np.complex64)
int64 = _define(9, "int64", np.int64)
bool_ = _define(10, "bool", np.bool_)
qint8 = _define(11, "qint8", None, storage=np.dtype(np.int8))
quint8 = _define(12, "quint8", None, storage=np.dtype(np.uint8))
qint32 = _define(13, "qint32", None, storage=np.dtype(np.int32))
bfloat16 = _define(14, "bfloat16", _BFLOAT16_NP)
qint16 = _define(15, "qint16", None, storage=np.dtype(np.int16))
quint16 = _define(16, "quint16", None, storage=np.dtype(np.uint16))
uint16 = _define(17, "uint16", np.uint16)
complex128 = _define(18, "complex128", np.complex128)
float16 = _define(19, "float16", np.float16, ("half",))
resource = _define(20, "resource", None, storage=np.dtype(np.object_))
variant = _define(21, "variant", None, storage=np.dtype(np.object_))
uint32 = _define(22, "uint32", np.uint32)
uint64 = _define(23, "uint64", np.uint64)
half = float16
double = float64

_BY_NUMPY = {}
for _dt in (float32, float64, int32, uint8, int16, int8, complex64, int64, bool_, uint16,
            complex128, float16, uint32, uint64):
    _BY_NUMPY[_dt._np] = _dt
if _BFLOAT16_NP is not None:
    _BY_NUMPY[_BFLOAT16_NP] = bfloat16
_BY_PYTHON = {float: float32, int: int32, bool: bool_, complex: complex128, str: string, bytes: string}


def as_dtype(type_value):
    """Converts a DType, name, enum number, NumPy dtype or Python type to a DType."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        if type_value in _BY_NAME:
            return _BY_NAME[type_value]
    elif isinstance(type_value, (int, np.integer)) and not isinstance(type_value, bool):
        if int(type_value) in _BY_ENUM:
            return _BY_ENUM[int(type_value)]
    elif type_value in _BY_PYTHON:
        return _BY_PYTHON[type_value]
    else:
        try:
            np_dtype = np.dtype(type_value)
        except TypeError:
            np_dtype = None
        if np_dtype is not None:
            if np_dtype in _BY_NUMPY:
                return _BY_NUMPY[np_dtype]
            if np_dtype.kind in "SUO":
                return string
    raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")


QUANTIZED_DTYPES = frozenset((qint8, quint8, qint16, quint16, qint32))
