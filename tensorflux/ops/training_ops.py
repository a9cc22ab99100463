"""The Apply* ops: one optimizer update of a variable and its slots, in place.

Each op takes the variable (and its slot variables) by reference, updates them in the session
and outputs the variable's ref. The other inputs are tensors of the variable's dtype: scalar
hyper-parameters (learning rate, decay rates) and the gradient, shaped like the variable.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import Tensor, convert_to_tensor
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.ops.op_util import apply_op
from tensorflux.ops.state import _ref_of

# op type -> its inputs in order, "name:role". Roles: r = variable ref shaped like var,
# s = scalar of var's dtype, g = tensor shaped like var (the gradient), step = int64 scalar.
_INPUTS = {
    "ApplyGradientDescent": "var:r alpha:s delta:g",
    "ApplyProximalGradientDescent": "var:r alpha:s l1:s l2:s delta:g",
    "ApplyMomentum": "var:r accum:r lr:s grad:g momentum:s",
    "ApplyAdam": "var:r m:r v:r beta1_power:s beta2_power:s lr:s beta1:s beta2:s epsilon:s "
                 "grad:g",
    "ApplyAdagrad": "var:r accum:r lr:s grad:g",
    "ApplyProximalAdagrad": "var:r accum:r lr:s l1:s l2:s grad:g",
    "ApplyAdagradDA": "var:r gradient_accumulator:r gradient_squared_accumulator:r grad:g lr:s "
                      "l1:s l2:s global_step:step",
    "ApplyAdadelta": "var:r accum:r accum_update:r lr:s rho:s epsilon:s grad:g",
    "ApplyRMSProp": "var:r ms:r mom:r lr:s rho:s momentum:s epsilon:s grad:g",
    "ApplyCenteredRMSProp": "var:r mg:r ms:r mom:r lr:s rho:s momentum:s epsilon:s grad:g",
    "ApplyFtrl": "var:r accum:r linear:r grad:g lr:s l1:s l2:s lr_power:s",
    "ApplyFtrlV2": "var:r accum:r linear:r grad:g lr:s l1:s l2:s l2_shrinkage:s lr_power:s",
}
_SIGNATURES = {op_type: [tuple(item.split(":")) for item in spec.split()]
               for op_type, spec in _INPUTS.items()}


def _infer_apply(op):
    """The var ref, shaped as var merged with its slots and gradient; hyper-parameters scalar."""
    signature = _SIGNATURES[op.type]
    shape = op.inputs[0].shape
    for (arg, role), tensor in zip(signature, op.inputs):
        if role in ("r", "g"):
            try:
                shape = shape.merge_with(tensor.shape)
            except ValueError:
                raise ValueError(f"Shapes of 'var' {op.inputs[0].shape} and '{arg}' "
                                 f"{tensor.shape} must be equal for '{op.name}' "
                                 f"(op: '{op.type}').") from None
        elif tensor.shape.ndims not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {tensor.shape.ndims} for "
                             f"'{op.name}' (op: '{op.type}'): input '{arg}' has shape "
                             f"{tensor.shape}.")
    return [(op.inputs[0].dtype, shape)]


for _type, _signature in _SIGNATURES.items():
    register_op(_type, _infer_apply, stateful=True,
                ref_inputs=sum(1 for _, role in _signature if role == "r"))
not_differentiable(*_SIGNATURES)


def _apply(op_type, args, name, **attrs):
    """Builds one Apply op from `args` (the op's inputs in order), checking as TF's op wrappers:
    refs must be variables, every other input has the variable's dtype (Python values are
    converted to it), `global_step` is int64."""
    signature = _SIGNATURES[op_type]
    var = _ref_of(args[0])
    dtype = var.dtype.base_dtype
    inputs = []
    for (arg, role), value in zip(signature, args):
        if role == "r":
            try:
                tensor = _ref_of(value)
            except TypeError:
                raise TypeError(f"Input '{arg}' of '{op_type}' Op requires l-value input "
                                f"(a variable); got {value!r}") from None
        else:
            want = dtypes.int64 if role == "step" else dtype
            if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
                tensor = convert_to_tensor(value)
            else:
                tensor = convert_to_tensor(value, dtype=want, name=arg)
        if tensor.dtype.base_dtype != (dtypes.int64 if role == "step" else dtype):
            raise TypeError(f"Input '{arg}' of '{op_type}' Op has type "
                            f"{tensor.dtype.base_dtype.name} that does not match "
                            + ("expected type of int64." if role == "step" else
                               f"type {dtype.name} of argument 'var'."))
        inputs.append(tensor)
    attrs = {"T": dtype, **{k: bool(v) for k, v in attrs.items()}}
    return apply_op(op_type, inputs, attrs, name or op_type)


def apply_gradient_descent(var, alpha, delta, use_locking=False, name=None):
    """var -= alpha * delta."""
    return _apply("ApplyGradientDescent", [var, alpha, delta], name, use_locking=use_locking)


def apply_proximal_gradient_descent(var, alpha, l1, l2, delta, use_locking=False, name=None):
    """FOBOS: prox = var - alpha*delta;
    var = sign(prox) * max(|prox| - alpha*l1, 0) / (1 + alpha*l2)."""
    return _apply("ApplyProximalGradientDescent", [var, alpha, l1, l2, delta], name,
                  use_locking=use_locking)


def apply_momentum(var, accum, lr, grad, momentum, use_locking=False, use_nesterov=False,
                   name=None):
    """accum = accum*momentum + grad; var -= lr*accum (Nesterov: lr*grad + lr*momentum*accum)."""
    return _apply("ApplyMomentum", [var, accum, lr, grad, momentum], name,
                  use_locking=use_locking, use_nesterov=use_nesterov)


def apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad,
               use_locking=False, use_nesterov=False, name=None):
    """lr_t = lr*sqrt(1-beta2_power)/(1-beta1_power); m, v move toward grad, grad²;
    var -= lr_t*m/(sqrt(v)+epsilon)."""
    return _apply("ApplyAdam", [var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon,
                                grad], name, use_locking=use_locking, use_nesterov=use_nesterov)


def apply_adagrad(var, accum, lr, grad, use_locking=False, update_slots=True, name=None):
    """accum += grad²; var -= lr*grad/sqrt(accum)."""
    return _apply("ApplyAdagrad", [var, accum, lr, grad], name, use_locking=use_locking,
                  update_slots=update_slots)


def apply_proximal_adagrad(var, accum, lr, l1, l2, grad, use_locking=False, name=None):
    """accum += grad², then the FOBOS step with learning rate lr/sqrt(accum)."""
    return _apply("ApplyProximalAdagrad", [var, accum, lr, l1, l2, grad], name,
                  use_locking=use_locking)


def apply_adagrad_da(var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1, l2,
                     global_step, use_locking=False, name=None):
    """Adagrad dual averaging: var from the accumulated gradient sums at step `global_step`."""
    return _apply("ApplyAdagradDA", [var, gradient_accumulator, gradient_squared_accumulator,
                                     grad, lr, l1, l2, global_step], name,
                  use_locking=use_locking)


def apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, use_locking=False,
                   name=None):
    """update = sqrt(accum_update+eps)/sqrt(accum+eps)*grad with accum decayed toward grad²;
    var -= lr*update; accum_update decays toward update²."""
    return _apply("ApplyAdadelta", [var, accum, accum_update, lr, rho, epsilon, grad], name,
                  use_locking=use_locking)


def apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, use_locking=False,
                   name=None):
    """ms decays toward grad²; mom = momentum*mom + lr*grad/sqrt(ms+eps); var -= mom."""
    return _apply("ApplyRMSProp", [var, ms, mom, lr, rho, momentum, epsilon, grad], name,
                  use_locking=use_locking)


def apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad,
                            use_locking=False, name=None):
    """RMSProp normalised by the variance estimate ms - mg² (mg: decayed mean gradient)."""
    return _apply("ApplyCenteredRMSProp", [var, mg, ms, mom, lr, rho, momentum, epsilon, grad],
                  name, use_locking=use_locking)


def apply_ftrl(var, accum, linear, grad, lr, l1, l2, lr_power, use_locking=False, name=None):
    """FTRL-proximal: linear accumulates grad corrected by the accum-dependent learning rate;
    var is the closed-form minimiser (0 where |linear| <= l1)."""
    return _apply("ApplyFtrl", [var, accum, linear, grad, lr, l1, l2, lr_power], name,
                  use_locking=use_locking)


def apply_ftrl_v2(var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power,
                  use_locking=False, name=None):
    """FTRL with the gradient shrunk by 2*l2_shrinkage*var before updating `linear`."""
    return _apply("ApplyFtrlV2", [var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power],
                  name, use_locking=use_locking)


__all__ = ["apply_gradient_descent", "apply_proximal_gradient_descent", "apply_momentum",
           "apply_adam", "apply_adagrad", "apply_proximal_adagrad", "apply_adagrad_da",
           "apply_adadelta", "apply_rms_prop", "apply_centered_rms_prop", "apply_ftrl",
           "apply_ftrl_v2"]
