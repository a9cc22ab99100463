"""NumPy backprop kernels of convolution and pooling (TF 1.15 semantics); see nn.py.

An input backprop scatters each kernel tap's share of the gradient into a zero, padded input
with one vectorised add per tap (overlapping windows accumulate), then crops the padding.
"""
import numpy as np

from tensorflux.framework.registry import kernel
from tensorflux.kernels.numpy.nn import (
    _batch_blocks, _conv_window, _first_max, _from_nhwc, _im2col_blocks, _invalid, _nhwc_shape,
    _pool_window, _to_nhwc, _upcast)


def _sizes(op, name, sizes, data_format):
    """A 4-element sizes input (data_format order) as an NHWC shape."""
    sizes = [int(s) for s in np.asarray(sizes).reshape(-1)]
    if len(sizes) != 4:
        raise _invalid(f"{op}: {name} must have 4 elements, got {sizes}")
    return _nhwc_shape(sizes, data_format)


def _input_grad(dxp, win, dtype, data_format):
    """The gradient accumulated in padded NHWC `dxp`, unpadded, contiguous, in `dtype`."""
    dx = _from_nhwc(win.crop(dxp), data_format)
    return np.ascontiguousarray(dx).astype(dtype, copy=False)


def _check_out_backprop(op, dy, batch, win, depth):
    expected = (batch, win.out_h, win.out_w, depth)
    if dy.shape != expected:
        raise _invalid(f"{op}: out_backprop has shape {list(dy.shape)} (NHWC) but the forward "
                       f"op's output would have shape {list(expected)}")


# ---------------------------------------------------------------------------------------------
# Convolutions

def _input_sizes(op, input_sizes, filter_shape, dy, data_format):
    """Conv2DBackpropInput's input_sizes: 4 sizes, or the 2 spatial sizes alone."""
    sizes = [int(s) for s in np.asarray(input_sizes).reshape(-1)]
    if len(sizes) == 2:
        return (dy.shape[0], sizes[0], sizes[1], int(filter_shape[2]))
    return _sizes(op, "input_sizes", sizes, data_format)


@kernel("Conv2DBackpropInput")
def conv2d_backprop_input(input_sizes, filter, out_backprop, *, strides, padding,
                          data_format="NHWC", dilations=(1, 1, 1, 1), explicit_paddings=()):
    """Gradient of Conv2D with respect to its input, of shape input_sizes."""
    op = "Conv2DBackpropInput"
    dtype = np.asarray(out_backprop).dtype
    w = _upcast(filter)
    dy = _upcast(_to_nhwc(out_backprop, data_format))
    x_shape = _input_sizes(op, input_sizes, w.shape, dy, data_format)
    win = _conv_window(op, x_shape, w.shape, strides, dilations, padding, explicit_paddings,
                       data_format)
    kh, kw, c, o = w.shape
    _check_out_backprop(op, dy, x_shape[0], win, o)
    # One matmul per tap, laid out tap-major, so that each tap's scatter-add below reads one
    # contiguous block; a few images at a time, reusing one buffer.
    taps = np.ascontiguousarray(w.reshape(kh * kw, c, o).transpose(0, 2, 1))
    dxp = win.padded_zeros(x_shape[0], c, dy.dtype)
    per_image = kh * kw * win.out_h * win.out_w * c * dy.itemsize
    buf = None
    for start, stop in _batch_blocks(x_shape[0], per_image):
        shape = (kh * kw, (stop - start) * win.out_h * win.out_w, c)
        if buf is None or buf.shape != shape:
            buf = np.empty(shape, dy.dtype)
        np.matmul(dy[start:stop].reshape(1, -1, o), taps, out=buf)
        cols = buf.reshape(kh, kw, stop - start, win.out_h, win.out_w, c)
        for _, i, j in win.taps():
            win.tap(dxp[start:stop], i, j)[...] += cols[i, j]
    return _input_grad(dxp, win, dtype, data_format)


@kernel("Conv2DBackpropFilter")
def conv2d_backprop_filter(input, filter_sizes, out_backprop, *, strides, padding,
                           data_format="NHWC", dilations=(1, 1, 1, 1), explicit_paddings=()):
    """Gradient of Conv2D with respect to its filter, of shape filter_sizes."""
    op = "Conv2DBackpropFilter"
    dtype = np.asarray(input).dtype
    x = _upcast(_to_nhwc(input, data_format))
    dy = _upcast(_to_nhwc(out_backprop, data_format))
    f_shape = tuple(int(s) for s in np.asarray(filter_sizes).reshape(-1))
    win = _conv_window(op, x.shape, f_shape, strides, dilations, padding, explicit_paddings,
                       data_format)
    kh, kw, c, o = f_shape
    _check_out_backprop(op, dy, x.shape[0], win, o)
    dy2d = dy.reshape(-1, o)
    rows = win.out_h * win.out_w
    dw = np.zeros((kh * kw * c, o), x.dtype)
    for start, stop, cols in _im2col_blocks(win.pad(x), win):
        dw += cols.T @ dy2d[start * rows:stop * rows]
    return dw.reshape(f_shape).astype(dtype, copy=False)


@kernel("DepthwiseConv2dNativeBackpropInput")
def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop, *, strides,
                                           padding, data_format="NHWC",
                                           dilations=(1, 1, 1, 1), explicit_paddings=()):
    """Gradient of DepthwiseConv2dNative with respect to its input, of shape input_sizes."""
    op = "DepthwiseConv2dNativeBackpropInput"
    dtype = np.asarray(out_backprop).dtype
    w = _upcast(filter)
    dy = _upcast(_to_nhwc(out_backprop, data_format))
    x_shape = _sizes(op, "input_sizes", input_sizes, data_format)
    win = _conv_window(op, x_shape, w.shape, strides, dilations, padding, explicit_paddings,
                       data_format, depthwise=True)
    c, m = w.shape[2], w.shape[3]
    _check_out_backprop(op, dy, x_shape[0], win, c * m)
    dy = dy.reshape(x_shape[0], win.out_h, win.out_w, c, m)
    dxp = win.padded_zeros(x_shape[0], c, dy.dtype)
    for _, i, j in win.taps():
        win.tap(dxp, i, j)[...] += np.einsum("nyxcm,cm->nyxc", dy, w[i, j])
    return _input_grad(dxp, win, dtype, data_format)


@kernel("DepthwiseConv2dNativeBackpropFilter")
def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop, *, strides,
                                            padding, data_format="NHWC",
                                            dilations=(1, 1, 1, 1), explicit_paddings=()):
    """Gradient of DepthwiseConv2dNative with respect to its filter, of shape filter_sizes."""
    op = "DepthwiseConv2dNativeBackpropFilter"
    dtype = np.asarray(input).dtype
    x = _upcast(_to_nhwc(input, data_format))
    dy = _upcast(_to_nhwc(out_backprop, data_format))
    f_shape = tuple(int(s) for s in np.asarray(filter_sizes).reshape(-1))
    win = _conv_window(op, x.shape, f_shape, strides, dilations, padding, explicit_paddings,
                       data_format, depthwise=True)
    c, m = f_shape[2], f_shape[3]
    _check_out_backprop(op, dy, x.shape[0], win, c * m)
    dy = dy.reshape(x.shape[0], win.out_h, win.out_w, c, m)
    xp = win.pad(x)
    dw = np.empty(f_shape, x.dtype)
    for _, i, j in win.taps():
        dw[i, j] = np.einsum("nyxc,nyxcm->cm", win.tap(xp, i, j), dy)
    return dw.astype(dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# Pooling

def _pool_grad_output(win, shape, dtype):
    return win.padded_zeros(shape[0], shape[3], dtype)


@kernel("MaxPoolGrad")
def max_pool_grad(orig_input, orig_output, grad, *, ksize, strides, padding,
                  data_format="NHWC"):
    """Routes each window's gradient to its max in orig_input; a tie goes to the first element
    in window order (orig_output is not consulted: the maxima are recomputed, as TF does)."""
    x = _to_nhwc(orig_input, data_format)
    g, win = max_pool_grad_window(x.shape, grad, ksize, strides, padding, data_format)
    _, arg = _first_max(x, win)
    return _input_grad(route_to_taps(win, x.shape, g, arg), win, np.asarray(grad).dtype,
                       data_format)


def max_pool_grad_window(shape, grad, ksize, strides, padding, data_format):
    """(grad as NHWC in its compute dtype, MaxPoolGrad's window) for an input of NHWC `shape`,
    once grad is checked against the window."""
    op = "MaxPoolGrad"
    g = _upcast(_to_nhwc(grad, data_format))
    win = _pool_window(op, shape, ksize, strides, padding, data_format)
    _check_out_backprop(op, g, shape[0], win, shape[3])
    return g, win


def route_to_taps(win, shape, g, arg):
    """The padded NHWC gradient of an input of `shape`: each window's `g` added at its tap
    `arg`."""
    dxp = _pool_grad_output(win, shape, g.dtype)
    # Multiplying by the mask is branch-free and several times faster than a masked copy, but
    # would spread NaN and inf from grad to the other elements of their windows. Windows that
    # do not overlap write their share straight into place.
    finite = np.isfinite(g).all()
    overlapping = win.sh < win.kh or win.sw < win.kw
    hit = np.empty(g.shape, bool)
    routed = np.empty(g.shape, g.dtype) if overlapping else None
    for t, i, j in win.taps():
        np.equal(arg, t, out=hit)
        target = routed if overlapping else win.tap(dxp, i, j)
        if finite:
            np.multiply(g, hit, out=target)
        else:
            target[...] = 0
            np.copyto(target, g, where=hit)
        if overlapping:
            win.tap(dxp, i, j)[...] += routed
    return dxp


@kernel("AvgPoolGrad")
def avg_pool_grad(orig_input_shape, grad, *, ksize, strides, padding, data_format="NHWC"):
    """Spreads each window's gradient evenly over the unpadded elements it averaged."""
    op = "AvgPoolGrad"
    dtype = np.asarray(grad).dtype
    shape = _sizes(op, "orig_input_shape", orig_input_shape, data_format)
    g = _upcast(_to_nhwc(grad, data_format))
    win = _pool_window(op, shape, ksize, strides, padding, data_format)
    _check_out_backprop(op, g, shape[0], win, shape[3])
    share = g / win.counts().astype(g.dtype)[None, :, :, None]
    dxp = _pool_grad_output(win, shape, g.dtype)
    for _, i, j in win.taps():
        win.tap(dxp, i, j)[...] += share
    return _input_grad(dxp, win, dtype, data_format)


def argmax_bound(op, x_shape, grad, argmax, ksize, strides, padding, include_batch_in_index):
    """Checks MaxPoolGradWithArgmax's shapes; returns the bound its argmax values stay under
    (the input's size, or one image's without the batch term)."""
    win = _pool_window(op, x_shape, ksize, strides, padding, "NHWC")
    _check_out_backprop(op, grad, x_shape[0], win, x_shape[3])
    if tuple(argmax.shape) != tuple(grad.shape):
        raise _invalid(f"{op}: argmax shape {list(argmax.shape)} must equal grad shape "
                       f"{list(grad.shape)}")
    size = int(np.prod(x_shape))
    if include_batch_in_index or not x_shape[0]:
        return size
    return size // x_shape[0]


def check_argmax_range(op, low, high, bound):
    if low < 0 or high >= bound:
        raise _invalid(f"{op}: argmax values must be in [0, {bound}), got values in "
                       f"[{low}, {high}]")


@kernel("MaxPoolGradWithArgmax")
def max_pool_grad_with_argmax(input, grad, argmax, *, ksize, strides, padding,
                              include_batch_in_index=False):
    """Adds grad into the input positions argmax names (flat indices from MaxPoolWithArgmax)."""
    op = "MaxPoolGradWithArgmax"
    x, g, argmax = np.asarray(input), np.asarray(grad), np.asarray(argmax)
    bound = argmax_bound(op, x.shape, g, argmax, ksize, strides, padding,
                         include_batch_in_index)
    index = argmax.astype(np.int64)
    if index.size:
        check_argmax_range(op, index.min(), index.max(), bound)
    if not include_batch_in_index:
        index = index + (np.arange(x.shape[0], dtype=np.int64) * bound)[:, None, None, None]
    flat = np.bincount(index.reshape(-1), weights=g.reshape(-1).astype(np.float64),
                       minlength=x.size)
    return flat.reshape(x.shape).astype(g.dtype)
