"""Kernels of the Apply* ops (ops/training_ops.py): optimizer updates, in place.

Each kernel updates the session's arrays of the variable and its slots and returns the
variable's array. Arithmetic stays in the variable's dtype (scalars are converted to it), and
each formula keeps the operation order of TF's CPU kernels so float32 results round alike.
"""
import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import kernel
from tensorflux.ops.training_ops import _SIGNATURES


def operands(ctx, args, ref_value, grad_value):
    """The kernel's inputs checked against its op's signature: refs (through `ref_value`) and
    the gradient (through `grad_value(g, dtype)`) of the variable's shape, scalars as NumPy
    scalars of its dtype, global_step as an int; InvalidArgumentError naming the input that
    does not fit. Shared by every library's Apply kernels."""
    signature = _SIGNATURES[ctx.op.type]
    dtype = ctx.op.inputs[0].dtype.base_dtype.as_numpy_dtype
    var = ref_value(args[0])
    out = []
    for (name, role), value in zip(signature, args):
        if role in ("r", "g"):
            value = ref_value(value) if role == "r" else grad_value(value, dtype)
            if value.shape != var.shape:
                raise errors.InvalidArgumentError(
                    None, ctx.op, f"var and {name} do not have the same shape"
                                  f"{list(var.shape)} {list(value.shape)}")
        else:
            value = np.asarray(value)
            if value.ndim != 0:
                raise errors.InvalidArgumentError(
                    None, ctx.op, f"{name} is not a scalar: {list(value.shape)}")
            value = int(value) if role == "step" else value.astype(dtype)[()]
        out.append(value)
    return out


def _operands(ctx, args):
    return operands(ctx, args, lambda ref: ref.value(), lambda grad, dtype: np.asarray(grad, dtype))


def _rsqrt(x):
    return 1 / np.sqrt(x)


def _fobos(prox, step, l1, l2, one):
    """The proximal (FOBOS) step shared by the Proximal* kernels: soft-threshold by step*l1
    (when l1 > 0), then shrink by 1 + l2*step."""
    if l1 > 0:
        return np.sign(prox) * np.maximum(np.abs(prox) - step * l1, 0) / (one + l2 * step)
    return prox / (one + l2 * step)


@kernel("ApplyGradientDescent", context=True)
def apply_gradient_descent(ctx, var, alpha, delta):
    var, alpha, delta = _operands(ctx, (var, alpha, delta))
    var -= delta * alpha
    return var


@kernel("ApplyProximalGradientDescent", context=True)
def apply_proximal_gradient_descent(ctx, var, alpha, l1, l2, delta):
    var, alpha, l1, l2, delta = _operands(ctx, (var, alpha, l1, l2, delta))
    var[...] = _fobos(var - delta * alpha, alpha, l1, l2, var.dtype.type(1))
    return var


@kernel("ApplyMomentum", context=True)
def apply_momentum(ctx, var, accum, lr, grad, momentum, *, use_nesterov=False):
    var, accum, lr, grad, momentum = _operands(ctx, (var, accum, lr, grad, momentum))
    accum[...] = accum * momentum + grad
    if use_nesterov:
        var -= grad * lr + accum * momentum * lr
    else:
        var -= lr * accum
    return var


@kernel("ApplyAdam", context=True)
def apply_adam(ctx, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, *,
               use_nesterov=False):
    var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad = _operands(
        ctx, (var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad))
    one = var.dtype.type(1)
    alpha = lr * np.sqrt(one - beta2_power) / (one - beta1_power)
    m += (grad - m) * (one - beta1)
    v += (np.square(grad) - v) * (one - beta2)
    if use_nesterov:
        var -= ((grad * (one - beta1) + beta1 * m) * alpha) / (np.sqrt(v) + epsilon)
    else:
        var -= (m * alpha) / (np.sqrt(v) + epsilon)
    return var


@kernel("ApplyAdagrad", context=True)
def apply_adagrad(ctx, var, accum, lr, grad, *, update_slots=True):
    var, accum, lr, grad = _operands(ctx, (var, accum, lr, grad))
    if update_slots:
        accum += np.square(grad)
    var -= grad * lr * _rsqrt(accum)
    return var


@kernel("ApplyProximalAdagrad", context=True)
def apply_proximal_adagrad(ctx, var, accum, lr, l1, l2, grad):
    var, accum, lr, l1, l2, grad = _operands(ctx, (var, accum, lr, l1, l2, grad))
    accum += np.square(grad)
    step = lr * _rsqrt(accum)
    var[...] = _fobos(var - grad * step, step, l1, l2, var.dtype.type(1))
    return var


@kernel("ApplyAdagradDA", context=True)
def apply_adagrad_da(ctx, var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1,
                     l2, global_step):
    var, g_acc, gg_acc, grad, lr, l1, l2, global_step = _operands(
        ctx, (var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1, l2,
              global_step))
    g_acc += grad
    gg_acc += np.square(grad)
    step = var.dtype.type(global_step)
    denominator = l2 * (step * lr) + np.sqrt(gg_acc)
    if l1 > 0:
        shrunk = np.maximum(np.abs(g_acc) - step * l1, 0)
        var[...] = lr * -np.sign(g_acc) * shrunk / denominator
    else:
        var[...] = lr * g_acc * -1 / denominator
    return var


@kernel("ApplyAdadelta", context=True)
def apply_adadelta(ctx, var, accum, accum_update, lr, rho, epsilon, grad):
    var, accum, accum_update, lr, rho, epsilon, grad = _operands(
        ctx, (var, accum, accum_update, lr, rho, epsilon, grad))
    one = var.dtype.type(1)
    accum[...] = accum * rho + np.square(grad) * (one - rho)
    update = np.sqrt(accum_update + epsilon) * _rsqrt(accum + epsilon) * grad
    var -= update * lr
    accum_update[...] = accum_update * rho + np.square(update) * (one - rho)
    return var


@kernel("ApplyRMSProp", context=True)
def apply_rms_prop(ctx, var, ms, mom, lr, rho, momentum, epsilon, grad):
    var, ms, mom, lr, rho, momentum, epsilon, grad = _operands(
        ctx, (var, ms, mom, lr, rho, momentum, epsilon, grad))
    ms += (np.square(grad) - ms) * (var.dtype.type(1) - rho)
    mom[...] = mom * momentum + (grad * lr) / np.sqrt(ms + epsilon)
    var -= mom
    return var


@kernel("ApplyCenteredRMSProp", context=True)
def apply_centered_rms_prop(ctx, var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    var, mg, ms, mom, lr, rho, momentum, epsilon, grad = _operands(
        ctx, (var, mg, ms, mom, lr, rho, momentum, epsilon, grad))
    one_minus_rho = var.dtype.type(1) - rho
    ms += (np.square(grad) - ms) * one_minus_rho
    mg += (grad - mg) * one_minus_rho
    denominator = (ms - np.square(mg)) + epsilon
    mom[...] = mom * momentum + (grad * lr) * _rsqrt(denominator)
    var -= mom
    return var


def _ftrl(var, accum, linear, grad, shrunk_grad, lr, l1, l2, lr_power):
    """FTRL-proximal shared by ApplyFtrl and ApplyFtrlV2 (which shrinks the gradient that
    enters `linear`)."""
    new_accum = accum + np.square(grad)
    if lr_power == -0.5:
        new_power, old_power = np.sqrt(new_accum), np.sqrt(accum)
    else:
        new_power, old_power = np.power(new_accum, -lr_power), np.power(accum, -lr_power)
    linear += shrunk_grad - (new_power - old_power) / lr * var
    quadratic = new_power / lr + var.dtype.type(2) * l2
    pre_shrink = (l1 * np.sign(linear) - linear) / quadratic
    var[...] = np.where(np.abs(linear) > l1, pre_shrink, var.dtype.type(0))
    accum[...] = new_accum
    return var


@kernel("ApplyFtrl", context=True)
def apply_ftrl(ctx, var, accum, linear, grad, lr, l1, l2, lr_power):
    var, accum, linear, grad, lr, l1, l2, lr_power = _operands(
        ctx, (var, accum, linear, grad, lr, l1, l2, lr_power))
    return _ftrl(var, accum, linear, grad, grad, lr, l1, l2, lr_power)


@kernel("ApplyFtrlV2", context=True)
def apply_ftrl_v2(ctx, var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power):
    var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power = _operands(
        ctx, (var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power))
    shrunk_grad = grad + var.dtype.type(2) * l2_shrinkage * var
    return _ftrl(var, accum, linear, grad, shrunk_grad, lr, l1, l2, lr_power)
