"""torch kernels of the math family (ops/math.py); kernels/numpy/math.py is the reference.

Elementwise ops whose torch function has TF's semantics are declared by name. The rest are
written out where TF and torch differ: integer division by zero raises, integer Pow refuses
negative exponents, Sign keeps NaN, integer Mean truncates toward zero, an empty axis list
reduces nothing (torch would reduce everything), and integer sums and scans keep their dtype.
"""
import numpy as np
import torch

from tensorflux.framework import dtypes
from tensorflux.kernels.numpy.math import check_mat_mul, scan_axis
from tensorflux.kernels.torch.library import (ALL, DENSE, FLOATS, ONEDNN_INNER_PRODUCT, REALS,
                                              TORCH_DTYPES, as_ints, invalid, on_onednn,
                                              torch_kernel)

_BOOL = frozenset({dtypes.bool_})

# op type -> (torch function name, dtypes); every one of these takes `out=`.
UNARY = {
    "Abs": ("abs", REALS), "Neg": ("neg", REALS), "Square": ("square", REALS),
    "Sqrt": ("sqrt", FLOATS), "Rsqrt": ("rsqrt", FLOATS), "Exp": ("exp", FLOATS),
    "Expm1": ("expm1", FLOATS), "Log": ("log", FLOATS), "Log1p": ("log1p", FLOATS),
    "Sin": ("sin", FLOATS), "Cos": ("cos", FLOATS), "Tan": ("tan", FLOATS),
    "Asin": ("asin", FLOATS), "Acos": ("acos", FLOATS), "Atan": ("atan", FLOATS),
    "Sinh": ("sinh", FLOATS), "Cosh": ("cosh", FLOATS), "Tanh": ("tanh", FLOATS),
    "Asinh": ("asinh", FLOATS), "Acosh": ("acosh", FLOATS), "Atanh": ("atanh", FLOATS),
    "Sigmoid": ("sigmoid", FLOATS), "Reciprocal": ("reciprocal", FLOATS),
    "Floor": ("floor", FLOATS), "Ceil": ("ceil", FLOATS),
    # torch.round rounds half to even, as TF's Round and Rint do.
    "Round": ("round", REALS), "Rint": ("round", FLOATS), "Erf": ("erf", FLOATS),
    "LogicalNot": ("logical_not", _BOOL),
}

# Transcendental functions for which NumPy's SIMD ufuncs, on one core, beat torch's CPU
# kernels on two (1.3x for Log and Cos to 10x for Asinh, measured on 1M float32 elements):
# on the CPU these run NumPy's kernel, at no copy; torch's serves the GPU.
NUMPY_FASTER_ON_CPU = frozenset({"Tanh", "Atan", "Tan", "Acos", "Asin", "Asinh", "Cosh", "Sinh",
                                 "Sin", "Cos", "Log", "Expm1", "Atanh"})

BINARY = {
    "Add": ("add", REALS), "AddV2": ("add", REALS), "Sub": ("sub", REALS),
    "Mul": ("mul", REALS), "Maximum": ("maximum", REALS), "Minimum": ("minimum", REALS),
    "Atan2": ("atan2", FLOATS), "Greater": ("gt", REALS), "Less": ("lt", REALS),
    "GreaterEqual": ("ge", REALS), "LessEqual": ("le", REALS), "Equal": ("eq", ALL),
    "NotEqual": ("ne", ALL), "LogicalAnd": ("logical_and", _BOOL),
    "LogicalOr": ("logical_or", _BOOL),
}

# Predicates have no `out=`; their bool output never reuses a numeric input anyway.
PREDICATES = {"IsFinite": "isfinite", "IsNan": "isnan", "IsInf": "isinf"}

for _op_type, (_name, _types) in UNARY.items():
    torch_kernel(_op_type, types=_types, inplace=(0,),
                 devices=("GPU",) if _op_type in NUMPY_FASTER_ON_CPU else ("CPU", "GPU"))(
        getattr(torch, _name))
for _op_type, (_name, _types) in BINARY.items():
    torch_kernel(_op_type, types=_types, inplace=(0, 1))(getattr(torch, _name))
for _op_type, _name in PREDICATES.items():
    torch_kernel(_op_type, types=FLOATS, fresh=True)(getattr(torch, _name))


@torch_kernel("Sign", fresh=True)
def sign(x):
    if x.is_floating_point():
        return torch.where(torch.isnan(x), x, torch.sign(x))  # torch.sign(NaN) is 0
    return torch.sign(x)


# ---- division: integer rules ----
def _integer_division(fn, x, y, out):
    try:
        return fn(x, y, out=out)
    except RuntimeError as exc:  # raised by the CPU kernel; CUDA leaves it undefined, as TF
        if "ZeroDivisionError" in str(exc):
            raise invalid("Integer division by zero") from None
        raise


def _floor_divide(x, y, out=None):
    return torch.div(x, y, rounding_mode="floor", out=out)


def _truncate_divide(x, y, out=None):
    return torch.div(x, y, rounding_mode="trunc", out=out)


@torch_kernel("RealDiv", inplace=(0, 1))
def real_div(x, y, out=None):
    if x.is_floating_point():
        return torch.div(x, y, out=out)
    return _integer_division(_floor_divide, x, y, out)


@torch_kernel("Div", inplace=(0, 1))
def div(x, y, out=None):
    # TF's raw Div truncates integers toward zero (tf.div's floor comes from its wrapper).
    if x.is_floating_point():
        return torch.div(x, y, out=out)
    return _integer_division(_truncate_divide, x, y, out)


@torch_kernel("DivNoNan", types=FLOATS, inplace=(0, 1))
def div_no_nan(x, y, out=None):
    # Made before the division, which may write into y; through a float mask, as torch writes
    # a bool comparison several times slower.
    zero = torch.eq(y, 0, out=torch.empty_like(y)).bool()
    return torch.div(x, y, out=out).masked_fill_(zero, 0)


@torch_kernel("FloorDiv", inplace=(0, 1))
def floor_div(x, y, out=None):
    if x.is_floating_point():
        return _floor_divide(x, y, out=out)
    return _integer_division(_floor_divide, x, y, out)


@torch_kernel("TruncateDiv", inplace=(0, 1))
def truncate_div(x, y, out=None):
    if x.is_floating_point():
        return _truncate_divide(x, y, out=out)
    return _integer_division(_truncate_divide, x, y, out)


@torch_kernel("FloorMod", inplace=(0, 1))
def floor_mod(x, y, out=None):
    if x.is_floating_point():
        return torch.remainder(x, y, out=out)
    return _integer_division(torch.remainder, x, y, out)


@torch_kernel(("TruncateMod", "Mod"), inplace=(0, 1))
def truncate_mod(x, y, out=None):
    if x.is_floating_point():
        return torch.fmod(x, y, out=out)
    return _integer_division(torch.fmod, x, y, out)


@torch_kernel("Pow", inplace=(0, 1))
def pow_(x, y, out=None):
    if not x.is_floating_point() and bool((y < 0).any()):
        raise invalid("Integers to negative integer powers are not allowed")
    return torch.pow(x, y, out=out)


@torch_kernel("SquaredDifference", inplace=(0, 1))
def squared_difference(x, y, out=None):
    d = torch.sub(x, y, out=out)
    return d.mul_(d)


@torch_kernel("AddN", fresh=True)
def add_n(*inputs):
    total = inputs[0] + inputs[1] if len(inputs) > 1 else inputs[0].clone()
    for x in inputs[2:]:
        total.add_(x)
    return total


# ---- reductions (the axes are a host input) ----
def _dims(x, axes):
    return tuple(sorted({a % x.dim() for a in as_ints(axes)})) if x.dim() else ()


def _reduction(name, reduce):
    # Not `fresh`: reducing no axes forwards the input itself, as TF's kernels do. (The
    # gradient of a broadcasting Add reduces its full-shape side over no axes; torch would
    # reduce every axis for an empty list.)
    @torch_kernel(name, types=_BOOL if name in ("All", "Any") else REALS, host_inputs=(1,))
    def kernel(x, axes, *, keep_dims=False):
        dims = _dims(x, axes)
        return reduce(x, dims, keep_dims) if dims else x
    return kernel


def _sum(x, dims, keep):
    if x.is_floating_point():
        return torch.sum(x, dim=dims, keepdim=keep)
    return torch.sum(x, dim=dims, keepdim=keep, dtype=x.dtype)  # not widened to int64


def _prod(x, dims, keep):
    for d in reversed(dims):  # torch.prod takes one axis at a time
        x = torch.prod(x, dim=d, keepdim=keep, dtype=x.dtype)
    return x


def _mean(x, dims, keep):
    if x.is_floating_point():
        return torch.mean(x, dim=dims, keepdim=keep)
    count = max(int(np.prod([x.shape[d] for d in dims])), 1)
    total = torch.sum(x, dim=dims, keepdim=keep, dtype=torch.int64)
    return torch.div(total, count, rounding_mode="trunc").to(x.dtype)


def _extreme(fn, lowest):
    def reduce(x, dims, keep):
        if x.numel() == 0:  # TF reduces an empty set to the dtype's lowest (max) or highest
            shape = [1 if d in dims else n for d, n in enumerate(x.shape) if keep or d not in dims]
            if x.is_floating_point():
                fill = -np.inf if lowest else np.inf
            else:
                fill = torch.iinfo(x.dtype).min if lowest else torch.iinfo(x.dtype).max
            return torch.full(shape, fill, dtype=x.dtype, device=x.device)
        return fn(x, dim=dims, keepdim=keep)
    return reduce


_reduction("Sum", _sum)
_reduction("Prod", _prod)
_reduction("Mean", _mean)
_reduction("Max", _extreme(torch.amax, lowest=True))
_reduction("Min", _extreme(torch.amin, lowest=False))
_reduction("All", lambda x, dims, keep: torch.all(x, dim=dims, keepdim=keep))
_reduction("Any", lambda x, dims, keep: torch.any(x, dim=dims, keepdim=keep))


def _arg(name, fn):
    @torch_kernel(name, host_inputs=(1,), fresh=True)
    def kernel(x, dimension, *, output_type):
        return fn(x, dim=int(np.reshape(dimension, [-1])[0])).to(TORCH_DTYPES[output_type])
    return kernel


_arg("ArgMax", torch.argmax)
_arg("ArgMin", torch.argmin)


# ---- scans (the axis is a host input) ----
def _scan(name, accumulate, identity):
    @torch_kernel(name, host_inputs=(1,), fresh=True)
    def kernel(x, axis, *, exclusive=False, reverse=False):
        axis = scan_axis(x.shape, axis)
        if reverse:
            x = x.flip(axis)
        if exclusive and x.shape[axis]:
            # The exclusive scan is the inclusive scan of the input shifted in by the identity.
            first = torch.full_like(x.narrow(axis, 0, 1), identity)
            x = torch.cat([first, x.narrow(axis, 0, x.shape[axis] - 1)], axis)
        out = accumulate(x, axis, dtype=x.dtype)  # integers keep their dtype (torch: int64)
        return out.flip(axis) if reverse else out
    return kernel


_scan("Cumsum", torch.cumsum, 0)
_scan("Cumprod", torch.cumprod, 1)


# ---- matrices ----
# Below this many multiply-adds, oneDNN's fixed cost (~20 us) outweighs its faster loops.
_ONEDNN_MIN_WORK = 1 << 16


def mat_mul_2d(a, b, transpose_a, transpose_b, bias=None, post_op=None):
    """MatMul's product, plus `bias` along its columns and then `post_op` (an activation,
    kernels/torch/fused.py) when given. Float32 products on the CPU run on oneDNN's inner
    product, which reaches 170-200 GFLOP/s on the development machine's AMD CPU where the MKL
    sgemm behind torch.matmul reaches 75-140; the rest on torch.matmul. The caller has checked
    the shapes (check_mat_mul)."""
    a = a.mT if transpose_a else a
    weight = b if transpose_b else b.mT  # [out columns, inner]: the inner product's layout
    rows, inner = a.shape
    if ONEDNN_INNER_PRODUCT is not None and on_onednn(a, b) and inner and \
            rows * inner * weight.shape[0] >= _ONEDNN_MIN_WORK and \
            (post_op is None or post_op.onednn):
        name, scalars = post_op.onednn if post_op else ("none", [])
        return ONEDNN_INNER_PRODUCT(a, weight, bias, name, scalars, "")
    y = torch.matmul(a, weight.mT) if bias is None else torch.addmm(bias, a, weight.mT)
    return y if post_op is None else post_op.in_place(y)


@torch_kernel("MatMul", types=DENSE, fresh=True)
def mat_mul(a, b, *, transpose_a=False, transpose_b=False):
    check_mat_mul(tuple(a.shape), tuple(b.shape), transpose_a, transpose_b)
    return mat_mul_2d(a, b, transpose_a, transpose_b)


@torch_kernel("BatchMatMulV2", types=DENSE, fresh=True)
def batch_mat_mul(x, y, *, adj_x=False, adj_y=False):
    return torch.matmul(x.mT if adj_x else x, y.mT if adj_y else y)

