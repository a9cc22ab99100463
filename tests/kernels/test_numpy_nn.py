"""The NumPy nn kernels against slow, loop-by-loop references, numeric gradients and TF outputs.

References here loop over output positions and kernel taps and compute padding from TF's
documented formulas, independently of the kernels' strided views. Backprops are checked both
against loop references and against central differences of the forward kernel in float64.
`fixtures/nn_tf.npz` holds real TensorFlow outputs (see fixtures/make_nn_tf.py).
"""
import math
import os

import numpy as np
import pytest

from tensorflux.framework import dtypes, registry
from tensorflux.framework.errors import InvalidArgumentError
from tensorflux.kernels.numpy import nn, nn_grad

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nn_tf.npz")
DTYPES = [np.float32, np.float64]


def tolerance(dtype):
    return dict(rtol=1e-4, atol=1e-4) if np.dtype(dtype) == np.float32 else dict(rtol=1e-10,
                                                                                   atol=1e-10)


def assert_close(actual, expected, dtype):
    actual = np.asarray(actual)
    assert actual.dtype == np.dtype(dtype)
    assert actual.shape == np.shape(expected)
    np.testing.assert_allclose(actual.astype(np.float64), expected, **tolerance(dtype))


def numeric_grad(f, x, dy, eps=1e-6):
    """d sum(f(x) * dy) / dx by central differences, one element at a time (x float64)."""
    x = np.array(x, dtype=np.float64, order="C")  # C order: reshape(-1) below must be a view
    grad = np.zeros(x.shape)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        plus = np.sum(f(x) * dy)
        flat[k] = old - eps
        minus = np.sum(f(x) * dy)
        flat[k] = old
        gflat[k] = (plus - minus) / (2 * eps)
    return grad


# ---------------------------------------------------------------------------------------------
# Window geometry, straight from TF's documentation of padding

def geometry(size, k, stride, dilation, padding, explicit=(0, 0)):
    """(output size, padding before) of one spatial dimension."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = math.ceil(size / stride)
        return out, max((out - 1) * stride + eff - size, 0) // 2
    if padding == "VALID":
        return math.ceil((size - eff + 1) / stride), 0
    return (size + explicit[0] + explicit[1] - eff) // stride + 1, explicit[0]


class Conv:
    """One convolution or pooling configuration and how to pass it in either data format."""

    def __init__(self, padding, stride=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0))):
        self.padding, self.stride, self.dilation, self.pads = padding, stride, dilation, pads

    def __repr__(self):
        return f"{self.padding}-s{self.stride}-d{self.dilation}-p{self.pads}"

    def attrs(self, fmt, ksize=None):
        sh, sw = self.stride
        dh, dw = self.dilation
        (t, b), (l, r) = self.pads
        if fmt == "NHWC":
            a = dict(strides=[1, sh, sw, 1], dilations=[1, dh, dw, 1],
                     explicit_paddings=[0, 0, t, b, l, r, 0, 0])
        else:
            a = dict(strides=[1, 1, sh, sw], dilations=[1, 1, dh, dw],
                     explicit_paddings=[0, 0, 0, 0, t, b, l, r])
        a.update(padding=self.padding, data_format=fmt)
        if self.padding != "EXPLICIT":
            del a["explicit_paddings"]
        if ksize is not None:
            del a["dilations"]
            a["ksize"] = [1, ksize[0], ksize[1], 1] if fmt == "NHWC" else [1, 1, *ksize]
        return a

    def windows(self, in_hw, k_hw):
        """out_h, out_w and, per output position, the (tap i, tap j, row, col) it reads."""
        (oh, top), (ow, left) = [geometry(in_hw[d], k_hw[d], self.stride[d], self.dilation[d],
                                          self.padding, self.pads[d]) for d in (0, 1)]
        taps = {}
        for y in range(oh):
            for x in range(ow):
                taps[y, x] = [(i, j, y * self.stride[0] + i * self.dilation[0] - top,
                               x * self.stride[1] + j * self.dilation[1] - left)
                              for i in range(k_hw[0]) for j in range(k_hw[1])]
        return oh, ow, taps


def inside(row, col, shape):
    return 0 <= row < shape[1] and 0 <= col < shape[2]


def to_format(x, fmt):
    return x if fmt == "NHWC" else x.transpose(0, 3, 1, 2)


def from_format(x, fmt):
    return np.asarray(x) if fmt == "NHWC" else np.asarray(x).transpose(0, 2, 3, 1)


def shape_in_format(shape, fmt):
    n, h, w, c = shape
    return np.array([n, h, w, c] if fmt == "NHWC" else [n, c, h, w], np.int32)


# ---------------------------------------------------------------------------------------------
# Loop references (NHWC, float64)

def ref_conv2d(x, w, conv):
    oh, ow, taps = conv.windows(x.shape[1:3], w.shape[:2])
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for (y, xx), window in taps.items():
        for i, j, row, col in window:
            if inside(row, col, x.shape):
                out[:, y, xx, :] += x[:, row, col, :] @ w[i, j]
    return out


def ref_conv2d_backprop(x, w, dy, conv):
    dx, dw = np.zeros(x.shape), np.zeros(w.shape)
    _, _, taps = conv.windows(x.shape[1:3], w.shape[:2])
    for (y, xx), window in taps.items():
        for i, j, row, col in window:
            if inside(row, col, x.shape):
                dx[:, row, col, :] += dy[:, y, xx, :] @ w[i, j].T
                dw[i, j] += x[:, row, col, :].T @ dy[:, y, xx, :]
    return dx, dw


def ref_depthwise(x, w, conv):
    oh, ow, taps = conv.windows(x.shape[1:3], w.shape[:2])
    c, m = w.shape[2:]
    out = np.zeros((x.shape[0], oh, ow, c * m))
    for (y, xx), window in taps.items():
        for i, j, row, col in window:
            if inside(row, col, x.shape):
                for ch in range(c):
                    for q in range(m):
                        out[:, y, xx, ch * m + q] += x[:, row, col, ch] * w[i, j, ch, q]
    return out


def ref_max_pool(x, k, conv):
    """Max, its argmax as TF flattens it (without batch) and the input position, per window."""
    oh, ow, taps = conv.windows(x.shape[1:3], k)
    n, _, w, c = x.shape
    out = np.zeros((n, oh, ow, c))
    where = np.zeros((n, oh, ow, c, 2), np.int64)
    for b in range(n):
        for ch in range(c):
            for (y, xx), window in taps.items():
                best = None
                for _, _, row, col in window:
                    if inside(row, col, x.shape) and (best is None or x[b, row, col, ch] > best):
                        best = x[b, row, col, ch]
                        where[b, y, xx, ch] = row, col
                out[b, y, xx, ch] = best
    argmax = (where[..., 0] * w + where[..., 1]) * c + np.arange(c)
    return out, argmax, where


def ref_max_pool_grad(x, g, k, conv):
    _, _, where = ref_max_pool(x, k, conv)
    dx = np.zeros(x.shape)
    for b, y, xx, ch in np.ndindex(g.shape):
        row, col = where[b, y, xx, ch]
        dx[b, row, col, ch] += g[b, y, xx, ch]
    return dx


def ref_avg_pool(x, k, conv):
    oh, ow, taps = conv.windows(x.shape[1:3], k)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for (y, xx), window in taps.items():
        cells = [(row, col) for _, _, row, col in window if inside(row, col, x.shape)]
        out[:, y, xx, :] = sum(x[:, row, col, :] for row, col in cells) / len(cells)
    return out


def ref_avg_pool_grad(shape, g, k, conv):
    _, _, taps = conv.windows(shape[1:3], k)
    dx = np.zeros(shape)
    for (y, xx), window in taps.items():
        cells = [(row, col) for _, _, row, col in window if inside(row, col, shape)]
        for row, col in cells:
            dx[:, row, col, :] += g[:, y, xx, :] / len(cells)
    return dx


# ---------------------------------------------------------------------------------------------
# Registration

KERNELS = {
    "Conv2D": nn.conv2d, "Conv2DBackpropInput": nn_grad.conv2d_backprop_input,
    "Conv2DBackpropFilter": nn_grad.conv2d_backprop_filter,
    "DepthwiseConv2dNative": nn.depthwise_conv2d_native,
    "DepthwiseConv2dNativeBackpropInput": nn_grad.depthwise_conv2d_native_backprop_input,
    "DepthwiseConv2dNativeBackpropFilter": nn_grad.depthwise_conv2d_native_backprop_filter,
    "MaxPool": nn.max_pool, "MaxPoolGrad": nn_grad.max_pool_grad, "AvgPool": nn.avg_pool,
    "AvgPoolGrad": nn_grad.avg_pool_grad, "MaxPoolWithArgmax": nn.max_pool_with_argmax,
    "MaxPoolGradWithArgmax": nn_grad.max_pool_grad_with_argmax, "LRN": nn.lrn,
    "LRNGrad": nn.lrn_grad, "Softmax": nn.softmax, "LogSoftmax": nn.log_softmax,
    "SoftmaxCrossEntropyWithLogits": nn.softmax_cross_entropy_with_logits,
    "SparseSoftmaxCrossEntropyWithLogits": nn.sparse_softmax_cross_entropy_with_logits,
    "BiasAdd": nn.bias_add, "BiasAddV1": nn.bias_add, "BiasAddGrad": nn.bias_add_grad,
    "Relu": nn.relu, "Relu6": nn.relu6, "Elu": nn.elu, "Selu": nn.selu, "Softplus": nn.softplus,
    "Softsign": nn.softsign, "LeakyRelu": nn.leaky_relu, "ReluGrad": nn.relu_grad,
    "Relu6Grad": nn.relu6_grad, "EluGrad": nn.elu_grad, "SeluGrad": nn.selu_grad,
    "SoftplusGrad": nn.softplus_grad, "SoftsignGrad": nn.softsign_grad,
    "LeakyReluGrad": nn.leaky_relu_grad, "L2Loss": nn.l2_loss, "InTopKV2": nn.in_top_k_v2,
    "InTopK": nn.in_top_k, "TopKV2": nn.top_k_v2, "TopK": nn.top_k,
}


@pytest.mark.parametrize("op_type", sorted(KERNELS))
def test_registered(op_type):
    found = registry.find_kernel(op_type, "CPU", "numpy")
    assert found is not None and found.fn is KERNELS[op_type]


def test_attr_names():
    conv = registry.find_kernel("Conv2D", "CPU", "numpy").attr_names
    assert set(conv) == {"strides", "padding", "data_format", "dilations", "explicit_paddings"}
    assert registry.find_kernel("LeakyRelu", "CPU", "numpy").attr_names == ("alpha",)
    assert set(registry.find_kernel("MaxPoolWithArgmax", "CPU", "numpy").attr_names) == {
        "ksize", "strides", "padding", "Targmax", "include_batch_in_index"}


# ---------------------------------------------------------------------------------------------
# Convolutions

CONVS = [
    Conv("SAME"), Conv("VALID"), Conv("SAME", (2, 2)), Conv("VALID", (2, 2)),
    Conv("SAME", (2, 1)), Conv("SAME", dilation=(2, 2)), Conv("VALID", dilation=(2, 1)),
    Conv("SAME", (3, 2), (1, 2)), Conv("EXPLICIT", (1, 2), pads=((1, 2), (0, 3))),
    Conv("EXPLICIT", (2, 2), (2, 1), pads=((0, 1), (2, 0))),
]


def conv_inputs(rng, c=3, o=4, kh=3, kw=2):
    x = rng.standard_normal((2, 7, 6, c))  # odd sizes: SAME padding is asymmetric
    w = rng.standard_normal((kh, kw, c, o))
    return x, w


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("conv", CONVS, ids=repr)
def test_conv2d(conv, fmt, dtype):
    rng = np.random.default_rng(0)
    x, w = conv_inputs(rng)
    expected = ref_conv2d(x, w, conv)
    out = nn.conv2d(to_format(x.astype(dtype), fmt), w.astype(dtype), **conv.attrs(fmt))
    assert_close(from_format(out, fmt), expected, dtype)

    dy = rng.standard_normal(expected.shape)
    dx_ref, dw_ref = ref_conv2d_backprop(x, w, dy, conv)
    dx = nn_grad.conv2d_backprop_input(shape_in_format(x.shape, fmt), w.astype(dtype),
                                       to_format(dy.astype(dtype), fmt), **conv.attrs(fmt))
    assert_close(from_format(dx, fmt), dx_ref, dtype)
    dw = nn_grad.conv2d_backprop_filter(to_format(x.astype(dtype), fmt),
                                        np.array(w.shape, np.int32),
                                        to_format(dy.astype(dtype), fmt), **conv.attrs(fmt))
    assert_close(dw, dw_ref, dtype)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("conv", CONVS[2:6] + CONVS[8:], ids=repr)
def test_conv2d_numeric_gradients(conv, fmt):
    rng = np.random.default_rng(1)
    x, w = conv_inputs(rng, c=2, o=2)
    x, w = to_format(x, fmt), w
    attrs = conv.attrs(fmt)
    dy = rng.standard_normal(nn.conv2d(x, w, **attrs).shape)
    dx = nn_grad.conv2d_backprop_input(np.array(x.shape), w, dy, **attrs)
    np.testing.assert_allclose(dx, numeric_grad(lambda v: nn.conv2d(v, w, **attrs), x, dy),
                               atol=1e-6)
    dw = nn_grad.conv2d_backprop_filter(x, np.array(w.shape), dy, **attrs)
    np.testing.assert_allclose(dw, numeric_grad(lambda v: nn.conv2d(x, v, **attrs), w, dy),
                               atol=1e-6)


@pytest.mark.parametrize("channels", [1, 2, 5])
def test_conv2d_channel_counts_and_blocks(channels, monkeypatch):
    # Few channels take the transposed im2col; tiny blocks make every batch range differ.
    monkeypatch.setattr(nn, "_BLOCK_BYTES", 1000)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6, 5, channels))
    w = rng.standard_normal((3, 3, channels, 3))
    conv = Conv("SAME", (2, 1))
    np.testing.assert_allclose(nn.conv2d(x, w, **conv.attrs("NHWC")), ref_conv2d(x, w, conv),
                               atol=1e-10)
    dy = rng.standard_normal((5, 3, 5, 3))
    dx_ref, dw_ref = ref_conv2d_backprop(x, w, dy, conv)
    attrs = conv.attrs("NHWC")
    np.testing.assert_allclose(
        nn_grad.conv2d_backprop_input(np.array(x.shape), w, dy, **attrs), dx_ref, atol=1e-10)
    np.testing.assert_allclose(
        nn_grad.conv2d_backprop_filter(x, np.array(w.shape), dy, **attrs), dw_ref, atol=1e-10)


def test_conv2d_half_precision():
    rng = np.random.default_rng(3)
    x, w = conv_inputs(rng)
    out = nn.conv2d(x.astype(np.float16), w.astype(np.float16), **Conv("SAME").attrs("NHWC"))
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, ref_conv2d(x, w, Conv("SAME")), rtol=1e-2, atol=2e-2)


def test_conv2d_backprop_input_spatial_sizes_only():
    rng = np.random.default_rng(4)
    x, w = conv_inputs(rng)
    conv = Conv("SAME", (2, 2))
    dy = rng.standard_normal(ref_conv2d(x, w, conv).shape)
    full = nn_grad.conv2d_backprop_input(np.array(x.shape), w, dy, **conv.attrs("NHWC"))
    spatial = nn_grad.conv2d_backprop_input(np.array([7, 6]), w, dy, **conv.attrs("NHWC"))
    np.testing.assert_array_equal(full, spatial)


def test_conv2d_errors():
    x, w = conv_inputs(np.random.default_rng(5))
    with pytest.raises(InvalidArgumentError, match="depth"):
        nn.conv2d(x, w[:, :, :2], strides=[1, 1, 1, 1], padding="SAME")
    with pytest.raises(InvalidArgumentError, match="negative"):
        nn.conv2d(x[:, :2, :2], np.ones((5, 5, 3, 1)), strides=[1, 1, 1, 1], padding="VALID")
    with pytest.raises(InvalidArgumentError, match="batch and depth"):
        nn.conv2d(x, w, strides=[2, 1, 1, 1], padding="SAME")
    with pytest.raises(InvalidArgumentError, match="out_backprop"):
        nn_grad.conv2d_backprop_input(np.array(x.shape), w, np.ones((2, 7, 6, 3)),
                                      strides=[1, 1, 1, 1], padding="SAME")


def test_conv2d_valid_output_truncates_like_tf():
    # TF divides (in - eff + stride) by stride in C: -1 / 2 is 0, an empty output, not an error.
    out = nn.conv2d(np.ones((1, 2, 2, 1)), np.ones((5, 5, 1, 1)), strides=[1, 2, 2, 1],
                    padding="VALID")
    assert out.shape == (1, 0, 0, 1)


DEPTHWISE = [Conv("SAME"), Conv("VALID", (2, 2)), Conv("SAME", (2, 1)),
             Conv("SAME", dilation=(2, 2)), Conv("VALID", (1, 2), (2, 1))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("conv", DEPTHWISE, ids=repr)
def test_depthwise_conv2d(conv, fmt, dtype):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 7, 6, 3))
    w = rng.standard_normal((3, 2, 3, 2))
    attrs = conv.attrs(fmt)
    expected = ref_depthwise(x, w, conv)
    out = nn.depthwise_conv2d_native(to_format(x.astype(dtype), fmt), w.astype(dtype), **attrs)
    assert_close(from_format(out, fmt), expected, dtype)

    dy = rng.standard_normal(expected.shape)
    dx = nn_grad.depthwise_conv2d_native_backprop_input(
        shape_in_format(x.shape, fmt), w.astype(dtype), to_format(dy.astype(dtype), fmt), **attrs)
    dw = nn_grad.depthwise_conv2d_native_backprop_filter(
        to_format(x.astype(dtype), fmt), np.array(w.shape), to_format(dy.astype(dtype), fmt),
        **attrs)
    if dtype == np.float64:
        xf = to_format(x, fmt)
        dyf = to_format(dy, fmt)
        dx_num = numeric_grad(lambda v: nn.depthwise_conv2d_native(v, w, **attrs), xf, dyf)
        dw_num = numeric_grad(lambda v: nn.depthwise_conv2d_native(xf, v, **attrs), w, dyf)
        np.testing.assert_allclose(dx, dx_num, atol=1e-6)
        np.testing.assert_allclose(dw, dw_num, atol=1e-6)
    else:
        dx64 = nn_grad.depthwise_conv2d_native_backprop_input(
            shape_in_format(x.shape, fmt), w, to_format(dy, fmt), **attrs)
        assert_close(dx, dx64, dtype)
        assert dw.dtype == dtype


# ---------------------------------------------------------------------------------------------
# Pooling

POOLS = [((2, 2), Conv("SAME", (2, 2))), ((2, 2), Conv("VALID", (2, 2))),
         ((3, 3), Conv("SAME", (2, 2))), ((3, 3), Conv("VALID", (1, 1))),
         ((3, 2), Conv("SAME", (1, 2))), ((1, 1), Conv("VALID", (2, 3))),
         ((4, 4), Conv("SAME", (3, 3)))]
POOL_IDS = [f"k{k}-{c!r}" for k, c in POOLS]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("k,conv", POOLS, ids=POOL_IDS)
def test_max_pool(k, conv, fmt, dtype):
    rng = np.random.default_rng(7)
    x = rng.integers(-3, 4, (2, 7, 6, 3)).astype(np.float64)  # many ties
    attrs = conv.attrs(fmt, ksize=k)
    expected, _, _ = ref_max_pool(x, k, conv)
    xf = to_format(x.astype(dtype), fmt)
    assert_close(from_format(nn.max_pool(xf, **attrs), fmt), expected, dtype)

    g = rng.standard_normal(expected.shape)
    dx = nn_grad.max_pool_grad(xf, to_format(expected.astype(dtype), fmt),
                               to_format(g.astype(dtype), fmt), **attrs)
    assert_close(from_format(dx, fmt), ref_max_pool_grad(x, g, k, conv), dtype)


@pytest.mark.parametrize("k,conv", POOLS, ids=POOL_IDS)
def test_max_pool_numeric_gradient(k, conv):
    rng = np.random.default_rng(8)
    x = rng.permutation(2 * 7 * 6 * 2).reshape(2, 7, 6, 2) / 10.0  # distinct values
    attrs = conv.attrs("NHWC", ksize=k)
    y = nn.max_pool(x, **attrs)
    g = rng.standard_normal(y.shape)
    np.testing.assert_allclose(nn_grad.max_pool_grad(x, y, g, **attrs),
                               numeric_grad(lambda v: nn.max_pool(v, **attrs), x, g), atol=1e-6)


@pytest.mark.parametrize("include_batch", [False, True])
@pytest.mark.parametrize("k,conv", POOLS, ids=POOL_IDS)
def test_max_pool_with_argmax(k, conv, include_batch):
    rng = np.random.default_rng(9)
    x = rng.integers(-3, 4, (2, 7, 6, 3)).astype(np.float32)
    attrs = conv.attrs("NHWC", ksize=k)
    del attrs["data_format"]
    expected, argmax, _ = ref_max_pool(x, k, conv)
    if include_batch:
        argmax = argmax + np.arange(2)[:, None, None, None] * x[0].size
    out, arg = nn.max_pool_with_argmax(x, include_batch_in_index=include_batch, **attrs)
    assert out.dtype == np.float32 and arg.dtype == np.int64
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(arg, argmax)
    _, arg32 = nn.max_pool_with_argmax(x, Targmax="int32", **attrs)
    assert arg32.dtype == np.int32
    _, arg32 = nn.max_pool_with_argmax(x, Targmax=dtypes.int32, **attrs)  # as the graph passes it
    assert arg32.dtype == np.int32

    g = rng.standard_normal(out.shape).astype(np.float32)
    dx = nn_grad.max_pool_grad_with_argmax(x, g, arg, include_batch_in_index=include_batch,
                                           **attrs)
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, ref_max_pool_grad(x, g, k, conv), rtol=1e-6, atol=1e-6)


def test_max_pool_nan_and_infinite_inputs():
    x = np.array([np.nan, 1, 2, np.nan, 1, np.nan, 3, 3], np.float32).reshape(1, 2, 4, 1)
    attrs = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    # TF's forward max skips NaN; its backprop keeps a NaN met first and skips later ones.
    np.testing.assert_array_equal(nn.max_pool(x, **attrs).ravel(), [1, 3])
    out, arg = nn.max_pool_with_argmax(x, **attrs)
    np.testing.assert_array_equal(out.ravel(), [np.nan, 3])
    np.testing.assert_array_equal(arg.ravel(), [0, 6])
    g = np.array([10, 20], np.float32).reshape(1, 1, 2, 1)
    dx = nn_grad.max_pool_grad(x, nn.max_pool(x, **attrs), g, **attrs)
    np.testing.assert_array_equal(dx.ravel(), [10, 0, 0, 0, 0, 0, 20, 0])
    x = np.full((1, 3, 3, 1), -np.inf, np.float32)
    attrs = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
    # A window of -inf (or NaN) pools to the least finite float; its argmax is its first element.
    np.testing.assert_array_equal(nn.max_pool(x, **attrs), np.finfo(np.float32).min)
    out, arg = nn.max_pool_with_argmax(x, **attrs)
    np.testing.assert_array_equal(out.ravel(), [-np.inf] * 4)
    np.testing.assert_array_equal(arg.ravel(), [0, 2, 6, 8])
    g = np.ones((1, 2, 2, 1), np.float32)
    dx = nn_grad.max_pool_grad(x, nn.max_pool(x, **attrs), g, **attrs)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 0, 1], [0, 0, 0], [1, 0, 1]])
    g = np.array([np.nan, 1, np.inf, 2], np.float32).reshape(1, 2, 2, 1)
    dx = nn_grad.max_pool_grad(x, nn.max_pool(x, **attrs), g, **attrs)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[np.nan, 0, 1], [0, 0, 0], [np.inf, 0, 2]])


@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("k,conv", POOLS, ids=POOL_IDS)
def test_avg_pool(k, conv, fmt, dtype):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 7, 6, 3))
    attrs = conv.attrs(fmt, ksize=k)
    expected = ref_avg_pool(x, k, conv)
    out = from_format(nn.avg_pool(to_format(x.astype(dtype), fmt), **attrs), fmt)
    g = rng.standard_normal(expected.shape)
    dx = from_format(nn_grad.avg_pool_grad(shape_in_format(x.shape, fmt),
                                           to_format(g.astype(dtype), fmt), **attrs), fmt)
    if dtype == np.float16:
        assert out.dtype == dx.dtype == np.float16
        np.testing.assert_allclose(out, expected, atol=1e-2)
        return
    assert_close(out, expected, dtype)
    assert_close(dx, ref_avg_pool_grad(x.shape, g, k, conv), dtype)
    if dtype == np.float64:
        xf, gf = to_format(x, fmt), to_format(g, fmt)
        np.testing.assert_allclose(to_format(dx, fmt),
                                   numeric_grad(lambda v: nn.avg_pool(v, **attrs), xf, gf),
                                   atol=1e-6)


def test_pool_over_batch_or_depth_is_unimplemented():
    from tensorflux.framework.errors import UnimplementedError
    x = np.ones((2, 4, 4, 4))
    with pytest.raises(UnimplementedError):
        nn.max_pool(x, ksize=[1, 1, 1, 2], strides=[1, 1, 1, 2], padding="VALID")
    with pytest.raises(UnimplementedError):
        nn.avg_pool(x, ksize=[2, 1, 1, 1], strides=[1, 1, 1, 1], padding="VALID")


# ---------------------------------------------------------------------------------------------
# LRN

def ref_lrn(x, r, bias, alpha, beta):
    out = np.zeros(x.shape)
    depth = x.shape[-1]
    for d in range(depth):
        lo, hi = max(0, d - r), min(depth, d + r + 1)
        norm = bias + alpha * np.sum(x[..., lo:hi] ** 2, axis=-1)
        out[..., d] = x[..., d] / norm ** beta
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", [(5, 1.0, 1.0, 0.5), (2, 1.5, 0.3, 0.75), (0, 2.0, 0.1, 1.0),
                                    (10, 1.0, 1e-4, 0.75)])
def test_lrn(params, dtype):
    r, bias, alpha, beta = params
    attrs = dict(depth_radius=r, bias=bias, alpha=alpha, beta=beta)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 2, 7))
    y = nn.lrn(x.astype(dtype), **attrs)
    assert_close(y, ref_lrn(x, r, bias, alpha, beta), dtype)
    g = rng.standard_normal(x.shape)
    dx = nn.lrn_grad(g.astype(dtype), x.astype(dtype), y, **attrs)
    if dtype == np.float64:
        np.testing.assert_allclose(dx, numeric_grad(lambda v: nn.lrn(v, **attrs), x, g),
                                   atol=1e-6)
    else:
        assert_close(dx, nn.lrn_grad(g, x, nn.lrn(x, **attrs), **attrs), dtype)


def test_lrn_defaults():
    x = np.random.default_rng(12).standard_normal((1, 2, 2, 12))
    np.testing.assert_allclose(nn.lrn(x), ref_lrn(x, 5, 1.0, 1.0, 0.5), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Softmax and cross entropy

def ref_softmax(x):
    out = np.zeros(x.shape)
    for row in np.ndindex(x.shape[:-1]):
        e = [math.exp(v - max(x[row])) for v in x[row]]
        out[row] = [v / sum(e) for v in e]
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_softmax_and_log_softmax(shape, dtype):
    x = np.random.default_rng(13).standard_normal(shape) * 3
    assert_close(nn.softmax(x.astype(dtype)), ref_softmax(x), dtype)
    assert_close(nn.log_softmax(x.astype(dtype)), np.log(ref_softmax(x)), dtype)


def test_softmax_of_empty_rows():
    for fn in (nn.softmax, nn.log_softmax):
        assert fn(np.zeros((3, 0), np.float32)).shape == (3, 0)
        assert fn(np.zeros((0, 4), np.float32)).shape == (0, 4)


def test_softmax_extreme_logits():
    x = np.array([[1e4, -1e4, 0], [-1e4, -1e4, -1e4]], np.float32)
    np.testing.assert_allclose(nn.softmax(x), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    np.testing.assert_allclose(nn.log_softmax(x), [[0, -2e4, -1e4], [-math.log(3)] * 3],
                               rtol=1e-6)


def ref_xent(x, labels):
    loss, backprop = np.zeros(x.shape[0]), np.zeros(x.shape)
    for b in range(x.shape[0]):
        p = ref_softmax(x[b])
        loss[b] = -sum(labels[b, c] * math.log(p[c]) for c in range(x.shape[1]))
        backprop[b] = p - labels[b]
    return loss, backprop


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_with_logits(dtype):
    rng = np.random.default_rng(14)
    x = rng.standard_normal((4, 5))
    labels = rng.dirichlet(np.ones(5), size=4)
    loss, backprop = nn.softmax_cross_entropy_with_logits(x.astype(dtype), labels.astype(dtype))
    loss_ref, backprop_ref = ref_xent(x, labels)
    assert_close(loss, loss_ref, dtype)
    assert_close(backprop, backprop_ref, dtype)
    # One row of labels broadcasts over the batch.
    loss, backprop = nn.softmax_cross_entropy_with_logits(x, labels[:1])
    loss_ref, backprop_ref = ref_xent(x, np.repeat(labels[:1], 4, axis=0))
    np.testing.assert_allclose(loss, loss_ref, atol=1e-12)
    np.testing.assert_allclose(backprop, backprop_ref, atol=1e-12)


def test_softmax_cross_entropy_extreme_logits():
    x = np.array([[1e4, -1e4, 0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], np.float32)
    labels = np.array([[0.2, 0.5, 0.3], [1, 0, 0], [0, 0, 1]], np.float32)
    loss, backprop = nn.softmax_cross_entropy_with_logits(x, labels)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(backprop))
    np.testing.assert_allclose(loss, [13000, math.log(3), 2e4 + math.log(2)], rtol=1e-6)
    np.testing.assert_allclose(backprop, [[0.8, -0.5, -0.3], [-2 / 3, 1 / 3, 1 / 3],
                                          [0.5, 0.5, -1]], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_softmax_cross_entropy_with_logits(dtype, label_dtype):
    rng = np.random.default_rng(15)
    x = rng.standard_normal((4, 5))
    labels = np.array([0, 4, 2, 2], label_dtype)
    loss, backprop = nn.sparse_softmax_cross_entropy_with_logits(x.astype(dtype), labels)
    loss_ref, backprop_ref = ref_xent(x, np.eye(5)[labels])
    assert_close(loss, loss_ref, dtype)
    assert_close(backprop, backprop_ref, dtype)
    extreme = np.array([[1e4, -1e4, 0]], np.float32)
    loss, backprop = nn.sparse_softmax_cross_entropy_with_logits(extreme, np.array([1]))
    np.testing.assert_allclose(loss, [2e4])
    np.testing.assert_allclose(backprop, [[1, -1, 0]], atol=1e-30)


def test_sparse_softmax_cross_entropy_label_out_of_range():
    x = np.zeros((3, 10), np.float32)
    with pytest.raises(InvalidArgumentError, match=r"Received a label value of 10 which is "
                       r"outside the valid range of \[0, 10\)"):
        nn.sparse_softmax_cross_entropy_with_logits(x, np.array([1, 10, 3]))
    # With labels on both sides out of range, TF names the lowest.
    with pytest.raises(InvalidArgumentError, match=r"label value of -1 .*\[0, 10\)"):
        nn.sparse_softmax_cross_entropy_with_logits(x, np.array([1, 10, -1]))


# ---------------------------------------------------------------------------------------------
# Bias

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 3), (2, 3, 4, 5), (2, 3, 2, 2, 4)])
def test_bias_add(shape, fmt, dtype):
    rng = np.random.default_rng(16)
    x = rng.standard_normal(shape)
    axis = 1 if fmt == "NCHW" else len(shape) - 1
    b = rng.standard_normal(shape[axis])
    expected = x.copy()
    for index in np.ndindex(shape):
        expected[index] += b[index[axis]]
    assert_close(nn.bias_add(x.astype(dtype), b.astype(dtype), data_format=fmt), expected, dtype)
    grad = np.zeros(shape[axis])
    for index in np.ndindex(shape):
        grad[index[axis]] += x[index]
    assert_close(nn.bias_add_grad(x.astype(dtype), data_format=fmt), grad, dtype)


def test_bias_add_errors():
    with pytest.raises(InvalidArgumentError):
        nn.bias_add(np.ones(3), np.ones(3))
    with pytest.raises(InvalidArgumentError):
        nn.bias_add(np.ones((2, 3)), np.ones(2))


# ---------------------------------------------------------------------------------------------
# Activations

SCALE, ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
ACTIVATIONS = {
    "relu": (nn.relu, lambda v: max(v, 0.0)),
    "relu6": (nn.relu6, lambda v: min(max(v, 0.0), 6.0)),
    "elu": (nn.elu, lambda v: v if v > 0 else math.expm1(v)),
    "selu": (nn.selu, lambda v: SCALE * v if v > 0 else SCALE * ALPHA * math.expm1(v)),
    "softplus": (nn.softplus, lambda v: v + math.log1p(math.exp(-v)) if v > 0
                 else math.log1p(math.exp(v))),
    "softsign": (nn.softsign, lambda v: v / (1 + abs(v))),
    "leaky_relu": (nn.leaky_relu, lambda v: v if v > 0 else 0.2 * v),
}
# name: (grad kernel, forward it differentiates, whether it takes the forward's outputs)
GRADIENTS = {
    "relu": (nn.relu_grad, nn.relu, False), "relu6": (nn.relu6_grad, nn.relu6, False),
    "elu": (nn.elu_grad, nn.elu, True), "selu": (nn.selu_grad, nn.selu, True),
    "softplus": (nn.softplus_grad, nn.softplus, False),
    "softsign": (nn.softsign_grad, nn.softsign, False),
    "leaky_relu": (nn.leaky_relu_grad, nn.leaky_relu, False),
}


def activation_inputs():
    x = np.random.default_rng(17).uniform(-8, 8, 40)
    return np.concatenate([x, [-100.0, -30.0, -1e-3, 1e-3, 30.0, 100.0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name, dtype):
    kernel_fn, ref = ACTIVATIONS[name]
    x = activation_inputs()
    assert_close(kernel_fn(x.astype(dtype)), [ref(v) for v in x], dtype)


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_activation_gradient(name):
    grad_fn, forward, from_outputs = GRADIENTS[name]
    x = activation_inputs()
    x = x[np.abs(x - 6) > 1e-2]  # keep away from kinks, where differences straddle them
    g = np.random.default_rng(18).standard_normal(x.shape)
    numeric = np.array([numeric_grad(forward, v, 1.0) for v in x]) * g
    arg = forward(x) if from_outputs else x
    np.testing.assert_allclose(grad_fn(g, arg), numeric, rtol=1e-6, atol=1e-8)
    out = grad_fn(g.astype(np.float32), arg.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, numeric, rtol=1e-4, atol=1e-6)


def test_leaky_relu_alpha():
    x = np.array([-2.0, 3.0], np.float32)
    np.testing.assert_allclose(nn.leaky_relu(x, alpha=0.5), [-1.0, 3.0])
    np.testing.assert_allclose(nn.leaky_relu_grad(np.ones(2, np.float32), x, alpha=0.5),
                               [0.5, 1.0])
    assert nn.leaky_relu(x).dtype == np.float32


def test_softplus_is_stable():
    x = np.array([-1e4, -100, 100, 1e4], np.float32)
    np.testing.assert_allclose(nn.softplus(x), [0, 3.720076e-44, 100, 1e4], rtol=1e-6,
                               atol=1e-45)  # exp(-100) is subnormal in float32
    np.testing.assert_allclose(nn.softplus_grad(np.ones(4, np.float32), x), [0, 0, 1, 1],
                               atol=1e-43)


def test_relu_grad_keeps_nan_gradients():
    out = nn.relu_grad(np.array([np.nan, 1.0]), np.array([-1.0, 1.0]))
    assert np.isnan(out[0]) and out[1] == 1.0


# ---------------------------------------------------------------------------------------------
# L2Loss, InTopK, TopK

@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
def test_l2_loss(dtype):
    x = np.random.default_rng(19).standard_normal((3, 4))
    out = nn.l2_loss(x.astype(dtype))
    assert out.shape == () and out.dtype == dtype
    expected = sum(v * v for v in x.ravel()) / 2
    np.testing.assert_allclose(float(out), expected, rtol=1e-3 if dtype == np.float16 else 1e-6)


def ref_in_top_k(p, targets, k):
    out = []
    for row, t in zip(p, targets):
        if not 0 <= t < len(row) or not all(math.isfinite(v) for v in row):
            out.append(False)
        else:
            out.append(sum(v > row[t] for v in row) < k)
    return np.array(out)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
def test_in_top_k(k):
    p = np.array([[0.1, 0.3, 0.3, 0.2], [0.1, np.nan, 0.5, 0.2], [0.1, np.inf, 0.5, 0.2],
                  [1, 1, 1, 1], [0.4, 0.3, 0.3, 0.3], [0.4, 0.3, 0.3, 0.3],
                  [0.4, 0.3, 0.3, 0.3]], np.float32)
    targets = np.array([2, 2, 2, 3, 3, 4, -1], np.int32)
    expected = ref_in_top_k(p, targets, k)
    out = nn.in_top_k_v2(p, targets, np.int32(k))
    assert out.dtype == bool
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(nn.in_top_k(p, targets.astype(np.int64), k=k), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_top_k(dtype):
    rng = np.random.default_rng(20)
    x = rng.integers(0, 4, (3, 2, 7)).astype(dtype)  # many ties
    for k in (0, 1, 4, 7):
        values, indices = nn.top_k_v2(x, np.int32(k))
        assert values.dtype == dtype and indices.dtype == np.int32
        for index in np.ndindex(x.shape[:-1]):
            order = sorted(range(7), key=lambda i: (-x[index][i], i))[:k]
            np.testing.assert_array_equal(indices[index], order)
            np.testing.assert_array_equal(values[index], x[index][order])
    values, indices = nn.top_k(x, k=3, sorted=False)
    np.testing.assert_array_equal(values, nn.top_k_v2(x, 3)[0])
    with pytest.raises(InvalidArgumentError, match="at least k"):
        nn.top_k_v2(x, 8)


# ---------------------------------------------------------------------------------------------
# Real TensorFlow outputs

@pytest.fixture(scope="module")
def tf_outputs():
    with np.load(FIXTURES) as data:
        return dict(data)


TF_CONVS = {
    "same_s1": dict(strides=[1, 1, 1, 1], padding="SAME", dilations=[1, 1, 1, 1]),
    "same_s2": dict(strides=[1, 2, 2, 1], padding="SAME", dilations=[1, 1, 1, 1]),
    "same_s1_d2": dict(strides=[1, 1, 1, 1], padding="SAME", dilations=[1, 2, 2, 1]),
    "valid_s2": dict(strides=[1, 2, 2, 1], padding="VALID", dilations=[1, 1, 1, 1]),
    "same_s3x2": dict(strides=[1, 3, 2, 1], padding="SAME", dilations=[1, 1, 1, 1]),
    "explicit": dict(strides=[1, 2, 1, 1], padding="EXPLICIT", dilations=[1, 1, 1, 1],
                     explicit_paddings=[0, 0, 1, 2, 0, 3, 0, 0]),
}
TF_POOLS = {
    "same_k3s2": dict(ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME"),
    "valid_k2s1": dict(ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="VALID"),
    "same_k2s2": dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME"),
}


def assert_tf(actual, expected, tol=2e-5):
    actual = np.asarray(actual)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(TF_CONVS))
def test_conv_matches_tensorflow(tf_outputs, name):
    f, attrs = tf_outputs, TF_CONVS[name]
    x, w, dy = f["conv_x"], f["conv_w"], f[f"conv_{name}_dy"]
    assert_tf(nn.conv2d(x, w, **attrs), f[f"conv_{name}_y"])
    assert_tf(nn_grad.conv2d_backprop_input(np.array(x.shape), w, dy, **attrs),
              f[f"conv_{name}_dx"])
    assert_tf(nn_grad.conv2d_backprop_filter(x, np.array(w.shape), dy, **attrs),
              f[f"conv_{name}_dw"])


@pytest.mark.parametrize("name", ["same_s2", "valid_s1"])
def test_depthwise_matches_tensorflow(tf_outputs, name):
    f = tf_outputs
    stride = 2 if name == "same_s2" else 1
    attrs = dict(strides=[1, stride, stride, 1], padding=name.split("_")[0].upper())
    x, w, dy = f["conv_x"], f["dw_w"], f[f"dw_{name}_dy"]
    assert_tf(nn.depthwise_conv2d_native(x, w, **attrs), f[f"dw_{name}_y"])
    assert_tf(nn_grad.depthwise_conv2d_native_backprop_input(np.array(x.shape), w, dy, **attrs),
              f[f"dw_{name}_dx"])
    assert_tf(nn_grad.depthwise_conv2d_native_backprop_filter(x, np.array(w.shape), dy, **attrs),
              f[f"dw_{name}_dw"])


@pytest.mark.parametrize("name", sorted(TF_POOLS))
def test_pooling_matches_tensorflow(tf_outputs, name):
    f, attrs = tf_outputs, TF_POOLS[name]
    x, y, g = f["pool_x"], f[f"max_{name}_y"], f[f"max_{name}_g"]
    assert_tf(nn.max_pool(x, **attrs), y)
    assert_tf(nn_grad.max_pool_grad(x, y, g, **attrs), f[f"max_{name}_dx"])
    for batch in (0, 1):
        _, arg = nn.max_pool_with_argmax(x, include_batch_in_index=bool(batch), **attrs)
        np.testing.assert_array_equal(arg, f[f"argmax_{name}_{batch}"])
        assert arg.dtype == f[f"argmax_{name}_{batch}"].dtype
        assert_tf(nn_grad.max_pool_grad_with_argmax(x, g, arg, include_batch_in_index=bool(batch),
                                                    **attrs), f[f"argmax_{name}_{batch}_dx"])
    assert_tf(nn.avg_pool(x, **attrs), f[f"avg_{name}_y"])
    assert_tf(nn_grad.avg_pool_grad(np.array(x.shape), g, **attrs), f[f"avg_{name}_dx"])


def test_lrn_matches_tensorflow(tf_outputs):
    f = tf_outputs
    attrs = dict(depth_radius=2, bias=1.5, alpha=0.3, beta=0.75)
    assert_tf(nn.lrn(f["lrn_x"], **attrs), f["lrn_y"])
    assert_tf(nn.lrn(f["lrn_x"]), f["lrn_default_y"])
    assert_tf(nn.lrn_grad(f["lrn_g"], f["lrn_x"], f["lrn_y"], **attrs), f["lrn_dx"])


def test_top_k_and_in_top_k_match_tensorflow(tf_outputs):
    f = tf_outputs
    for k in (1, 2, 3):
        np.testing.assert_array_equal(
            nn.in_top_k_v2(f["intopk_pred"], f["intopk_targets"], np.int32(k)), f[f"intopk_k{k}"])
    values, indices = nn.top_k_v2(f["topk_x"], np.int32(4))
    np.testing.assert_array_equal(values, f["topk_values"])
    np.testing.assert_array_equal(indices, f["topk_indices"])


def test_activations_and_xent_match_tensorflow(tf_outputs):
    f = tf_outputs
    x = f["act_x"]
    for op, fn in [("Softplus", nn.softplus), ("Elu", nn.elu), ("Selu", nn.selu),
                   ("Softsign", nn.softsign), ("Relu6", nn.relu6)]:
        assert_tf(fn(x), f[f"act_{op}"], tol=1e-6)
    assert_tf(nn.softplus_grad(np.ones_like(x), x), f["act_SoftplusGrad"], tol=1e-6)
    loss, backprop = nn.softmax_cross_entropy_with_logits(f["xent_x"], f["xent_l"])
    assert_tf(loss, f["xent_loss"], tol=1e-6)
    assert_tf(backprop, f["xent_backprop"], tol=1e-6)
