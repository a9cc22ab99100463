"""The ten TF1 optimizers: each creates its slots and applies one Apply* op per variable.

Hyper-parameters may be Python numbers, tensors or (where TF1 allows) callables returning
either. Python numbers become float32 tensors named after the parameter, cast to each
variable's dtype where TF1 casts them (so a float64 variable sees float32-rounded values).
The Proximal* optimizers do not cast, as in TF1: with float64 variables their
hyper-parameters must be float64 tensors.
"""
from tensorflux.framework.graph import convert_to_tensor, get_default_graph
from tensorflux.ops import array, init_ops, training_ops
from tensorflux.ops.constant import constant
from tensorflux.ops.control_flow import group
from tensorflux.training.optimizer import Optimizer


def _cast(value, var):
    return array.cast(value, var.dtype.base_dtype)


def _tensor(value, name):
    return convert_to_tensor(Optimizer._call_if_callable(value), name=name)


class GradientDescentOptimizer(Optimizer):
    """var -= learning_rate * grad."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._learning_rate_tensor = None

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        return training_ops.apply_gradient_descent(
            var, _cast(self._learning_rate_tensor, var), grad, use_locking=self._use_locking).op


class MomentumOptimizer(Optimizer):
    """accum = momentum*accum + grad; var -= learning_rate*accum (slot "momentum").

    With use_nesterov the step is learning_rate*(grad + momentum*accum).
    """

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        self._momentum_tensor = _tensor(self._momentum, "momentum")

    def _apply_dense(self, grad, var):
        return training_ops.apply_momentum(
            var, self.get_slot(var, "momentum"), _cast(self._learning_rate_tensor, var), grad,
            _cast(self._momentum_tensor, var), use_locking=self._use_locking,
            use_nesterov=self._use_nesterov).op


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba): slots "m" and "v"; the non-slot variables beta1_power and
    beta2_power (beta1^t, beta2^t) advance once per apply, after every variable's update."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08,
                 use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon
        self._lr_t = self._beta1_t = self._beta2_t = self._epsilon_t = None

    def _get_beta_accumulators(self):
        graph = get_default_graph()
        return (self._get_non_slot_variable("beta1_power", graph),
                self._get_non_slot_variable("beta2_power", graph))

    def _create_slots(self, var_list):
        # The powers live next to the variable that sorts first by name, as in TF1.
        first_var = min(var_list, key=lambda v: v.name)
        self._create_non_slot_variable(self._beta1, "beta1_power", first_var)
        self._create_non_slot_variable(self._beta2, "beta2_power", first_var)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _prepare(self):
        self._lr_t = _tensor(self._lr, "learning_rate")
        self._beta1_t = _tensor(self._beta1, "beta1")
        self._beta2_t = _tensor(self._beta2, "beta2")
        self._epsilon_t = _tensor(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        beta1_power, beta2_power = self._get_beta_accumulators()
        return training_ops.apply_adam(
            var, self.get_slot(var, "m"), self.get_slot(var, "v"), _cast(beta1_power, var),
            _cast(beta2_power, var), _cast(self._lr_t, var), _cast(self._beta1_t, var),
            _cast(self._beta2_t, var), _cast(self._epsilon_t, var), grad,
            use_locking=self._use_locking).op

    def _finish(self, update_ops, name_scope):
        graph = get_default_graph()
        with graph.control_dependencies(update_ops):
            beta1_power, beta2_power = self._get_beta_accumulators()
            with graph.colocate_with(beta1_power):
                update_beta1 = beta1_power.assign(beta1_power * self._beta1_t,
                                                  use_locking=self._use_locking)
                update_beta2 = beta2_power.assign(beta2_power * self._beta2_t,
                                                  use_locking=self._use_locking)
        return group(*update_ops, update_beta1, update_beta2, name=name_scope)


def _check_positive(value, what):
    if value <= 0.0:
        raise ValueError(f"{what} must be positive: {value}")


def _check_non_negative(value, what):
    if value < 0.0:
        raise ValueError(f"{what} {value:f} needs to be positive or zero")


def _constant_slot_value(v, value):
    """A tensor of `value` shaped and typed like `v`, made next to it."""
    with v.graph.colocate_with(v):
        if v.get_shape().is_fully_defined():
            return constant(value, shape=v.get_shape().as_list(), dtype=v.dtype.base_dtype)
        return array.cast(array.fill(array.shape(v), value), v.dtype.base_dtype)


class AdagradOptimizer(Optimizer):
    """accum += grad²; var -= learning_rate*grad/sqrt(accum) (slot "accumulator", starting
    at initial_accumulator_value, which must be positive)."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        _check_positive(initial_accumulator_value, "initial_accumulator_value")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._learning_rate_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            if v.get_shape().is_fully_defined():
                init = init_ops.constant_initializer(self._initial_accumulator_value,
                                                     dtype=dtype)
                self._get_or_make_slot_with_initializer(v, init, v.get_shape(), dtype,
                                                        "accumulator", self._name)
            else:
                self._get_or_make_slot(
                    v, _constant_slot_value(v, self._initial_accumulator_value),
                    "accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        return training_ops.apply_adagrad(
            var, self.get_slot(var, "accumulator"), _cast(self._learning_rate_tensor, var),
            grad, use_locking=self._use_locking)


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging (Duchi et al.): slots "gradient_accumulator" (sum of gradients)
    and "gradient_squared_accumulator"; the update needs the int64 `global_step`, read
    before this step's increment, plus one."""

    def __init__(self, learning_rate, global_step,
                 initial_gradient_squared_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="AdagradDA"):
        _check_positive(initial_gradient_squared_accumulator_value,
                        "initial_gradient_squared_accumulator_value")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_gradient_squared_accumulator_value = \
            initial_gradient_squared_accumulator_value
        self._learning_rate_tensor = None
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._global_step = global_step
        self._global_step_on_worker = None

    def _create_slots(self, var_list):
        for v in var_list:
            g_val = _constant_slot_value(v, 0.0)
            gg_val = _constant_slot_value(v, self._initial_gradient_squared_accumulator_value)
            self._get_or_make_slot(v, g_val, "gradient_accumulator", self._name)
            self._get_or_make_slot(v, gg_val, "gradient_squared_accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        with get_default_graph().colocate_with(self._learning_rate_tensor):
            self._global_step_on_worker = array.identity(self._global_step) + 1

    def _apply_dense(self, grad, var):
        with get_default_graph().device(var.device):
            global_step = array.identity(self._global_step_on_worker)
        return training_ops.apply_adagrad_da(
            var, self.get_slot(var, "gradient_accumulator"),
            self.get_slot(var, "gradient_squared_accumulator"), grad,
            _cast(self._learning_rate_tensor, var), _cast(self._l1_regularization_strength, var),
            _cast(self._l2_regularization_strength, var), global_step,
            use_locking=self._use_locking)


class AdadeltaOptimizer(Optimizer):
    """Adadelta (Zeiler): slots "accum" (decayed grad²) and "accum_update" (decayed
    update²)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-08, use_locking=False,
                 name="Adadelta"):
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._rho = rho
        self._epsilon = epsilon
        self._lr_t = self._rho_t = self._epsilon_t = None

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self):
        self._lr_t = _tensor(self._lr, "lr")
        self._rho_t = _tensor(self._rho, "rho")
        self._epsilon_t = _tensor(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        return training_ops.apply_adadelta(
            var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
            _cast(self._lr_t, var), _cast(self._rho_t, var), _cast(self._epsilon_t, var), grad,
            use_locking=self._use_locking)


class RMSPropOptimizer(Optimizer):
    """RMSProp: slots "rms" (starting at ones), "momentum" and, when centered, "mg" (the
    decayed mean gradient, whose square is subtracted from rms)."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking=False, centered=False, name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered
        self._learning_rate_tensor = self._decay_tensor = None
        self._momentum_tensor = self._epsilon_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            if v.get_shape().is_fully_defined():
                self._get_or_make_slot_with_initializer(
                    v, init_ops.ones_initializer(dtype=dtype), v.get_shape(), dtype, "rms",
                    self._name)
            else:
                self._get_or_make_slot(v, _constant_slot_value(v, 1.0), "rms", self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        self._decay_tensor = _tensor(self._decay, "decay")
        self._momentum_tensor = _tensor(self._momentum, "momentum")
        self._epsilon_tensor = _tensor(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        rms = self.get_slot(var, "rms")
        mom = self.get_slot(var, "momentum")
        hyper = [_cast(t, var) for t in (self._learning_rate_tensor, self._decay_tensor,
                                          self._momentum_tensor, self._epsilon_tensor)]
        if self._centered:
            return training_ops.apply_centered_rms_prop(
                var, self.get_slot(var, "mg"), rms, mom, *hyper, grad,
                use_locking=self._use_locking).op
        return training_ops.apply_rms_prop(var, rms, mom, *hyper, grad,
                                           use_locking=self._use_locking).op


class FtrlOptimizer(Optimizer):
    """FTRL-proximal (McMahan et al.): slots "accum" (starting at initial_accumulator_value)
    and "linear"; with l2_shrinkage_regularization_strength > 0 it uses ApplyFtrlV2."""

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="Ftrl", accum_name=None, linear_name=None,
                 l2_shrinkage_regularization_strength=0.0):
        super().__init__(use_locking, name)
        _check_non_negative(initial_accumulator_value, "initial_accumulator_value")
        if learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power {learning_rate_power:f} needs to be "
                             "negative or zero")
        _check_non_negative(l1_regularization_strength, "l1_regularization_strength")
        _check_non_negative(l2_regularization_strength, "l2_regularization_strength")
        _check_non_negative(l2_shrinkage_regularization_strength,
                            "l2_shrinkage_regularization_strength")
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list):
        for v in var_list:
            val = _constant_slot_value(v, self._initial_accumulator_value)
            self._get_or_make_slot(v, val, "accum", self._accum_name or self._name)
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        self._l1_tensor = _tensor(self._l1_regularization_strength,
                                  "l1_regularization_strength")
        self._l2_tensor = _tensor(self._l2_regularization_strength,
                                  "l2_regularization_strength")
        self._l2_shrinkage_tensor = _tensor(self._l2_shrinkage_regularization_strength,
                                            "l2_shrinkage_regularization_strength")
        self._learning_rate_power_tensor = _tensor(self._learning_rate_power,
                                                   "learning_rate_power")

    def _apply_dense(self, grad, var):
        accum = self.get_slot(var, "accum")
        linear = self.get_slot(var, "linear")
        lr, l1, l2, power = (_cast(t, var) for t in (
            self._learning_rate_tensor, self._l1_tensor, self._l2_tensor,
            self._learning_rate_power_tensor))
        if self._l2_shrinkage_regularization_strength <= 0.0:
            return training_ops.apply_ftrl(var, accum, linear, grad, lr, l1, l2, power,
                                           use_locking=self._use_locking)
        return training_ops.apply_ftrl_v2(var, accum, linear, grad, lr, l1, l2,
                                          _cast(self._l2_shrinkage_tensor, var), power,
                                          use_locking=self._use_locking)


class ProximalGradientDescentOptimizer(Optimizer):
    """Gradient descent followed by the proximal (FOBOS) step for l1/l2 regularisation."""

    def __init__(self, learning_rate, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False,
                 name="ProximalGradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        self._l1_tensor = _tensor(self._l1_regularization_strength,
                                  "l1_regularization_strength")
        self._l2_tensor = _tensor(self._l2_regularization_strength,
                                  "l2_regularization_strength")

    def _apply_dense(self, grad, var):
        return training_ops.apply_proximal_gradient_descent(
            var, self._learning_rate_tensor, self._l1_tensor, self._l2_tensor, grad,
            use_locking=self._use_locking).op


class ProximalAdagradOptimizer(Optimizer):
    """Adagrad's step size followed by the proximal (FOBOS) step (slot "accumulator")."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalAdagrad"):
        _check_positive(initial_accumulator_value, "initial_accumulator_value")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            val = _constant_slot_value(v, self._initial_accumulator_value)
            self._get_or_make_slot(v, val, "accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        self._l1_tensor = _tensor(self._l1_regularization_strength,
                                  "l1_regularization_strength")
        self._l2_tensor = _tensor(self._l2_regularization_strength,
                                  "l2_regularization_strength")

    def _apply_dense(self, grad, var):
        return training_ops.apply_proximal_adagrad(
            var, self.get_slot(var, "accumulator"), self._learning_rate_tensor, self._l1_tensor,
            self._l2_tensor, grad, use_locking=self._use_locking)


__all__ = ["GradientDescentOptimizer", "MomentumOptimizer", "AdamOptimizer", "AdagradOptimizer",
           "AdagradDAOptimizer", "AdadeltaOptimizer", "RMSPropOptimizer", "FtrlOptimizer",
           "ProximalGradientDescentOptimizer", "ProximalAdagradOptimizer"]
