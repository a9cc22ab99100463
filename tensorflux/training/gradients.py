"""tf.gradients: symbolic reverse-mode differentiation that adds gradient ops to the graph."""
from tensorflux.framework import dtypes, registry
from tensorflux.framework.graph import convert_to_tensor, graph_of
from tensorflux.ops import array, math

_DIFFERENTIABLE = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64,
                   dtypes.complex64, dtypes.complex128, dtypes.resource, dtypes.variant)


def is_differentiable(tensor):
    return tensor.dtype.base_dtype in _DIFFERENTIABLE


def _as_tensor_list(values, what):
    if values is None:
        return []
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    out = []
    for v in values:
        if hasattr(v, "value") and hasattr(v, "_as_graph_element"):
            out.append(v.value())
        else:
            out.append(convert_to_tensor(v, name=what))
    return out


def _reachable_from(ops):
    """Every op downstream (through data edges) of `ops`, including them."""
    reached = set()
    stack = list(ops)
    while stack:
        op = stack.pop()
        if op in reached:
            continue
        reached.add(op)
        for t in op._outputs:
            stack.extend(t._consumers)
    return reached


def _between(ys, reached, stop_ops):
    """Ops on a data path from the xs (already `reached`) to the ys."""
    between = set()
    stack = [y.op for y in ys if y.op in reached]
    while stack:
        op = stack.pop()
        if op in between:
            continue
        between.add(op)
        if op in stop_ops:
            continue
        stack.extend(t.op for t in op._inputs if t.op in reached)
    return between


def _aggregate(grads):
    if not grads:
        return None
    if len(grads) == 1:
        return grads[0]
    return math.add_n(grads)


def gradient_function(op):
    """The registered gradient of `op` (honouring gradient_override_map); None if the op is
    declared not differentiable; LookupError naming the op if it has none."""
    op_type = op._attrs.get("_gradient_op_type", op.type)
    try:
        return registry.get_gradient(op_type)
    except LookupError:
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: "
                          f"{op_type})") from None


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None,
              unconnected_gradients="none"):
    """The symbolic partial derivatives of sum(ys) with respect to each x in xs.

    `grad_ys` weights each y (default ones). Paths through integer tensors, through
    `stop_gradients` or through non-differentiable ops contribute nothing; an x that no y
    depends on gets None (or zeros with unconnected_gradients='zero').
    """
    ys = _as_tensor_list(ys, "y")
    xs = _as_tensor_list(xs, "x")
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError(f"Unknown value for unconnected_gradients: {unconnected_gradients!r}")
    graph = graph_of(ys + xs)
    stops = {t.op for t in _as_tensor_list(stop_gradients, "stop")}
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    elif not isinstance(grad_ys, (list, tuple)):
        grad_ys = [grad_ys]
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    with graph.name_scope(name):
        grads = {}
        for i, (y, gy) in enumerate(zip(ys, grad_ys)):
            if gy is None:
                if y.dtype.is_complex:
                    raise TypeError(f"Gradients of complex tensors must set grad_ys (y.dtype = "
                                    f"{y.dtype.base_dtype.name})")
                if not is_differentiable(y):
                    continue  # as TF: an integer or bool y contributes no gradient
                gy = array.fill(array.shape(y), convert_to_tensor(1, dtype=y.dtype.base_dtype,
                                                                  name=f"grad_ys_{i}"))
            else:
                gy = convert_to_tensor(gy, dtype=y.dtype.base_dtype, name=f"grad_ys_{i}")
            grads.setdefault(y, []).append(gy)
        reached = _reachable_from({x.op for x in xs})
        between = _between(ys, reached, stops)
        for op in sorted(between, key=lambda o: o._id, reverse=True):
            if op in stops or not any(t.op in between for t in op._inputs):
                continue
            out_grads = [_aggregate(grads.get(t)) for t in op._outputs]
            if all(g is None for g in out_grads):
                continue
            fn = gradient_function(op)
            if fn is None:
                continue
            with graph.name_scope(op.name + "_grad"):
                out_grads = [array.zeros_like(t) if g is None and is_differentiable(t) else g
                             for t, g in zip(op._outputs, out_grads)]
                in_grads = fn(op, *out_grads)
            in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
            if len(in_grads) != len(op._inputs):
                raise ValueError(f"Num gradients {len(in_grads)} generated for op "
                                 f"{op.node_def['name']} do not match num inputs "
                                 f"{len(op._inputs)}")
            for t, g in zip(op._inputs, in_grads):
                if g is None or t.op not in between or not is_differentiable(t):
                    continue
                g = convert_to_tensor(g)
                if t.shape.ndims is not None and g.shape.ndims is not None and \
                        not t.shape.is_compatible_with(g.shape):
                    raise ValueError(f"Incompatible shapes between op input and calculated input "
                                     f"gradient for {op.name}: {t.shape} vs {g.shape}")
                grads.setdefault(t, []).append(g)
        result = []
        for x in xs:
            g = _aggregate(grads.get(x))
            if g is None and unconnected_gradients == "zero":
                g = array.zeros_like(x)
            result.append(g)
        return result


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False, gate_gradients=False,
             aggregation_method=None):
    """Second derivatives of sum(ys) for each x, shaped x.shape + x.shape."""
    xs = _as_tensor_list(xs, "x")
    out = []
    with graph_of(xs).name_scope(name):
        for x, g in zip(xs, gradients(ys, xs)):
            flat = array.reshape(g, [-1])
            n = flat.shape[0]
            if n is None:
                raise ValueError("hessians needs gradients of a statically known size")
            rows = [gradients(flat[i], x)[0] for i in range(n)]
            rows = [array.zeros_like(x) if r is None else r for r in rows]
            out.append(array.reshape(array.stack(rows), array.concat([array.shape(x),
                                                                      array.shape(x)], 0)))
    return out


__all__ = ["gradients", "hessians"]
