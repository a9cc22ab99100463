"""Ops that only the graph rewriter creates (runtime/passes), named after TF's. They exist in
a Plan, never in a user's graph, and so have no gradient.

`_FusedConv2D` and `_FusedMatMul` (remapper.py) are a Conv2D or MatMul with its bias and,
optionally, an activation applied to its output in one kernel call: `fused_ops` lists them,
e.g. ["BiasAdd", "Relu"]. Their inputs are the contraction's two and the bias; their output is
the contraction's, so they share its shape inference.

The workspace ops (workspace.py) are MaxPool and LRN that also output what their gradient would
otherwise recompute, and the gradients that take it, as TF's oneDNN kernels pass a workspace:
  _MaxPoolWithWorkspace(input) -> (output, workspace): MaxPool's attrs; workspace (int64, the
      output's shape) holds, for each window, the index y * width + x of its maximum in the
      input's plane of its image and channel (the first maximum in row-major order, as TF).
  _MaxPoolGradWithWorkspace(orig_input, grad, workspace) -> MaxPoolGrad's output.
  _LRNWithWorkspace(input) -> (output, norm): LRN's attrs; norm = bias + alpha * the window's
      sum of squares, the input's shape.
  _LRNGradWithWorkspace(input_grads, input_image, output_image, norm) -> LRNGrad's output.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.ops.math import _infer_matmul
from tensorflux.ops.nn import _infer_conv2d, _infer_input_shaped, _infer_lrn, _pool_output

# The activations a fused op may end with, as TF's remapper fuses them.
FUSED_ACTIVATIONS = ("Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid")

# forward type -> (its gradient's type, the forward with workspace, the gradient taking it)
WORKSPACE_OPS = {
    "MaxPool": ("MaxPoolGrad", "_MaxPoolWithWorkspace", "_MaxPoolGradWithWorkspace"),
    "LRN": ("LRNGrad", "_LRNWithWorkspace", "_LRNGradWithWorkspace"),
}


def _infer_max_pool_with_workspace(op):
    shape = _pool_output(op, op.inputs[0])
    return [(op.inputs[0].dtype.base_dtype, shape), (dtypes.int64, shape)]


def _infer_lrn_with_workspace(op):
    return _infer_lrn(op) * 2


register_op("_FusedConv2D", _infer_conv2d)
register_op("_FusedMatMul", _infer_matmul)
register_op("_MaxPoolWithWorkspace", _infer_max_pool_with_workspace)
register_op("_MaxPoolGradWithWorkspace", _infer_input_shaped(0, 1))
register_op("_LRNWithWorkspace", _infer_lrn_with_workspace)
register_op("_LRNGradWithWorkspace", _infer_input_shaped(1, 0))
not_differentiable("_FusedConv2D", "_FusedMatMul", "_MaxPoolWithWorkspace",
                   "_MaxPoolGradWithWorkspace", "_LRNWithWorkspace", "_LRNGradWithWorkspace")
