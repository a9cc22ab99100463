"""Workspaces: a MaxPool or LRN whose gradient the Plan also runs hands that gradient what it
would otherwise recompute, as TF's oneDNN kernels pass a workspace between the two.

MaxPoolGrad(x, y, dy) finds each window's maximum in x again; LRNGrad(dy, x, y) computes LRN's
norm again. When a MaxPool / LRN and its gradient both run, they become the workspace ops of
ops/fused.py: the forward also outputs the maxima's positions / the norm, and the gradient
reads them. A gradient is rewritten only when it reads the forward's own input and output with
the forward's attributes, so that the workspace describes exactly what it would recompute,
and not when that input is a variable's storage and an op between the two writes a variable.
"""
from tensorflux.ops.fused import WORKSPACE_OPS

_LINKS = {  # gradient type -> (the forward's input it reads, the forward's output it reads)
    "MaxPoolGrad": (0, 1),
    "LRNGrad": (1, 2),
}


def hand_workspaces(rewrite):
    readers = rewrite.consumers()
    for op in list(rewrite.ops):
        if op.type in WORKSPACE_OPS and op not in rewrite.region:
            _rewrite(rewrite, readers, op)


def _rewrite(rewrite, readers, forward):
    grad_type, forward_type, workspace_grad_type = WORKSPACE_OPS[forward.type]
    x = rewrite.inputs(forward)[0]
    y = forward._outputs[0]
    grads = [op for op in readers.get(y, ()) if op.type == grad_type and
             op not in rewrite.region and _reads_forward(rewrite, op, forward, x, y) and
             not (x.dtype.is_ref_dtype and _writes_between(rewrite, forward, op))]
    if not grads:
        return
    new_forward = rewrite.new_op(forward, forward_type, [x], dict(forward._attrs))
    if new_forward is None:
        return
    rewrite.replace([forward], new_forward, {y: new_forward._outputs[0]})
    workspace = new_forward._outputs[1]
    for grad in grads:
        inputs = rewrite.inputs(grad)
        if grad_type == "MaxPoolGrad":  # (orig_input, orig_output, grad) -> (x, grad, workspace)
            inputs = [inputs[0], inputs[2]]
        new_grad = rewrite.new_op(grad, workspace_grad_type, inputs + [workspace],
                                  dict(grad._attrs))
        if new_grad is not None:
            rewrite.replace([grad], new_grad, {grad._outputs[0]: new_grad._outputs[0]})


def _reads_forward(rewrite, grad, forward, x, y):
    x_index, y_index = _LINKS[grad.type]
    inputs = rewrite.inputs(grad)
    return inputs[x_index] is x and inputs[y_index] is y and \
        all(grad._attrs.get(name) == value for name, value in forward._attrs.items())


def _writes_between(rewrite, first, last):
    ops = rewrite.ops
    return any(op._op_def.ref_inputs for op in ops[ops.index(first) + 1:ops.index(last)])
