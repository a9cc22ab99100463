"""Kernels of the rewriter's ops (ops/fused.py). A fused op calls the contraction's,
BiasAdd's and the activation's own kernels in turn, and a workspace op the parts of its
plain counterpart's kernel, so a rewritten graph computes exactly what the original one does.
(The torch kernels, kernels/torch/fused.py, are where the rewrites save time.)"""
import numpy as np

from tensorflux.framework.registry import find_kernel, kernel
from tensorflux.kernels.numpy.math import mat_mul
from tensorflux.kernels.numpy.nn import (_first_max, _from_nhwc, _nhwc_shape, _pool_window,
                                         _to_nhwc, _upcast, bias_add, check_lrn_grad_inputs, conv2d,
                                         lrn_backprop, lrn_with_norm, max_pool, plane_index,
                                         window_tap)
from tensorflux.kernels.numpy.nn_grad import _input_grad, max_pool_grad_window, route_to_taps
from tensorflux.ops import fused  # noqa: F401  (registers the op types)


def _bias_and_activation(y, bias, fused_ops, data_format, alpha):
    y = bias_add(y, bias, data_format=data_format)
    for name in fused_ops[1:]:
        activation = find_kernel(name, "CPU", "numpy").fn
        y = activation(y, alpha=alpha) if name == "LeakyRelu" else activation(y)
    return y


@kernel("_FusedConv2D")
def fused_conv2d(input, filter, bias, *, strides, padding, fused_ops, data_format="NHWC",
                 dilations=(1, 1, 1, 1), explicit_paddings=(), leakyrelu_alpha=0.2):
    y = conv2d(input, filter, strides=strides, padding=padding, data_format=data_format,
               dilations=dilations, explicit_paddings=explicit_paddings)
    return _bias_and_activation(y, bias, fused_ops, data_format, leakyrelu_alpha)


@kernel("_FusedMatMul")
def fused_mat_mul(a, b, bias, *, fused_ops, transpose_a=False, transpose_b=False,
                  leakyrelu_alpha=0.2):
    y = mat_mul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
    return _bias_and_activation(y, bias, fused_ops, "NHWC", leakyrelu_alpha)


@kernel("_MaxPoolWithWorkspace")
def max_pool_with_workspace(input, *, ksize, strides, padding, data_format="NHWC"):
    x = _to_nhwc(input, data_format)
    win = _pool_window("MaxPool", x.shape, ksize, strides, padding, data_format)
    _, tap = _first_max(x, win)
    # The values come from MaxPool's own kernel: its NaN and -inf rules (the least finite
    # value for a window of only -inf or NaN) are not the gradient's choice of tap.
    output = max_pool(input, ksize=ksize, strides=strides, padding=padding,
                      data_format=data_format)
    return output, _from_nhwc(plane_index(win, tap, x.shape[2]), data_format)


@kernel("_MaxPoolGradWithWorkspace")
def max_pool_grad_with_workspace(orig_input, grad, workspace, *, ksize, strides, padding,
                                 data_format="NHWC"):
    shape = _nhwc_shape(np.shape(orig_input), data_format)
    g, win = max_pool_grad_window(shape, grad, ksize, strides, padding, data_format)
    tap = window_tap(win, _to_nhwc(workspace, data_format), shape[2])
    return _input_grad(route_to_taps(win, shape, g, tap), win, np.asarray(grad).dtype,
                       data_format)


@kernel("_LRNWithWorkspace")
def lrn_with_workspace(input, *, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    return lrn_with_norm(input, depth_radius, bias, alpha, beta)


@kernel("_LRNGradWithWorkspace")
def lrn_grad_with_workspace(input_grads, input_image, output_image, norm, *, depth_radius=5,
                            bias=1.0, alpha=1.0, beta=0.5):
    check_lrn_grad_inputs(np.asarray(input_grads), np.asarray(input_image),
                          np.asarray(output_image))
    return lrn_backprop(input_grads, input_image, output_image, _upcast(norm), depth_radius,
                        alpha, beta)
