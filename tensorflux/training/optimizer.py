"""tf.train.Optimizer: the template every optimizer fills in.

`minimize` = `compute_gradients` (symbolic gradients of the loss for each variable) +
`apply_gradients` (slot variables, then one Apply op per variable, then `_finish`, then the
global-step increment). A subclass only creates its slots (`_create_slots`), turns its
hyper-parameters into tensors (`_prepare`) and builds one variable's update (`_apply_dense`).
Slot variables are named `<variable>/<optimizer name>` (`w/Adam`, `w/Adam_1`), are not
trainable and live next to their variable.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import (GraphKeys, Tensor, convert_to_tensor,
                                        get_default_graph)
from tensorflux.ops import array, control_flow, init_ops, variable_scope
from tensorflux.ops.state import Variable, assign_add, trainable_variables
from tensorflux.training import gradients as gradients_lib

_VALID_DTYPES = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)


def _var_key(var):
    """Slots are keyed by the variable's graph and op name, as TF keys them."""
    return (var.op.graph, var.op.name)


# ---- what the optimizer can update: a Variable, or (gradients only) a plain Tensor ----
class _RefVariableProcessor:
    def __init__(self, variable):
        self._v = variable

    def target(self):
        return self._v._ref()

    def update_op(self, optimizer, grad):
        update = optimizer._apply_dense(grad, self._v)
        if self._v.constraint is None:
            return update
        with get_default_graph().control_dependencies([update]):
            return self._v.assign(self._v.constraint(self._v))


class _TensorProcessor:
    def __init__(self, tensor):
        self._v = tensor

    def target(self):
        return self._v

    def update_op(self, optimizer, grad):
        raise NotImplementedError(f"Trying to update a Tensor {self._v}")


def _get_processor(v):
    if isinstance(v, Variable):
        return _RefVariableProcessor(v)
    if isinstance(v, Tensor):
        return _TensorProcessor(v)
    raise NotImplementedError(f"Trying to optimize unsupported type {v!r}")


# ---- slot variables ----
def _create_slot_variable(primary, initial_value, name, validate_shape, dtype=None):
    """A non-trainable variable `<primary>/<name>` (uniquified as a variable scope), colocated
    with `primary` and created outside any control-dependency context."""
    graph = primary.graph
    default_name = f"{primary.op.name}/{name}"
    with graph.control_dependencies(None), \
            variable_scope.variable_scope(None, default_name=default_name) as scope, \
            graph.colocate_with(primary):
        return Variable(initial_value=initial_value, trainable=False, name=scope.name + "/",
                        validate_shape=validate_shape, dtype=dtype)


def create_slot(primary, val, name):
    """A slot of `primary` initialised to the tensor `val` (its shape and dtype)."""
    return _create_slot_variable(primary, val, name, val.shape.is_fully_defined())


def create_slot_with_initializer(primary, initializer, shape, dtype, name):
    """A slot of `primary` of `shape` and `dtype`, initialised by `initializer`."""
    dtype = dtypes.as_dtype(dtype).base_dtype

    def initial_value():
        return initializer(shape.as_list(), dtype=dtype)
    return _create_slot_variable(primary, initial_value, name, shape.is_fully_defined(), dtype)


def create_zeros_slot(primary, name, dtype=None):
    """A slot of `primary` filled with zeros, of its shape and (by default) its dtype."""
    dtype = (dtype or primary.dtype).base_dtype
    shape = primary.get_shape()
    if shape.is_fully_defined():
        return create_slot_with_initializer(primary, init_ops.zeros_initializer(), shape, dtype,
                                            name)
    # The primary's shape is only known at run time: read it (or its initial value).
    with primary.graph.control_dependencies(None):
        val = array.zeros(array.shape(primary.initialized_value()), dtype=dtype)
    return create_slot(primary, val, name)


class Optimizer:
    """Base class of the optimizers; subclasses implement `_apply_dense` (and usually
    `_create_slots`, `_prepare`, `_finish`)."""

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots = {}
        self._non_slot_dict = {}

    def get_name(self):
        return self._name

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        """compute_gradients + apply_gradients; increments `global_step` when given.

        ValueError if no variable gets a gradient from `loss`.
        """
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        if not any(g is not None for g, _ in grads_and_vars):
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                f"support gradients, between variables {[str(v) for _, v in grads_and_vars]} "
                f"and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """[(gradient, variable)] for `var_list` (default: the trainable variables); the
        gradient is None for a variable `loss` does not depend on.

        ValueError for a non-float loss, an unknown `gate_gradients` or no variables.
        """
        if callable(loss):
            loss = loss()
        if gate_gradients not in (Optimizer.GATE_NONE, Optimizer.GATE_OP,
                                  Optimizer.GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, "
                             f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not {gate_gradients}")
        self._assert_valid_dtypes([loss])
        if grad_loss is not None:
            self._assert_valid_dtypes([grad_loss])
        if var_list is None:
            var_list = trainable_variables() + \
                get_default_graph().get_collection(GraphKeys.TRAINABLE_RESOURCE_VARIABLES)
        else:
            var_list = list(_flatten(var_list))
        processors = [_get_processor(v) for v in var_list]
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = gradients_lib.gradients(
            loss, [p.target() for p in processors], grad_ys=grad_loss,
            gate_gradients=gate_gradients == Optimizer.GATE_OP,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == Optimizer.GATE_GRAPH:
            grads = control_flow.tuple_(grads)
        grads_and_vars = list(zip(grads, var_list))
        self._assert_valid_dtypes([v for g, v in grads_and_vars if g is not None])
        return grads_and_vars

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """One op applying each (gradient, variable) pair's update; then (if given) it
        increments `global_step` by one. Pairs whose gradient is None are skipped.

        ValueError if the list is empty or every gradient is None; TypeError for a gradient
        that is not convertible to a tensor.
        """
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted = []
        for g, v in grads_and_vars:
            if g is not None:
                try:
                    g = convert_to_tensor(g)
                except (TypeError, ValueError):
                    raise TypeError("Gradient must be convertible to a Tensor or "
                                    f"IndexedSlices, or None: {g}") from None
            converted.append((g, v, _get_processor(v)))
        var_list = [v for g, v, _ in converted if g is not None]
        if not var_list:
            raise ValueError("No gradients provided for any variable: "
                             f"{[str(v) for _, v, _ in converted]}.")
        graph = get_default_graph()
        with graph.control_dependencies(None):
            self._create_slots(var_list)
        update_ops = []
        with graph.name_scope(name or self._name) as name:
            self._prepare()
            for grad, var, processor in converted:
                if grad is None:
                    continue
                with graph.name_scope("update_" + var.op.name), graph.colocate_with(var):
                    update_ops.append(processor.update_op(self, grad))
            if global_step is None:
                apply_updates = self._finish(update_ops, name)
            else:
                with graph.control_dependencies([self._finish(update_ops, "update")]), \
                        graph.colocate_with(global_step):
                    apply_updates = assign_add(global_step, 1, name=name)
            if isinstance(apply_updates, Tensor):
                apply_updates = apply_updates.op
            train_ops = graph.get_collection_ref(GraphKeys.TRAIN_OP)
            if apply_updates not in train_ops:
                train_ops.append(apply_updates)
            return apply_updates

    def get_slot(self, var, name):
        """The slot variable `name` made for `var`, or None."""
        named_slots = self._slots.get(name)
        if not named_slots:
            return None
        return named_slots.get(_var_key(var))

    def get_slot_names(self):
        return sorted(self._slots)

    def variables(self):
        """The optimizer's slot and non-slot variables in the default graph, by name."""
        graph = get_default_graph()
        found = [v for v in self._non_slot_variables() if v.graph is graph]
        for slots in self._slots.values():
            found.extend(v for v in slots.values() if v.graph is graph)
        return sorted(found, key=lambda v: v.name)

    # ---- what subclasses override ----
    def _create_slots(self, var_list):
        pass

    def _prepare(self):
        pass

    def _apply_dense(self, grad, var):
        raise NotImplementedError()

    def _apply_sparse(self, grad, var):
        raise NotImplementedError()

    def _finish(self, update_ops, name_scope):
        return control_flow.group(*update_ops, name=name_scope)

    # ---- helpers for subclasses ----
    def _valid_dtypes(self):
        return set(_VALID_DTYPES)

    def _assert_valid_dtypes(self, tensors):
        valid = self._valid_dtypes()
        for t in tensors:
            dtype = t.dtype.base_dtype
            if dtype not in valid:
                expected = [d for d in _VALID_DTYPES if d in valid] + \
                    [d for d in valid if d not in _VALID_DTYPES]
                raise ValueError(f"Invalid type {dtype!r} for {t.name}, expected: "
                                 f"{expected}.")

    @staticmethod
    def _call_if_callable(param):
        return param() if callable(param) else param

    def _slot_dict(self, slot_name):
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot(self, var, val, slot_name, op_name):
        """The slot `slot_name` of `var`, made from the tensor `val` on first use."""
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_slot(var, val, op_name)
        return named_slots[_var_key(var)]

    def _get_or_make_slot_with_initializer(self, var, initializer, shape, dtype, slot_name,
                                           op_name):
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_slot_with_initializer(
                var, initializer, shape, dtype, op_name)
        return named_slots[_var_key(var)]

    def _zeros_slot(self, var, slot_name, op_name):
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_zeros_slot(var, op_name)
        return named_slots[_var_key(var)]

    def _create_non_slot_variable(self, initial_value, name, colocate_with):
        """A variable of the optimizer itself (Adam's beta1_power), one per graph."""
        graph = colocate_with.graph
        key = (name, graph)
        v = self._non_slot_dict.get(key)
        if v is None:
            with graph.control_dependencies(None), graph.colocate_with(colocate_with):
                v = Variable(initial_value, name=name, trainable=False)
            self._non_slot_dict[key] = v
        return v

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot_dict.get((name, graph or get_default_graph()))

    def _non_slot_variables(self):
        return list(self._non_slot_dict.values())


def _flatten(items):
    if isinstance(items, (list, tuple)):
        for item in items:
            yield from _flatten(item)
    elif isinstance(items, dict):
        for key in sorted(items):
            yield from _flatten(items[key])
    else:
        yield items


__all__ = ["Optimizer"]
