"""Kernels of the random ops (ops/random.py), each drawing from its op's own generator."""
import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import kernel


def op_generator(ctx, seed, seed2):
    # Both seeds zero means "unseeded": fresh entropy per session, as TF1.
    return ctx.resources.generator(ctx.op, None if seed == 0 and seed2 == 0 else (seed, seed2))


def _dims(shape):
    return [int(d) for d in np.reshape(shape, [-1])]


def _draw_dtype(dtype):
    """The dtype to draw in: NumPy's generators make float32 directly, at twice the speed of
    float64 and with no cast; other float dtypes are drawn in float64 and cast."""
    return np.float32 if dtype.as_numpy_dtype == np.float32 else np.float64


@kernel("RandomStandardNormal", context=True)
def random_standard_normal(ctx, shape, *, dtype, seed=0, seed2=0):
    gen = op_generator(ctx, seed, seed2)
    drawn = gen.standard_normal(_dims(shape), dtype=_draw_dtype(dtype))
    return drawn.astype(dtype.as_numpy_dtype, copy=False)


@kernel("RandomUniform", context=True)
def random_uniform(ctx, shape, *, dtype, seed=0, seed2=0):
    gen = op_generator(ctx, seed, seed2)
    return gen.random(_dims(shape), dtype=_draw_dtype(dtype)).astype(dtype.as_numpy_dtype,
                                                                     copy=False)


@kernel("TruncatedNormal", context=True)
def truncated_normal(ctx, shape, *, dtype, seed=0, seed2=0):
    gen = op_generator(ctx, seed, seed2)
    out = gen.standard_normal(_dims(shape))
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out.astype(dtype.as_numpy_dtype)


@kernel("RandomUniformInt", context=True)
def random_uniform_int(ctx, shape, minval, maxval, *, seed=0, seed2=0):
    gen = op_generator(ctx, seed, seed2)
    if minval >= maxval:
        raise errors.InvalidArgumentError(None, ctx.op, f"Need minval < maxval, got {minval} >= "
                                                        f"{maxval}")
    return gen.integers(minval, maxval, size=_dims(shape)).astype(np.asarray(minval).dtype)


@kernel("RandomShuffle", context=True)
def random_shuffle(ctx, value, *, seed=0, seed2=0):
    gen = op_generator(ctx, seed, seed2)
    return value[gen.permutation(len(value))] if np.ndim(value) else value


@kernel("Multinomial", context=True)
def multinomial(ctx, logits, num_samples, *, output_dtype, seed=0, seed2=0):
    gen = op_generator(ctx, seed, seed2)
    logits = np.asarray(logits, dtype=np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    draws = gen.random((logits.shape[0], int(num_samples)))
    samples = (draws[:, :, None] > cdf[:, None, :]).sum(axis=2)
    return np.minimum(samples, logits.shape[1] - 1).astype(output_dtype.as_numpy_dtype)


@kernel("RandomGamma", context=True)
def random_gamma(ctx, shape, alpha, *, seed=0, seed2=0):
    gen = op_generator(ctx, seed, seed2)
    alpha = np.asarray(alpha)
    out = gen.standard_gamma(alpha, size=_dims(shape) + list(alpha.shape))
    return out.astype(alpha.dtype)
