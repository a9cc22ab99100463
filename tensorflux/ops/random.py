"""Random ops. Each op draws from its own generator, seeded once per session from
(graph seed, op seed): with seeds set, every run of a program sees the same numbers."""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import Tensor, convert_to_tensor, get_default_graph, get_seed
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.framework.shapes import TensorShape
from tensorflux.ops import array, math
from tensorflux.ops.op_util import FLOATS, apply_op, check_dtype, constant_value, shape_from_tensor


def _infer_from_shape(op):
    return [(op.attrs["dtype"], shape_from_tensor(op.inputs[0]))]


for _type in ("RandomStandardNormal", "RandomUniform", "TruncatedNormal"):
    register_op(_type, _infer_from_shape, stateful=True)
register_op("RandomUniformInt", lambda op: [(op.inputs[1].dtype.base_dtype,
                                             shape_from_tensor(op.inputs[0]))], stateful=True)
register_op("RandomShuffle", lambda op: [(op.inputs[0].dtype.base_dtype, op.inputs[0].shape)],
            stateful=True)


def _infer_multinomial(op):
    logits, num = op.inputs
    n = constant_value(num)
    batch = logits.shape[0] if logits.shape.ndims == 2 else None
    return [(op.attrs["output_dtype"], TensorShape([batch, None if n is None else int(n)]))]


def _infer_gamma(op):
    shape, alpha = op.inputs
    return [(alpha.dtype.base_dtype, shape_from_tensor(shape).concatenate(alpha.shape))]


register_op("Multinomial", _infer_multinomial, stateful=True)
register_op("RandomGamma", _infer_gamma, stateful=True)
not_differentiable("RandomStandardNormal", "RandomUniform", "TruncatedNormal",
                   "RandomUniformInt", "RandomShuffle", "Multinomial", "RandomGamma")


def _seed_attrs(seed):
    graph_seed, op_seed = get_seed(seed)
    return {"seed": graph_seed or 0, "seed2": op_seed or 0}


def _shape_tensor(shape):
    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape):
        return array.stack([array.cast(d, dtypes.int32) if isinstance(d, Tensor) else d
                            for d in shape])
    return convert_to_tensor(shape, dtype=dtypes.int32, name="shape")


def _scaled(op_type, shape, loc, scale, dtype, seed, name, default_name):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in FLOATS:
        raise ValueError(f"{default_name}: dtype must be a floating point type, got {dtype.name}")
    with get_default_graph().name_scope(name or default_name) as scope:
        shape_t = _shape_tensor(shape)
        loc = convert_to_tensor(loc, dtype=dtype, name="mean")
        scale = convert_to_tensor(scale, dtype=dtype, name="stddev")
        raw = apply_op(op_type, [shape_t], {"dtype": dtype, "T": shape_t.dtype.base_dtype,
                                            **_seed_attrs(seed)}, op_type)
        return math.add(math.multiply(raw, scale), loc, name=scope[:-1] + "/")


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal samples of `shape`."""
    return _scaled("RandomStandardNormal", shape, mean, stddev, dtype, seed, name,
                   "random_normal")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal samples, redrawn where more than two standard deviations from the mean."""
    return _scaled("TruncatedNormal", shape, mean, stddev, dtype, seed, name, "truncated_normal")


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Uniform samples in [minval, maxval); integer dtypes need an explicit maxval."""
    dtype = dtypes.as_dtype(dtype)
    with get_default_graph().name_scope(name or "random_uniform") as scope:
        shape_t = _shape_tensor(shape)
        if dtype.is_integer:
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
            lo = convert_to_tensor(minval, dtype=dtype, name="min")
            hi = convert_to_tensor(maxval, dtype=dtype, name="max")
            return apply_op("RandomUniformInt", [shape_t, lo, hi],
                            {"Tout": dtype, "T": shape_t.dtype.base_dtype, **_seed_attrs(seed)},
                            scope[:-1] + "/")
        if dtype not in FLOATS:
            raise ValueError(f"random_uniform: invalid dtype {dtype.name}")
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(1 if maxval is None else maxval, dtype=dtype, name="max")
        raw = apply_op("RandomUniform", [shape_t], {"dtype": dtype, "T": shape_t.dtype.base_dtype,
                                                    **_seed_attrs(seed)}, "RandomUniform")
        return math.add(math.multiply(raw, math.subtract(hi, lo)), lo, name=scope[:-1] + "/")


def random_shuffle(value, seed=None, name=None):
    value = convert_to_tensor(value)
    return apply_op("RandomShuffle", [value], {"T": value.dtype.base_dtype, **_seed_attrs(seed)},
                    name or "RandomShuffle")


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=dtypes.int64):
    """Class indices drawn from the categorical distributions given by rows of `logits`."""
    logits = check_dtype("Multinomial", "logits", convert_to_tensor(logits), FLOATS)
    num = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
    return apply_op("Multinomial", [logits, num], {"T": logits.dtype.base_dtype,
                                                   "output_dtype": dtypes.as_dtype(output_dtype),
                                                   **_seed_attrs(seed)}, name or "Multinomial")


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    return multinomial(logits, num_samples, seed, name, dtype or dtypes.int64)


def random_gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """Gamma samples of shape `shape + alpha.shape`, scaled by 1/beta."""
    dtype = dtypes.as_dtype(dtype)
    with get_default_graph().name_scope(name or "random_gamma"):
        shape_t = _shape_tensor(shape)
        alpha = convert_to_tensor(alpha, dtype=dtype, name="alpha")
        sample = apply_op("RandomGamma", [shape_t, alpha], {"T": dtype, "S": dtypes.int32,
                                                            **_seed_attrs(seed)}, "RandomGamma")
        if beta is None:
            return sample
        beta = convert_to_tensor(beta, dtype=dtype, name="beta")
        return math.truediv(sample, beta)


def random_crop(value, size, seed=None, name=None):
    """A random `size` slice of `value`."""
    with get_default_graph().name_scope(name or "random_crop"):
        value = convert_to_tensor(value, name="value")
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        limit = math.add(math.subtract(array.shape(value), size), 1)
        offset = math.floormod(
            random_uniform(array.shape(size), dtype=dtypes.int32, maxval=2 ** 31 - 1, seed=seed),
            limit)
        return array.slice(value, offset, size)


__all__ = ["random_normal", "truncated_normal", "random_uniform", "random_shuffle", "multinomial",
           "categorical", "random_gamma", "random_crop"]
