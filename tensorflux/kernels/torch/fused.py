"""torch kernels of the rewriter's ops (ops/fused.py). In a fused op the bias goes into the
convolution (oneDNN, cuDNN) or the matrix product, and the activation runs in place on the
result, so a conv or dense layer costs one pass over its output instead of three. The
workspace ops keep torch's own max-pooling indices and LRN's norm for the gradient.
(_MaxPoolGradWithWorkspace lives with the other pooling gradients, in nn_grad.py.)"""
import torch.nn.functional as F

from tensorflux.kernels.numpy.math import check_mat_mul
from tensorflux.kernels.numpy.nn import _invalid, check_lrn_grad_inputs
from tensorflux.kernels.torch.library import DENSE, torch_kernel
from tensorflux.kernels.torch.math import mat_mul_2d
from tensorflux.kernels.torch.nn import (convolution, from_nchw, lrn_backprop, lrn_with_norm,
                                         max_pool_with_plane_index, nchw, nhwc_shape,
                                         pool_geometry)
from tensorflux.ops import fused  # noqa: F401  (registers the op types)

_IN_PLACE = {
    "Relu": lambda y, alpha: y.clamp_min_(0),
    "Relu6": lambda y, alpha: y.clamp_(0, 6),
    "Elu": lambda y, alpha: F.elu_(y),
    "LeakyRelu": lambda y, alpha: F.leaky_relu_(y, alpha),
    "Tanh": lambda y, alpha: y.tanh_(),
    "Sigmoid": lambda y, alpha: y.sigmoid_(),
}


def _activate(y, fused_ops, alpha):
    for name in fused_ops[1:]:
        y = _IN_PLACE[name](y, alpha)
    return y


def _check_bias(op, bias, channels):
    if bias.dim() != 1 or bias.shape[0] != channels:
        raise _invalid(f"{op}: bias must be 1-D with the size of the output's channel "
                       f"dimension ({channels}), got shape {list(bias.shape)}")


@torch_kernel("_FusedConv2D", types=DENSE, fresh=True)
def fused_conv2d(input, filter, bias, *, strides, padding, fused_ops, data_format="NHWC",
                 dilations=(1, 1, 1, 1), explicit_paddings=(), leakyrelu_alpha=0.2):
    _check_bias("_FusedConv2D", bias, filter.shape[3])
    y = convolution("_FusedConv2D", input, filter, strides, padding, data_format, dilations,
                    explicit_paddings, depthwise=False, bias=bias)
    return _activate(y, fused_ops, leakyrelu_alpha)


@torch_kernel("_FusedMatMul", types=DENSE, fresh=True)
def fused_mat_mul(a, b, bias, *, fused_ops, transpose_a=False, transpose_b=False,
                  leakyrelu_alpha=0.2):
    check_mat_mul(tuple(a.shape), tuple(b.shape), transpose_a, transpose_b)
    _check_bias("_FusedMatMul", bias, b.shape[0 if transpose_b else 1])
    return _activate(mat_mul_2d(a, b, transpose_a, transpose_b, bias), fused_ops,
                     leakyrelu_alpha)


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
