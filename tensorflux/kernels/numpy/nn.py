"""NumPy reference kernels of the neural-network op family, with TF 1.15's semantics.

Convolutions are im2col (a strided window view, copied a few images at a time) followed by a
BLAS matmul; their input backprop scatters per-tap matmul results back with one vectorised add
per kernel tap. Pooling works tap by tap over strided views of the padded input. Every 2-D
kernel computes in NHWC and transposes NCHW on the way in and out. Half-precision inputs are
computed in float32 and rounded back. The backprop kernels of convolution and pooling live in
`nn_grad.py` (imported at the end of this module, so importing either registers both);
activation gradients sit beside their activations here.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from tensorflux.framework.errors import InvalidArgumentError, UnimplementedError
from tensorflux.framework.registry import kernel

_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


def _invalid(message):
    return InvalidArgumentError(None, None, message)


# ---------------------------------------------------------------------------------------------
# Shared helpers: dtypes, data formats and window geometry (also used by nn_grad.py)

def _compute_dtype(dtype):
    """The dtype arithmetic runs in: float32 for half-precision types, else the dtype itself."""
    dtype = np.dtype(dtype)
    if dtype.kind == "V" or (dtype.kind == "f" and dtype.itemsize < 4):
        return np.dtype(np.float32)
    return dtype


def _upcast(x):
    x = np.asarray(x)
    return x.astype(_compute_dtype(x.dtype), copy=False)


def _check_format(op, data_format):
    if data_format not in ("NHWC", "NCHW"):
        raise _invalid(f"{op}: invalid data_format {data_format!r}; expected 'NHWC' or 'NCHW'")


def _to_nhwc(x, data_format):
    x = np.asarray(x)
    if data_format == "NCHW":
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return x


def _from_nhwc(x, data_format):
    if data_format == "NCHW":
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return x


def _nhwc_shape(shape, data_format):
    shape = tuple(int(d) for d in shape)
    if data_format == "NCHW":
        return (shape[0], shape[2], shape[3], shape[1])
    return shape


def _by_dim(op, name, values, data_format):
    """A 4-element attr (strides, ksize, dilations) as (batch, height, width, depth)."""
    values = [int(v) for v in values]
    if len(values) != 4:
        raise _invalid(f"{op}: {name} must have 4 elements, got {len(values)}")
    if data_format == "NCHW":
        return values[0], values[2], values[3], values[1]
    return tuple(values)


def _explicit_pads(op, explicit_paddings, data_format):
    """EXPLICIT padding's ((top, bottom), (left, right)) from its 8 data-format-ordered ints."""
    pads = [int(p) for p in explicit_paddings]
    if len(pads) != 8:
        raise _invalid(f"{op}: explicit_paddings must have 8 elements for padding 'EXPLICIT', "
                       f"got {len(pads)}")
    if min(pads) < 0:
        raise _invalid(f"{op}: explicit_paddings must be nonnegative, got {pads}")
    pairs = [pads[0:2], pads[2:4], pads[4:6], pads[6:8]]
    n, h, w, c = (0, 2, 3, 1) if data_format == "NCHW" else (0, 1, 2, 3)
    if any(pairs[n]) or any(pairs[c]):
        raise _invalid(f"{op}: explicit_paddings must be 0 in the batch and depth dimensions, "
                       f"got {pads}")
    return tuple(pairs[h]), tuple(pairs[w])


def _windowed_size(op, size, k, stride, dilation, padding, explicit):
    """TF's output size and (before, after) padding of one spatial dimension."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + eff - size, 0)
        return out, total // 2, total - total // 2
    if padding == "VALID":
        before = after = 0
    elif padding == "EXPLICIT":
        before, after = explicit
    else:
        raise _invalid(f"{op}: invalid padding {padding!r}; expected 'SAME', 'VALID' or 'EXPLICIT'")
    numerator = size + before + after - eff + stride
    out = numerator // stride if numerator >= 0 else -(-numerator // stride)  # C's truncation
    if out < 0:
        raise _invalid(f"{op}: computed output size would be negative: {out} [input_size: "
                       f"{size}, effective_filter_size: {eff}, stride: {stride}]")
    return out, before, after


class _Window:
    """Where the windows of a 2-D convolution or pooling lie on an NHWC input."""

    __slots__ = ("kh", "kw", "sh", "sw", "dh", "dw", "in_h", "in_w", "out_h", "out_w",
                 "top", "bottom", "left", "right")

    def __init__(self, op, in_hw, k_hw, strides_hw, dilations_hw, padding, explicit_hw=None):
        explicit_hw = explicit_hw or ((0, 0), (0, 0))
        self.in_h, self.in_w = in_hw
        self.kh, self.kw = k_hw
        self.sh, self.sw = strides_hw
        self.dh, self.dw = dilations_hw
        if min(self.sh, self.sw) < 1 or min(self.dh, self.dw) < 1 or min(self.kh, self.kw) < 1:
            raise _invalid(f"{op}: window sizes, strides and dilations must be positive, got "
                           f"window {k_hw}, strides {strides_hw}, dilations {dilations_hw}")
        self.out_h, self.top, self.bottom = _windowed_size(
            op, self.in_h, self.kh, self.sh, self.dh, padding, explicit_hw[0])
        self.out_w, self.left, self.right = _windowed_size(
            op, self.in_w, self.kw, self.sw, self.dw, padding, explicit_hw[1])

    def taps(self):
        """The (tap number, row, column) of every kernel tap in window (row-major) order."""
        return [(i * self.kw + j, i, j) for i in range(self.kh) for j in range(self.kw)]

    def pad(self, x, value=0):
        """`x` (NHWC) padded on the spatial dimensions with `value`."""
        if not (self.top or self.bottom or self.left or self.right):
            return x
        widths = ((0, 0), (self.top, self.bottom), (self.left, self.right), (0, 0))
        return np.pad(x, widths, constant_values=value)

    def padded_zeros(self, batch, depth, dtype):
        shape = (batch, self.in_h + self.top + self.bottom,
                 self.in_w + self.left + self.right, depth)
        return np.zeros(shape, dtype)

    def crop(self, xp):
        """The unpadded part of a padded NHWC array."""
        return xp[:, self.top:self.top + self.in_h, self.left:self.left + self.in_w, :]

    def tap(self, xp, i, j):
        """The strided view of padded `xp` that tap (i, j) reads for every output position."""
        def span(start, stride, count):
            return slice(start, start + stride * (count - 1) + 1 if count else start, stride)
        return xp[:, span(i * self.dh, self.sh, self.out_h), span(j * self.dw, self.sw, self.out_w)]

    def patches(self, xp):
        """A (N, out_h, out_w, kh, kw, C) view of padded `xp`: every window, without copying."""
        n, _, _, c = xp.shape
        s0, s1, s2, s3 = xp.strides
        shape = (n, self.out_h, self.out_w, self.kh, self.kw, c)
        strides = (s0, s1 * self.sh, s2 * self.sw, s1 * self.dh, s2 * self.dw, s3)
        return as_strided(xp, shape, strides, writeable=False)

    def valid(self, i, j):
        """An (out_h, out_w) mask: where tap (i, j) falls inside the unpadded input."""
        rows = np.arange(self.out_h) * self.sh + i * self.dh - self.top
        cols = np.arange(self.out_w) * self.sw + j * self.dw - self.left
        return (((rows >= 0) & (rows < self.in_h))[:, None]
                & ((cols >= 0) & (cols < self.in_w))[None, :])

    def first_valid_tap(self):
        """An (out_h, out_w) array: the first tap of each window that is not padding."""
        def first(out, stride, dilation, pad):
            before = pad - np.arange(out) * stride
            return np.maximum(0, -(-before // dilation))
        rows = first(self.out_h, self.sh, self.dh, self.top)
        cols = first(self.out_w, self.sw, self.dw, self.left)
        return rows[:, None] * self.kw + cols[None, :]

    def counts(self):
        """An (out_h, out_w) array: how many unpadded input elements each window covers."""
        def count(out, stride, k, pad, size):
            start = np.arange(out) * stride - pad
            return np.minimum(start + k, size) - np.maximum(start, 0)
        return np.outer(count(self.out_h, self.sh, self.kh, self.top, self.in_h),
                        count(self.out_w, self.sw, self.kw, self.left, self.in_w))


def _conv_window(op, x_shape, f_shape, strides, dilations, padding, explicit_paddings,
                 data_format, depthwise=False):
    """Checks a convolution's shapes and attrs; returns its _Window (x_shape is NHWC)."""
    _check_format(op, data_format)
    if len(x_shape) != 4:
        raise _invalid(f"{op}: input must be 4-dimensional, got shape {list(x_shape)}")
    if len(f_shape) != 4:
        raise _invalid(f"{op}: filter must be 4-dimensional, got shape {list(f_shape)}")
    sn, sh, sw, sc = _by_dim(op, "strides", strides, data_format)
    dn, dh, dw, dc = _by_dim(op, "dilations", dilations, data_format)
    if sn != 1 or sc != 1:
        raise _invalid(f"{op}: strides in the batch and depth dimensions must be 1, "
                       f"got {list(strides)}")
    if dn != 1 or dc != 1:
        raise _invalid(f"{op}: dilations in the batch and depth dimensions must be 1, "
                       f"got {list(dilations)}")
    if x_shape[3] != f_shape[2]:
        what = "in_channels" if depthwise else "in_depth"
        raise _invalid(f"{op}: input depth {x_shape[3]} must equal the filter's {what} "
                       f"{f_shape[2]}")
    explicit = None
    if padding == "EXPLICIT":
        explicit = _explicit_pads(op, explicit_paddings, data_format)
    return _Window(op, x_shape[1:3], f_shape[0:2], (sh, sw), (dh, dw), padding, explicit)


def _pool_window(op, x_shape, ksize, strides, padding, data_format):
    """Checks a pooling's shapes and attrs; returns its _Window (x_shape is NHWC)."""
    _check_format(op, data_format)
    if len(x_shape) != 4:
        raise _invalid(f"{op}: input must be 4-dimensional, got shape {list(x_shape)}")
    kn, kh, kw, kc = _by_dim(op, "ksize", ksize, data_format)
    sn, sh, sw, sc = _by_dim(op, "strides", strides, data_format)
    if kn != 1 or sn != 1:
        raise UnimplementedError(None, None, f"{op}: pooling over the batch dimension is not "
                                 f"supported (ksize {list(ksize)}, strides {list(strides)})")
    if kc != 1 or sc != 1:
        raise UnimplementedError(None, None, f"{op}: pooling over the depth dimension is not "
                                 f"supported (ksize {list(ksize)}, strides {list(strides)})")
    if padding not in ("SAME", "VALID"):
        raise _invalid(f"{op}: invalid padding {padding!r}; expected 'SAME' or 'VALID'")
    return _Window(op, x_shape[1:3], (kh, kw), (sh, sw), (1, 1), padding)


def _lowest(dtype):
    """Below every value: -inf, or the least integer."""
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind in "fV" else np.iinfo(dtype).min


def _lowest_finite(dtype):
    """The least finite value, where TF's MaxPool starts each window."""
    dtype = np.dtype(dtype)
    return np.finfo(dtype).min if dtype.kind == "f" else _lowest(dtype)


def _tap_index_dtype(win):
    return np.dtype(np.int8 if win.kh * win.kw <= 127 else np.int32)


def _first_max(x, win):
    """Max over each window and the tap that holds it, as TF picks it.

    TF scans a window's unpadded elements in row-major order and moves to a later element only
    when it is strictly greater, so ties keep the first. Taps are visited in that order, so
    "the latest tap that was strictly greater" is a running maximum of tap numbers: branch-free
    arithmetic, several times faster than masked copies on random data. NaN breaks the
    arithmetic (it compares false yet propagates), so windows holding one take the exact path.
    """
    shape = (x.shape[0], win.out_h, win.out_w, x.shape[3])
    lowest = _lowest(x.dtype)
    xp = win.pad(x, lowest)
    index_dtype = _tap_index_dtype(win)
    taps = win.taps()
    if xp is x:  # no padding: every window starts at its tap 0
        best = win.tap(x, 0, 0).copy()
        arg = np.zeros(shape, index_dtype)
        taps = taps[1:]
    else:
        best = np.full(shape, lowest, x.dtype)
        arg = np.empty(shape, index_dtype)
        arg[...] = win.first_valid_tap()[None, :, :, None]
    greater = np.empty(shape, bool)
    bump = np.empty(shape, index_dtype)
    for t, i, j in taps:
        v = win.tap(xp, i, j)
        np.greater(v, best, out=greater)
        np.multiply(greater, index_dtype.type(t), out=bump)
        np.maximum(arg, bump, out=arg)
        np.maximum(best, v, out=best)
    if x.dtype.kind in "fV" and np.isnan(best).any():
        return _first_max_with_nan(x, win)
    return best, arg


def _first_max_with_nan(x, win):
    """_first_max by masked updates: a NaN met first stays the max, a NaN met later is skipped."""
    shape = (x.shape[0], win.out_h, win.out_w, x.shape[3])
    xp = win.pad(x)
    best = np.zeros(shape, x.dtype)
    arg = np.full(shape, -1, _tap_index_dtype(win))
    for t, i, j in win.taps():
        v = win.tap(xp, i, j)
        take = ((v > best) | (arg < 0)) & win.valid(i, j)[None, :, :, None]
        np.copyto(best, v, where=take)
        np.copyto(arg, t, where=take)
    return best, arg


# Work arrays (im2col matrices) are built a few images at a time, about this many bytes each:
# small enough to stay in cache and to reuse one buffer; allocating a fresh 30 MB matrix per
# call costs more in page faults than its matmul.
_BLOCK_BYTES = 1 << 22


def _batch_blocks(batch, bytes_per_image):
    """(start, stop) ranges over the batch, each about _BLOCK_BYTES of work array."""
    step = max(1, _BLOCK_BYTES // max(bytes_per_image, 1))
    return [(start, min(start + step, batch)) for start in range(0, batch, step)]


def _im2col_blocks(xp, win):
    """Yields (start, stop, cols): the windows of images start:stop of padded `xp`, one row
    per output position, as a (rows, kh*kw*C) matrix. `cols` is overwritten by the next block.

    With few channels the rows are gathered tap by tap into a (kh*kw*C, rows) array that is
    yielded transposed (BLAS reads either layout): copying runs of whole output rows per tap is
    several times faster than copying windows of one or two elements.
    """
    n, c = xp.shape[0], xp.shape[3]
    k = win.kh * win.kw * c
    patches = win.patches(xp)
    buf = None
    for start, stop in _batch_blocks(n, win.out_h * win.out_w * k * xp.itemsize):
        if c > 2:
            shape = (stop - start,) + patches.shape[1:]
        else:
            shape = (win.kh, win.kw, c, stop - start, win.out_h, win.out_w)
        if buf is None or buf.shape != shape:
            buf = np.empty(shape, xp.dtype)
        if c > 2:
            np.copyto(buf, patches[start:stop])
            yield start, stop, buf.reshape(-1, k)
        else:
            for _, i, j in win.taps():
                buf[i, j] = win.tap(xp[start:stop], i, j).transpose(3, 0, 1, 2)
            yield start, stop, buf.reshape(k, -1).T


# ---------------------------------------------------------------------------------------------
# Convolutions

@kernel("Conv2D")
def conv2d(input, filter, *, strides, padding, data_format="NHWC", dilations=(1, 1, 1, 1),
           explicit_paddings=()):
    """2-D cross-correlation of `input` with filter [kh, kw, in_depth, out_depth].

    SAME pads ceil-output style with the odd pad element after; EXPLICIT takes
    explicit_paddings in data_format order. Output dtype is the input's.
    """
    dtype = np.asarray(input).dtype
    x = _upcast(_to_nhwc(input, data_format))
    w = _upcast(filter)
    win = _conv_window("Conv2D", x.shape, w.shape, strides, dilations, padding,
                       explicit_paddings, data_format)
    kh, kw, c, o = w.shape
    w2d = w.reshape(kh * kw * c, o)
    out = np.empty((x.shape[0], win.out_h, win.out_w, o), x.dtype)
    for start, stop, cols in _im2col_blocks(win.pad(x), win):
        np.matmul(cols, w2d, out=out[start:stop].reshape(-1, o))
    return _from_nhwc(out.astype(dtype, copy=False), data_format)


@kernel("DepthwiseConv2dNative")
def depthwise_conv2d_native(input, filter, *, strides, padding, data_format="NHWC",
                            dilations=(1, 1, 1, 1), explicit_paddings=()):
    """Per-channel 2-D convolution with filter [kh, kw, in_channels, multiplier].

    Output channel c * multiplier + m is input channel c convolved with filter[:, :, c, m].
    """
    dtype = np.asarray(input).dtype
    x = _upcast(_to_nhwc(input, data_format))
    w = _upcast(filter)
    win = _conv_window("DepthwiseConv2dNative", x.shape, w.shape, strides, dilations, padding,
                       explicit_paddings, data_format, depthwise=True)
    xp = win.pad(x)
    n, c, m = x.shape[0], w.shape[2], w.shape[3]
    out = np.zeros((n, win.out_h, win.out_w, c, m), x.dtype)
    for _, i, j in win.taps():
        out += win.tap(xp, i, j)[..., None] * w[i, j]
    out = out.reshape(n, win.out_h, win.out_w, c * m)
    return _from_nhwc(out.astype(dtype, copy=False), data_format)


# ---------------------------------------------------------------------------------------------
# Pooling

@kernel("MaxPool")
def max_pool(input, *, ksize, strides, padding, data_format="NHWC"):
    """Max over each window, as TF's CPU kernel takes it: starting from the least finite value
    and skipping NaN, so a window of only -inf or NaN gives that least finite value."""
    x = _to_nhwc(input, data_format)
    win = _pool_window("MaxPool", x.shape, ksize, strides, padding, data_format)
    floor = _lowest_finite(x.dtype)
    xp = win.pad(x, floor)
    out = np.full((x.shape[0], win.out_h, win.out_w, x.shape[3]), floor, x.dtype)
    for _, i, j in win.taps():
        np.fmax(out, win.tap(xp, i, j), out=out)
    return _from_nhwc(out, data_format)


@kernel("AvgPool")
def avg_pool(value, *, ksize, strides, padding, data_format="NHWC"):
    """Mean over each window; with SAME, a border window averages its unpadded elements only."""
    dtype = np.asarray(value).dtype
    x = _upcast(_to_nhwc(value, data_format))
    win = _pool_window("AvgPool", x.shape, ksize, strides, padding, data_format)
    xp = win.pad(x)
    total = np.zeros((x.shape[0], win.out_h, win.out_w, x.shape[3]), x.dtype)
    for _, i, j in win.taps():
        total += win.tap(xp, i, j)
    out = total / win.counts().astype(x.dtype)[None, :, :, None]
    return _from_nhwc(out.astype(dtype, copy=False), data_format)


@kernel("MaxPoolWithArgmax")
def max_pool_with_argmax(input, *, ksize, strides, padding, Targmax="int64",
                         include_batch_in_index=False):
    """MaxPool (NHWC) and where each max came from, as the flat index ((b*H + y)*W + x)*C + c.

    The batch term is there only with include_batch_in_index; ties keep the first element.
    """
    x = np.asarray(input)
    win = _pool_window("MaxPoolWithArgmax", x.shape, ksize, strides, padding, "NHWC")
    out, arg = _first_max(x, win)
    n, h, w, c = x.shape
    index = plane_index(win, arg, w) * c + np.arange(c)
    if include_batch_in_index:
        index += (np.arange(n, dtype=np.int64) * (h * w * c))[:, None, None, None]
    return out, index.astype(np.dtype(getattr(Targmax, "as_numpy_dtype", Targmax)))


def _window_origins(win):
    """(rows, cols) of each window's first tap in the input, shaped to broadcast over NHWC."""
    rows = (np.arange(win.out_h, dtype=np.int64) * win.sh - win.top)[None, :, None, None]
    cols = (np.arange(win.out_w, dtype=np.int64) * win.sw - win.left)[None, None, :, None]
    return rows, cols


def plane_index(win, tap, width):
    """The index y * width + x in its image's plane of each window's tap `tap` (NHWC)."""
    rows, cols = _window_origins(win)
    return (rows + tap // win.kw) * width + cols + tap % win.kw


def window_tap(win, index, width):
    """plane_index's inverse: the tap of each window that plane `index` names."""
    rows, cols = _window_origins(win)
    return (index // width - rows) * win.kw + index % width - cols


# ---------------------------------------------------------------------------------------------
# Local response normalization

def _depth_window_sum(x, depth_radius):
    """sum of x[..., d - r : d + r + 1] (clipped to the depth) for every d of the last axis."""
    depth = x.shape[-1]
    total = x.copy()
    for shift in range(1, min(depth_radius, depth - 1) + 1):
        total[..., shift:] += x[..., :-shift]
        total[..., :-shift] += x[..., shift:]
    return total


def _lrn_norm(x, depth_radius, bias, alpha):
    return bias + alpha * _depth_window_sum(np.square(x), depth_radius)


def lrn_with_norm(input, depth_radius, bias, alpha, beta):
    """(LRN's output, its norm: bias + alpha * the window's sum of squares), both in the
    input's dtype."""
    dtype = np.asarray(input).dtype
    x = _upcast(input)
    if x.ndim != 4:
        raise _invalid(f"LRN: input must be 4-dimensional, got shape {list(x.shape)}")
    norm = _lrn_norm(x, int(depth_radius), bias, alpha)
    return (x * norm ** -beta).astype(dtype, copy=False), norm.astype(dtype, copy=False)


@kernel("LRN")
def lrn(input, *, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """input / (bias + alpha * sum of input**2 over depth_radius neighbours) ** beta (last axis)."""
    return lrn_with_norm(input, depth_radius, bias, alpha, beta)[0]


def check_lrn_grad_inputs(g, x, y):
    if not (g.shape == x.shape == y.shape) or x.ndim != 4:
        raise _invalid(f"LRNGrad: input_grads, input_image and output_image must be 4-dimensional"
                       f" and of one shape, got {list(g.shape)}, {list(x.shape)}, "
                       f"{list(y.shape)}")


@kernel("LRNGrad")
def lrn_grad(input_grads, input_image, output_image, *, depth_radius=5, bias=1.0, alpha=1.0,
             beta=0.5):
    """Gradient of LRN: g * N**-beta - 2*alpha*beta * x * window_sum(g * y / N)."""
    x = _upcast(input_image)
    check_lrn_grad_inputs(np.asarray(input_grads), x, np.asarray(output_image))
    return lrn_backprop(input_grads, x, output_image,
                        _lrn_norm(x, int(depth_radius), bias, alpha), depth_radius, alpha, beta)


def lrn_backprop(input_grads, input_image, output_image, norm, depth_radius, alpha, beta):
    """LRNGrad's output given the forward's norm."""
    dtype = np.asarray(input_grads).dtype
    g, x, y = _upcast(input_grads), _upcast(input_image), _upcast(output_image)
    spread = _depth_window_sum(g * y / norm, int(depth_radius))
    out = g * norm ** -beta - (2 * alpha * beta) * x * spread
    return out.astype(dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# Softmax and cross entropy

def _log_softmax(logits):
    if logits.shape[-1] == 0:  # nothing to normalise, and np.max refuses an empty axis
        return logits.copy()
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


@kernel("Softmax")
def softmax(logits):
    """exp(logits) / sum(exp(logits)) over the last axis, shifted by the max for stability."""
    x = np.asarray(logits)
    if x.ndim < 1:
        raise _invalid(f"Softmax: logits must have >= 1 dimension, got shape {list(x.shape)}")
    return np.exp(_log_softmax(_upcast(x))).astype(x.dtype, copy=False)


@kernel("LogSoftmax")
def log_softmax(logits):
    """logits - log(sum(exp(logits))) over the last axis, computed stably."""
    x = np.asarray(logits)
    if x.ndim < 1:
        raise _invalid(f"LogSoftmax: logits must have >= 1 dimension, got shape {list(x.shape)}")
    return _log_softmax(_upcast(x)).astype(x.dtype, copy=False)


@kernel("SoftmaxCrossEntropyWithLogits")
def softmax_cross_entropy_with_logits(features, labels):
    """(loss[batch], backprop[batch, classes]) = (-sum(labels * log_softmax), softmax - labels).

    features and labels are 2-D, or broadcast to 2-D (e.g. one row of labels for every row).
    """
    dtype = np.asarray(features).dtype
    x, y = _upcast(features), _upcast(labels)
    try:
        x, y = np.broadcast_arrays(x, y)
    except ValueError:
        raise _invalid(f"SoftmaxCrossEntropyWithLogits: logits and labels must be broadcastable:"
                       f" logits_size={list(x.shape)} labels_size={list(y.shape)}") from None
    if x.ndim != 2:
        raise _invalid(f"SoftmaxCrossEntropyWithLogits: logits and labels must be either "
                       f"2-dimensional, or broadcast to be 2-dimensional, got {list(x.shape)}")
    log_p = _log_softmax(x)
    loss = -np.sum(y * log_p, axis=-1)
    backprop = np.exp(log_p) - y
    return loss.astype(dtype, copy=False), backprop.astype(dtype, copy=False)


@kernel("SparseSoftmaxCrossEntropyWithLogits")
def sparse_softmax_cross_entropy_with_logits(features, labels):
    """Cross entropy against class indices: (loss[batch], softmax - one_hot(labels)).

    A label outside [0, classes) raises InvalidArgumentError naming it and the valid range.
    """
    dtype = np.asarray(features).dtype
    x, labels = _upcast(features), np.asarray(labels)
    if x.ndim != 2:
        raise _invalid(f"SparseSoftmaxCrossEntropyWithLogits: logits must be 2-D, got shape "
                       f"{list(x.shape)}")
    if labels.ndim != 1 or labels.shape[0] != x.shape[0]:
        raise _invalid(f"SparseSoftmaxCrossEntropyWithLogits: labels must be 1-D with the batch "
                       f"size of logits: logits shape {list(x.shape)}, labels shape "
                       f"{list(labels.shape)}")
    classes = x.shape[1]
    if classes == 0 and x.shape[0]:
        raise _invalid(f"SparseSoftmaxCrossEntropyWithLogits: must have at least one class, got "
                       f"logits shape {list(x.shape)}")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels.min() if labels.min() < 0 else labels.max()
        shown = " ".join(str(v) for v in labels[:20]) + (" ..." if labels.size > 20 else "")
        raise _invalid(f"Received a label value of {bad} which is outside the valid range of "
                       f"[0, {classes}).  Label values: {shown}")
    rows = np.arange(x.shape[0])
    log_p = _log_softmax(x)
    loss = -log_p[rows, labels]
    backprop = np.exp(log_p)
    backprop[rows, labels] -= 1
    return loss.astype(dtype, copy=False), backprop.astype(dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# Bias

def _channel_axis(op, x, data_format):
    _check_format(op, data_format)
    if x.ndim < 2:
        raise _invalid(f"{op}: input must be at least 2-D, got shape {list(x.shape)}")
    return 1 if data_format == "NCHW" else x.ndim - 1


@kernel(("BiasAdd", "BiasAddV1"))
def bias_add(value, bias, *, data_format="NHWC"):
    """value + bias along the channel axis: the last for NHWC, axis 1 for NCHW."""
    x, b = np.asarray(value), np.asarray(bias)
    axis = _channel_axis("BiasAdd", x, data_format)
    if b.ndim != 1 or b.shape[0] != x.shape[axis]:
        raise _invalid(f"BiasAdd: bias must be 1-D with the size of value's channel dimension "
                       f"({x.shape[axis]}), got shape {list(b.shape)}")
    return x + b.reshape((-1,) + (1,) * (x.ndim - 1 - axis))


@kernel("BiasAddGrad")
def bias_add_grad(out_backprop, *, data_format="NHWC"):
    """The sum of out_backprop over every axis but the channel axis."""
    g = np.asarray(out_backprop)
    axis = _channel_axis("BiasAddGrad", g, data_format)
    axes = tuple(a for a in range(g.ndim) if a != axis)
    return np.sum(_upcast(g), axis=axes).astype(g.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# Activations and their gradients

def _scalar(value, dtype):
    return np.asarray(value, dtype=dtype)[()]


@kernel("Relu")
def relu(features):
    x = np.asarray(features)
    return np.maximum(x, _scalar(0, x.dtype))


@kernel("ReluGrad")
def relu_grad(gradients, features):
    """gradients * (features > 0); a NaN gradient stays NaN, as TF multiplies by the mask."""
    return np.multiply(gradients, np.asarray(features) > 0)


@kernel("Relu6")
def relu6(features):
    x = np.asarray(features)
    return np.minimum(np.maximum(x, _scalar(0, x.dtype)), _scalar(6, x.dtype))


@kernel("Relu6Grad")
def relu6_grad(gradients, features):
    x = np.asarray(features)
    return np.multiply(gradients, (x > 0) & (x < 6))


@kernel("Elu")
def elu(features):
    """features if > 0 else exp(features) - 1."""
    x = np.asarray(features)
    z = _upcast(x)
    return np.where(z < 0, np.expm1(np.minimum(z, 0)), z).astype(x.dtype, copy=False)


@kernel("EluGrad")
def elu_grad(gradients, outputs):
    """From Elu's outputs y: gradients * (y + 1) where y < 0, else gradients."""
    g, y = np.asarray(gradients), np.asarray(outputs)
    return np.where(y < 0, g * (y + _scalar(1, y.dtype)), g).astype(g.dtype, copy=False)


@kernel("Selu")
def selu(features):
    """scale * features if > 0 else scale * alpha * (exp(features) - 1)."""
    x = np.asarray(features)
    z = _upcast(x)
    out = np.where(z < 0, (_SELU_SCALE * _SELU_ALPHA) * np.expm1(np.minimum(z, 0)),
                   _SELU_SCALE * z)
    return out.astype(x.dtype, copy=False)


@kernel("SeluGrad")
def selu_grad(gradients, outputs):
    """From Selu's outputs y: gradients * (y + scale * alpha) where y < 0, else * scale."""
    g, y = _upcast(gradients), _upcast(outputs)
    out = np.where(y < 0, g * (y + _SELU_SCALE * _SELU_ALPHA), g * _SELU_SCALE)
    return out.astype(np.asarray(gradients).dtype, copy=False)


@kernel("Softplus")
def softplus(features):
    """log(exp(features) + 1), without overflow for large features."""
    x = np.asarray(features)
    return np.logaddexp(_upcast(x), 0).astype(x.dtype, copy=False)


@kernel("SoftplusGrad")
def softplus_grad(gradients, features):
    """gradients * sigmoid(features), from whichever form of sigmoid cannot overflow."""
    g, x = _upcast(gradients), _upcast(features)
    e = np.exp(-np.abs(x))
    sigmoid = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return (g * sigmoid).astype(np.asarray(gradients).dtype, copy=False)


@kernel("Softsign")
def softsign(features):
    """features / (1 + |features|)."""
    x = np.asarray(features)
    return x / (1 + np.abs(x))


@kernel("SoftsignGrad")
def softsign_grad(gradients, features):
    """gradients / (1 + |features|) ** 2."""
    g, x = np.asarray(gradients), np.asarray(features)
    return g / np.square(1 + np.abs(x))


@kernel("LeakyRelu")
def leaky_relu(features, *, alpha=0.2):
    """features if > 0 else alpha * features."""
    x = np.asarray(features)
    return np.where(x > 0, x, x * _scalar(alpha, x.dtype))


@kernel("LeakyReluGrad")
def leaky_relu_grad(gradients, features, *, alpha=0.2):
    """gradients where features > 0, else alpha * gradients."""
    g, x = np.asarray(gradients), np.asarray(features)
    return np.where(x > 0, g, g * _scalar(alpha, g.dtype))


# ---------------------------------------------------------------------------------------------
# Losses and top-k

@kernel("L2Loss")
def l2_loss(t):
    """sum(t ** 2) / 2, a scalar of t's dtype."""
    x = np.asarray(t)
    return np.asarray(np.sum(np.square(_upcast(x))) / 2, dtype=x.dtype)


def in_top_k_count(op, predictions_shape, targets_shape, k):
    """InTopK's k as an int, after checking the shapes as TF does."""
    if len(predictions_shape) != 2:
        raise _invalid(f"{op}: predictions must be 2-dimensional, got shape "
                       f"{list(predictions_shape)}")
    if len(targets_shape) != 1 or targets_shape[0] != predictions_shape[0]:
        raise _invalid(f"{op}: targets must be 1-dimensional with the batch size of predictions "
                       f"({predictions_shape[0]}), got shape {list(targets_shape)}")
    return int(np.asarray(k).reshape(()))


def _in_top_k(op, predictions, targets, k):
    p, targets = np.asarray(predictions), np.asarray(targets)
    k = in_top_k_count(op, p.shape, targets.shape, k)
    classes = p.shape[1]
    in_range = (targets >= 0) & (targets < classes)
    if not classes:  # every target is out of range (and there is nothing to index)
        return in_range
    rows = np.arange(p.shape[0])
    target_p = p[rows, np.where(in_range, targets, 0)]
    # A target is in the top k when fewer than k classes are strictly more probable, so ties
    # all count; any non-finite prediction in a row makes that row False.
    above = np.sum(p > target_p[:, None], axis=1)
    finite = np.all(np.isfinite(p), axis=1)
    return in_range & finite & (above < k)


@kernel("InTopKV2")
def in_top_k_v2(predictions, targets, k):
    """Whether each target class is among its row's k largest predictions (ties count)."""
    return _in_top_k("InTopKV2", predictions, targets, k)


@kernel("InTopK")
def in_top_k(predictions, targets, *, k):
    """InTopKV2 with k as an attr."""
    return _in_top_k("InTopK", predictions, targets, k)


def top_k_count(op, input_shape, k):
    """TopK's k as an int, after checking it against the input's shape as TF does."""
    k = int(np.asarray(k).reshape(()))
    if len(input_shape) < 1:
        raise _invalid(f"{op}: input must be at least 1-D, got shape {list(input_shape)}")
    if k < 0:
        raise _invalid(f"{op}: need k >= 0, got {k}")
    if input_shape[-1] < k:
        raise _invalid(f"{op}: input must have at least k={k} columns, got {input_shape[-1]}")
    return k


def _top_k(op, input, k):
    x = np.asarray(input)
    k = top_k_count(op, x.shape, k)
    n = x.shape[-1]
    # A stable ascending sort of the reversed row, read backwards, is descending with ties in
    # ascending index order (and NaN, sorted last, comes first as TF ranks it).
    order = np.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
    indices = (n - 1 - order).astype(np.int32)
    return np.take_along_axis(x, indices, axis=-1), indices


@kernel("TopKV2")
def top_k_v2(input, k, *, sorted=True):
    """The k largest entries of the last axis and their int32 indices, largest first.

    Equal values come in ascending index order. With sorted=False TF leaves the order
    unspecified; this kernel returns them sorted all the same.
    """
    return _top_k("TopKV2", input, k)


@kernel("TopK")
def top_k(input, *, k, sorted=True):
    """TopKV2 with k as an attr."""
    return _top_k("TopK", input, k)


# Last, because nn_grad builds on the helpers above: importing nn registers the backprops too.
from tensorflux.kernels.numpy import nn_grad  # noqa: E402,F401
