"""NumPy kernels of the math family (ops/math.py). Elementwise kernels are declared by name."""
import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import kernel


def _sigmoid(x):
    # exp(-|x|) never overflows; both branches are the same function.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _rsqrt(x):
    return (1 / np.sqrt(x)).astype(x.dtype, copy=False)


def _reciprocal(x):
    return (1 / x).astype(x.dtype, copy=False) if x.dtype.kind in "fc" else np.reciprocal(x)


def _erf(x):
    from math import erf
    return np.vectorize(erf, otypes=[x.dtype])(x) if x.size else x.copy()


def _sign(x):
    return np.sign(x).astype(x.dtype, copy=False)


def _round_half_even(x):
    return np.round(x) if x.dtype.kind in "fc" else x.copy()


UNARY = {
    "Abs": np.abs, "Neg": np.negative, "Sign": _sign, "Square": np.square, "Sqrt": np.sqrt,
    "Rsqrt": _rsqrt, "Exp": np.exp, "Expm1": np.expm1, "Log": np.log, "Log1p": np.log1p,
    "Sin": np.sin, "Cos": np.cos, "Tan": np.tan, "Asin": np.arcsin, "Acos": np.arccos,
    "Atan": np.arctan, "Sinh": np.sinh, "Cosh": np.cosh, "Tanh": np.tanh, "Asinh": np.arcsinh,
    "Acosh": np.arccosh, "Atanh": np.arctanh, "Sigmoid": _sigmoid, "Reciprocal": _reciprocal,
    "Floor": np.floor, "Ceil": np.ceil, "Round": _round_half_even,
    "Rint": np.rint, "IsFinite": np.isfinite, "IsNan": np.isnan, "IsInf": np.isinf,
    "LogicalNot": np.logical_not, "Erf": _erf, "Conj": np.conj,
}

BINARY = {
    "Add": np.add, "AddV2": np.add, "Sub": np.subtract, "Mul": np.multiply,
    "Maximum": np.maximum, "Minimum": np.minimum, "Greater": np.greater, "Less": np.less,
    "GreaterEqual": np.greater_equal, "LessEqual": np.less_equal, "Equal": np.equal,
    "NotEqual": np.not_equal, "LogicalAnd": np.logical_and, "LogicalOr": np.logical_or,
    "Atan2": np.arctan2,
}

for _op_type, _fn in {**UNARY, **BINARY}.items():
    kernel(_op_type)(_fn)


def _same_dtype(result, like):
    return result.astype(like.dtype, copy=False) if result.dtype != like.dtype else result


def _check_int_divisor(y):
    if y.dtype.kind in "iu" and np.any(y == 0):
        raise errors.InvalidArgumentError(None, None, "Integer division by zero")


def _true_divide(x, y):
    # Float division by zero gives inf or nan in TF, silently.
    with np.errstate(divide="ignore", invalid="ignore"):
        return _same_dtype(np.true_divide(x, y), x)


@kernel("RealDiv")
def real_div(x, y):
    return floor_div(x, y) if x.dtype.kind in "iu" else _true_divide(x, y)


@kernel("Div")
def div(x, y):
    # TF's raw Div truncates integers toward zero (tf.div's floor comes from its wrapper).
    return truncate_div(x, y) if x.dtype.kind in "iu" else _true_divide(x, y)


@kernel("DivNoNan")
def div_no_nan(x, y):
    """x / y, and 0 wherever y is 0 (even for an inf or nan x)."""
    return np.where(y == 0, np.zeros((), x.dtype), _true_divide(x, y))


@kernel("FloorDiv")
def floor_div(x, y):
    _check_int_divisor(y)
    return _same_dtype(np.floor_divide(x, y), x)


@kernel("TruncateDiv")
def truncate_div(x, y):
    _check_int_divisor(y)
    if x.dtype.kind in "iu":
        q = np.abs(x) // np.abs(y)
        return _same_dtype(np.where((x < 0) != (y < 0), -q, q), x)
    return _same_dtype(np.trunc(x / y), x)


@kernel("FloorMod")
def floor_mod(x, y):
    _check_int_divisor(y)
    return _same_dtype(np.mod(x, y), x)


@kernel(("TruncateMod", "Mod"))
def truncate_mod(x, y):
    _check_int_divisor(y)
    return _same_dtype(np.fmod(x, y), x)


@kernel("Pow")
def pow_(x, y):
    if x.dtype.kind in "iu" and np.any(y < 0):
        raise errors.InvalidArgumentError(None, None, "Integers to negative integer powers "
                                                      "are not allowed")
    return _same_dtype(np.power(x, y), x)


@kernel("SquaredDifference")
def squared_difference(x, y):
    d = np.subtract(x, y)
    return _same_dtype(d * np.conj(d), x)


@kernel("AddN")
def add_n(*inputs):
    total = np.array(inputs[0], copy=True)
    for x in inputs[1:]:
        total = total + x
    return _same_dtype(np.asarray(total), np.asarray(inputs[0]))


def _axes(axes):
    return tuple(int(a) for a in np.reshape(axes, [-1]))


def _reduction(fn, integer_mean=False):
    def reduce(x, axes, *, keep_dims=False):
        axis = _axes(axes)
        if not axis:  # reducing no axes forwards the input, as TF's kernels do
            return np.asarray(x)
        if x.ndim:
            axis = tuple(a % x.ndim for a in axis)
        out = fn(x, axis=axis, keepdims=keep_dims)
        return np.asarray(out).astype(x.dtype, copy=False)
    return reduce


def _mean(x, axis, keepdims):
    if x.dtype.kind in "iu":
        count = int(np.prod([x.shape[a] for a in axis])) if axis else 1
        total = np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64)
        return np.where(total >= 0, total // max(count, 1), -((-total) // max(count, 1)))
    return np.mean(x, axis=axis, keepdims=keepdims)


def _checked_extreme(fn):
    def reduce(x, axis, keepdims):
        if x.size == 0:
            # TF reduces an empty set to the dtype's lowest value (max) or highest (min),
            # -inf and inf for floats, rather than failing.
            if x.dtype.kind == "f":
                init = -np.inf if fn is np.max else np.inf
            else:
                init = np.iinfo(x.dtype).min if fn is np.max else np.iinfo(x.dtype).max
            return fn(x, axis=axis, keepdims=keepdims, initial=init)
        return fn(x, axis=axis, keepdims=keepdims)
    return reduce


kernel("Sum")(_reduction(np.sum))
kernel("Prod")(_reduction(np.prod))
kernel("Mean")(_reduction(_mean))
kernel("Max")(_reduction(_checked_extreme(np.max)))
kernel("Min")(_reduction(_checked_extreme(np.min)))
kernel("All")(_reduction(np.all))
kernel("Any")(_reduction(np.any))


@kernel("ArgMax")
def arg_max(x, dimension, *, output_type):
    return np.argmax(x, axis=int(dimension)).astype(output_type.as_numpy_dtype)


@kernel("ArgMin")
def arg_min(x, dimension, *, output_type):
    return np.argmin(x, axis=int(dimension)).astype(output_type.as_numpy_dtype)


def check_mat_mul(a_shape, b_shape, transpose_a, transpose_b):
    """MatMul's checks of its inputs' shapes, with TF's messages."""
    for index, shape in enumerate((a_shape, b_shape)):
        if len(shape) != 2:
            raise errors.InvalidArgumentError(
                None, None, f"In[{index}] is not a matrix. Instead it has shape "
                            f"[{','.join(str(d) for d in shape)}]")
    if a_shape[0 if transpose_a else 1] != b_shape[1 if transpose_b else 0]:
        raise errors.InvalidArgumentError(
            None, None, f"Matrix size-incompatible: In[0]: [{a_shape[0]},{a_shape[1]}], "
                        f"In[1]: [{b_shape[0]},{b_shape[1]}]")


@kernel("MatMul")
def mat_mul(a, b, *, transpose_a=False, transpose_b=False):
    check_mat_mul(a.shape, b.shape, transpose_a, transpose_b)
    return np.matmul(a.T if transpose_a else a, b.T if transpose_b else b)


@kernel("BatchMatMulV2")
def batch_mat_mul(x, y, *, adj_x=False, adj_y=False):
    if adj_x:
        x = np.conj(np.swapaxes(x, -1, -2))
    if adj_y:
        y = np.conj(np.swapaxes(y, -1, -2))
    return np.matmul(x, y)


@kernel("MatrixInverse")
def matrix_inverse(x, *, adjoint=False):
    try:
        inv = np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise errors.InvalidArgumentError(None, None, "Input is not invertible.") from None
    return (np.conj(np.swapaxes(inv, -1, -2)) if adjoint else inv).astype(x.dtype, copy=False)


@kernel("Qr")
def qr(x, *, full_matrices=False):
    q, r = np.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return q.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)


@kernel("MatrixDeterminant")
def matrix_determinant(x):
    return np.asarray(np.linalg.det(x)).astype(x.dtype, copy=False)


def scan_axis(x_shape, axis):
    """Cumsum's and Cumprod's axis, checked as TF checks it."""
    axis, rank = int(np.reshape(axis, [-1])[0]), len(x_shape)
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(
            None, None, f"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got "
                        f"{axis}")
    return axis % rank


def _scan(accumulate, identity):
    """A cumulative kernel; `exclusive` shifts in the identity, `reverse` scans from the end."""
    def scan(x, axis, *, exclusive=False, reverse=False):
        axis = scan_axis(x.shape, axis)
        if reverse:
            x = np.flip(x, axis)
        out = accumulate(x, axis=axis, dtype=x.dtype)
        if exclusive and x.shape[axis]:
            first = np.full_like(np.take(out, [0], axis=axis), identity)
            out = np.concatenate([first, np.delete(out, -1, axis=axis)], axis=axis)
        return np.flip(out, axis) if reverse else out
    return scan


kernel("Cumsum")(_scan(np.cumsum, 0))
kernel("Cumprod")(_scan(np.cumprod, 1))


def _check_segment_ids(ids, num_segments):
    flat = np.reshape(ids, [-1])
    bad = np.flatnonzero(flat >= num_segments)
    if bad.size:
        raise errors.InvalidArgumentError(
            None, None, f"segment_ids[{int(bad[0])}] = {flat[bad[0]]} is out of range "
                        f"[0, {num_segments})")


def _segment_sum(data, ids, num_segments):
    """Sums the slices of `data` (indexed by ids' leading dims) into rows; ids < 0 are dropped."""
    flat_ids = np.reshape(ids, [-1]).astype(np.int64)
    rows = np.reshape(data, (flat_ids.size,) + data.shape[np.ndim(ids):])
    out = np.zeros((num_segments,) + rows.shape[1:], dtype=data.dtype)
    keep = flat_ids >= 0
    np.add.at(out, flat_ids[keep], rows[keep])
    return out


@kernel("UnsortedSegmentSum")
def unsorted_segment_sum(data, segment_ids, num_segments):
    if np.shape(data)[:np.ndim(segment_ids)] != np.shape(segment_ids):
        raise errors.InvalidArgumentError(
            None, None, f"data.shape = {list(np.shape(data))} does not start with "
                        f"segment_ids.shape = {list(np.shape(segment_ids))}")
    num_segments = int(num_segments)
    _check_segment_ids(segment_ids, num_segments)
    return _segment_sum(data, segment_ids, num_segments)


@kernel("SegmentSum")
def segment_sum(data, segment_ids):
    ids = np.reshape(segment_ids, [-1])
    if ids.size != np.shape(data)[0]:
        raise errors.InvalidArgumentError(
            None, None, f"segment_ids should be the same size as dimension 0 of input; got "
                        f"{ids.size} and {np.shape(data)[0]}")
    if ids.size and (np.any(np.diff(ids) < 0) or ids[0] < 0):
        raise errors.InvalidArgumentError(None, None, "segment ids are not increasing")
    return _segment_sum(data, ids, int(ids[-1]) + 1 if ids.size else 0)


@kernel("MatrixBandPart")
def matrix_band_part(x, num_lower, num_upper):
    """Keeps x[..., i, j] where (num_lower < 0 or i - j <= num_lower) and
    (num_upper < 0 or j - i <= num_upper); zeros elsewhere."""
    m, n = x.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    lower, upper = int(num_lower), int(num_upper)
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    return np.where(keep, x, np.zeros((), dtype=x.dtype))
