"""torch kernels of the neural-network family (ops/nn.py); kernels/numpy/nn.py is the reference.

NHWC tensors are never transposed: an NHWC tensor viewed as NCHW (`permute(0, 3, 1, 2)`) is
torch's channels_last layout, which its CPU (oneDNN) and CUDA (cuDNN) convolutions and poolings
take and return as is. Window geometry, attr checks and their error messages are the NumPy
kernels' (`_conv_window`, `_pool_window`). TF's SAME padding puts the odd element after: where
the two sides differ, the input is padded explicitly (torch pads both sides alike).
The backprop kernels live in nn_grad.py.
"""
import torch
import torch.nn.functional as F

from tensorflux.framework import dtypes
from tensorflux.kernels.numpy.nn import (_SELU_ALPHA, _SELU_SCALE, _channel_axis, _conv_window,
                                         _invalid, _pool_window, check_lrn_grad_inputs,
                                         in_top_k_count, top_k_count)
from tensorflux.kernels.torch.library import (DENSE, FLOATS, ONEDNN_CONVOLUTION, TORCH_DTYPES,
                                              on_onednn, torch_kernel)


# ---------------------------------------------------------------------------------------------
# Layouts and padding (also used by nn_grad.py)

def nchw(x, data_format):
    """`x` as torch's NCHW: a free view of NHWC data."""
    return x.permute(0, 3, 1, 2) if data_format == "NHWC" else x


def from_nchw(y, data_format):
    return y.permute(0, 2, 3, 1) if data_format == "NHWC" else y


def nhwc_shape(x, data_format):
    n, a, b, c = tuple(x.shape)
    return (n, b, c, a) if data_format == "NCHW" else (n, a, b, c)


def nchw_memory(like):
    """Whether tensors like `like` go to cuDNN NCHW-contiguous: float32 and float64 on a GPU.
    cuDNN has few NHWC kernels for them and would transpose around its NCHW ones itself (TF's
    layout optimizer turns a GPU graph to NCHW for the same reason). Once a convolution's
    output is NCHW in memory, the ops after it keep that layout, so the next convolution
    transposes nothing. Half precision keeps NHWC, which its tensor-core kernels prefer."""
    return like.is_cuda and like.dtype != torch.float16


def device_layout(x):
    """`x` (an NCHW view) laid out as cuDNN computes it fastest (nchw_memory)."""
    return x.contiguous() if nchw_memory(x) else x


def contiguous_on_cuda(x):
    """`x` (an NCHW view) NCHW-contiguous on a GPU, in every dtype: two of torch's channels_last
    CUDA kernels are wrong (AvgPool's backward for padded windows; max pooling's index of a
    window of only -inf, which it puts at 0)."""
    return x.contiguous() if x.is_cuda else x


def empty_nchw(like, shape, data_format):
    """An uninitialised NCHW tensor of NHWC `shape`, laid out as `data_format` or as the device
    prefers (convolution backprops need a tensor of the forward's input or filter shape; its
    values are unused)."""
    n, h, w, c = shape
    if data_format == "NHWC" and not nchw_memory(like):
        return like.new_empty((n, h, w, c)).permute(0, 3, 1, 2)
    return like.new_empty((n, c, h, w))


def symmetric(win):
    return win.top == win.bottom and win.left == win.right


def torch_padding(win):
    """torch's padding for a window: its own where both sides agree, else 0 (padded before)."""
    return (win.top, win.left) if symmetric(win) else (0, 0)


def pad_nchw(x, win, value=0.0):
    """`x` (NCHW) with the window's padding added, when torch cannot pad it itself."""
    if symmetric(win):
        return x
    return F.pad(x, (win.left, win.right, win.top, win.bottom), value=value)


def padded_shape(shape, win):
    """The NHWC shape the kernel works on: padded when the padding is explicit."""
    if symmetric(win):
        return shape
    n, h, w, c = shape
    return (n, h + win.top + win.bottom, w + win.left + win.right, c)


def crop_nchw(g, win):
    """The gradient of the unpadded input from that of the explicitly padded one."""
    if symmetric(win):
        return g
    return g[:, :, win.top:win.top + win.in_h, win.left:win.left + win.in_w]


def conv_weight(filter, depthwise):
    """TF's filter [kh, kw, in, out] (depthwise: [kh, kw, in, multiplier]) as torch's."""
    if depthwise:
        kh, kw, c, m = filter.shape
        return filter.reshape(kh, kw, 1, c * m).permute(3, 2, 0, 1)
    return filter.permute(3, 2, 0, 1)


# ---------------------------------------------------------------------------------------------
# Convolutions

def convolution(op, input, filter, strides, padding, data_format, dilations, explicit_paddings,
                depthwise, bias=None, post_op=None):
    """The convolution, plus `bias` along the channels and then `post_op` (an activation,
    kernels/torch/fused.py) when given (_FusedConv2D): in one oneDNN primitive on the CPU."""
    win = _conv_window(op, nhwc_shape(input, data_format), tuple(filter.shape), strides,
                       dilations, padding, explicit_paddings, data_format, depthwise)
    x = device_layout(pad_nchw(nchw(input, data_format), win))
    groups = filter.shape[2] if depthwise else 1
    weight = conv_weight(filter, depthwise)
    if post_op is not None and post_op.onednn and ONEDNN_CONVOLUTION is not None and \
            on_onednn(x, weight):
        name, scalars = post_op.onednn
        y = ONEDNN_CONVOLUTION(x, weight, bias, list(torch_padding(win)), [win.sh, win.sw],
                               [win.dh, win.dw], groups, name, scalars, "")
        return from_nchw(y, data_format)
    y = F.conv2d(x, weight, bias, (win.sh, win.sw), torch_padding(win), (win.dh, win.dw), groups)
    return from_nchw(y if post_op is None else post_op.in_place(y), data_format)


@torch_kernel("Conv2D", types=DENSE, fresh=True)
def conv2d(input, filter, *, strides, padding, data_format="NHWC", dilations=(1, 1, 1, 1),
           explicit_paddings=()):
    return convolution("Conv2D", input, filter, strides, padding, data_format, dilations,
                        explicit_paddings, depthwise=False)


@torch_kernel("DepthwiseConv2dNative", types=DENSE, fresh=True)
def depthwise_conv2d_native(input, filter, *, strides, padding, data_format="NHWC",
                            dilations=(1, 1, 1, 1), explicit_paddings=()):
    return convolution("DepthwiseConv2dNative", input, filter, strides, padding, data_format,
                        dilations, explicit_paddings, depthwise=True)


# ---------------------------------------------------------------------------------------------
# Pooling

def pool_geometry(op, shape, ksize, strides, padding, data_format):
    """The _Window of a pooling over an input of NHWC `shape`, its kernel size and strides."""
    win = _pool_window(op, shape, ksize, strides, padding, data_format)
    return win, (win.kh, win.kw), (win.sh, win.sw)


def max_pool_input(x, win):
    """(x, padding, ceil_mode) for torch's max pooling of NCHW `x` to pad as the window does:
    torch's own padding (with ceil_mode for SAME's extra row or column after), else `x`
    padded with -inf beforehand, which costs a copy of the input (and of its gradient)."""
    if pads_itself(win):
        return x, (win.top, win.left), not symmetric(win)
    return pad_nchw(x, win, float("-inf")), (0, 0), False


def pads_itself(win):
    """Whether torch's max pooling can pad as the window does (see max_pool_input)."""
    return symmetric(win) or _padded_by_ceil_mode(win)


@torch_kernel("MaxPool", types=DENSE, fresh=True)
def max_pool(input, *, ksize, strides, padding, data_format="NHWC"):
    win, k, s = pool_geometry("MaxPool", nhwc_shape(input, data_format), ksize, strides,
                              padding, data_format)
    x, pad, ceil_mode = max_pool_input(nchw(input, data_format), win)
    return from_nchw(F.max_pool2d(x, k, s, pad, ceil_mode=ceil_mode), data_format)


def window_counts(win, like):
    """(out_h, out_w): how many unpadded elements each window covers, as a tensor like `like`."""
    return torch.as_tensor(win.counts(), dtype=like.dtype, device=like.device)


@torch_kernel("AvgPool", types=DENSE, fresh=True)
def avg_pool(value, *, ksize, strides, padding, data_format="NHWC"):
    """With SAME, a border window averages its unpadded elements only."""
    win, k, s = pool_geometry("AvgPool", nhwc_shape(value, data_format), ksize, strides,
                              padding, data_format)
    x = nchw(value, data_format)
    if symmetric(win):
        y = F.avg_pool2d(x, k, s, torch_padding(win), count_include_pad=False)
    else:
        y = F.avg_pool2d(pad_nchw(x, win), k, s, 0, divisor_override=1)
        y = y / window_counts(win, y)
    return from_nchw(y, data_format)


def _padded_by_ceil_mode(win):
    """Whether torch's ceil_mode pads as SAME does where it puts one more row or column after
    than before: the extra window ceil_mode adds at the end covers it, if the stride is over 1.
    (SAME's evenly padded sides give ceil_mode nothing to add.)"""
    return all(after == before or (after == before + 1 and stride > 1)
               for before, after, stride in ((win.top, win.bottom, win.sh),
                                             (win.left, win.right, win.sw)))


def _unpadded_index(plane, win):
    """Indices into the explicitly padded plane as indices into the input's.

    A window of only -inf keeps its first element, which may be padding: clamping moves it
    to the first real one, as TF. (In float64, exact here: torch's int64 division is slow.)
    """
    width = win.in_w + win.left + win.right
    index = plane.double()
    rows = index.div(width).floor_()
    cols = index.sub_(rows * width).sub_(win.left).clamp_(min=0)
    return rows.sub_(win.top).clamp_(min=0).mul_(win.in_w).add_(cols).long()


def max_pool_with_plane_index(x, win, k, s):
    """Max pooling of NCHW `x` and the index y * W + x of each window's maximum in its
    (unpadded) input plane."""
    n, c = x.shape[:2]
    if not n * win.out_h * win.out_w * c:  # torch refuses to make an empty output
        empty = x.new_empty((n, c, win.out_h, win.out_w))
        return empty, empty.long()
    padded, pad, ceil_mode = max_pool_input(x, win)
    values, plane = F.max_pool2d(padded, k, s, pad, ceil_mode=ceil_mode, return_indices=True)
    if padded is not x:  # indices into the padded plane
        plane = _unpadded_index(plane, win)
    return values, plane


@torch_kernel("MaxPoolWithArgmax", types=DENSE, fresh=True)
def max_pool_with_argmax(input, *, ksize, strides, padding, Targmax="int64",
                         include_batch_in_index=False):
    """MaxPool (NHWC) and the flat index ((b*H + y)*W + x)*C + c of each window's maximum, the
    batch term only with include_batch_in_index.

    torch keeps a window's first maximum in row-major order, as TF. A window holding NaN is
    where they part: torch gives its last NaN, TF a NaN only when it comes first.
    """
    win, k, s = pool_geometry("MaxPoolWithArgmax", tuple(input.shape), ksize, strides, padding,
                              "NHWC")
    n, h, w, c = input.shape
    x = contiguous_on_cuda(nchw(input, "NHWC"))
    values, plane = max_pool_with_plane_index(x, win, k, s)
    index = plane * c + torch.arange(c, device=plane.device).view(1, c, 1, 1)
    if include_batch_in_index:
        index += torch.arange(n, device=plane.device).view(n, 1, 1, 1) * (h * w * c)
    index = index.to(TORCH_DTYPES[dtypes.as_dtype(Targmax)])
    return from_nchw(values, "NHWC"), from_nchw(index, "NHWC")


# ---------------------------------------------------------------------------------------------
# Local response normalization

def _depth_window_sum(x, depth_radius):
    """sum of x[..., d - r : d + r + 1] (clipped to the depth) for every d of the last axis."""
    depth = x.shape[-1]
    total = x.clone()
    for shift in range(1, min(depth_radius, depth - 1) + 1):
        total[..., shift:] += x[..., :-shift]
        total[..., :-shift] += x[..., shift:]
    return total


def _lrn_norm(x, depth_radius, bias, alpha):
    return _depth_window_sum(x * x, depth_radius).mul_(alpha).add_(bias)


def _negative_power(x, beta):
    """x ** -beta. torch's pow costs four reciprocal square roots on the CPU, so the common
    exponents (0.75 in AlexNet and the CIFAR tutorial, 0.5 by default) are built from those."""
    if beta == 0.5:
        return x.rsqrt()
    if beta == 0.75:
        root = x.rsqrt()
        return root.mul_(root.sqrt())  # x^-1/2 * x^-1/4
    if beta == 1.0:
        return x.reciprocal()
    return x.pow(-beta)


def lrn_with_norm(input, depth_radius, bias, alpha, beta):
    """(LRN's output, its norm: bias + alpha * the window's sum of squares)."""
    if input.dim() != 4:
        raise _invalid(f"LRN: input must be 4-dimensional, got shape {list(input.shape)}")
    norm = _lrn_norm(input, int(depth_radius), bias, alpha)
    return _negative_power(norm, beta).mul_(input), norm


@torch_kernel("LRN", types=DENSE, fresh=True)
def lrn(input, *, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    return lrn_with_norm(input, depth_radius, bias, alpha, beta)[0]


@torch_kernel("LRNGrad", types=DENSE, fresh=True)
def lrn_grad(input_grads, input_image, output_image, *, depth_radius=5, bias=1.0, alpha=1.0,
             beta=0.5):
    check_lrn_grad_inputs(input_grads, input_image, output_image)
    norm = _lrn_norm(input_image, int(depth_radius), bias, alpha)
    return lrn_backprop(input_grads, input_image, output_image, norm, depth_radius, alpha, beta)


def lrn_backprop(g, x, y, norm, depth_radius, alpha, beta):
    """LRNGrad's output given the forward's norm."""
    spread = _depth_window_sum(torch.mul(g, y).div_(norm), int(depth_radius))
    return _negative_power(norm, beta).mul_(g).addcmul_(spread, x, value=-2 * alpha * beta)


# ---------------------------------------------------------------------------------------------
# Softmax and cross entropy

@torch_kernel("Softmax", types=FLOATS, fresh=True)
def softmax(logits):
    if logits.dim() < 1:
        raise _invalid(f"Softmax: logits must have >= 1 dimension, got shape "
                       f"{list(logits.shape)}")
    return torch.softmax(logits, -1)


@torch_kernel("LogSoftmax", types=FLOATS, fresh=True)
def log_softmax(logits):
    if logits.dim() < 1:
        raise _invalid(f"LogSoftmax: logits must have >= 1 dimension, got shape "
                       f"{list(logits.shape)}")
    return torch.log_softmax(logits, -1)


@torch_kernel("SoftmaxCrossEntropyWithLogits", types=FLOATS)
def softmax_cross_entropy_with_logits(features, labels):
    try:
        x, y = torch.broadcast_tensors(features, labels)
    except RuntimeError:
        raise _invalid(f"SoftmaxCrossEntropyWithLogits: logits and labels must be broadcastable:"
                       f" logits_size={list(features.shape)} labels_size="
                       f"{list(labels.shape)}") from None
    if x.dim() != 2:
        raise _invalid(f"SoftmaxCrossEntropyWithLogits: logits and labels must be either "
                       f"2-dimensional, or broadcast to be 2-dimensional, got {list(x.shape)}")
    log_p = torch.log_softmax(x, -1)
    loss = -(y * log_p).sum(-1)
    return loss, log_p.exp_().sub_(y)


def _float_features(op):
    return op.inputs[0].dtype.base_dtype in FLOATS


@torch_kernel("SparseSoftmaxCrossEntropyWithLogits", supports=_float_features)
def sparse_softmax_cross_entropy_with_logits(features, labels):
    x = features
    if x.dim() != 2:
        raise _invalid(f"SparseSoftmaxCrossEntropyWithLogits: logits must be 2-D, got shape "
                       f"{list(x.shape)}")
    if labels.dim() != 1 or labels.shape[0] != x.shape[0]:
        raise _invalid(f"SparseSoftmaxCrossEntropyWithLogits: labels must be 1-D with the batch "
                       f"size of logits: logits shape {list(x.shape)}, labels shape "
                       f"{list(labels.shape)}")
    classes = x.shape[1]
    labels = labels.long()
    valid = (labels >= 0) & (labels < classes)
    if x.device.type == "cpu" and labels.numel() and not bool(valid.all()):
        bad = int(labels.min()) if int(labels.min()) < 0 else int(labels.max())
        shown = " ".join(str(int(v)) for v in labels[:20]) + (" ..." if labels.numel() > 20
                                                               else "")
        raise _invalid(f"Received a label value of {bad} which is outside the valid range of "
                       f"[0, {classes}).  Label values: {shown}")
    # On a GPU a bad label is not checked (that would wait for the device): its row is NaN,
    # as TF's GPU kernel gives.
    picked = labels.where(valid, 0).unsqueeze(1)
    log_p = torch.log_softmax(x, -1)
    loss = -log_p.gather(1, picked).squeeze(1)
    backprop = log_p.exp_()
    backprop.scatter_add_(1, picked, torch.full_like(picked, -1, dtype=x.dtype))
    if x.device.type != "cpu":
        nan = torch.tensor(float("nan"), dtype=x.dtype, device=x.device)
        loss = loss.where(valid, nan)
        backprop = backprop.where(valid.unsqueeze(1), nan)
    return loss, backprop


@torch_kernel("L2Loss", types=FLOATS, fresh=True)
def l2_loss(t):
    flat = t.reshape(-1)
    wide = flat.float() if t.dtype == torch.float16 else flat
    return (torch.dot(wide, wide) / 2).to(t.dtype)


# ---------------------------------------------------------------------------------------------
# Top-k

def _in_top_k(op, predictions, targets, k):
    k = in_top_k_count(op, tuple(predictions.shape), tuple(targets.shape), k)
    classes = predictions.shape[1]
    targets = targets.long()
    in_range = (targets >= 0) & (targets < classes)
    if not classes:  # every target is out of range (and there is nothing to gather)
        return in_range
    target_p = predictions.gather(1, targets.where(in_range, 0).unsqueeze(1))
    # Ties count: fewer than k classes strictly more probable. A non-finite prediction
    # anywhere in a row makes the row False, as TF: p - p is 0 but for inf and nan, so the
    # row sums to 0 exactly when all are finite. (Float masks and sums: torch writes bool
    # comparisons and tests several times slower.)
    above = torch.gt(predictions, target_p, out=torch.empty_like(predictions)).sum(1)
    finite = (predictions - predictions).sum(1) == 0
    return in_range & finite & (above < k)


@torch_kernel("InTopKV2", host_inputs=(2,), fresh=True)
def in_top_k_v2(predictions, targets, k):
    return _in_top_k("InTopKV2", predictions, targets, k)


@torch_kernel("InTopK", fresh=True)
def in_top_k(predictions, targets, *, k):
    return _in_top_k("InTopK", predictions, targets, k)


def _ties_left_out(x, values):
    """Whether an element equal to the k-th largest of a row is not among its top `values`
    (torch.topk takes any of the elements tied there)."""
    kth = values[..., -1:]

    def count(t):
        # Through a float mask: torch writes a bool comparison several times slower.
        return torch.eq(t, kth, out=t.new_empty(t.shape, dtype=torch.float32)).sum(-1)
    # NaN equals nothing, so a NaN k-th counts as a tie: the caller's exact path decides.
    return bool((count(x) > count(values)).any() | kth.isnan().any())


def _top_k(op, input, k):
    """The k largest of the last axis, largest first, equal values in ascending index order."""
    k = top_k_count(op, tuple(input.shape), k)
    values, indices = torch.topk(input, k)
    if k and _ties_left_out(input, values):
        # TF takes the lowest indices among the tied elements, which a stable sort of the
        # whole row puts first.
        values, indices = torch.sort(input, dim=-1, descending=True, stable=True)
        values, indices = values[..., :k], indices[..., :k]
    else:
        # torch took the right elements; a stable sort of them by index, then by value,
        # orders equal values by index.
        indices = indices.sort(dim=-1).values
        values, order = input.gather(-1, indices).sort(dim=-1, descending=True, stable=True)
        indices = indices.gather(-1, order)
    return values, indices.to(torch.int32)


@torch_kernel("TopKV2", host_inputs=(1,))
def top_k_v2(input, k, *, sorted=True):
    return _top_k("TopKV2", input, k)


@torch_kernel("TopK")
def top_k(input, *, k, sorted=True):
    return _top_k("TopK", input, k)


# ---------------------------------------------------------------------------------------------
# Bias

@torch_kernel(("BiasAdd", "BiasAddV1"), inplace=(0,))
def bias_add(value, bias, *, data_format="NHWC", out=None):
    axis = _channel_axis("BiasAdd", value, data_format)
    if bias.dim() != 1 or bias.shape[0] != value.shape[axis]:
        raise _invalid(f"BiasAdd: bias must be 1-D with the size of value's channel dimension "
                       f"({value.shape[axis]}), got shape {list(bias.shape)}")
    return torch.add(value, bias.reshape((-1,) + (1,) * (value.dim() - 1 - axis)), out=out)


@torch_kernel("BiasAddGrad", fresh=True)
def bias_add_grad(out_backprop, *, data_format="NHWC"):
    g = out_backprop
    axis = _channel_axis("BiasAddGrad", g, data_format)
    if axis > 0 and g.dim() > 2:
        # The batch axis first: on a strided view (a SAME max pooling's cropped gradient)
        # torch's one reduction over three axes takes 25 times as long as these two.
        g, axis = g.sum(dim=0, dtype=g.dtype), axis - 1
    return g.sum(dim=tuple(a for a in range(g.dim()) if a != axis), dtype=g.dtype)


# ---------------------------------------------------------------------------------------------
# Activations and their gradients: `out=` lets the executor reuse a dying input

@torch_kernel("Relu", inplace=(0,))
def relu(features, out=None):
    return torch.clamp_min(features, 0, out=out)


def _mask(features, like, compare, bound):
    """(features compare bound) as 1s and 0s of `like`'s dtype: multiplying by a float mask
    is an order of magnitude faster in torch than by a bool one."""
    return compare(features, bound, out=torch.empty_like(like))


@torch_kernel("ReluGrad", inplace=(0,))
def relu_grad(gradients, features, out=None):
    """gradients * (features > 0): a NaN gradient stays NaN, as TF multiplies by the mask.
    Floats take ATen's one-pass ReLU backward (half the time of mask and product), which
    differs only where a feature is NaN: it passes the gradient there, where TF gives 0."""
    if gradients.is_floating_point():
        if out is None:
            return torch.ops.aten.threshold_backward(gradients, features, 0)
        return torch.ops.aten.threshold_backward.grad_input(gradients, features, 0,
                                                            grad_input=out)
    mask = _mask(features, gradients, torch.gt, 0)
    return torch.mul(gradients, mask, out=mask if out is None else out)


@torch_kernel("Relu6", inplace=(0,))
def relu6(features, out=None):
    return torch.clamp(features, 0, 6, out=out)


@torch_kernel("Relu6Grad", inplace=(0,))
def relu6_grad(gradients, features, out=None):
    mask = _mask(features, gradients, torch.gt, 0).mul_(_mask(features, gradients, torch.lt, 6))
    return torch.mul(gradients, mask, out=mask if out is None else out)


@torch_kernel("Elu", types=FLOATS, fresh=True)
def elu(features):
    return F.elu(features)


@torch_kernel("EluGrad", types=FLOATS, fresh=True)
def elu_grad(gradients, outputs):
    return torch.where(outputs < 0, gradients * (outputs + 1), gradients)


@torch_kernel("Selu", types=FLOATS, fresh=True)
def selu(features):
    return F.selu(features)


@torch_kernel("SeluGrad", types=FLOATS, fresh=True)
def selu_grad(gradients, outputs):
    return torch.where(outputs < 0, gradients * (outputs + _SELU_SCALE * _SELU_ALPHA),
                       gradients * _SELU_SCALE)


@torch_kernel("Softplus", types=FLOATS, fresh=True)
def softplus(features):
    return torch.logaddexp(features, torch.zeros((), dtype=features.dtype,
                                                 device=features.device))


@torch_kernel("SoftplusGrad", types=FLOATS, fresh=True)
def softplus_grad(gradients, features):
    return gradients * torch.sigmoid(features)


@torch_kernel("Softsign", types=FLOATS, fresh=True)
def softsign(features):
    return features / (1 + features.abs())


@torch_kernel("SoftsignGrad", types=FLOATS, fresh=True)
def softsign_grad(gradients, features):
    return gradients / (1 + features.abs()).square_()


@torch_kernel("LeakyRelu", types=FLOATS, fresh=True)
def leaky_relu(features, *, alpha=0.2):
    return torch.where(features > 0, features, features * alpha)


@torch_kernel("LeakyReluGrad", types=FLOATS, fresh=True)
def leaky_relu_grad(gradients, features, *, alpha=0.2):
    return torch.where(features > 0, gradients, gradients * alpha)


from tensorflux.kernels.torch import nn_grad  # noqa: E402,F401  (registers the backprops)
