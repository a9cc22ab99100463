"""Remapping: Conv2D or MatMul, then a bias add, then an optional activation, become one
_FusedConv2D / _FusedMatMul op (ops/fused.py), as TF's grappler remapper does.

The bias add is a BiasAdd, or an Add / AddV2 of a 1-D tensor the size of the channels (how
the course writes `tf.nn.relu(conv2d(x, W) + b)`). A link of the chain is fused only when the
previous link's value is read by it alone: other readers may only read its shape (the
gradients' Shape ops), which the fused output has too, and it must not be fetched. The
fused op runs where the last op of the chain ran; the chain is left alone when an op between
the two places writes a variable (it could change what the contraction reads) or reads the
shape of a link.
"""
from tensorflux.ops.fused import FUSED_ACTIVATIONS
from tensorflux.runtime.passes.rewrite import SHAPE_READERS

_FUSED_TYPES = {"Conv2D": "_FusedConv2D", "MatMul": "_FusedMatMul"}
_CONTRACTION_ATTRS = {
    "Conv2D": ("T", "strides", "padding", "data_format", "dilations", "explicit_paddings"),
    "MatMul": ("T", "transpose_a", "transpose_b"),
}


def fuse_contractions(rewrite):
    for op in list(rewrite.ops):
        if op.type in _FUSED_TYPES and op not in rewrite.region:
            _fuse(rewrite, op)


def _fuse(rewrite, contraction):
    readers = rewrite.consumers()
    bias_op = _sole_reader(rewrite, readers, contraction)
    bias = _bias_of(rewrite, bias_op, contraction) if bias_op is not None else None
    if bias is None:
        return
    chain = [contraction, bias_op]
    activation = _sole_reader(rewrite, readers, bias_op)
    if activation is not None and activation.type in FUSED_ACTIVATIONS:
        chain.append(activation)
    if not _movable(rewrite, chain):
        return
    attrs = {name: contraction._attrs[name] for name in _CONTRACTION_ATTRS[contraction.type]
             if name in contraction._attrs}
    attrs.update(fused_ops=["BiasAdd"] + [op.type for op in chain[2:]], num_args=1)
    if len(chain) == 3 and "alpha" in activation._attrs:
        attrs["leakyrelu_alpha"] = activation._attrs["alpha"]
    inputs = rewrite.inputs(contraction) + [bias]
    fused = rewrite.new_op(chain[-1], _FUSED_TYPES[contraction.type], inputs, attrs)
    if fused is not None:
        output = fused._outputs[0]
        rewrite.replace(chain, fused, {op._outputs[0]: output for op in chain})


def _sole_reader(rewrite, readers, op):
    """The one op that reads `op`'s value (shape readers aside), on the same device, outside
    conditionals; None when the value is fetched or read by more than one op."""
    out = op._outputs[0]
    if out in rewrite.fetched:
        return None
    value_readers = [r for r in readers.get(out, ()) if r.type not in SHAPE_READERS]
    if len(value_readers) != 1:
        return None
    reader = value_readers[0]
    if reader in rewrite.region or rewrite.inputs(reader).count(out) != 1 or \
            not rewrite.same_device(reader, op):
        return None
    return reader


def _bias_of(rewrite, op, contraction):
    """The bias tensor `op` adds to the contraction's output, or None when it is not a bias
    add (a BiasAdd in the contraction's layout, or an Add of a channel-sized vector)."""
    if op.type not in ("BiasAdd", "Add", "AddV2"):
        return None
    out = contraction._outputs[0]
    x, other = rewrite.inputs(op)
    if op.type == "BiasAdd":
        layout = contraction._attrs.get("data_format", "NHWC")
        return other if x is out and op._attrs.get("data_format", "NHWC") == layout else None
    if x is not out:
        x, other = other, x
    channels = out.shape[-1] if out.shape.ndims else None
    if contraction._attrs.get("data_format", "NHWC") != "NHWC" or channels is None or \
            other.shape.ndims != 1 or other.shape[0] != channels:
        return None
    return other


def _movable(rewrite, chain):
    """Whether the chain can run as one op where its last op ran: nothing between the first
    and the last writes a variable or reads the shape of a link."""
    links = {op._outputs[0] for op in chain[:-1]}
    start = rewrite.ops.index(chain[0])
    end = rewrite.ops.index(chain[-1])
    for op in rewrite.ops[start + 1:end]:
        if op in chain:
            continue
        if op._op_def.ref_inputs or any(t in links for t in rewrite.inputs(op)):
            return False
    return True
