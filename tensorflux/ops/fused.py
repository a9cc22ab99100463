"""Ops that only the graph rewriter creates (runtime/passes/remapper.py), named as TF's.

`_FusedConv2D` and `_FusedMatMul` are a Conv2D or MatMul with its bias and, optionally, an
activation applied to its output in one kernel call: `fused_ops` lists them, e.g.
["BiasAdd", "Relu"]. Their inputs are the contraction's two and the bias; their output is
the contraction's, so they share its shape inference. They exist in a Plan, never in a
user's graph, and so have no gradient.
"""
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.ops.math import _infer_matmul
from tensorflux.ops.nn import _infer_conv2d

# The activations a fused op may end with, as TF's remapper fuses them.
FUSED_ACTIVATIONS = ("Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid")

register_op("_FusedConv2D", _infer_conv2d)
register_op("_FusedMatMul", _infer_matmul)
not_differentiable("_FusedConv2D", "_FusedMatMul")
