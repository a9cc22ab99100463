"""torch kernels of the rewriter's ops (ops/fused.py). In a fused op the bias and the
activation go into oneDNN's convolution or inner product on the CPU, which applies them as it
writes its output; elsewhere the bias goes into the convolution or `addmm` and the activation
runs in place on the result. A conv or dense layer costs one pass over its output, not three. The
workspace ops keep torch's own max-pooling indices and LRN's norm for the gradient.
(_MaxPoolGradWithWorkspace lives with the other pooling gradients, in nn_grad.py.)"""
from typing import NamedTuple

import torch.nn.functional as F

from tensorflux.kernels.numpy.math import check_mat_mul
from tensorflux.kernels.numpy.nn import _invalid, check_lrn_grad_inputs
from tensorflux.kernels.torch.library import DENSE, torch_kernel
from tensorflux.kernels.torch.math import mat_mul_2d
from tensorflux.kernels.torch.nn import (convolution, from_nchw, lrn_backprop, lrn_with_norm,
                                         max_pool_with_plane_index, nchw, nhwc_shape,
                                         pool_geometry)
from tensorflux.ops import fused  # noqa: F401  (registers the op types)


class PostOp(NamedTuple):
    """A fused op's activation, as oneDNN's primitives apply it while they write their output
    (`onednn`: the post-op's name and scalars; None where oneDNN has no such post-op) and as
    torch applies it in place afterwards (`in_place`)."""
    onednn: tuple
    in_place: object


# TF activation -> (oneDNN post-op name, its scalars given leakyrelu_alpha), in-place form
_ACTIVATIONS = {
    "Relu": (("relu", lambda alpha: []), lambda y, alpha: y.clamp_min_(0)),
    "Relu6": (("hardtanh", lambda alpha: [0.0, 6.0]), lambda y, alpha: y.clamp_(0, 6)),
    "Elu": (None, lambda y, alpha: F.elu_(y)),
    "LeakyRelu": (("leaky_relu", lambda alpha: [alpha]),
                  lambda y, alpha: F.leaky_relu_(y, alpha)),
    "Tanh": (("tanh", lambda alpha: []), lambda y, alpha: y.tanh_()),
    "Sigmoid": (("sigmoid", lambda alpha: []), lambda y, alpha: y.sigmoid_()),
}


def _post_op(fused_ops, alpha):
    if len(fused_ops) == 1:  # the bias alone
        return PostOp(("none", []), lambda y: y)
    onednn, in_place = _ACTIVATIONS[fused_ops[1]]
    return PostOp(onednn and (onednn[0], onednn[1](alpha)), lambda y: in_place(y, alpha))


def _check_bias(op, bias, channels):
    if bias.dim() != 1 or bias.shape[0] != channels:
        raise _invalid(f"{op}: bias must be 1-D with the size of the output's channel "
                       f"dimension ({channels}), got shape {list(bias.shape)}")


@torch_kernel("_FusedConv2D", types=DENSE, fresh=True)
def fused_conv2d(input, filter, bias, *, strides, padding, fused_ops, data_format="NHWC",
                 dilations=(1, 1, 1, 1), explicit_paddings=(), leakyrelu_alpha=0.2):
    _check_bias("_FusedConv2D", bias, filter.shape[3])
    return convolution("_FusedConv2D", input, filter, strides, padding, data_format, dilations,
                       explicit_paddings, depthwise=False, bias=bias,
                       post_op=_post_op(fused_ops, leakyrelu_alpha))


@torch_kernel("_FusedMatMul", types=DENSE, fresh=True)
def fused_mat_mul(a, b, bias, *, fused_ops, transpose_a=False, transpose_b=False,
                  leakyrelu_alpha=0.2):
    check_mat_mul(tuple(a.shape), tuple(b.shape), transpose_a, transpose_b)
    _check_bias("_FusedMatMul", bias, b.shape[0 if transpose_b else 1])
    return mat_mul_2d(a, b, transpose_a, transpose_b, bias,
                      _post_op(fused_ops, leakyrelu_alpha))


@torch_kernel("_MaxPoolWithWorkspace", types=DENSE, fresh=True)
def max_pool_with_workspace(input, *, ksize, strides, padding, data_format="NHWC"):
    win, k, s = pool_geometry("MaxPool", nhwc_shape(input, data_format), ksize, strides,
                              padding, data_format)
    values, plane = max_pool_with_plane_index(nchw(input, data_format), win, k, s)
    return from_nchw(values, data_format), from_nchw(plane, data_format)


@torch_kernel("_LRNWithWorkspace", types=DENSE, fresh=True)
def lrn_with_workspace(input, *, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    return lrn_with_norm(input, depth_radius, bias, alpha, beta)


@torch_kernel("_LRNGradWithWorkspace", types=DENSE, fresh=True)
def lrn_grad_with_workspace(input_grads, input_image, output_image, norm, *, depth_radius=5,
                            bias=1.0, alpha=1.0, beta=0.5):
    check_lrn_grad_inputs(input_grads, input_image, output_image)
    return lrn_backprop(input_grads, input_image, output_image, norm, depth_radius, alpha,
                        beta)
