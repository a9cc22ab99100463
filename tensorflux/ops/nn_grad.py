"""Gradients of the neural-network family (ops/nn.py), built from public ops only.

Convolution and pooling gradients are their backprop ops with the forward op's attrs; the
backprop ops have gradients of their own (convolutions of the incoming gradient), so second
derivatives and conv2d_transpose are differentiable too.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.registry import gradient, not_differentiable
from tensorflux.ops import array, math, nn
from tensorflux.ops.array_grad import reduce_to_shape
from tensorflux.ops.op_util import apply_op

not_differentiable("InTopK", "InTopKV2")


def _like(op_type, inputs, op):
    """An op of `op_type` with `op`'s attrs (strides, padding, data format, ...)."""
    attrs = {k: v for k, v in op.attrs.items() if not k.startswith("_")}
    return apply_op(op_type, inputs, attrs, op_type)


def _with_t(op_type, inputs, op, **extra):
    """An op of `op_type` taking only `op`'s dtype attr T, plus `extra` attrs."""
    return apply_op(op_type, inputs, {"T": op.attrs["T"], **extra}, op_type)


def _is_zero(grad):
    """Whether `grad` is the zeros tf.gradients fills in for an output nothing depends on."""
    return grad is None or grad.op.type == "ZerosLike"


# ---------------------------------------------------------------------------------------------
# Convolutions: d/dinput and d/dfilter are the two backprop ops; each backprop op is linear in
# its two tensor inputs, so its gradients are the other two of {forward, backprops}.

@gradient("Conv2D")
def _conv2d_grad(op, grad):
    x, f = op.inputs
    return [_like("Conv2DBackpropInput", [array.shape(x), f, grad], op),
            _like("Conv2DBackpropFilter", [x, array.shape(f), grad], op)]


@gradient("Conv2DBackpropInput")
def _conv2d_backprop_input_grad(op, grad):
    _, f, dy = op.inputs
    return [None, _like("Conv2DBackpropFilter", [grad, array.shape(f), dy], op),
            _like("Conv2D", [grad, f], op)]


@gradient("Conv2DBackpropFilter")
def _conv2d_backprop_filter_grad(op, grad):
    x, _, dy = op.inputs
    return [_like("Conv2DBackpropInput", [array.shape(x), grad, dy], op), None,
            _like("Conv2D", [x, grad], op)]


@gradient("DepthwiseConv2dNative")
def _depthwise_grad(op, grad):
    x, f = op.inputs
    return [_like("DepthwiseConv2dNativeBackpropInput", [array.shape(x), f, grad], op),
            _like("DepthwiseConv2dNativeBackpropFilter", [x, array.shape(f), grad], op)]


@gradient("DepthwiseConv2dNativeBackpropInput")
def _depthwise_backprop_input_grad(op, grad):
    _, f, dy = op.inputs
    return [None, _like("DepthwiseConv2dNativeBackpropFilter", [grad, array.shape(f), dy], op),
            _like("DepthwiseConv2dNative", [grad, f], op)]


@gradient("DepthwiseConv2dNativeBackpropFilter")
def _depthwise_backprop_filter_grad(op, grad):
    x, _, dy = op.inputs
    return [_like("DepthwiseConv2dNativeBackpropInput", [array.shape(x), grad, dy], op), None,
            _like("DepthwiseConv2dNative", [x, grad], op)]


# ---------------------------------------------------------------------------------------------
# Pooling

@gradient("MaxPool")
def _max_pool_grad(op, grad):
    return [_like("MaxPoolGrad", [op.inputs[0], op.outputs[0], grad], op)]


def _nhwc(x, data_format):
    return array.transpose(x, [0, 2, 3, 1]) if data_format == "NCHW" else x


def _from_nhwc(x, data_format):
    return array.transpose(x, [0, 3, 1, 2]) if data_format == "NCHW" else x


@gradient("MaxPoolGrad")
def _max_pool_grad_grad(op, grad):
    """MaxPoolGrad is linear in its `grad` input, routing each window's value to the window's
    max: its gradient reads `grad`'s upstream gradient back at those maxima (MaxPoolWithArgmax
    finds them with the same first-of-equals rule)."""
    x, y, _ = op.inputs
    fmt = op.attrs["data_format"]
    order = [0, 2, 3, 1] if fmt == "NCHW" else [0, 1, 2, 3]
    attrs = {"T": op.attrs["T"], "Targmax": dtypes.int64, "include_batch_in_index": True,
             "padding": op.attrs["padding"],
             "ksize": [op.attrs["ksize"][i] for i in order],
             "strides": [op.attrs["strides"][i] for i in order]}
    _, argmax = apply_op("MaxPoolWithArgmax", [_nhwc(x, fmt)], attrs, "MaxPoolWithArgmax")
    picked = array.gather(array.reshape(_nhwc(grad, fmt), [-1]), argmax)
    return [array.zeros_like(x), array.zeros_like(y), _from_nhwc(picked, fmt)]


@gradient("AvgPool")
def _avg_pool_grad(op, grad):
    return [_like("AvgPoolGrad", [array.shape(op.inputs[0]), grad], op)]


@gradient("AvgPoolGrad")
def _avg_pool_grad_grad(op, grad):
    return [None, _like("AvgPool", [grad], op)]


@gradient("MaxPoolWithArgmax")
def _max_pool_with_argmax_grad(op, grad, unused_argmax_grad):
    attrs = {k: v for k, v in op.attrs.items() if not k.startswith("_")}
    return [apply_op("MaxPoolGradWithArgmax", [op.inputs[0], grad, op.outputs[1]], attrs,
                     "MaxPoolGradWithArgmax")]


@gradient("MaxPoolGradWithArgmax")
def _max_pool_grad_with_argmax_grad(op, grad):
    """Linear in `grad`: reads the upstream gradient back at the argmax positions."""
    x, _, argmax = op.inputs
    index = argmax
    if not op.attrs.get("include_batch_in_index", False):
        sizes = array.shape(x, out_type=argmax.dtype.base_dtype)
        per_image = math.reduce_prod(sizes[1:])
        starts = math.multiply(array.range_(0, sizes[0], dtype=argmax.dtype.base_dtype),
                               per_image)
        index = math.add(argmax, array.reshape(starts, [-1, 1, 1, 1]))
    picked = array.gather(array.reshape(grad, [-1]), index)
    return [array.zeros_like(x), picked, None]


@gradient("LRN")
def _lrn_grad(op, grad):
    return [_like("LRNGrad", [grad, op.inputs[0], op.outputs[0]], op)]


def _depth_window_sum(v, depth_radius):
    """The sum of v over the depth_radius neighbours of each entry of its last axis (clipped
    at the ends): a SAME convolution of each depth column with 2r+1 ones."""
    depth = v.shape[-1] if v.shape.ndims else None
    columns = [-1, depth, 1, 1] if depth is not None else \
        array.stack([-1, array.shape(v)[-1], 1, 1])
    ones = array.ones([2 * depth_radius + 1, 1, 1, 1], dtype=v.dtype.base_dtype)
    summed = nn.conv2d(array.reshape(v, columns), ones, 1, "SAME")
    return array.reshape(summed, v.shape.as_list() if v.shape.is_fully_defined()
                         else array.shape(v))


@gradient("LRNGrad")
def _lrn_grad_grad(op, grad):
    """LRNGrad(g, x, y) = g * N**-beta - 2*alpha*beta * x * S(g * y / N), N = bias +
    alpha * S(x**2), S the depth window sum (symmetric); differentiated in g, x and y."""
    g, x, y = op.inputs
    radius, beta = op.attrs["depth_radius"], op.attrs["beta"]
    alpha, c = op.attrs["alpha"], 2.0 * op.attrs["alpha"] * op.attrs["beta"]

    def window(v):
        return _depth_window_sum(v, radius)

    norm = math.add(op.attrs["bias"], math.multiply(alpha, window(math.square(x))))
    scaled = math.pow(norm, -beta)
    spread = window(math.multiply(x, grad))
    d_g = math.subtract(math.multiply(grad, scaled),
                        math.multiply(c, math.multiply(math.truediv(y, norm), spread)))
    d_y = math.multiply(-c, math.multiply(math.truediv(g, norm), spread))
    gy_norm = math.truediv(math.multiply(g, y), norm)
    d_norm = math.add(math.multiply(-beta, math.truediv(math.multiply(math.multiply(grad, g),
                                                                      scaled), norm)),
                      math.multiply(c, math.multiply(math.truediv(gy_norm, norm), spread)))
    d_x = math.add(math.multiply(-c, math.multiply(grad, window(gy_norm))),
                   math.multiply(2.0 * alpha, math.multiply(x, window(d_norm))))
    return [d_g, d_x, d_y]


# ---------------------------------------------------------------------------------------------
# Softmax and cross entropy

def _row_sum(x):
    return math.reduce_sum(x, -1, keepdims=True)


@gradient("Softmax")
def _softmax_grad(op, grad):
    y = op.outputs[0]
    return [math.multiply(math.subtract(grad, _row_sum(math.multiply(grad, y))), y)]


@gradient("LogSoftmax")
def _log_softmax_grad(op, grad):
    y = op.outputs[0]
    return [math.subtract(grad, math.multiply(_row_sum(grad), math.exp(y)))]


def _softmax_jacobian_times(grad, logits):
    """J^T grad for p = softmax(logits): (grad - sum(grad * p)) * p."""
    p = nn.softmax(logits)
    return math.multiply(math.subtract(grad, _row_sum(math.multiply(grad, p))), p)


@gradient("SoftmaxCrossEntropyWithLogits")
def _softmax_xent_grad(op, grad_loss, grad_backprop):
    """d loss / d logits is the op's own second output (softmax - labels), scaled per row by
    the incoming gradient; the backprop output, when used, adds its softmax Jacobian."""
    logits, labels = op.inputs
    per_row = array.expand_dims(grad_loss, -1)
    d_logits = math.multiply(per_row, op.outputs[1])
    if not _is_zero(grad_backprop):
        d_logits = math.add(d_logits, _softmax_jacobian_times(grad_backprop, logits))
    d_labels = math.multiply(per_row, math.negative(nn.log_softmax(logits)))
    if not _is_zero(grad_backprop):
        d_labels = math.subtract(d_labels, grad_backprop)
    return [reduce_to_shape(d_logits, logits), reduce_to_shape(d_labels, labels)]


@gradient("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent_grad(op, grad_loss, grad_backprop):
    logits = op.inputs[0]
    d_logits = math.multiply(array.expand_dims(grad_loss, -1), op.outputs[1])
    if not _is_zero(grad_backprop):
        d_logits = math.add(d_logits, _softmax_jacobian_times(grad_backprop, logits))
    return [d_logits, None]


# ---------------------------------------------------------------------------------------------
# Bias

@gradient("BiasAdd")
def _bias_add_grad(op, grad):
    fmt = op.attrs.get("data_format", "NHWC")
    return [grad, _with_t("BiasAddGrad", [grad], op, data_format=fmt)]


@gradient("BiasAddV1")
def _bias_add_v1_grad(op, grad):
    rank = grad.shape.ndims
    axes = list(range(rank - 1)) if rank is not None else \
        array.range_(0, math.subtract(array.rank(grad), 1))
    return [grad, math.reduce_sum(grad, axes)]


@gradient("BiasAddGrad")
def _bias_add_grad_grad(op, grad):
    """BiasAddGrad sums over all but the channel axis; its gradient broadcasts back."""
    g = op.inputs[0]
    rank = g.shape.ndims
    if rank is None:
        raise ValueError(f"The gradient of {op.name} needs an input of known rank")
    shape = [1] * rank
    shape[1 if op.attrs.get("data_format") == "NCHW" else -1] = -1
    return [array.broadcast_to(array.reshape(grad, shape), array.shape(g))]


# ---------------------------------------------------------------------------------------------
# Activations: each forward op's gradient is its *Grad op; TF takes Relu, Relu6, Elu and Selu
# gradients from the op's output, the others from its input.

@gradient("Relu")
def _relu_grad(op, grad):
    return [_with_t("ReluGrad", [grad, op.outputs[0]], op)]


@gradient("Relu6")
def _relu6_grad(op, grad):
    return [_with_t("Relu6Grad", [grad, op.outputs[0]], op)]


@gradient("Elu")
def _elu_grad(op, grad):
    return [_with_t("EluGrad", [grad, op.outputs[0]], op)]


@gradient("Selu")
def _selu_grad(op, grad):
    return [_with_t("SeluGrad", [grad, op.outputs[0]], op)]


@gradient("Softplus")
def _softplus_grad(op, grad):
    return [_with_t("SoftplusGrad", [grad, op.inputs[0]], op)]


@gradient("Softsign")
def _softsign_grad(op, grad):
    return [_with_t("SoftsignGrad", [grad, op.inputs[0]], op)]


@gradient("LeakyRelu")
def _leaky_relu_grad(op, grad):
    return [_with_t("LeakyReluGrad", [grad, op.inputs[0]], op, alpha=op.attrs["alpha"])]


# The *Grad ops are linear in their incoming gradient g; piecewise ones have zero derivative
# in the other input almost everywhere.
@gradient("ReluGrad")
def _relu_grad_grad(op, grad):
    x = op.inputs[1]
    return [_with_t("ReluGrad", [grad, x], op), array.zeros_like(x)]


@gradient("Relu6Grad")
def _relu6_grad_grad(op, grad):
    x = op.inputs[1]
    return [_with_t("Relu6Grad", [grad, x], op), array.zeros_like(x)]


@gradient("LeakyReluGrad")
def _leaky_relu_grad_grad(op, grad):
    x = op.inputs[1]
    return [_with_t("LeakyReluGrad", [grad, x], op, alpha=op.attrs["alpha"]),
            array.zeros_like(x)]


def _where_negative(y, value):
    return array.where(math.less(y, array.zeros_like(y)), value, array.zeros_like(y))


@gradient("EluGrad")
def _elu_grad_grad(op, grad):
    """EluGrad(g, y) = g * (y + 1) where y < 0, else g."""
    g, y = op.inputs
    return [_with_t("EluGrad", [grad, y], op), _where_negative(y, math.multiply(grad, g))]


@gradient("SeluGrad")
def _selu_grad_grad(op, grad):
    """SeluGrad(g, y) = g * (y + scale * alpha) where y < 0, else g * scale."""
    g, y = op.inputs
    return [_with_t("SeluGrad", [grad, y], op), _where_negative(y, math.multiply(grad, g))]


@gradient("SoftplusGrad")
def _softplus_grad_grad(op, grad):
    """SoftplusGrad(g, x) = g * sigmoid(x); sigmoid' = 1 / (exp(-x) + 2 + exp(x))."""
    g, x = op.inputs
    curvature = math.reciprocal(math.add(math.add(math.exp(math.negative(x)), 2.0),
                                         math.exp(x)))
    return [_with_t("SoftplusGrad", [grad, x], op),
            math.multiply(math.multiply(grad, g), curvature)]


@gradient("SoftsignGrad")
def _softsign_grad_grad(op, grad):
    """SoftsignGrad(g, x) = g / (1 + |x|)^2, whose x-derivative is -2 g sign(x) / (1 + |x|)^3."""
    g, x = op.inputs
    denom = math.add(math.abs(x), 1.0)
    d_x = math.multiply(math.multiply(grad, g),
                        math.truediv(math.multiply(-2.0, math.sign(x)),
                                     math.multiply(math.square(denom), denom)))
    return [_with_t("SoftsignGrad", [grad, x], op), d_x]


# ---------------------------------------------------------------------------------------------
# L2 loss and top-k

@gradient("L2Loss")
def _l2_loss_grad(op, grad):
    return [math.multiply(op.inputs[0], grad)]


def _top_k_input_grad(op, grad):
    """Each value's gradient scattered back to where top_k took it from."""
    x, indices = op.inputs[0], op.outputs[1]
    depth = array.shape(x)[-1]
    hits = array.one_hot(indices, depth, dtype=grad.dtype.base_dtype)  # [..., k, n]
    return math.reduce_sum(math.multiply(hits, array.expand_dims(grad, -1)), -2)


@gradient("TopKV2")
def _top_k_v2_grad(op, grad, unused_indices_grad):
    return [_top_k_input_grad(op, grad), None]


@gradient("TopK")
def _top_k_grad(op, grad, unused_indices_grad):
    return [_top_k_input_grad(op, grad)]
