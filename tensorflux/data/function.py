"""User functions of tf.data (map, filter, flat_map, interleave), traced once into graph ops.

The function is called once, at definition time, on Placeholder ops standing for one element;
the ops it builds live in a name scope of the dataset's graph. Each element then runs that
subgraph through a session Plan with the element fed into the placeholders. Tensors the function
uses from outside (a placeholder, a constant) are *captured*: their values are taken when the
iterator is initialized and fed on every call, as TF1 captures function inputs by value.
Variables are the exception: they are read live on each call.
"""
import re
import threading

import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.graph import get_default_graph
from tensorflux.ops import array
from tensorflux.data import structure

_tracing = threading.local()


def _trace_stack():
    stack = getattr(_tracing, "stack", None)
    if stack is None:
        stack = _tracing.stack = []
    return stack


class Function:
    """`fn` traced over one element of (types, shapes); returns values or a nested dataset.

    After tracing: `placeholders` (one per input component), `outputs` (the flat tensors to
    fetch), `captured` (outside tensors fed from the iterator's captured values), `result`
    (the returned structure of tensors, or the Dataset the function returned).
    """

    def __init__(self, fn, kind, input_types, input_shapes, returns_dataset=False):
        if not callable(fn):
            raise TypeError(f"{kind}: expected a callable, got {fn!r}")
        self.kind = kind
        graph = get_default_graph()
        self.graph = graph
        start = len(graph.get_operations())
        claimed = set()
        _trace_stack().append(claimed)
        try:
            # Like TF's dataset functions, the ops run on the CPU that runs the pipeline.
            with graph.name_scope(None), graph.control_dependencies(None), \
                    graph.device(None), graph.device("/device:CPU:0"), \
                    graph.name_scope(_scope_name(kind, fn)):
                self.placeholders = [
                    array.placeholder(dtype, shape, name=f"arg{i}")
                    for i, (dtype, shape) in enumerate(zip(structure.flatten(input_types),
                                                           structure.flatten(input_shapes)))]
                args = structure.pack(input_types, self.placeholders)
                result = fn(*args) if type(args) is tuple else fn(args)
                self.result = self._normalize(result, returns_dataset)
        finally:
            _trace_stack().pop()
        new_ops = graph.get_operations()[start:]
        # Ops of functions traced inside this one (a nested dataset's map) belong to them.
        owned = [op for op in new_ops if op not in claimed]
        if _trace_stack():
            _trace_stack()[-1].update(new_ops)
        inside = set(new_ops)
        if returns_dataset:
            self.outputs = self.result._captured()
        else:
            self.outputs = structure.flatten(self.result)
        candidates = [t for op in owned for t in op.inputs] + self.outputs
        self.captured = list(dict.fromkeys(
            t for t in candidates
            if t.op not in inside and not t.dtype.is_ref_dtype and not _reads_variable(t)))
        self.targets = [op for op in owned if op.op_def.stateful and op.type != "Placeholder"]
        self.feeds = self.placeholders + self.captured

    def _normalize(self, result, returns_dataset):
        from tensorflux.data.dataset import Dataset
        if returns_dataset:
            if not isinstance(result, Dataset):
                raise TypeError(f"`{self.kind}` must return a Dataset object, got {result!r}")
            return result
        if isinstance(result, Dataset):
            raise TypeError(f"`{self.kind}` returned a Dataset; use flat_map or interleave to "
                            "map an element to a dataset.")
        if isinstance(result, list):
            result = tuple(result)  # TF1 treats a returned list as a tuple of components
        return structure.to_tensors(result, self.kind)

    @property
    def output_types(self):
        return structure.map_structure(lambda t: t.dtype.base_dtype, self.result)

    @property
    def output_shapes(self):
        return structure.map_structure(lambda t: t.shape, self.result)

    def __call__(self, env, values, element):
        """The function's flat outputs for one element (a tuple of arrays)."""
        plan = env.plan(self)
        feeds = list(element) + [values[t] for t in self.captured]
        results = plan.run(feeds)
        return tuple(env.to_numpy(v) for v in results)


def _reads_variable(tensor):
    """Whether `tensor` is a variable's read (its Identity): the function's Plan runs the read
    on every call instead of feeding a value taken at initialization. Sharing the storage made
    a CPU variable's captured value live anyway; a GPU variable's value is copied across."""
    op = tensor.op
    return op.type == "Identity" and bool(op.inputs) and op.inputs[0].dtype.is_ref_dtype


def _scope_name(kind, fn):
    name = getattr(fn, "__name__", type(fn).__name__)
    return "Dataset_" + kind + "_" + re.sub(r"[^A-Za-z0-9_.\-]", "_", name).strip("_")


def predicate_value(outputs):
    """A filter predicate's single boolean output as a Python bool."""
    return bool(np.asarray(outputs[0], dtype=np.bool_))


def check_predicate(function):
    result = function.result
    if structure.is_nested(result) or result.dtype.base_dtype is not dtypes.bool_ or \
            not result.shape.is_compatible_with([]):
        raise ValueError("`predicate` return type must be convertible to a scalar boolean "
                         f"tensor. Was {result!r}.")
