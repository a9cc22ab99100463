"""Kernels of the rewriter's fused ops (ops/fused.py): the contraction's, BiasAdd's and the
activation's own kernels called in turn, so a fused graph computes exactly what the unfused
one does. (The torch kernels, kernels/torch/fused.py, are where fusion saves time.)"""
from tensorflux.framework.registry import find_kernel, kernel
from tensorflux.kernels.numpy.math import mat_mul
from tensorflux.kernels.numpy.nn import bias_add, conv2d
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
