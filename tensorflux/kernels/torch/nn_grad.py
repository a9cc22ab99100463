"""torch backprop kernels of convolution and pooling; kernels/numpy/nn_grad.py is the reference.

Each is ATen's own backward of the forward in nn.py, given tensors of the forward's input or
filter shape laid out as the data is (their values are not read), so that channels_last data
stays channels_last. Where SAME padding was explicit, the gradient of the padded input is
cropped. MaxPoolGrad recomputes the forward's argmax, as TF does; torch's CPU and CUDA kernels
keep the first maximum of a window in row-major order, as TF's. MaxPoolGradWithArgmax adds
the gradient at the flat indices its forward gave.
"""
import numpy as np
import torch
import torch.nn.functional as F

from tensorflux.framework import dtypes
from tensorflux.kernels.numpy.nn import _conv_window
from tensorflux.kernels.numpy.nn_grad import (_check_out_backprop, _input_sizes, _sizes,
                                              argmax_bound, check_argmax_range)
from tensorflux.kernels.torch.library import DENSE, torch_kernel
from tensorflux.kernels.torch.nn import (contiguous_on_cuda, conv_weight, crop_nchw,
                                         device_layout, empty_nchw, from_nchw, max_pool_input,
                                         nchw, nchw_memory, nhwc_shape, pad_nchw, padded_shape,
                                         pads_itself, pool_geometry, symmetric, torch_padding,
                                         window_counts)

_convolution_backward = torch.ops.aten.convolution_backward
_max_pool_backward = torch.ops.aten.max_pool2d_with_indices_backward
_avg_pool_backward = torch.ops.aten.avg_pool2d_backward


def _nhwc_view(x, data_format):
    return x.permute(0, 2, 3, 1) if data_format == "NCHW" else x


def _filter_placeholder(like, shape, depthwise, data_format):
    """A tensor of torch's filter shape for TF filter `shape`, laid out as the data is."""
    kh, kw, c, o = shape
    if depthwise:
        c, o = 1, c * o
    if data_format == "NHWC" and not nchw_memory(like):
        return like.new_empty((o, kh, kw, c)).permute(0, 3, 1, 2)
    return like.new_empty((o, c, kh, kw))


def _backprop_input(op, input_sizes, filter, out_backprop, strides, padding, data_format,
                    dilations, explicit_paddings, depthwise):
    if depthwise:
        x_shape = _sizes(op, "input_sizes", input_sizes, data_format)
    else:
        x_shape = _input_sizes(op, input_sizes, filter.shape, out_backprop, data_format)
    win = _conv_window(op, x_shape, tuple(filter.shape), strides, dilations, padding,
                       explicit_paddings, data_format, depthwise)
    depth = filter.shape[2] * filter.shape[3] if depthwise else filter.shape[3]
    _check_out_backprop(op, _nhwc_view(out_backprop, data_format), x_shape[0], win, depth)
    dy = device_layout(nchw(out_backprop, data_format))
    stand_in = empty_nchw(dy, padded_shape(x_shape, win), data_format)
    groups = filter.shape[2] if depthwise else 1
    dx = _convolution_backward(dy, stand_in, conv_weight(filter, depthwise), None,
                               (win.sh, win.sw), torch_padding(win), (win.dh, win.dw), False,
                               (0, 0), groups, (True, False, False))[0]
    return from_nchw(crop_nchw(dx, win), data_format)


def _backprop_filter(op, input, filter_sizes, out_backprop, strides, padding, data_format,
                     dilations, explicit_paddings, depthwise):
    f_shape = tuple(int(s) for s in np.asarray(filter_sizes).reshape(-1))
    win = _conv_window(op, nhwc_shape(input, data_format), f_shape, strides, dilations,
                       padding, explicit_paddings, data_format, depthwise)
    depth = f_shape[2] * f_shape[3] if depthwise else f_shape[3]
    _check_out_backprop(op, _nhwc_view(out_backprop, data_format), input.shape[0], win, depth)
    x = device_layout(pad_nchw(nchw(input, data_format), win))
    dy = device_layout(nchw(out_backprop, data_format))
    groups = f_shape[2] if depthwise else 1
    dw = _convolution_backward(dy, x, _filter_placeholder(x, f_shape, depthwise, data_format),
                               None, (win.sh, win.sw), torch_padding(win), (win.dh, win.dw),
                               False, (0, 0), groups, (False, True, False))[1]
    dw = dw.permute(2, 3, 1, 0)  # torch's [out, in, kh, kw] as TF's [kh, kw, in, out]
    return dw.reshape(f_shape) if depthwise else dw


@torch_kernel("Conv2DBackpropInput", types=DENSE, host_inputs=(0,), fresh=True)
def conv2d_backprop_input(input_sizes, filter, out_backprop, *, strides, padding,
                          data_format="NHWC", dilations=(1, 1, 1, 1), explicit_paddings=()):
    return _backprop_input("Conv2DBackpropInput", input_sizes, filter, out_backprop, strides,
                           padding, data_format, dilations, explicit_paddings, depthwise=False)


@torch_kernel("Conv2DBackpropFilter", types=DENSE, host_inputs=(1,), fresh=True)
def conv2d_backprop_filter(input, filter_sizes, out_backprop, *, strides, padding,
                           data_format="NHWC", dilations=(1, 1, 1, 1), explicit_paddings=()):
    return _backprop_filter("Conv2DBackpropFilter", input, filter_sizes, out_backprop, strides,
                            padding, data_format, dilations, explicit_paddings, depthwise=False)


@torch_kernel("DepthwiseConv2dNativeBackpropInput", types=DENSE, host_inputs=(0,), fresh=True)
def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop, *, strides,
                                           padding, data_format="NHWC",
                                           dilations=(1, 1, 1, 1), explicit_paddings=()):
    return _backprop_input("DepthwiseConv2dNativeBackpropInput", input_sizes, filter,
                           out_backprop, strides, padding, data_format, dilations,
                           explicit_paddings, depthwise=True)


@torch_kernel("DepthwiseConv2dNativeBackpropFilter", types=DENSE, host_inputs=(1,), fresh=True)
def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop, *, strides,
                                            padding, data_format="NHWC",
                                            dilations=(1, 1, 1, 1), explicit_paddings=()):
    return _backprop_filter("DepthwiseConv2dNativeBackpropFilter", input, filter_sizes,
                            out_backprop, strides, padding, data_format, dilations,
                            explicit_paddings, depthwise=True)


# ---------------------------------------------------------------------------------------------
# Pooling

def _max_pool_grad_window(orig_input, grad, ksize, strides, padding, data_format):
    """MaxPoolGrad's window, kernel size and strides, once grad is checked against them."""
    op = "MaxPoolGrad"
    shape = nhwc_shape(orig_input, data_format)
    win, k, s = pool_geometry(op, shape, ksize, strides, padding, data_format)
    _check_out_backprop(op, _nhwc_view(grad, data_format), shape[0], win, shape[3])
    return win, k, s


@torch_kernel("MaxPoolGrad", types=DENSE, fresh=True)
def max_pool_grad(orig_input, orig_output, grad, *, ksize, strides, padding,
                  data_format="NHWC"):
    """Routes each window's gradient to its first maximum in orig_input."""
    win, k, s = _max_pool_grad_window(orig_input, grad, ksize, strides, padding, data_format)
    unpadded = nchw(orig_input, data_format)
    x, pad, ceil_mode = max_pool_input(unpadded, win)
    _, argmax = F.max_pool2d(x, k, s, pad, ceil_mode=ceil_mode, return_indices=True)
    dx = _max_pool_backward(nchw(grad, data_format), x, k, s, pad, (1, 1), ceil_mode, argmax)
    return from_nchw(crop_nchw(dx, win) if x is not unpadded else dx, data_format)


# The argmax input is int32 or int64.
_WITH_ARGMAX = {device: types | {dtypes.int32, dtypes.int64} for device, types in DENSE.items()}


@torch_kernel("_MaxPoolGradWithWorkspace", types=_WITH_ARGMAX, fresh=True)
def max_pool_grad_with_workspace(orig_input, grad, workspace, *, ksize, strides, padding,
                                 data_format="NHWC"):
    """MaxPoolGrad given each window's maximum as its forward found it (ops/fused.py)."""
    win, k, s = _max_pool_grad_window(orig_input, grad, ksize, strides, padding, data_format)
    x, g, index = (nchw(t, data_format) for t in (orig_input, grad, workspace))
    if not g.numel():
        return torch.zeros_like(orig_input)
    if pads_itself(win):
        _, pad, ceil_mode = max_pool_input(x, win)
        return from_nchw(_max_pool_backward(g, x, k, s, pad, (1, 1), ceil_mode, index),
                         data_format)
    n, c, h, w = x.shape  # indices into the unpadded planes: scatter there
    dx = g.new_zeros((n, c, h * w)).scatter_add_(2, index.reshape(n, c, -1), g.reshape(n, c, -1))
    return from_nchw(dx.view(n, c, h, w), data_format)


@torch_kernel("AvgPoolGrad", types=DENSE, host_inputs=(0,), fresh=True)
def avg_pool_grad(orig_input_shape, grad, *, ksize, strides, padding, data_format="NHWC"):
    """Spreads each window's gradient evenly over the unpadded elements it averaged."""
    op = "AvgPoolGrad"
    shape = _sizes(op, "orig_input_shape", orig_input_shape, data_format)
    win, k, s = pool_geometry(op, shape, ksize, strides, padding, data_format)
    _check_out_backprop(op, _nhwc_view(grad, data_format), shape[0], win, shape[3])
    g = contiguous_on_cuda(nchw(grad, data_format))
    stand_in = empty_nchw(g, padded_shape(shape, win), "NCHW" if g.is_cuda else data_format)
    if symmetric(win):
        dx = _avg_pool_backward(g, stand_in, k, s, torch_padding(win), False, False, None)
    else:  # the backward of a plain window sum, of the gradient shared out by window size
        dx = _avg_pool_backward(g / window_counts(win, g), stand_in, k, s, (0, 0), False, True,
                                1)
    return from_nchw(crop_nchw(dx, win), data_format)


@torch_kernel("MaxPoolGradWithArgmax", types=_WITH_ARGMAX, fresh=True)
def max_pool_grad_with_argmax(input, grad, argmax, *, ksize, strides, padding,
                              include_batch_in_index=False):
    """Adds grad into the input positions argmax names (flat indices from MaxPoolWithArgmax)."""
    op = "MaxPoolGradWithArgmax"
    bound = argmax_bound(op, tuple(input.shape), grad, argmax, ksize, strides, padding,
                         include_batch_in_index)
    index = argmax.long()
    if not include_batch_in_index:
        n = input.shape[0]
        index = index + torch.arange(n, device=index.device).view(n, 1, 1, 1) * bound
    index, grad = index.reshape(-1), grad.reshape(-1)
    if input.device.type == "cpu":
        if argmax.numel():
            check_argmax_range(op, int(argmax.min()), int(argmax.max()), bound)
    else:  # not checked on a GPU (that would wait for it): a bad index's gradient is dropped
        valid = (argmax.reshape(-1) >= 0) & (argmax.reshape(-1) < bound)
        index = index.where(valid, 0)
        grad = grad * valid.to(grad.dtype)
    return grad.new_zeros(input.numel()).index_add_(0, index, grad).reshape(input.shape)
