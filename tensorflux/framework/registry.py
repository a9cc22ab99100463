"""The three registries that link an op type string to its definition, kernels and gradient.

An op type is defined once (`register_op`), gets one kernel per (device type, library)
(`kernel`), and one gradient builder (`gradient`) or an explicit `not_differentiable`.
Each registry refuses a duplicate and names both places that registered it.
"""
import inspect
import sys

import numpy as np


class OpDef:
    """What the graph needs to know about an op type to build it.

    `infer(op)` returns a list of (DType, TensorShape), one per output, from the op's inputs
    and attrs; it raises ValueError for inputs the op cannot take. The first `ref_inputs`
    inputs are variable references (Assign's `ref`): the kernel gets the variable itself,
    not its value, so assigning an uninitialised variable does not read it.
    """

    __slots__ = ("type", "infer", "stateful", "ref_inputs", "where")

    def __init__(self, op_type, infer, stateful, ref_inputs, where):
        self.type = op_type
        self.infer = infer
        self.stateful = stateful
        self.ref_inputs = ref_inputs
        self.where = where


class Kernel:
    """A kernel: a plain function of input arrays and keyword attrs, for one device and library.

    With `context=True` the function's first argument is the session's OpContext (resources,
    random generators, cancellation). `attr_names` are the keyword-only parameters the
    function declares; the executor binds only those from the op's attrs.

    What the executor needs to know to plan around the kernel, fixed at registration:
    `supports(op)` says whether this kernel can run that op (its dtypes, attrs); a kernel
    that declines leaves the op to the next library. `host_inputs` / `host_outputs` are the
    input / output indices (negative ones count from the end) held as NumPy arrays in host
    memory whatever the library (shapes, axes, hyper-parameters, as TF's HostMemory). `inplace` are the input indices the function
    may write its result into when called with `out=` that input (elementwise kernels); such
    a kernel returns new arrays, as does one registered with `fresh=True`, so a later kernel
    may overwrite its output once nothing else reads it.
    """

    __slots__ = ("op_type", "device", "library", "fn", "context", "attr_names", "where",
                 "supports", "host_inputs", "host_outputs", "inplace", "fresh")

    def __init__(self, op_type, device, library, fn, context, where, supports=None,
                 host_inputs=(), host_outputs=(), inplace=(), fresh=False):
        self.op_type = op_type
        self.device = device
        self.library = library
        self.fn = fn
        self.context = context
        self.where = where
        self.supports = supports
        self.host_inputs = frozenset(host_inputs)
        self.host_outputs = frozenset(host_outputs)
        # A NumPy ufunc declared as a kernel is elementwise: it allocates and takes `out=`.
        if isinstance(fn, np.ufunc) and fn.nout == 1 and not inplace:
            inplace = tuple(range(fn.nin))
        self.inplace = tuple(inplace)
        self.fresh = bool(fresh or self.inplace)
        # Library functions used as declared kernels (ufuncs, builtins) take no attrs.
        if inspect.isfunction(fn):
            params = inspect.signature(fn).parameters.values()
            self.attr_names = tuple(p.name for p in params
                                    if p.kind is p.KEYWORD_ONLY and p.name != "out")
        else:
            self.attr_names = ()


class _Dead:
    """The value of a tensor on the untaken side of a Switch: ops fed it do not run."""

    __slots__ = ()

    def __repr__(self):
        return "DEAD"


DEAD = _Dead()

_OPS = {}
_KERNELS = {}
_GRADIENTS = {}


def _caller(depth=2):
    frame = sys._getframe(depth)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def register_op(op_type, infer, stateful=False, ref_inputs=0):
    where = _caller()
    if op_type in _OPS:
        raise KeyError(f"Op type {op_type!r} registered twice: at {_OPS[op_type].where} and {where}")
    _OPS[op_type] = OpDef(op_type, infer, stateful or ref_inputs > 0, ref_inputs, where)
    return _OPS[op_type]


def get_op_def(op_type):
    try:
        return _OPS[op_type]
    except KeyError:
        raise LookupError(f"Op type not registered: {op_type!r}") from None


def registered_op_types():
    return sorted(_OPS)


def kernel(op_types, device="CPU", library="numpy", context=False, supports=None,
           host_inputs=(), host_outputs=(), inplace=(), fresh=False):
    """Decorator registering `fn` as the kernel of one op type or several (see Kernel)."""
    if isinstance(op_types, str):
        op_types = (op_types,)

    def decorate(fn):
        code = getattr(fn, "__code__", None)
        where = f"{code.co_filename}:{code.co_firstlineno}" if code else _caller()
        for op_type in op_types:
            add_kernel(Kernel(op_type, device, library, fn, context, where, supports,
                              host_inputs, host_outputs, inplace, fresh))
        return fn
    return decorate


def add_kernel(k):
    key = (k.op_type, k.device, k.library)
    if key in _KERNELS:
        raise KeyError(f"Kernel {key} registered twice: at {_KERNELS[key].where} and {k.where}")
    _KERNELS[key] = k


def find_kernel(op_type, device, library):
    return _KERNELS.get((op_type, device, library))


def kernel_libraries(op_type, device):
    return [lib for (t, d, lib) in _KERNELS if t == op_type and d == device]


_NOT_DIFFERENTIABLE = object()


def gradient(op_type):
    """Decorator registering `fn(op, *output_grads) -> input grads` as `op_type`'s gradient."""
    def decorate(fn):
        register_gradient(op_type, fn, _caller())
        return fn
    return decorate


def register_gradient(op_type, fn, where=None):
    where = where or _caller()
    if op_type in _GRADIENTS:
        raise KeyError(f"Gradient for {op_type!r} registered twice: at "
                       f"{_GRADIENTS[op_type][1]} and {where}")
    _GRADIENTS[op_type] = (fn, where)


def not_differentiable(*op_types):
    for op_type in op_types:
        register_gradient(op_type, _NOT_DIFFERENTIABLE, _caller())


def get_gradient(op_type):
    """The gradient function; None for a non-differentiable op; LookupError if undeclared."""
    try:
        fn = _GRADIENTS[op_type][0]
    except KeyError:
        raise LookupError(f"No gradient defined for operation type {op_type!r}") from None
    return None if fn is _NOT_DIFFERENTIABLE else fn


def has_gradient_entry(op_type):
    return op_type in _GRADIENTS


class RegisterGradient:
    """`@tf.RegisterGradient("OpType")`: registers the decorated function as its gradient."""

    def __init__(self, op_type):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn):
        register_gradient(self._op_type, fn, _caller())
        return fn


def NotDifferentiable(op_type):
    not_differentiable(op_type)
