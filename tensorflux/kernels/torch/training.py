"""torch kernels of the Apply* ops (ops/training_ops.py); kernels/numpy/training.py is the
reference.

Each updates the variable and its slots in place, in their storage: on the CPU a tensor sharing
the NumPy array's memory, on a GPU the device tensor itself, so an update copies nothing. The
hyper-parameters are host inputs, combined in the variable's dtype as the NumPy kernels do and
passed to torch as Python numbers. Momentum and Adam run as torch's fused optimizer kernels (one
pass over the variable and its slots); the other updates as a few in-place torch calls, slots
updated by one formula together through the multi-tensor `_foreach` kernels.
"""
import numpy as np
import torch

from tensorflux.kernels.numpy.training import operands
from tensorflux.kernels.torch.library import FLOATS, torch_kernel, variable_tensor
from tensorflux.ops.training_ops import _SIGNATURES


def _apply_kernel(op_type):
    """Registers the decorated update as `op_type`'s kernel: scalars are host inputs."""
    signature = _SIGNATURES[op_type]
    scalars = tuple(i for i, (_, role) in enumerate(signature) if role in ("s", "step"))
    return torch_kernel(op_type, types=FLOATS, context=True, host_inputs=scalars)


def _operands(ctx, args):
    """Refs as tensors, the gradient as given, checked as the NumPy kernels check them."""
    return operands(ctx, args, variable_tensor, lambda grad, dtype: grad)


@_apply_kernel("ApplyGradientDescent")
def apply_gradient_descent(ctx, var, alpha, delta):
    var, alpha, delta = _operands(ctx, (var, alpha, delta))
    return var.sub_(delta, alpha=alpha.item())


@_apply_kernel("ApplyMomentum")
def apply_momentum(ctx, var, accum, lr, grad, momentum, *, use_nesterov=False):
    """accum = accum * momentum + grad; var -= lr * accum (Nesterov: lr * (grad + momentum *
    accum)): torch's SGD with momentum and no dampening, in one fused pass."""
    var, accum, lr, grad, momentum = _operands(ctx, (var, accum, lr, grad, momentum))
    if momentum != 0:  # (torch's fused SGD keeps no momentum buffer at 0)
        torch._fused_sgd_([var], [grad.contiguous()], [accum], weight_decay=0.0,
                          momentum=momentum.item(), lr=lr.item(), dampening=0.0,
                          nesterov=use_nesterov, maximize=False, is_first_step=False)
        return var
    accum.mul_(momentum.item()).add_(grad)
    if use_nesterov:
        return var.sub_(grad, alpha=lr.item()).sub_(accum, alpha=(momentum * lr).item())
    return var.sub_(accum, alpha=lr.item())


_ONE_STEP = {}  # device -> a step count of 1, the constant `_fused_adam_` reads


@_apply_kernel("ApplyAdam")
def apply_adam(ctx, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, *,
               use_nesterov=False):
    var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad = _operands(
        ctx, (var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad))
    one = beta1.dtype.type(1)
    alpha = lr * np.sqrt(one - beta2_power) / (one - beta1_power)
    if use_nesterov:
        # m += (grad - m) * (1 - beta1); v += (grad**2 - v) * (1 - beta2)
        torch._foreach_lerp_([m, v], [grad, grad * grad], [(one - beta1).item(),
                                                           (one - beta2).item()])
        step = grad * (one - beta1).item()
        step.add_(m, alpha=beta1.item())
        return var.addcdiv_(step, v.sqrt().add_(epsilon.item()), value=-alpha.item())
    # TF's step alpha * m / (sqrt(v) + epsilon) is torch's fused Adam at its first step (bias
    # corrections 1 - beta) with its rate and epsilon rescaled: one pass, no temporaries.
    # (The fused kernel reads its tensors as dense, hence a contiguous gradient.)
    correction = np.sqrt(one - beta2)
    step = _ONE_STEP.get(var.device)
    if step is None:
        step = _ONE_STEP[var.device] = torch.ones((), dtype=torch.float32, device=var.device)
    torch._fused_adam_([var], [grad.contiguous()], [m], [v], [], [step],
                       lr=(alpha * (one - beta1) / correction).item(), beta1=beta1.item(),
                       beta2=beta2.item(), weight_decay=0.0,
                       eps=(epsilon / correction).item(), amsgrad=False, maximize=False)
    return var


@_apply_kernel("ApplyAdagrad")
def apply_adagrad(ctx, var, accum, lr, grad, *, update_slots=True):
    var, accum, lr, grad = _operands(ctx, (var, accum, lr, grad))
    if update_slots:
        accum.addcmul_(grad, grad)
    return var.addcmul_(grad, accum.rsqrt(), value=-lr.item())


@_apply_kernel("ApplyAdadelta")
def apply_adadelta(ctx, var, accum, accum_update, lr, rho, epsilon, grad):
    var, accum, accum_update, lr, rho, epsilon, grad = _operands(
        ctx, (var, accum, accum_update, lr, rho, epsilon, grad))
    one_minus_rho = (rho.dtype.type(1) - rho).item()
    accum.mul_(rho.item()).addcmul_(grad, grad, value=one_minus_rho)
    update = (accum_update + epsilon.item()).sqrt_().mul_((accum + epsilon.item()).rsqrt_())
    update.mul_(grad)
    var.sub_(update, alpha=lr.item())
    accum_update.mul_(rho.item()).addcmul_(update, update, value=one_minus_rho)
    return var


@_apply_kernel("ApplyRMSProp")
def apply_rms_prop(ctx, var, ms, mom, lr, rho, momentum, epsilon, grad):
    var, ms, mom, lr, rho, momentum, epsilon, grad = _operands(
        ctx, (var, ms, mom, lr, rho, momentum, epsilon, grad))
    ms.lerp_(grad * grad, (rho.dtype.type(1) - rho).item())
    mom.mul_(momentum.item()).addcdiv_(grad, (ms + epsilon.item()).sqrt_(), value=lr.item())
    return var.sub_(mom)


@_apply_kernel("ApplyCenteredRMSProp")
def apply_centered_rms_prop(ctx, var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    var, mg, ms, mom, lr, rho, momentum, epsilon, grad = _operands(
        ctx, (var, mg, ms, mom, lr, rho, momentum, epsilon, grad))
    one_minus_rho = (rho.dtype.type(1) - rho).item()
    torch._foreach_lerp_([ms, mg], [grad * grad, grad], one_minus_rho)
    denominator = (ms - mg * mg).add_(epsilon.item())
    mom.mul_(momentum.item()).addcmul_(grad, denominator.rsqrt_(), value=lr.item())
    return var.sub_(mom)
