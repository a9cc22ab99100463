"""Learning-rate schedules: tensors computing a decayed rate from the global step.

Each returns a scalar tensor of the initial learning rate's dtype (float32 for a Python
number); hyper-parameters and the step are cast to that dtype first, as TF1 does.
"""
import math as _pymath

from tensorflux.framework import dtypes
from tensorflux.framework.graph import convert_to_tensor, get_default_graph
from tensorflux.ops import array, math
from tensorflux.ops.constant import constant
from tensorflux.ops.control_flow import case, cond


def _require_step(global_step, schedule):
    if global_step is None:
        raise ValueError(f"global_step is required for {schedule}.")


def _start(learning_rate, global_step):
    """(initial learning rate tensor, its dtype, the step cast to that dtype)."""
    lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
    dtype = lr.dtype.base_dtype
    return lr, dtype, array.cast(global_step, dtype)


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """learning_rate * decay_rate ^ (global_step / decay_steps); with staircase the exponent
    is floored, so the rate drops every decay_steps steps."""
    _require_step(global_step, "exponential_decay")
    with get_default_graph().name_scope(name or "ExponentialDecay") as scope:
        lr, dtype, step = _start(learning_rate, global_step)
        p = step / array.cast(decay_steps, dtype)
        if staircase:
            p = math.floor(p)
        return math.multiply(lr, math.pow(array.cast(decay_rate, dtype), p), name=scope)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """learning_rate * exp(-decay_rate * global_step / decay_steps) (floored exponent with
    staircase)."""
    _require_step(global_step, "natural_exp_decay")
    natural_exp_rate = math.exp(math.negative(decay_rate))
    return exponential_decay(learning_rate, global_step, decay_steps, natural_exp_rate,
                             staircase=staircase, name=name)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                       name=None):
    """learning_rate / (1 + decay_rate * global_step / decay_steps) (floored ratio with
    staircase)."""
    _require_step(global_step, "inverse_time_decay")
    with get_default_graph().name_scope(name or "InverseTimeDecay") as scope:
        lr, dtype, step = _start(learning_rate, global_step)
        p = step / array.cast(decay_steps, dtype)
        if staircase:
            p = math.floor(p)
        denominator = math.add(array.cast(constant(1), dtype),
                               math.multiply(array.cast(decay_rate, dtype), p))
        return math.divide(lr, denominator, name=scope)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False, name=None):
    """(learning_rate - end) * (1 - step/decay_steps)^power + end, the step capped at
    decay_steps; with cycle, decay_steps grows to the first multiple above the step."""
    _require_step(global_step, "polynomial_decay")
    with get_default_graph().name_scope(name or "PolynomialDecay") as scope:
        lr, dtype, step = _start(learning_rate, global_step)
        end_lr = array.cast(end_learning_rate, dtype)
        power = array.cast(power, dtype)
        steps = array.cast(decay_steps, dtype)
        if cycle:
            multiplier = array.where(math.equal(step, 0), array.ones_like(step),
                                     math.ceil(step / steps))
            steps = math.multiply(steps, multiplier)
        else:
            step = math.minimum(step, steps)
        p = math.divide(step, steps)
        return math.add(math.multiply(lr - end_lr, math.pow(1 - p, power)), end_lr, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """values[0] while x <= boundaries[0], values[i] while boundaries[i-1] < x <=
    boundaries[i], values[-1] after the last boundary.

    ValueError unless len(values) == len(boundaries) + 1, the boundaries have x's dtype (int32
    boundaries are cast for an int64 x) and the values share one dtype.
    """
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with get_default_graph().name_scope(name or "PiecewiseConstant"):
        boundaries = [convert_to_tensor(b) for b in boundaries]
        values = [convert_to_tensor(v) for v in values]
        x = convert_to_tensor(x)
        for i, b in enumerate(boundaries):
            if b.dtype.base_dtype != x.dtype.base_dtype:
                if b.dtype.base_dtype == dtypes.int32 and x.dtype.base_dtype == dtypes.int64:
                    boundaries[i] = array.cast(b, dtypes.int64)
                else:
                    raise ValueError(f"Boundaries ({b.dtype.base_dtype}) must have the same "
                                     f"dtype as x ({x.dtype.base_dtype}).")
        for v in values[1:]:
            if v.dtype.base_dtype != values[0].dtype.base_dtype:
                raise ValueError(f"Values must have elements all with the same dtype "
                                 f"({values[0].dtype.base_dtype} vs {v.dtype.base_dtype}).")
        pairs = [(math.less_equal(x, boundaries[0]), lambda: values[0]),
                 (math.greater(x, boundaries[-1]), lambda: values[-1])]
        for low, high, v in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            pred = math.logical_and(math.greater(x, low), math.less_equal(x, high))
            pairs.append((pred, lambda v=v: v))
        return case(pairs, lambda: values[0], exclusive=True)


piecewise_constant_decay = piecewise_constant


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) /
    decay_steps)) + alpha)."""
    _require_step(global_step, "cosine_decay")
    with get_default_graph().name_scope(name or "CosineDecay"):
        lr, dtype, step = _start(learning_rate, global_step)
        steps = array.cast(decay_steps, dtype)
        completed_fraction = math.minimum(step, steps) / steps
        cosine_decayed = 0.5 * (1.0 + math.cos(constant(_pymath.pi) * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return math.multiply(lr, decayed)


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0,
                          alpha=0.0, name=None):
    """Cosine decay restarted after first_decay_steps, each period t_mul times longer and
    its peak m_mul times lower (SGDR)."""
    _require_step(global_step, "cosine_decay_restarts")
    with get_default_graph().name_scope(name or "SGDRDecay") as scope:
        lr, dtype, step = _start(learning_rate, global_step)
        first_steps = array.cast(first_decay_steps, dtype)
        alpha = array.cast(alpha, dtype)
        t_mul = array.cast(t_mul, dtype)
        m_mul = array.cast(m_mul, dtype)
        completed_fraction = step / first_steps

        def restart_fixed_length():
            i_restart = math.floor(completed_fraction)
            return i_restart, completed_fraction - i_restart

        def restart_geometric():
            i_restart = math.floor(math.log(1.0 - completed_fraction * (1.0 - t_mul)) /
                                   math.log(t_mul))
            sum_r = (1.0 - t_mul ** i_restart) / (1.0 - t_mul)
            return i_restart, (completed_fraction - sum_r) / t_mul ** i_restart

        i_restart, fraction = cond(math.equal(t_mul, 1.0), restart_fixed_length,
                                   restart_geometric)
        cosine_decayed = 0.5 * m_mul ** i_restart * (
            1.0 + math.cos(constant(_pymath.pi) * fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return math.multiply(lr, decayed, name=scope)


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0,
                        beta=0.001, name=None):
    """learning_rate * ((alpha + linear) * cosine + beta) with linear = (decay_steps - step) /
    decay_steps and cosine = 0.5 * (1 + cos(2 pi num_periods step / decay_steps)), the step
    capped at decay_steps."""
    _require_step(global_step, "linear_cosine_decay")
    with get_default_graph().name_scope(name or "LinearCosineDecay") as scope:
        lr, dtype, step = _start(learning_rate, global_step)
        steps = array.cast(decay_steps, dtype)
        step = math.minimum(step, steps)
        linear_decayed = (steps - step) / steps
        fraction = 2.0 * array.cast(num_periods, dtype) * (step / steps)
        cosine_decayed = 0.5 * (1.0 + math.cos(constant(_pymath.pi) * fraction))
        decayed = (array.cast(alpha, dtype) + linear_decayed) * cosine_decayed + \
            array.cast(beta, dtype)
        return math.multiply(lr, decayed, name=scope)


__all__ = ["exponential_decay", "natural_exp_decay", "inverse_time_decay", "polynomial_decay",
           "piecewise_constant", "piecewise_constant_decay", "cosine_decay",
           "cosine_decay_restarts", "linear_cosine_decay"]
