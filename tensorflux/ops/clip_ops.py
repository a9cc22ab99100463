"""Gradient clipping: by value (ops/math.py), by L2 norm, by average norm, by global norm.

The usual flow: `grads_and_vars = opt.compute_gradients(loss)`, clip the gradients, then
`opt.apply_gradients(clipped_and_vars)`.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import convert_to_tensor, get_default_graph, graph_of
from tensorflux.ops import array, math
from tensorflux.ops.constant import constant
from tensorflux.ops.math import clip_by_value  # noqa: F401  (tf.clip_by_value lives there)
from tensorflux.ops.nn import l2_loss


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t * clip_norm / max(l2norm(t), clip_norm): unchanged when its L2 norm (over `axes`,
    default all) is at most clip_norm, else rescaled to norm clip_norm.

    A zero tensor stays zero (its norm is taken as 0 without a square root, so the gradient
    is not NaN). ValueError if clip_norm would broadcast t to another shape.
    """
    with get_default_graph().name_scope(name or "clip_by_norm") as scope:
        values = convert_to_tensor(t, name="t")
        l2sum = math.reduce_sum(values * values, axes, keepdims=True)
        pred = l2sum > 0
        # Two where()s keep sqrt away from zero, whose derivative is infinite.
        l2sum_safe = array.where(pred, l2sum, array.ones_like(l2sum))
        l2norm = array.where(pred, math.sqrt(l2sum_safe), l2sum)
        intermediate = values * clip_norm
        try:
            values.shape.merge_with(intermediate.shape)
        except ValueError:
            raise ValueError(f"clip_by_norm: clip_norm broadcasts t of shape {values.shape} to "
                             f"{intermediate.shape}") from None
        return array.identity(intermediate / math.maximum(l2norm, clip_norm), name=scope)


def clip_by_average_norm(t, clip_norm, name=None):
    """t * clip_norm / max(l2norm(t) / size(t), clip_norm): clipped so its L2 norm divided by
    its number of elements is at most clip_norm."""
    with get_default_graph().name_scope(name or "clip_by_average_norm") as scope:
        t = convert_to_tensor(t, name="t")
        n_element = array.cast(array.size(t), dtypes.float32)
        l2norm_inv = math.rsqrt(math.reduce_sum(t * t, array.range_(array.rank(t))))
        return array.identity(
            t * clip_norm * math.minimum(l2norm_inv * n_element, constant(1.0) / clip_norm),
            name=scope)


def _check_sequence(t_list):
    if not isinstance(t_list, (list, tuple)):
        raise TypeError("t_list should be a sequence")
    return list(t_list)


def global_norm(t_list, name=None):
    """sqrt(sum of squared L2 norms) of the tensors in t_list; None entries are ignored.

    TypeError if t_list is not a list or tuple.
    """
    t_list = _check_sequence(t_list)
    graph = graph_of([t for t in t_list if t is not None])
    with graph.name_scope(name or "global_norm"):
        values = [convert_to_tensor(t, name=f"t_{i}") if t is not None else None
                  for i, t in enumerate(t_list)]
        half_squared_norms = []
        for v in values:
            if v is not None:
                with graph.colocate_with(v):
                    half_squared_norms.append(l2_loss(v))
        half_squared_norm = math.reduce_sum(array.stack(half_squared_norms))
        return math.sqrt(half_squared_norm * constant(2.0, dtype=half_squared_norm.dtype),
                         name="global_norm")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """(the tensors scaled by clip_norm / max(global_norm, clip_norm), the global norm).

    None entries stay None. `use_norm` replaces the computed global norm. If the norm is
    inf or NaN every clipped tensor is all NaN, as in TF1. TypeError if t_list is not a list
    or tuple.
    """
    t_list = _check_sequence(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list, name)
    graph = graph_of([t for t in t_list if t is not None] + [use_norm])
    with graph.name_scope(name or "clip_by_global_norm") as scope:
        scale_for_finite = clip_norm * math.minimum(
            1.0 / use_norm, constant(1.0, dtype=use_norm.dtype) / clip_norm)
        # use_norm - use_norm is 0 for a finite norm and NaN for inf or NaN.
        scale = scale_for_finite + (use_norm - use_norm)
        values = [convert_to_tensor(t, name=f"t_{i}") if t is not None else None
                  for i, t in enumerate(t_list)]
        clipped = []
        for i, v in enumerate(values):
            if v is None:
                clipped.append(None)
                continue
            with graph.colocate_with(v):
                clipped.append(array.identity(v * scale, name=f"{scope}_{i}"))
    return clipped, use_norm


__all__ = ["clip_by_norm", "clip_by_average_norm", "clip_by_global_norm", "global_norm"]
