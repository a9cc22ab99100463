"""The global step: an int64 scalar variable `global_step` counting training steps.

It is found through the GLOBAL_STEP collection (or, failing that, the tensor named
`global_step:0`), is not trainable, and `Optimizer.apply_gradients(global_step=...)` adds one
to it after each update.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import GraphKeys, Tensor, get_default_graph
from tensorflux.ops import init_ops, variable_scope
from tensorflux.ops.state import Variable


def global_step(sess, global_step_tensor):
    """The value of `global_step_tensor` in `sess`, as a Python int."""
    return int(sess.run(global_step_tensor))


def assert_global_step(global_step_tensor):
    """TypeError unless `global_step_tensor` is an integer scalar Variable or Tensor."""
    if not isinstance(global_step_tensor, (Variable, Tensor)):
        raise TypeError(f'Existing "global_step" must be a Variable or Tensor: '
                        f'{global_step_tensor}.')
    if not global_step_tensor.dtype.base_dtype.is_integer:
        raise TypeError(f'Existing "global_step" does not have integer type: '
                        f'{global_step_tensor.dtype}')
    shape = global_step_tensor.get_shape()
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def get_global_step(graph=None):
    """The graph's global step (a Variable or Tensor), or None if it has none.

    None too when the GLOBAL_STEP collection holds several, as TF1 (which logs an error).
    """
    graph = graph or get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) == 1:
        step = found[0]
    elif not found:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    else:
        return None
    assert_global_step(step)
    return step


def create_global_step(graph=None):
    """Creates the global step (int64 zero, not trainable, in GLOBAL_VARIABLES and
    GLOBAL_STEP) at the root name scope; ValueError if the graph already has one."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        return variable_scope.get_variable(
            GraphKeys.GLOBAL_STEP, shape=[], dtype=dtypes.int64,
            initializer=init_ops.zeros_initializer(), trainable=False,
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    """The graph's global step, created first if it has none."""
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    if step is None:
        step = create_global_step(graph)
    return step


__all__ = ["global_step", "assert_global_step", "get_global_step", "create_global_step",
           "get_or_create_global_step"]
