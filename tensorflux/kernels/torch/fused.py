"""torch kernels of the rewriter's fused ops (ops/fused.py): the bias goes into the
convolution (oneDNN, cuDNN) or the matmul (`addmm`), and the activation runs in place on the
result, so a conv or dense layer costs one pass over its output instead of three."""
import torch
import torch.nn.functional as F

from tensorflux.kernels.numpy.nn import _invalid
from tensorflux.kernels.torch.library import DENSE, torch_kernel
from tensorflux.kernels.torch.nn import convolution
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
    b = b.mT if transpose_b else b
    _check_bias("_FusedMatMul", bias, b.shape[1])
    y = torch.addmm(bias, a.mT if transpose_a else a, b)
    return _activate(y, fused_ops, leakyrelu_alpha)
