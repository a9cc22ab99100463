"""Gradients of the math family (ops/math.py), built from public ops only.

Elementwise functions are listed in one table of derivatives; binary ops sum their broadcast
gradients back to each input's shape with `reduce_to_shape`.
"""
import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.registry import gradient, not_differentiable
from tensorflux.ops import array, math
from tensorflux.ops.array_grad import reduce_to_shape, shape_of
from tensorflux.ops.constant import constant
from tensorflux.ops.op_util import constant_value

# ---- not differentiable: boolean or integer-valued results, or piecewise constant ones ----
not_differentiable("Greater", "Less", "GreaterEqual", "LessEqual", "Equal", "NotEqual",
                   "LogicalAnd", "LogicalOr", "LogicalNot", "IsFinite", "IsNan", "IsInf",
                   "ArgMax", "ArgMin", "All", "Any", "FloorDiv", "TruncateDiv",
                   "Floor", "Ceil", "Round", "Rint")


# ---- elementwise functions: d(output)/d(input) from the input x and the output y ----
_DERIVATIVES = {
    "Abs": lambda x, y: math.sign(x),
    "Square": lambda x, y: 2 * x,
    "Sqrt": lambda x, y: 0.5 * math.reciprocal(y),
    "Rsqrt": lambda x, y: -0.5 * y * math.square(y),
    "Exp": lambda x, y: y,
    "Expm1": lambda x, y: math.exp(x),
    "Log": lambda x, y: math.reciprocal(x),
    "Log1p": lambda x, y: math.reciprocal(1 + x),
    "Sin": lambda x, y: math.cos(x),
    "Cos": lambda x, y: -math.sin(x),
    "Tan": lambda x, y: math.square(math.reciprocal(math.cos(x))),
    "Asin": lambda x, y: math.rsqrt(1 - math.square(x)),
    "Acos": lambda x, y: -math.rsqrt(1 - math.square(x)),
    "Atan": lambda x, y: math.reciprocal(1 + math.square(x)),
    "Sinh": lambda x, y: math.cosh(x),
    "Cosh": lambda x, y: math.sinh(x),
    "Tanh": lambda x, y: 1 - math.square(y),
    "Asinh": lambda x, y: math.reciprocal(math.cosh(y)),
    "Acosh": lambda x, y: math.reciprocal(math.sinh(y)),
    "Atanh": lambda x, y: math.reciprocal(1 - math.square(x)),
    "Sigmoid": lambda x, y: y * (1 - y),
    "Reciprocal": lambda x, y: -math.square(y),
    "Erf": lambda x, y: float(2 / np.sqrt(np.pi)) * math.exp(-math.square(x)),
}


def _chain_rule(derivative):
    def grad_fn(op, grad):
        # conj: the gradient of a holomorphic f at complex x is grad * conj(f'(x)).
        return [grad * math.conj(derivative(op.inputs[0], op.outputs[0]))]
    return grad_fn


for _type, _derivative in _DERIVATIVES.items():
    gradient(_type)(_chain_rule(_derivative))


@gradient("Neg")
def _neg_grad(op, grad):
    return [-grad]


@gradient("Sign")
def _sign_grad(op, grad):
    # Zero almost everywhere; TF returns zeros rather than no gradient.
    return [array.zeros_like(op.inputs[0])]


@gradient("Conj")
def _conj_grad(op, grad):
    return [math.conj(grad)]


# ---- binary elementwise ops ----
def _binary(op):
    return op.inputs[0], op.inputs[1]


@gradient("Add")
@gradient("AddV2")
def _add_grad(op, grad):
    x, y = _binary(op)
    return [reduce_to_shape(grad, x), reduce_to_shape(grad, y)]


@gradient("Sub")
def _sub_grad(op, grad):
    x, y = _binary(op)
    return [reduce_to_shape(grad, x), reduce_to_shape(-grad, y)]


@gradient("Mul")
def _mul_grad(op, grad):
    x, y = _binary(op)
    return [reduce_to_shape(grad * math.conj(y), x), reduce_to_shape(math.conj(x) * grad, y)]


@gradient("RealDiv")
@gradient("Div")
def _div_grad(op, grad):
    x, y = map(math.conj, _binary(op))
    return [reduce_to_shape(math.realdiv(grad, y), x),
            reduce_to_shape(grad * math.realdiv(math.realdiv(-x, y), y), y)]


@gradient("DivNoNan")
def _div_no_nan_grad(op, grad):
    # As TF: the quotient rule with every division made safe, so y = 0 gets gradient 0.
    x, y = map(math.conj, _binary(op))
    return [reduce_to_shape(math.div_no_nan(grad, y), x),
            reduce_to_shape(grad * math.div_no_nan(math.div_no_nan(-x, y), y), y)]


@gradient("FloorMod")
def _floor_mod_grad(op, grad):
    # x mod y = x - floor(x / y) * y, with floor(x / y) piecewise constant.
    x, y = _binary(op)
    return [reduce_to_shape(grad, x), reduce_to_shape(grad * -math.floordiv(x, y), y)]


@gradient("TruncateMod")
@gradient("Mod")
def _truncate_mod_grad(op, grad):
    x, y = _binary(op)
    return [reduce_to_shape(grad, x), reduce_to_shape(grad * -math.truncatediv(x, y), y)]


@gradient("Pow")
def _pow_grad(op, grad):
    x, y = _binary(op)
    z = op.outputs[0]
    x_grad = grad * y * math.pow(x, y - 1)
    # d/dy x**y = x**y log(x): use log(x) only where it is defined (x > 0, or x != 0 for
    # complex) so that x = 0 gives 0 rather than nan.
    positive = math.not_equal(x, 0) if x.dtype.is_complex else math.greater(x, 0)
    safe_x = array.where(positive, x, array.ones_like(x))
    log_x = array.where(positive, math.log(safe_x), array.zeros_like(x))
    return [reduce_to_shape(x_grad, x), reduce_to_shape(grad * z * log_x, y)]


def _select_grad(selector):
    def grad_fn(op, grad):
        # Where x and y tie the whole gradient goes to x.
        x, y = _binary(op)
        x_wins = selector(x, y)
        zeros = array.zeros_like(grad)
        return [reduce_to_shape(array.where(x_wins, grad, zeros), x),
                reduce_to_shape(array.where(x_wins, zeros, grad), y)]
    return grad_fn


gradient("Maximum")(_select_grad(math.greater_equal))
gradient("Minimum")(_select_grad(math.less_equal))


@gradient("SquaredDifference")
def _squared_difference_grad(op, grad):
    x, y = _binary(op)
    x_grad = 2 * grad * (x - y)
    return [reduce_to_shape(x_grad, x), reduce_to_shape(-x_grad, y)]


@gradient("Atan2")
def _atan2_grad(op, grad):
    y, x = _binary(op)
    scaled = grad * math.reciprocal(math.square(x) + math.square(y))
    return [reduce_to_shape(x * scaled, y), reduce_to_shape(-y * scaled, x)]


@gradient("AddN")
def _add_n_grad(op, grad):
    return [grad] * len(op.inputs)


# ---- reductions ----
def _kept_dims_shape(x, axes):
    """The shape of reduce(x, axes, keepdims=True): x's shape with the reduced axes set to 1."""
    rank, known = x.shape.ndims, constant_value(axes)
    if known is not None and x.shape.is_fully_defined():
        dims = x.shape.as_list()
        for a in np.reshape(known, [-1]):
            dims[int(a) % rank] = 1
        return dims
    x_shape = array.shape(x)
    x_rank = array.size(x_shape)
    axes = array.reshape(array.cast(axes, dtypes.int32), [1, -1])
    axes = math.floormod(axes, math.maximum(x_rank, 1))
    reduced = math.reduce_any(math.equal(array.reshape(array.range_(0, x_rank), [-1, 1]),
                                         axes), axis=1)
    return array.where(reduced, array.ones_like(x_shape), x_shape)


@gradient("Sum")
def _sum_grad(op, grad):
    x, axes = op.inputs
    kept = array.reshape(grad, _kept_dims_shape(x, axes))
    return [array.broadcast_to(kept, shape_of(x)), None]


def _reduction_size(x, y, dtype):
    """How many elements of x each element of y = reduce(x) sums, as a `dtype` scalar."""
    if x.shape.is_fully_defined() and y.shape.is_fully_defined():
        count = x.shape.num_elements() // max(y.shape.num_elements(), 1)
        return constant(count, dtype)
    count = math.floordiv(array.size(x), math.maximum(array.size(y), 1))
    return array.cast(count, dtype)


@gradient("Mean")
def _mean_grad(op, grad):
    x = op.inputs[0]
    sum_grad = _sum_grad(op, grad)[0]
    return [sum_grad / _reduction_size(x, op.outputs[0], sum_grad.dtype.base_dtype), None]


def _extreme_grad(op, grad):
    # The gradient is split evenly among the elements equal to the extreme value.
    x, axes = op.inputs
    kept = _kept_dims_shape(x, axes)
    y = array.reshape(op.outputs[0], kept)
    grad = array.reshape(grad, kept)
    chosen = array.cast(math.equal(y, x), grad.dtype.base_dtype)
    num_chosen = array.reshape(math.reduce_sum(chosen, axes), kept)
    return [math.divide(chosen, num_chosen) * grad, None]


gradient("Max")(_extreme_grad)
gradient("Min")(_extreme_grad)


@gradient("Prod")
def _prod_grad(op, grad):
    # d prod / d x_i is the product of the other elements: the exclusive cumulative
    # products from the left and from the right, multiplied (no division, so zeros work).
    x, axes = op.inputs
    x_shape = array.shape(x)
    grad = array.broadcast_to(array.reshape(grad, _kept_dims_shape(x, axes)), x_shape)
    x_rank = array.rank(x)
    axes = math.floormod(array.reshape(array.cast(axes, dtypes.int32), [-1]), x_rank)
    is_reduced = math.reduce_any(math.equal(array.reshape(array.range_(0, x_rank), [-1, 1]),
                                            array.reshape(axes, [1, -1])), axis=1)
    other = array.cast(array.reshape(array.where(math.logical_not(is_reduced)), [-1]),
                      dtypes.int32)
    perm = array.concat([axes, other], 0)
    permuted = array.transpose(x, perm)
    reduced_num = math.reduce_prod(array.gather(x_shape, axes))
    other_num = math.reduce_prod(array.gather(x_shape, other))
    flat = array.reshape(permuted, array.stack([reduced_num, other_num]))
    left = math.cumprod(flat, axis=0, exclusive=True)
    right = math.cumprod(flat, axis=0, exclusive=True, reverse=True)
    others = array.reshape(math.conj(left) * math.conj(right), array.shape(permuted))
    return [grad * array.transpose(others, array.invert_permutation(perm)), None]


# ---- scans ----
@gradient("Cumsum")
def _cumsum_grad(op, grad):
    return [math.cumsum(grad, op.inputs[1], exclusive=op.attrs["exclusive"],
                        reverse=not op.attrs["reverse"]), None]


@gradient("Cumprod")
def _cumprod_grad(op, grad):
    # As TF 1.15: divides by x, so an x containing 0 gives nan there.
    x, axis = op.inputs
    exclusive, reverse = op.attrs["exclusive"], op.attrs["reverse"]
    prod = math.cumprod(x, axis, exclusive=exclusive, reverse=reverse)
    out = math.cumsum(prod * grad, axis, exclusive=exclusive, reverse=not reverse)
    return [out / x, None]


# ---- matrices ----
@gradient("MatMul")
def _matmul_grad(op, grad):
    a, b = map(math.conj, _binary(op))
    t_a, t_b = op.attrs["transpose_a"], op.attrs["transpose_b"]
    mm = math.matmul
    if not t_a and not t_b:
        return [mm(grad, b, transpose_b=True), mm(a, grad, transpose_a=True)]
    if not t_a:
        return [mm(grad, b), mm(grad, a, transpose_a=True)]
    if not t_b:
        return [mm(b, grad, transpose_b=True), mm(a, grad)]
    return [mm(b, grad, transpose_a=True, transpose_b=True),
            mm(grad, a, transpose_a=True, transpose_b=True)]


@gradient("BatchMatMulV2")
def _batch_matmul_grad(op, grad):
    x, y = _binary(op)
    adj_x, adj_y = op.attrs["adj_x"], op.attrs["adj_y"]
    mm = math.matmul
    if not adj_x and not adj_y:
        x_grad, y_grad = mm(grad, y, adjoint_b=True), mm(x, grad, adjoint_a=True)
    elif not adj_x:
        x_grad, y_grad = mm(grad, y), mm(grad, x, adjoint_a=True)
    elif not adj_y:
        x_grad, y_grad = mm(y, grad, adjoint_b=True), mm(x, grad)
    else:
        x_grad = mm(y, grad, adjoint_a=True, adjoint_b=True)
        y_grad = mm(grad, x, adjoint_a=True, adjoint_b=True)
    # Batch dimensions broadcast like elementwise ops do.
    return [reduce_to_shape(x_grad, x), reduce_to_shape(y_grad, y)]


@gradient("MatrixInverse")
def _matrix_inverse_grad(op, grad):
    # d inv(A) = -inv(A) dA inv(A), so dL/dA = -inv(A)^H G inv(A)^H.
    inverse = op.outputs[0]
    if op.attrs["adjoint"]:
        # The output is inv(A)^H = inv(A^H); the gradient for A is that for A^H, adjoined.
        return [-math.matmul(math.matmul(inverse, grad, adjoint_b=True), inverse)]
    return [-math.matmul(inverse, math.matmul(grad, inverse, adjoint_b=True), adjoint_a=True)]


@gradient("MatrixDeterminant")
def _matrix_determinant_grad(op, grad):
    # d det(A) / dA = det(A) inv(A)^T.
    a, det = op.inputs[0], op.outputs[0]
    scale = array.reshape(grad * det, array.concat([array.shape(det), [1, 1]], 0))
    return [scale * math.matrix_inverse(a, adjoint=True)]


@gradient("MatrixBandPart")
def _matrix_band_part_grad(op, grad):
    return [math.matrix_band_part(grad, op.inputs[1], op.inputs[2]), None, None]


@gradient("Qr")
def _qr_grad(op, dq, dr):
    """The gradient of reduced QR for m >= n (the case of a square or tall matrix)."""
    q, r = op.outputs
    a = op.inputs[0]
    if a.shape.ndims is None or None in a.shape.as_list()[-2:]:
        raise NotImplementedError(f"Qr gradient ({op.name}) needs the matrix size statically")
    m, n = a.shape.as_list()[-2:]
    if m < n or (op.attrs["full_matrices"] and m != n):
        raise NotImplementedError(f"Qr gradient ({op.name}) is implemented for m >= n with "
                                  f"full_matrices=False only; got a {m}x{n} matrix")
    mm = math.matmul

    def adjoint(t):
        return math.matrix_transpose(t, conjugate=True)

    def solve_right(t):
        # t inv(r)^H, r being square upper triangular and invertible.
        return mm(t, math.matrix_inverse(r, adjoint=True))

    qdq = mm(q, dq, adjoint_a=True)
    rdr = mm(r, dr, adjoint_b=True)
    lower = math.matrix_band_part((qdq - adjoint(qdq)) + (rdr - adjoint(rdr)), -1, 0)
    return [mm(q, dr + solve_right(lower)) + solve_right(dq - mm(q, qdq))]


# ---- segment sums ----
def _gather_dropping_negatives(params, ids):
    """params gathered at ids, zeros where an id is negative (rows UnsortedSegmentSum dropped)."""
    gathered = array.gather(params, math.maximum(ids, 0))
    keep = math.greater_equal(ids, 0)
    extra = array.ones(array.stack([array.rank(gathered) - array.rank(ids)]), dtypes.int32)
    keep = array.reshape(keep, array.concat([array.shape(ids), extra], 0))
    return array.where_v2(keep, gathered, array.zeros_like(gathered))


@gradient("UnsortedSegmentSum")
def _unsorted_segment_sum_grad(op, grad):
    return [_gather_dropping_negatives(grad, op.inputs[1]), None, None]


@gradient("SegmentSum")
def _segment_sum_grad(op, grad):
    return [array.gather(grad, op.inputs[1]), None]
