"""One record per op type of the nn family, in op_table's format (family "nn").

NumPy references here are written tap by tap from TF's documented window geometry (SAME pads
ceil(in / stride) style with the odd element after), independently of the kernels. Importing
this module adds the records to op_table.RECORDS; test_nn.py checks values and static shapes
from them and test_nn_grad.py the float64 numeric gradients.
"""
import numpy as np

import tensorflux as tf
from op_table import FLOAT, REAL, arg, case, raw, record

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


# ---------------------------------------------------------------- window geometry
def _hw(values, fmt):
    """The (height, width) entries of a 4-element attr in data_format order."""
    return (values[2], values[3]) if fmt == "NCHW" else (values[1], values[2])


def _to_nhwc(x, fmt):
    return np.transpose(x, (0, 2, 3, 1)) if fmt == "NCHW" else x


def _from_nhwc(x, fmt):
    return np.transpose(x, (0, 3, 1, 2)) if fmt == "NCHW" else x


def _dim(size, k, stride, dilation, padding, explicit=(0, 0)):
    """(output size, pad before, pad after) of one spatial dimension."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + eff - size, 0)
        return out, total // 2, total - total // 2
    before, after = explicit if padding != "VALID" else (0, 0)
    return (size + before + after - eff) // stride + 1, before, after


class Geometry:
    """Where a 2-D window op's taps read an NHWC input."""

    def __init__(self, hw, khw, strides, padding, fmt, dilations=(1, 1, 1, 1)):
        self.sh, self.sw = _hw(strides, fmt)
        self.dh, self.dw = _hw(dilations, fmt)
        self.kh, self.kw = khw
        explicit = ((0, 0), (0, 0))
        if isinstance(padding, (list, tuple)):
            explicit = (tuple(padding[2]), tuple(padding[3])) if fmt == "NCHW" else \
                (tuple(padding[1]), tuple(padding[2]))
            padding = "EXPLICIT"
        self.oh, self.top, self.bottom = _dim(hw[0], self.kh, self.sh, self.dh, padding,
                                              explicit[0])
        self.ow, self.left, self.right = _dim(hw[1], self.kw, self.sw, self.dw, padding,
                                              explicit[1])
        self.h, self.w = hw

    def pad(self, x, value=0.0):
        return np.pad(x, ((0, 0), (self.top, self.bottom), (self.left, self.right), (0, 0)),
                      constant_values=value)

    def crop(self, xp):
        return xp[:, self.top:self.top + self.h, self.left:self.left + self.w]

    def taps(self):
        for i in range(self.kh):
            for j in range(self.kw):
                rows = slice(i * self.dh, i * self.dh + self.sh * (self.oh - 1) + 1, self.sh)
                cols = slice(j * self.dw, j * self.dw + self.sw * (self.ow - 1) + 1, self.sw)
                yield i, j, (slice(None), rows, cols)


def conv_geometry(x_shape, f_shape, strides=(1, 1, 1, 1), padding="VALID", data_format="NHWC",
                  dilations=(1, 1, 1, 1)):
    n, h, w, c = _to_nhwc(np.empty(x_shape, np.int8), data_format).shape
    return Geometry((h, w), f_shape[:2], strides, padding, data_format, dilations)


def conv_output_shape(x_shape, f_shape, depthwise=False, **kw):
    g = conv_geometry(x_shape, f_shape, **kw)
    out = f_shape[2] * f_shape[3] if depthwise else f_shape[3]
    shape = (x_shape[0], g.oh, g.ow, out)
    return shape if kw.get("data_format", "NHWC") == "NHWC" else \
        (shape[0], shape[3], shape[1], shape[2])


# ---------------------------------------------------------------- references
def np_conv2d(x, w, strides=(1, 1, 1, 1), padding="VALID", data_format="NHWC",
              dilations=(1, 1, 1, 1), depthwise=False):
    g = conv_geometry(x.shape, w.shape, strides, padding, data_format, dilations)
    xp = g.pad(_to_nhwc(x, data_format))
    n, c = xp.shape[0], xp.shape[3]
    out = np.zeros((n, g.oh, g.ow, c * w.shape[3] if depthwise else w.shape[3]))
    for i, j, window in g.taps():
        patch = xp[window]
        if depthwise:
            out += np.einsum("nhwc,cm->nhwcm", patch, w[i, j]).reshape(out.shape)
        else:
            out += np.einsum("nhwc,co->nhwo", patch, w[i, j])
    return _from_nhwc(out, data_format).astype(x.dtype)


def np_conv2d_backprop_input(w, dy, input_sizes=None, depthwise=False, **kw):
    fmt = kw.get("data_format", "NHWC")
    x_shape = _to_nhwc(np.empty(input_sizes, np.int8), fmt).shape
    g = Geometry(x_shape[1:3], w.shape[:2], kw.get("strides", (1, 1, 1, 1)),
                 kw.get("padding", "VALID"), fmt, kw.get("dilations", (1, 1, 1, 1)))
    dy = _to_nhwc(dy, fmt)
    dxp = g.pad(np.zeros(x_shape))
    for i, j, window in g.taps():
        if depthwise:
            c, m = w.shape[2:]
            share = np.einsum("nhwcm,cm->nhwc", dy.reshape(dy.shape[:3] + (c, m)), w[i, j])
        else:
            share = np.einsum("nhwo,co->nhwc", dy, w[i, j])
        dxp[window] += share
    return _from_nhwc(g.crop(dxp), fmt).astype(dy.dtype)


def np_conv2d_backprop_filter(x, dy, filter_sizes=None, depthwise=False, **kw):
    fmt = kw.get("data_format", "NHWC")
    g = conv_geometry(x.shape, filter_sizes, kw.get("strides", (1, 1, 1, 1)),
                      kw.get("padding", "VALID"), fmt, kw.get("dilations", (1, 1, 1, 1)))
    xp = g.pad(_to_nhwc(x, fmt))
    dy = _to_nhwc(dy, fmt)
    dw = np.zeros(filter_sizes)
    for i, j, window in g.taps():
        if depthwise:
            c, m = filter_sizes[2:]
            dw[i, j] = np.einsum("nhwc,nhwcm->cm", xp[window], dy.reshape(dy.shape[:3] + (c, m)))
        else:
            dw[i, j] = np.einsum("nhwc,nhwo->co", xp[window], dy)
    return dw.astype(x.dtype)


def _pool_geometry(x, ksize, strides, padding, data_format):
    x = _to_nhwc(x, data_format)
    return x, Geometry(x.shape[1:3], _hw(ksize, data_format), strides, padding, data_format)


def np_max_pool(x, ksize, strides, padding, data_format="NHWC"):
    x, g = _pool_geometry(x, ksize, strides, padding, data_format)
    xp = g.pad(x.astype(np.float64), -np.inf)
    out = np.max([xp[window] for _, _, window in g.taps()], axis=0)
    return _from_nhwc(out, data_format).astype(x.dtype)


def np_avg_pool(x, ksize, strides, padding, data_format="NHWC"):
    x, g = _pool_geometry(x, ksize, strides, padding, data_format)
    xp, ones = g.pad(x), g.pad(np.ones_like(x))
    total = sum(xp[window] for _, _, window in g.taps())
    count = sum(ones[window] for _, _, window in g.taps())
    return _from_nhwc(total / count, data_format).astype(x.dtype)


def np_max_pool_with_argmax(x, ksize, strides, padding, include_batch_in_index=False):
    """Max pool and the flat NHWC index of each max (the first of equal maxima)."""
    _, g = _pool_geometry(x, ksize, strides, padding, "NHWC")
    n, h, w, c = x.shape
    out = np.full((n, g.oh, g.ow, c), -np.inf)
    index = np.zeros(out.shape, np.int64)
    for b in range(n):
        for y in range(g.oh):
            for xx in range(g.ow):
                for ch in range(c):
                    for i in range(g.kh):
                        for j in range(g.kw):
                            r, col = y * g.sh + i - g.top, xx * g.sw + j - g.left
                            if 0 <= r < h and 0 <= col < w and x[b, r, col, ch] > out[b, y, xx, ch]:
                                out[b, y, xx, ch] = x[b, r, col, ch]
                                flat = (r * w + col) * c + ch
                                index[b, y, xx, ch] = flat + (b * h * w * c if
                                                              include_batch_in_index else 0)
    return out.astype(x.dtype), index


def np_lrn(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    depth = x.shape[-1]
    sq = np.square(x.astype(np.float64))
    norm = np.empty_like(sq)
    for d in range(depth):
        lo, hi = max(0, d - depth_radius), min(depth, d + depth_radius + 1)
        norm[..., d] = bias + alpha * sq[..., lo:hi].sum(-1)
    return (x * norm ** -beta).astype(x.dtype)


def np_log_softmax(x, axis=-1):
    x64 = x.astype(np.float64)
    shifted = x64 - x64.max(axis, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))).astype(x.dtype)


def np_softmax(x, axis=-1):
    return np.exp(np_log_softmax(x.astype(np.float64), axis)).astype(x.dtype)


def np_bias_add(x, b, data_format="NHWC"):
    if data_format == "NCHW":
        return x + b.reshape((-1,) + (1,) * (x.ndim - 2))
    return x + b


def np_sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) /
                    (1 + np.exp(-np.abs(x))))


def np_top_k(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k].astype(np.int32)
    return np.take_along_axis(x, order, -1), order


# ---------------------------------------------------------------- convolution records
X_NHWC, X_NCHW = (2, 5, 4, 2), (2, 2, 5, 4)
F = (3, 2, 2, 3)  # an asymmetric 3x2 kernel, 2 -> 3 channels
# (input shape, conv kwargs): both formats, SAME / VALID / explicit padding, strides 1 and 2,
# dilations.
CONV_SETTINGS = [
    (X_NHWC, dict(strides=[1, 1, 1, 1], padding="SAME")),
    (X_NHWC, dict(strides=[1, 2, 2, 1], padding="SAME")),
    (X_NHWC, dict(strides=[1, 2, 2, 1], padding="VALID")),
    (X_NHWC, dict(strides=[1, 1, 1, 1], padding="VALID", dilations=[1, 2, 2, 1])),
    (X_NHWC, dict(strides=[1, 2, 1, 1], padding=[[0, 0], [1, 2], [0, 1], [0, 0]])),
    (X_NCHW, dict(strides=[1, 1, 1, 1], padding="SAME", data_format="NCHW")),
    (X_NCHW, dict(strides=[1, 1, 2, 2], padding="SAME", data_format="NCHW")),
    (X_NCHW, dict(strides=[1, 1, 2, 2], padding="VALID", data_format="NCHW")),
]


def _conv_cases(filter_shape, depthwise=False, explicit=True):
    settings = [(x, kw) for x, kw in CONV_SETTINGS if explicit or isinstance(kw["padding"], str)]
    forward, backprop_input, backprop_filter = [], [], []
    for x_shape, kw in settings:
        dy_shape = conv_output_shape(x_shape, filter_shape, depthwise=depthwise, **kw)
        forward.append(case(x_shape, filter_shape, **kw))
        backprop_input.append(case(filter_shape, dy_shape, input_sizes=list(x_shape), **kw))
        backprop_filter.append(case(x_shape, dy_shape, filter_sizes=list(filter_shape), **kw))
    return forward, backprop_input, backprop_filter


_conv, _conv_in, _conv_f = _conv_cases(F)
record("Conv2D", "nn", lambda x, w, **kw: tf.nn.conv2d(x, w, **kw), np_conv2d, _conv)
record("Conv2DBackpropInput", "nn",
       lambda w, dy, input_sizes, **kw: tf.nn.conv2d_backprop_input(input_sizes, w, dy, **kw),
       np_conv2d_backprop_input, _conv_in)
record("Conv2DBackpropFilter", "nn",
       lambda x, dy, filter_sizes, **kw: tf.nn.conv2d_backprop_filter(x, filter_sizes, dy,
                                                                      **kw),
       np_conv2d_backprop_filter, _conv_f)

DEPTHWISE_F = (3, 2, 2, 2)  # multiplier 2
_dw, _dw_in, _dw_f = _conv_cases(DEPTHWISE_F, depthwise=True, explicit=False)
record("DepthwiseConv2dNative", "nn",
       lambda x, w, **kw: tf.nn.depthwise_conv2d_native(x, w, **kw),
       lambda x, w, **kw: np_conv2d(x, w, depthwise=True, **kw), _dw)
record("DepthwiseConv2dNativeBackpropInput", "nn",
       lambda w, dy, input_sizes, **kw: tf.nn.depthwise_conv2d_native_backprop_input(
           input_sizes, w, dy, **kw),
       lambda w, dy, **kw: np_conv2d_backprop_input(w, dy, depthwise=True, **kw), _dw_in)
record("DepthwiseConv2dNativeBackpropFilter", "nn",
       lambda x, dy, filter_sizes, **kw: tf.nn.depthwise_conv2d_native_backprop_filter(
           x, filter_sizes, dy, **kw),
       lambda x, dy, **kw: np_conv2d_backprop_filter(x, dy, depthwise=True, **kw), _dw_f)

# ---------------------------------------------------------------- pooling records
POOL_SETTINGS = [
    (X_NHWC, dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")),
    (X_NHWC, dict(ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")),
    (X_NHWC, dict(ksize=[1, 3, 2, 1], strides=[1, 1, 1, 1], padding="SAME")),
    (X_NCHW, dict(ksize=[1, 1, 2, 2], strides=[1, 1, 2, 2], padding="SAME", data_format="NCHW")),
    (X_NCHW, dict(ksize=[1, 1, 3, 3], strides=[1, 1, 1, 1], padding="VALID",
                  data_format="NCHW")),
]


def _pool_output_shape(x_shape, ksize, strides, padding, data_format="NHWC"):
    return np_max_pool(np.zeros(x_shape), ksize, strides, padding, data_format).shape


record("MaxPool", "nn", lambda x, **kw: tf.nn.max_pool(x, **kw), np_max_pool,
       [case(x, **kw) for x, kw in POOL_SETTINGS], dtypes=REAL)
record("AvgPool", "nn", lambda x, **kw: tf.nn.avg_pool(x, **kw), np_avg_pool,
       [case(x, **kw) for x, kw in POOL_SETTINGS])


def _pool_grad(op_type, x, grad, data_format="NHWC", **kw):
    pooled = tf.nn.max_pool(x, data_format=data_format, **kw)
    return raw(op_type, x, pooled, grad, data_format=data_format, **kw)


def np_max_pool_grad(x, grad, ksize, strides, padding, data_format="NHWC"):
    """Each window's gradient added to its (first) max, via the argmax reference."""
    x_nhwc, g_nhwc = _to_nhwc(x, data_format), _to_nhwc(grad, data_format)
    _, index = np_max_pool_with_argmax(x_nhwc, _to_nhwc_attr(ksize, data_format),
                                       _to_nhwc_attr(strides, data_format), padding, True)
    dx = np.bincount(index.ravel(), g_nhwc.ravel(), x_nhwc.size).reshape(x_nhwc.shape)
    return _from_nhwc(dx, data_format).astype(x.dtype)


def _to_nhwc_attr(values, fmt):
    return [values[0], values[2], values[3], values[1]] if fmt == "NCHW" else list(values)


def np_avg_pool_grad(grad, orig_input_shape, ksize, strides, padding, data_format="NHWC"):
    x_shape = _to_nhwc(np.empty(orig_input_shape, np.int8), data_format).shape
    g = Geometry(x_shape[1:3], _hw(ksize, data_format), strides, padding, data_format)
    grad = _to_nhwc(grad, data_format)
    ones = g.pad(np.ones(x_shape))
    count = sum(ones[window] for _, _, window in g.taps())
    dxp = g.pad(np.zeros(x_shape))
    for _, _, window in g.taps():
        dxp[window] += grad / count
    return _from_nhwc(g.crop(dxp), data_format).astype(grad.dtype)


record("MaxPoolGrad", "nn", lambda x, g, **kw: _pool_grad("MaxPoolGrad", x, g, **kw),
       np_max_pool_grad,
       [case(x, _pool_output_shape(x, **kw), **kw) for x, kw in POOL_SETTINGS])
record("AvgPoolGrad", "nn",
       lambda g, orig_input_shape, data_format="NHWC", **kw: raw(
           "AvgPoolGrad", tf.constant(orig_input_shape), g, T=g.dtype, data_format=data_format,
           **kw),
       np_avg_pool_grad,
       [case(_pool_output_shape(x, **kw), orig_input_shape=list(x), **kw)
        for x, kw in POOL_SETTINGS])

_ARGMAX_SETTINGS = [dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID"),
                    dict(ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME",
                         include_batch_in_index=True)]
record("MaxPoolWithArgmax", "nn", lambda x, **kw: tf.nn.max_pool_with_argmax(x, **kw),
       np_max_pool_with_argmax, [case(X_NHWC, **kw) for kw in _ARGMAX_SETTINGS])


def _max_pool_grad_with_argmax(x, grad, **kw):
    _, argmax = tf.nn.max_pool_with_argmax(x, **kw)
    return raw("MaxPoolGradWithArgmax", x, grad, argmax, Targmax=argmax.dtype,
               include_batch_in_index=kw.pop("include_batch_in_index", False), **kw)


def np_max_pool_grad_with_argmax(x, grad, include_batch_in_index=False, **kw):
    _, index = np_max_pool_with_argmax(x, include_batch_in_index=True, **kw)
    return np.bincount(index.ravel(), grad.ravel(), x.size).reshape(x.shape).astype(x.dtype)


record("MaxPoolGradWithArgmax", "nn", _max_pool_grad_with_argmax, np_max_pool_grad_with_argmax,
       [case(X_NHWC, _pool_output_shape(X_NHWC, **{k: v for k, v in kw.items()
                                                  if k != "include_batch_in_index"}), **kw)
        for kw in _ARGMAX_SETTINGS])

# LRN's wrapper takes float32 only, as TF; the raw op runs the float64 gradient check.
_LRN = [case((2, 3, 2, 7)), case((1, 2, 2, 6), depth_radius=2, bias=2.0, alpha=0.5, beta=0.75),
        case((1, 2, 2, 6), depth_radius=1, bias=0.5, alpha=0.3, beta=1.0),
        case((1, 2, 2, 6), depth_radius=3, bias=1.5, alpha=0.2, beta=0.6)]
record("LRN", "nn", lambda x, **kw: raw("LRN", x, **{"depth_radius": 5, "bias": 1.0,
                                                     "alpha": 1.0, "beta": 0.5, **kw}),
       np_lrn, _LRN, rtol=1e-4)

# ---------------------------------------------------------------- softmax and cross entropy
record("Softmax", "nn", tf.nn.softmax, np_softmax,
       [case((3, 5)), case((2, 3, 4)), case((4,)), case((2, 3, 4), axis=1)])
record("LogSoftmax", "nn", tf.nn.log_softmax, np_log_softmax,
       [case((3, 5)), case((2, 3, 4)), case((3, 4), axis=0)])


def np_softmax_xent(labels, logits):
    return -(labels * np_log_softmax(logits)).sum(-1)


def np_softmax_xent_op(logits, labels):
    return np_softmax_xent(labels, logits), np_softmax(logits) - labels


def _distributions(rows, classes, seed):
    """Label rows that sum to 1: the op's logits gradient (softmax - labels) assumes it."""
    p = np.random.default_rng(seed).uniform(0.1, 1.0, (rows, classes))
    return p / p.sum(-1, keepdims=True)


record("SoftmaxCrossEntropyWithLogits", "nn",
       lambda logits, labels: list(raw("SoftmaxCrossEntropyWithLogits", logits, labels)),
       np_softmax_xent_op, [case((4, 5), arg((4, 5), values=_distributions(4, 5, 0))),
                            case((3, 6), arg((1, 6), values=_distributions(1, 6, 1)))],
       domain=(-3.0, 3.0))
_SPARSE_LABELS = arg((4,), "int32", values=[0, 4, 2, 2])


def np_sparse_xent_op(logits, labels):
    onehot = np.eye(logits.shape[1])[labels]
    return np_softmax_xent(onehot, logits), np_softmax(logits) - onehot


record("SparseSoftmaxCrossEntropyWithLogits", "nn",
       lambda logits, labels: list(raw("SparseSoftmaxCrossEntropyWithLogits", logits, labels,
                                       Tlabels=labels.dtype)),
       np_sparse_xent_op, [case((4, 5), _SPARSE_LABELS)], domain=(-3.0, 3.0))

# ---------------------------------------------------------------- bias
record("BiasAdd", "nn", tf.nn.bias_add, np_bias_add,
       [case((2, 3), (3,)), case((2, 4, 3, 5), (5,)), case((2, 5, 4, 3), (5,), data_format="NCHW")],
       dtypes=REAL)
record("BiasAddV1", "nn", tf.nn.bias_add_v1, np_bias_add, [case((2, 4, 3), (3,))])


def np_bias_add_grad(g, data_format="NHWC"):
    axis = 1 if data_format == "NCHW" else g.ndim - 1
    return g.sum(tuple(a for a in range(g.ndim) if a != axis))


record("BiasAddGrad", "nn",
       lambda g, data_format="NHWC": raw("BiasAddGrad", g, data_format=data_format),
       np_bias_add_grad,
       [case((2, 3)), case((2, 5, 4, 3), data_format="NCHW")])

# ---------------------------------------------------------------- activations and their grads
_ACT = [case((3, 4)), case(())]
_ACTIVATIONS = [
    ("Relu", tf.nn.relu, lambda x: np.maximum(x, 0), REAL, (-3.0, 3.0)),
    ("Relu6", tf.nn.relu6, lambda x: np.clip(x, 0, 6), REAL, (-3.0, 9.0)),
    ("Elu", tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), FLOAT, (-3.0, 3.0)),
    ("Selu", tf.nn.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
     FLOAT, (-3.0, 3.0)),
    ("Softplus", tf.nn.softplus, lambda x: np.logaddexp(x, 0), FLOAT, (-5.0, 5.0)),
    ("Softsign", tf.nn.softsign, lambda x: x / (1 + np.abs(x)), FLOAT, (-5.0, 5.0)),
    ("LeakyRelu", lambda x: tf.nn.leaky_relu(x, alpha=0.3),
     lambda x: np.where(x > 0, x, 0.3 * x), FLOAT, (-3.0, 3.0)),
]
for _type, _tf_fn, _np_fn, _dtypes, _domain in _ACTIVATIONS:
    record(_type, "nn", _tf_fn, _np_fn, _ACT, dtypes=_dtypes, domain=_domain)

_ACTIVATION_GRADS = [  # (op type, reference of (g, second input), attrs); the second input is
    # the forward op's output for Relu, Relu6, Elu and Selu, its input for the others
    ("ReluGrad", lambda g, y: g * (y > 0), {}),
    ("Relu6Grad", lambda g, y: g * ((y > 0) & (y < 6)), {}),
    ("EluGrad", lambda g, y: np.where(y < 0, g * (y + 1), g), {}),
    ("SeluGrad", lambda g, y: np.where(y < 0, g * (y + SELU_SCALE * SELU_ALPHA),
                                       g * SELU_SCALE), {}),
    ("SoftplusGrad", lambda g, x: g * np_sigmoid(x), {}),
    ("SoftsignGrad", lambda g, x: g / np.square(1 + np.abs(x)), {}),
    ("LeakyReluGrad", lambda g, x: np.where(x > 0, g, 0.3 * g), {"alpha": 0.3}),
]
for _type, _np_fn, _attrs in _ACTIVATION_GRADS:
    record(_type, "nn", lambda g, x, _t=_type, _a=_attrs: raw(_t, g, x, **_a), _np_fn,
           [case((3, 4), (3, 4))], domain=(-3.0, 8.0) if _type == "Relu6Grad" else (-3.0, 3.0))

# ---------------------------------------------------------------- L2 loss and top-k
record("L2Loss", "nn", tf.nn.l2_loss, lambda x: np.asarray((x.astype(np.float64) ** 2).sum() / 2,
                                                           x.dtype),
       [case((3, 4)), case(())])
record("TopKV2", "nn", lambda x, k: list(tf.nn.top_k(x, k)), np_top_k,
       [case((3, 6), k=2), case((7,), k=7), case((2, 3, 5), k=1)], dtypes=REAL, domain=(-9, 9))
record("InTopKV2", "nn", lambda p, t, k: tf.nn.in_top_k(p, t, k),
       lambda p, t, k: np.array([(p[i] > p[i, t[i]]).sum() < k for i in range(len(t))]),
       [case((4, 5), arg((4,), "int32", values=[0, 4, 2, 1]), k=2)], dtypes=("float32",),
       grad=False)
