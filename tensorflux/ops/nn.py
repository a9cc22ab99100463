"""The neural-network family: convolution, pooling, activations, softmax and cross entropy,
local response normalization, L2 loss and top-k.

Every op type whose NumPy kernel lives in kernels/numpy/nn.py is registered here with its shape
function, then wrapped with its TF1 signature. Compositions of these ops (dropout, moments,
batch normalization, embedding lookup, the sigmoid cross entropies, ...) are in nn_impl.py;
gradients are in nn_grad.py.
"""
import collections

from tensorflux.framework import dtypes
from tensorflux.framework.errors import InvalidArgumentError
from tensorflux.framework.graph import Tensor, convert_to_tensor, get_default_graph
from tensorflux.framework.registry import register_op
from tensorflux.framework.shapes import TensorShape, unknown_shape
from tensorflux.ops import array, math
from tensorflux.ops.op_util import (FLOATS, INDEX, INTEGERS, apply_op, as_int_list,
                                    broadcast_shapes, check_dtype, constant_value,
                                    shape_from_tensor)

_REAL = FLOATS + INTEGERS
_FORMATS = ("NHWC", "NCHW")


# ---------------------------------------------------------------------------------------------
# Arguments shared by convolution and pooling: data formats, 4-element attrs, padding

def _shape_str(shape):
    if shape.ndims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


def _input_shapes(op):
    return ", ".join(_shape_str(t.shape) for t in op.inputs)


def check_data_format(op_type, data_format):
    """'NHWC' for None, the format itself if it is 'NHWC' or 'NCHW', else ValueError."""
    if data_format is None:
        return "NHWC"
    if isinstance(data_format, bytes):
        data_format = data_format.decode()
    if data_format not in _FORMATS:
        raise ValueError(f"{op_type}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    return data_format


def _hwc(data_format):
    """The (height, width, channel) axes of a 4-D tensor in `data_format`."""
    return (2, 3, 1) if data_format == "NCHW" else (1, 2, 3)


def _to_nhwc(values, data_format):
    h, w, c = _hwc(data_format)
    return [values[0], values[h], values[w], values[c]]


def _from_nhwc(values, data_format):
    if data_format == "NCHW":
        return [values[0], values[3], values[1], values[2]]
    return list(values)


def window_attr(op_type, arg, value, data_format, spatial=2):
    """A 4-element strides / ksize / dilations attr, as TF1 accepts them: None (all ones), an
    int or a list of 1 or 2 ints (the spatial dimensions), or all 4. Batch and channel entries
    must be 1 and every entry positive; ValueError naming the op and argument otherwise."""
    values = [1] * spatial if value is None else as_int_list(op_type, arg, value)
    if len(values) == 1:
        values = values * spatial
    if len(values) == spatial:
        h, w, _ = _hwc(data_format)
        full = [1, 1, 1, 1]
        full[h], full[w] = values
        values = full
    if len(values) != 4:
        raise ValueError(f"{op_type}: {arg} should be of length 1, 2 or 4 but was "
                         f"{len(values)}: {values}")
    _, _, c = _hwc(data_format)
    if values[0] != 1 or values[c] != 1:
        raise ValueError(f"{op_type}: {arg} in the batch and depth dimensions must be 1 "
                         f"(data_format {data_format}), got {values}")
    if min(values) < 1:
        raise ValueError(f"{op_type}: {arg} must be positive, got {values}")
    return values


def check_padding(op_type, padding, data_format, explicit=False):
    """(padding, explicit_paddings) from 'SAME', 'VALID' or, where the op allows it, a list of
    4 [before, after] pairs in data_format order (TF's EXPLICIT padding)."""
    if isinstance(padding, bytes):
        padding = padding.decode()
    if explicit and isinstance(padding, (list, tuple)):
        pairs = [as_int_list(op_type, "padding", p) for p in padding]
        if len(pairs) != 4 or any(len(p) != 2 for p in pairs):
            raise ValueError(f"{op_type}: explicit padding must be a list of 4 [before, after] "
                             f"pairs, got {padding!r}")
        _, _, c = _hwc(data_format)
        if any(pairs[0]) or any(pairs[c]):
            raise ValueError(f"{op_type}: explicit padding in the batch and depth dimensions "
                             f"must be 0, got {padding!r}")
        if min(min(p) for p in pairs) < 0:
            raise ValueError(f"{op_type}: explicit padding must be nonnegative, got {padding!r}")
        return "EXPLICIT", [v for p in pairs for v in p]
    if padding not in ("SAME", "VALID"):
        allowed = "'SAME', 'VALID' or a list of 4 [before, after] pairs" if explicit else \
            "'SAME' or 'VALID'"
        raise ValueError(f"{op_type}: padding must be {allowed}, got {padding!r}")
    return padding, []


def _same_dtype(op_type, value, like, arg, other):
    """`value` as a tensor of `like`'s dtype; TypeError naming both arguments otherwise."""
    dtype = like.dtype.base_dtype
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
        value = convert_to_tensor(value, name=arg)
        if value.dtype.base_dtype != dtype:
            raise TypeError(f"Input '{arg}' of '{op_type}' Op has type "
                            f"{value.dtype.base_dtype.name} that does not match type "
                            f"{dtype.name} of argument '{other}'.")
        return value
    return convert_to_tensor(value, dtype=dtype, name=arg)


# ---------------------------------------------------------------------------------------------
# Shape functions of windowed ops

def _rank4(op, tensor, what):
    """The static dims of a 4-D input (Nones if its rank is unknown); ValueError otherwise."""
    shape = tensor.shape
    if shape.ndims is None:
        return [None] * 4
    if shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {shape.ndims} for '{op.name}' "
                         f"(op: '{op.type}') with input shapes: {_input_shapes(op)} "
                         f"({what} must be 4-D).")
    return shape.as_list()


def _out_size(op, size, k, stride, dilation, padding, pads=(0, 0)):
    """TF's output size of one spatial dimension; None where the input size is unknown."""
    if size is None or k is None:
        return None
    if padding == "SAME":
        return -(-size // stride)
    eff = (k - 1) * dilation + 1
    room = size + pads[0] + pads[1]
    if room < eff:
        raise ValueError(f"Negative dimension size caused by subtracting {eff} from {room} for "
                         f"'{op.name}' (op: '{op.type}') with input shapes: "
                         f"{_input_shapes(op)}.")
    return (room - eff) // stride + 1


def _conv_output(op, x_dims, f_dims, depthwise=False):
    """The output shape (data_format order) of Conv2D / DepthwiseConv2dNative."""
    fmt = op.attrs.get("data_format", "NHWC")
    n, h, w, c = _to_nhwc(x_dims, fmt)
    kh, kw, in_c, out_c = f_dims
    if c is not None and in_c is not None and c != in_c:
        raise ValueError(f"Depth of input ({c}) must equal the input depth of filter ({in_c}) "
                         f"for '{op.name}' (op: '{op.type}') with input shapes: "
                         f"{_input_shapes(op)}.")
    _, sh, sw, _ = _to_nhwc(op.attrs["strides"], fmt)
    _, dh, dw, _ = _to_nhwc(op.attrs.get("dilations", [1, 1, 1, 1]), fmt)
    pads = [0] * 8
    if op.attrs["padding"] == "EXPLICIT":
        pads = _to_nhwc([op.attrs["explicit_paddings"][2 * i:2 * i + 2] for i in range(4)], fmt)
        pads = [v for p in pads for v in p]
    out_h = _out_size(op, h, kh, sh, dh, op.attrs["padding"], pads[2:4])
    out_w = _out_size(op, w, kw, sw, dw, op.attrs["padding"], pads[4:6])
    if depthwise:
        c = c if c is not None else in_c
        out_c = None if c is None or out_c is None else c * out_c
    return TensorShape(_from_nhwc([n, out_h, out_w, out_c], fmt))


def _infer_conv2d(op):
    x, f = op.inputs[:2]  # _FusedConv2D (ops/fused.py) has its bias third
    shape = _conv_output(op, _rank4(op, x, "input"), _rank4(op, f, "filter"))
    return [(x.dtype.base_dtype, shape)]


def _infer_depthwise(op):
    x, f = op.inputs
    shape = _conv_output(op, _rank4(op, x, "input"), _rank4(op, f, "filter"), depthwise=True)
    return [(x.dtype.base_dtype, shape)]


def _sizes_shape(op, tensor, arg):
    """A 4-D shape given by a sizes input (input_sizes, filter_sizes, orig_input_shape)."""
    if tensor.shape.ndims is not None and tensor.shape.ndims != 1:
        raise ValueError(f"{op.type} ({op.name}): {arg} must be 1-D, got shape "
                         f"{_shape_str(tensor.shape)}")
    shape = shape_from_tensor(tensor)
    if shape.ndims is not None and shape.ndims != 4:
        if shape.ndims == 2 and arg == "input_sizes":  # TF's spatial-only form
            return unknown_shape(4)
        raise ValueError(f"{op.type} ({op.name}): {arg} must have 4 elements, got "
                         f"{shape.ndims}")
    return shape if shape.ndims is not None else unknown_shape(4)


def _infer_backprop_input(op):
    return [(op.inputs[2].dtype.base_dtype, _sizes_shape(op, op.inputs[0], "input_sizes"))]


def _infer_backprop_filter(op):
    return [(op.inputs[0].dtype.base_dtype, _sizes_shape(op, op.inputs[1], "filter_sizes"))]


register_op("Conv2D", _infer_conv2d)
register_op("Conv2DBackpropInput", _infer_backprop_input)
register_op("Conv2DBackpropFilter", _infer_backprop_filter)
register_op("DepthwiseConv2dNative", _infer_depthwise)
register_op("DepthwiseConv2dNativeBackpropInput", _infer_backprop_input)
register_op("DepthwiseConv2dNativeBackpropFilter", _infer_backprop_filter)


def _pool_output(op, x):
    fmt = op.attrs.get("data_format", "NHWC")
    n, h, w, c = _to_nhwc(_rank4(op, x, "input"), fmt)
    _, kh, kw, _ = _to_nhwc(op.attrs["ksize"], fmt)
    _, sh, sw, _ = _to_nhwc(op.attrs["strides"], fmt)
    out_h = _out_size(op, h, kh, sh, 1, op.attrs["padding"])
    out_w = _out_size(op, w, kw, sw, 1, op.attrs["padding"])
    return TensorShape(_from_nhwc([n, out_h, out_w, c], fmt))


def _infer_pool(op):
    return [(op.inputs[0].dtype.base_dtype, _pool_output(op, op.inputs[0]))]


def _infer_max_pool_with_argmax(op):
    shape = _pool_output(op, op.inputs[0])
    return [(op.inputs[0].dtype.base_dtype, shape), (op.attrs["Targmax"], shape)]


def _infer_input_shaped(index, dtype_index):
    """Output shaped like input `index`, with the dtype of input `dtype_index`."""
    def infer(op):
        return [(op.inputs[dtype_index].dtype.base_dtype, op.inputs[index].shape)]
    return infer


def _infer_avg_pool_grad(op):
    return [(op.inputs[1].dtype.base_dtype,
             _sizes_shape(op, op.inputs[0], "orig_input_shape"))]


register_op("MaxPool", _infer_pool)
register_op("AvgPool", _infer_pool)
register_op("MaxPoolWithArgmax", _infer_max_pool_with_argmax)
register_op("MaxPoolGrad", _infer_input_shaped(0, 2))
register_op("AvgPoolGrad", _infer_avg_pool_grad)
register_op("MaxPoolGradWithArgmax", _infer_input_shaped(0, 1))


def _infer_lrn(op):
    _rank4(op, op.inputs[0], "input")
    return [(op.inputs[0].dtype.base_dtype, op.inputs[0].shape)]


register_op("LRN", _infer_lrn)
register_op("LRNGrad", _infer_input_shaped(1, 0))


# ---------------------------------------------------------------------------------------------
# Convolution wrappers

def _filter_arg(op_type, filter, filters):
    if filter is not None and filters is not None:
        raise ValueError(f"{op_type}: cannot specify both 'filters' and 'filter'")
    value = filter if filter is not None else filters
    if value is None:
        raise ValueError(f"{op_type}: a filter is required ('filter' or 'filters')")
    return value


def _conv_inputs(op_type, input, filter, input_arg="input"):
    x = check_dtype(op_type, input_arg, convert_to_tensor(input, name=input_arg), FLOATS)
    return x, _same_dtype(op_type, filter, x, "filter", input_arg)


def _conv_attrs(op_type, x, strides, padding, data_format, dilations, explicit=True):
    data_format = check_data_format(op_type, data_format)
    padding, explicit_paddings = check_padding(op_type, padding, data_format, explicit)
    return {"T": x.dtype.base_dtype,
            "strides": window_attr(op_type, "strides", strides, data_format),
            "padding": padding, "explicit_paddings": explicit_paddings,
            "data_format": data_format,
            "dilations": window_attr(op_type, "dilations", dilations, data_format)}


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,
           data_format="NHWC", dilations=(1, 1, 1, 1), name=None, filters=None):
    """2-D cross-correlation of a 4-D input with a [height, width, in, out] filter.

    strides and dilations take an int, 2 spatial values or all 4 (batch and channel entries 1);
    padding is 'SAME' (output ceil(in / stride), the odd pad after), 'VALID' or 4 explicit
    [before, after] pairs. ValueError at construction for bad shapes or arguments.
    """
    filter = _filter_arg("Conv2D", filter, filters)
    x, f = _conv_inputs("Conv2D", input, filter)
    attrs = _conv_attrs("Conv2D", x, strides, padding, data_format, dilations)
    attrs["use_cudnn_on_gpu"] = bool(use_cudnn_on_gpu)
    return apply_op("Conv2D", [x, f], attrs, name or "Conv2D")


def _sizes_tensor(value, name):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return array.stack([array.cast(v, dtypes.int32) if isinstance(v, Tensor) else v
                            for v in value], name=name)
    return convert_to_tensor(value, dtype=dtypes.int32, name=name)


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None,
                          padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
                          dilations=(1, 1, 1, 1), name=None, filters=None):
    """The gradient of conv2d with respect to its input, of shape `input_sizes`."""
    filter = _filter_arg("Conv2DBackpropInput", filter, filters)
    dy, f = _conv_inputs("Conv2DBackpropInput", out_backprop, filter, "out_backprop")
    attrs = _conv_attrs("Conv2DBackpropInput", dy, strides, padding, data_format, dilations)
    attrs["use_cudnn_on_gpu"] = bool(use_cudnn_on_gpu)
    sizes = _sizes_tensor(input_sizes, "input_sizes")
    return apply_op("Conv2DBackpropInput", [sizes, f, dy], attrs, name or "Conv2DBackpropInput")


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                           use_cudnn_on_gpu=True, data_format="NHWC", dilations=(1, 1, 1, 1),
                           name=None):
    """The gradient of conv2d with respect to its filter, of shape `filter_sizes`."""
    x, dy = _conv_inputs("Conv2DBackpropFilter", input, out_backprop)
    attrs = _conv_attrs("Conv2DBackpropFilter", x, strides, padding, data_format, dilations)
    attrs["use_cudnn_on_gpu"] = bool(use_cudnn_on_gpu)
    sizes = _sizes_tensor(filter_sizes, "filter_sizes")
    return apply_op("Conv2DBackpropFilter", [x, sizes, dy], attrs,
                    name or "Conv2DBackpropFilter")


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None, padding="SAME",
                     data_format="NHWC", name=None, input=None, filters=None, dilations=None):
    """The transpose (gradient) of conv2d: `value` [.., in] through a filter
    [height, width, output_channels, in_channels] to a tensor of `output_shape`."""
    op_type = "conv2d_transpose"
    if value is not None and input is not None:
        raise ValueError(f"{op_type}: cannot specify both 'input' and 'value'")
    value = input if value is None else value
    filter = _filter_arg(op_type, filter, filters)
    if output_shape is None:
        raise ValueError(f"{op_type}: output_shape is required")
    with get_default_graph().name_scope(name or "conv2d_transpose") as scope:
        dy, f = _conv_inputs(op_type, value, filter, "value")
        data_format = check_data_format(op_type, data_format)
        if padding not in ("SAME", "VALID"):
            raise ValueError(f"{op_type}: padding must be either VALID or SAME: {padding!r}")
        c = _hwc(data_format)[2]
        in_c = dy.shape[c] if dy.shape.ndims == 4 else None
        f_in = f.shape[3] if f.shape.ndims == 4 else None
        if in_c is not None and f_in is not None and in_c != f_in:
            raise ValueError(f"{op_type}: input channels does not match filter's input "
                             f"channels, {in_c} != {f_in}")
        sizes = _sizes_tensor(output_shape, "output_shape")
        if sizes.shape.ndims is not None and sizes.shape.as_list() not in ([4], [None]):
            raise ValueError(f"{op_type}: output_shape must have shape (4,), got "
                             f"{_shape_str(sizes.shape)}")
        out_c = shape_from_tensor(sizes)[c] if sizes.shape.ndims == 1 and sizes.shape[0] == 4 \
            else None
        f_out = f.shape[2] if f.shape.ndims == 4 else None
        if out_c is not None and f_out is not None and out_c != f_out:
            raise ValueError(f"{op_type}: output_shape does not match filter's output "
                             f"channels, {out_c} != {f_out}")
        return conv2d_backprop_input(sizes, f, dy, strides, padding, data_format=data_format,
                                     dilations=dilations, name=scope[:-1] + "/")


def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC",
                            dilations=(1, 1, 1, 1), name=None):
    """Per-channel convolution: output channel c * multiplier + m is input channel c convolved
    with filter[:, :, c, m] (filter [height, width, in_channels, multiplier])."""
    op_type = "DepthwiseConv2dNative"
    x, f = _conv_inputs(op_type, input, filter)
    attrs = _conv_attrs(op_type, x, strides, padding, data_format, dilations, explicit=False)
    return apply_op(op_type, [x, f], attrs, name or op_type)


def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop, strides, padding,
                                           data_format="NHWC", dilations=(1, 1, 1, 1),
                                           name=None):
    op_type = "DepthwiseConv2dNativeBackpropInput"
    dy, f = _conv_inputs(op_type, out_backprop, filter, "out_backprop")
    attrs = _conv_attrs(op_type, dy, strides, padding, data_format, dilations, explicit=False)
    return apply_op(op_type, [_sizes_tensor(input_sizes, "input_sizes"), f, dy], attrs,
                    name or op_type)


def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                                            data_format="NHWC", dilations=(1, 1, 1, 1),
                                            name=None):
    op_type = "DepthwiseConv2dNativeBackpropFilter"
    x, dy = _conv_inputs(op_type, input, out_backprop)
    attrs = _conv_attrs(op_type, x, strides, padding, data_format, dilations, explicit=False)
    return apply_op(op_type, [x, _sizes_tensor(filter_sizes, "filter_sizes"), dy], attrs,
                    name or op_type)


# ---------------------------------------------------------------------------------------------
# Pooling

def _pool_attrs(op_type, x, ksize, strides, padding, data_format):
    data_format = check_data_format(op_type, data_format)
    padding, _ = check_padding(op_type, padding, data_format)
    return {"T": x.dtype.base_dtype, "ksize": window_attr(op_type, "ksize", ksize, data_format),
            "strides": window_attr(op_type, "strides", strides, data_format),
            "padding": padding, "data_format": data_format}


def _pool_input(op_type, value, input):
    if value is not None and input is not None:
        raise ValueError(f"{op_type}: cannot specify both 'input' and 'value'")
    value = input if value is None else value
    return check_dtype(op_type, "input", convert_to_tensor(value, name="input"), _REAL)


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """The max over each [ksize] window; SAME windows ignore the padding."""
    x = _pool_input("MaxPool", value, input)
    attrs = _pool_attrs("MaxPool", x, ksize, strides, padding, data_format)
    return apply_op("MaxPool", [x], attrs, name or "MaxPool")


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """The mean over each [ksize] window; a SAME border window averages its unpadded
    elements only."""
    x = _pool_input("AvgPool", value, input)
    check_dtype("AvgPool", "value", x, FLOATS)
    attrs = _pool_attrs("AvgPool", x, ksize, strides, padding, data_format)
    return apply_op("AvgPool", [x], attrs, name or "AvgPool")


MaxPoolWithArgmax = collections.namedtuple("MaxPoolWithArgmax", ["output", "argmax"])


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC", Targmax=None,
                         name=None, output_dtype=None, include_batch_in_index=False):
    """(max pool, flat index of each max): ((b * height + y) * width + x) * channels + c, the
    batch term only with include_batch_in_index. NHWC only."""
    op_type = "MaxPoolWithArgmax"
    if data_format not in (None, "NHWC"):
        raise ValueError(f"{op_type}: data formats other than 'NHWC' are not yet supported, "
                         f"got {data_format!r}")
    if Targmax is not None and output_dtype is not None:
        raise ValueError(f"{op_type}: cannot specify both 'Targmax' and 'output_dtype'")
    targmax = dtypes.as_dtype(Targmax or output_dtype or dtypes.int64)
    if targmax not in INDEX:
        raise TypeError(f"{op_type}: Targmax must be int32 or int64, got {targmax.name}")
    x = check_dtype(op_type, "input", convert_to_tensor(input, name="input"), _REAL)
    attrs = _pool_attrs(op_type, x, ksize, strides, padding, "NHWC")
    del attrs["data_format"]
    attrs.update(Targmax=targmax, include_batch_in_index=bool(include_batch_in_index))
    return MaxPoolWithArgmax(*apply_op(op_type, [x], attrs, name or op_type))


def lrn(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, name=None):
    """Local response normalization over the last axis of a 4-D input:
    input / (bias + alpha * sum of input**2 over depth_radius neighbours) ** beta."""
    x = check_dtype("LRN", "input", convert_to_tensor(input, name="input"),
                    (dtypes.float16, dtypes.bfloat16, dtypes.float32))
    attrs = {"T": x.dtype.base_dtype, "depth_radius": int(depth_radius), "bias": float(bias),
             "alpha": float(alpha), "beta": float(beta)}
    return apply_op("LRN", [x], attrs, name or "LRN")


local_response_normalization = lrn


# ---------------------------------------------------------------------------------------------
# Bias and activations

def _infer_bias_add(op):
    x, b = op.inputs
    if b.shape.ndims is not None and b.shape.ndims != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {b.shape.ndims} for '{op.name}' "
                         f"(op: '{op.type}') with input shapes: {_input_shapes(op)}.")
    if x.shape.ndims is None:
        return [(x.dtype.base_dtype, x.shape)]
    if x.shape.ndims < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {x.shape.ndims} for "
                         f"'{op.name}' (op: '{op.type}') with input shapes: "
                         f"{_input_shapes(op)}.")
    axis = 1 if op.attrs.get("data_format") == "NCHW" else x.shape.ndims - 1
    dims = x.shape.as_list()
    bias = b.shape[0] if b.shape.ndims == 1 else None
    if dims[axis] is not None and bias is not None and dims[axis] != bias:
        raise ValueError(f"Dimensions must be equal, but are {dims[axis]} and {bias} for "
                         f"'{op.name}' (op: '{op.type}') with input shapes: "
                         f"{_input_shapes(op)}.")
    dims[axis] = bias if dims[axis] is None else dims[axis]
    return [(x.dtype.base_dtype, TensorShape(dims))]


def _infer_bias_add_grad(op):
    g = op.inputs[0]
    if g.shape.ndims is None:
        return [(g.dtype.base_dtype, unknown_shape(1))]
    if g.shape.ndims < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {g.shape.ndims} for "
                         f"'{op.name}' (op: '{op.type}')")
    axis = 1 if op.attrs.get("data_format") == "NCHW" else -1
    return [(g.dtype.base_dtype, TensorShape([g.shape[axis]]))]


register_op("BiasAdd", _infer_bias_add)
register_op("BiasAddV1", _infer_bias_add)
register_op("BiasAddGrad", _infer_bias_add_grad)


def bias_add(value, bias, data_format=None, name=None):
    """value + bias, bias 1-D over the channel axis: the last for NHWC, axis 1 for NCHW."""
    data_format = check_data_format("BiasAdd", data_format)
    with get_default_graph().name_scope(name or "BiasAdd") as scope:
        x = check_dtype("BiasAdd", "value", convert_to_tensor(value, name="input"),
                        _REAL + (dtypes.complex64, dtypes.complex128))
        b = _same_dtype("BiasAdd", bias, x, "bias", "value")
        return apply_op("BiasAdd", [x, b], {"T": x.dtype.base_dtype, "data_format": data_format},
                        scope[:-1] + "/")


def bias_add_v1(value, bias, name=None):
    """bias_add over the last axis (the deprecated BiasAddV1 op)."""
    with get_default_graph().name_scope(name or "BiasAddV1") as scope:
        x = convert_to_tensor(value, name="value")
        b = _same_dtype("BiasAddV1", bias, x, "bias", "value")
        return apply_op("BiasAddV1", [x, b], {"T": x.dtype.base_dtype}, scope[:-1] + "/")


def _infer_activation_grad(op):
    g, x = op.inputs[0], op.inputs[1]
    try:
        shape = g.shape.merge_with(x.shape)
    except ValueError:
        raise ValueError(f"{op.type} ({op.name}): gradients and features must have one shape, "
                         f"got {_input_shapes(op)}") from None
    return [(g.dtype.base_dtype, shape)]


# op type -> (public name, allowed dtypes); each has a gradient op named op type + "Grad".
_ACTIVATIONS = {
    "Relu": ("relu", _REAL), "Relu6": ("relu6", _REAL), "Elu": ("elu", FLOATS),
    "Selu": ("selu", FLOATS), "Softplus": ("softplus", FLOATS),
    "Softsign": ("softsign", FLOATS),
}


def _make_activation(op_type, public, allowed):
    def activation(features, name=None):
        x = check_dtype(op_type, "features", convert_to_tensor(features, name="features"),
                        allowed)
        return apply_op(op_type, [x], {"T": x.dtype.base_dtype}, name or op_type)
    activation.__name__ = public
    activation.__doc__ = f"The {op_type} activation, elementwise."
    return activation


for _type, (_public, _allowed) in _ACTIVATIONS.items():
    register_op(_type, _infer_input_shaped(0, 0))
    register_op(_type + "Grad", _infer_activation_grad)
    globals()[_public] = _make_activation(_type, _public, _allowed)
register_op("LeakyRelu", _infer_input_shaped(0, 0))
register_op("LeakyReluGrad", _infer_activation_grad)


def leaky_relu(features, alpha=0.2, name=None):
    """features where > 0, else alpha * features; integer features become float32."""
    with get_default_graph().name_scope(name or "LeakyRelu") as scope:
        x = convert_to_tensor(features, name="features")
        if x.dtype.is_integer:
            x = array.cast(x, dtypes.float32)
        check_dtype("LeakyRelu", "features", x, FLOATS)
        return apply_op("LeakyRelu", [x], {"T": x.dtype.base_dtype, "alpha": float(alpha)},
                        scope[:-1] + "/")


# ---------------------------------------------------------------------------------------------
# Softmax and the fused cross entropies

def _infer_softmax(op):
    x = op.inputs[0]
    if x.shape.ndims == 0:
        raise ValueError(f"Shape must be at least rank 1 but is rank 0 for '{op.name}' "
                         f"(op: '{op.type}') with input shapes: [].")
    return [(x.dtype.base_dtype, x.shape)]


register_op("Softmax", _infer_softmax)
register_op("LogSoftmax", _infer_softmax)


def _softmax_axis(op_type, x, axis, dim):
    """The axis argument (or its old name dim): -1 when it is the last axis (or the rank is 0,
    which the op itself refuses), else a non-negative int, or a negative one if the rank is
    unknown."""
    if axis is not None and dim is not None:
        raise ValueError(f"{op_type}: cannot specify both 'axis' and 'dim'")
    axis = -1 if axis is None and dim is None else int(dim if axis is None else axis)
    rank = x.shape.ndims
    if rank is None or rank == 0 or axis == -1:
        return axis if rank is None else -1
    if not -rank <= axis < rank:
        raise InvalidArgumentError(None, None, f"Dimension ({axis}) must be in the range "
                                   f"[{-rank}, {rank}) where {rank} is the number of dimensions "
                                   f"in the input.")
    axis %= rank
    return -1 if axis == rank - 1 else axis


def _swap_with_last(x, axis):
    """The permutation that swaps `axis` with the last axis: a list, or a tensor when the rank
    is unknown (then it is the identity if `axis` turns out to be the last)."""
    if x.shape.ndims is not None:
        perm = list(range(x.shape.ndims))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return perm
    rank = array.rank(x)
    last = math.subtract(rank, 1)
    a = math.floormod(axis, rank)
    index = array.range_(0, rank)
    shift = math.subtract(last, a)
    to_last = math.multiply(shift, array.cast(math.equal(index, a), dtypes.int32))
    to_axis = math.multiply(shift, array.cast(math.equal(index, last), dtypes.int32))
    return math.subtract(math.add(index, to_last), to_axis)


def _over_axis(op_type, logits, axis, dim, name):
    x = check_dtype(op_type, "logits", convert_to_tensor(logits, name="logits"), FLOATS)
    axis = _softmax_axis(op_type, x, axis, dim)
    if axis == -1:
        return apply_op(op_type, [x], {"T": x.dtype.base_dtype}, name or op_type)
    # The op works on the last axis: swap `axis` there and back.
    perm = _swap_with_last(x, axis)
    out = apply_op(op_type, [array.transpose(x, perm)], {"T": x.dtype.base_dtype}, op_type)
    return array.transpose(out, perm, name=name or "transpose")


def softmax(logits, axis=None, name=None, dim=None):
    """exp(logits) / sum(exp(logits)) along `axis` (default the last)."""
    return _over_axis("Softmax", logits, axis, dim, name)


def log_softmax(logits, axis=None, name=None, dim=None):
    """logits - log(sum(exp(logits))) along `axis` (default the last), computed stably."""
    return _over_axis("LogSoftmax", logits, axis, dim, name)


def _infer_xent(op):
    x, y = op.inputs
    shape = broadcast_shapes(op, x.shape, y.shape)
    if shape.ndims is None:
        return [(x.dtype.base_dtype, unknown_shape(1)), (x.dtype.base_dtype, unknown_shape(2))]
    if shape.ndims != 2:
        raise ValueError(f"logits and labels must be 2-D (or broadcast to 2-D) for "
                         f"'{op.name}' (op: '{op.type}'), got input shapes: "
                         f"{_input_shapes(op)}.")
    return [(x.dtype.base_dtype, TensorShape([shape[0]])), (x.dtype.base_dtype, shape)]


def _matrix_vector_batch(op, matrix_name, vector_name):
    """The batch size of an op's [batch, n] matrix and [batch] vector inputs (None if unknown);
    ValueError if their ranks or batch sizes disagree."""
    m, v = op.inputs[:2]
    if m.shape.ndims is not None and m.shape.ndims != 2 or \
            v.shape.ndims is not None and v.shape.ndims != 1:
        raise ValueError(f"{op.type} ({op.name}): {matrix_name} must be 2-D and {vector_name} "
                         f"1-D, got input shapes: {_input_shapes(op)}.")
    batch = m.shape[0] if m.shape.ndims == 2 else None
    length = v.shape[0] if v.shape.ndims == 1 else None
    if batch is not None and length is not None and batch != length:
        raise ValueError(f"Dimensions must be equal, but are {batch} and {length} for "
                         f"'{op.name}' (op: '{op.type}') with input shapes: "
                         f"{_input_shapes(op)}.")
    return length if batch is None else batch


def _infer_sparse_xent(op):
    x = op.inputs[0]
    batch = _matrix_vector_batch(op, "logits", "labels")
    classes = x.shape[1] if x.shape.ndims == 2 else None
    return [(x.dtype.base_dtype, TensorShape([batch])),
            (x.dtype.base_dtype, TensorShape([batch, classes]))]


register_op("SoftmaxCrossEntropyWithLogits", _infer_xent)
register_op("SparseSoftmaxCrossEntropyWithLogits", _infer_sparse_xent)


def check_named_xent_args(op_name, sentinel, labels, logits):
    """TF's guard: the cross entropies take labels and logits by name only."""
    if sentinel is not None:
        raise ValueError(f"Only call `{op_name}` with named arguments (labels=..., logits=..., "
                         f"...)")
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")


def _compute_type(x):
    """Half-precision logits are computed in float32, as TF does."""
    if x.dtype.base_dtype in (dtypes.float16, dtypes.bfloat16):
        return array.cast(x, dtypes.float32)
    return x


def _flatten_outer(x):
    """A tensor of rank != 2 as [-1, last dim], the layout the fused ops need."""
    if x.shape.ndims == 2:
        return x
    last = x.shape[-1] if x.shape.ndims else None
    return array.reshape(x, [-1, last if last is not None else array.shape(x)[-1]])


def _check_xent_shapes(op_type, logits, labels):
    """ValueError unless labels and logits have one rank and, per dimension, equal sizes
    (or, for 2-D inputs, sizes that broadcast)."""
    a, b = logits.shape, labels.shape
    if a.ndims is None or b.ndims is None:
        return
    ok = a.ndims == b.ndims and all(
        x is None or y is None or x == y or (a.ndims == 2 and 1 in (x, y))
        for x, y in zip(a.as_list(), b.as_list()))
    if not ok:
        raise ValueError(f"{op_type}: logits and labels must have the same shape "
                         f"({_shape_str(a)} vs {_shape_str(b)})")


def _finish_loss(loss, outer_shape, reshape, out_dtype, name):
    """The per-example loss reshaped to the outer dims and cast back; the last op gets `name`."""
    cast = out_dtype != loss.dtype.base_dtype
    if reshape:
        loss = array.reshape(loss, outer_shape, name=None if cast else name)
    if cast:
        loss = array.cast(loss, out_dtype, name=name)
    return loss


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """-sum(labels * log_softmax(logits)) along `axis` (default the last); the result has the
    other dimensions. Gradients flow into both logits and labels. Mismatched labels and logits
    shapes raise ValueError; each row of labels should be a probability distribution."""
    op_type = "softmax_cross_entropy_with_logits"
    with get_default_graph().name_scope(name or "softmax_cross_entropy_with_logits") as scope:
        logits = check_dtype(op_type, "logits", convert_to_tensor(logits, name="logits"), FLOATS)
        labels = _same_dtype(op_type, labels, logits, "labels", "logits")
        _check_xent_shapes(op_type, logits, labels)
        x, y = _compute_type(logits), _compute_type(labels)
        axis = _softmax_axis(op_type, x, axis, dim)
        rank = x.shape.ndims
        if rank == 0:
            raise ValueError(f"{op_type}: logits must have at least one dimension")
        if axis != -1:
            perm = _swap_with_last(x, axis)
            x, y = array.transpose(x, perm), array.transpose(y, perm)
        reshape = rank != 2
        cast = logits.dtype.base_dtype != x.dtype.base_dtype
        op_name = "SoftmaxCrossEntropyWithLogits" if reshape or cast else scope[:-1] + "/"
        loss, _ = apply_op("SoftmaxCrossEntropyWithLogits", [_flatten_outer(x), _flatten_outer(y)],
                           {"T": x.dtype.base_dtype}, op_name)
        outer = x.shape[:-1] if rank is not None and x.shape[:-1].is_fully_defined() else None
        outer = outer.as_list() if outer is not None else array.shape(x)[:-1]
        return _finish_loss(loss, outer, reshape, logits.dtype.base_dtype, scope[:-1] + "/")


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name=None, axis=None):
    """softmax_cross_entropy_with_logits_v2 with no gradient into labels (TF1's behaviour).
    Labels and logits must be passed by name."""
    check_named_xent_args("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    if axis is not None and dim not in (None, -1):
        raise ValueError("softmax_cross_entropy_with_logits: cannot specify both 'axis' and "
                         "'dim'")
    axis = dim if axis is None else axis
    with get_default_graph().name_scope(name or "softmax_cross_entropy_with_logits_sg") as scope:
        labels = array.stop_gradient(labels, name="labels_stop_gradient")
        return softmax_cross_entropy_with_logits_v2(labels, logits, axis=axis,
                                                    name=scope[:-1] + "/")


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name=None):
    """-log_softmax(logits)[label] per example: labels are int32/int64 class indices of rank
    rank(logits) - 1 (checked at construction); a label outside [0, classes) fails at run
    time. Labels and logits must be passed by name."""
    op_type = "sparse_softmax_cross_entropy_with_logits"
    check_named_xent_args(op_type, _sentinel, labels, logits)
    with get_default_graph().name_scope(name or "SparseSoftmaxCrossEntropyWithLogits") as scope:
        labels = check_dtype(op_type, "labels", convert_to_tensor(labels, name="labels"), INDEX)
        logits = check_dtype(op_type, "logits", convert_to_tensor(logits, name="logits"), FLOATS)
        out_dtype = logits.dtype.base_dtype
        x = _compute_type(logits)
        label_rank, logit_rank = labels.shape.ndims, x.shape.ndims
        if logit_rank == 0:
            raise ValueError(f"Logits cannot be scalars - received shape {x.shape}.")
        if label_rank is not None and logit_rank is not None:
            if label_rank != logit_rank - 1:
                raise ValueError(f"Rank mismatch: Rank of labels (received {label_rank}) should "
                                 f"equal rank of logits minus 1 (received {logit_rank}).")
            if not labels.shape.is_compatible_with(x.shape[:-1]):
                raise ValueError(f"Shape mismatch: The shape of labels (received "
                                 f"{labels.shape}) should equal the shape of logits except for "
                                 f"the last dimension (received {x.shape}).")
        attrs = {"T": x.dtype.base_dtype, "Tlabels": labels.dtype.base_dtype}
        reshape = logit_rank != 2
        cast = out_dtype != x.dtype.base_dtype
        op_name = "SparseSoftmaxCrossEntropyWithLogits" if reshape or cast else scope[:-1] + "/"
        if reshape:
            x, flat_labels = _flatten_outer(x), array.reshape(labels, [-1])
        else:
            flat_labels = labels
        loss, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", [x, flat_labels], attrs,
                           op_name)
        outer = labels.shape.as_list() if labels.shape.is_fully_defined() else \
            array.shape(labels)
        return _finish_loss(loss, outer, reshape, out_dtype, scope[:-1] + "/")


# ---------------------------------------------------------------------------------------------
# L2 loss and top-k

register_op("L2Loss", lambda op: [(op.inputs[0].dtype.base_dtype, TensorShape([]))])


def l2_loss(t, name=None):
    """sum(t ** 2) / 2, a scalar."""
    t = check_dtype("L2Loss", "t", convert_to_tensor(t, name="t"), FLOATS)
    return apply_op("L2Loss", [t], {"T": t.dtype.base_dtype}, name or "L2Loss")


def _infer_in_top_k(op):
    return [(dtypes.bool_, TensorShape([_matrix_vector_batch(op, "predictions", "targets")]))]


def _infer_top_k(op):
    x = op.inputs[0]
    if op.type == "TopKV2":
        k = constant_value(op.inputs[1])
        k = None if k is None else int(k)
    else:
        k = op.attrs["k"]
    if x.shape.ndims is None:
        shape = unknown_shape()
    else:
        if x.shape.ndims < 1:
            raise ValueError(f"Shape must be at least rank 1 but is rank 0 for '{op.name}' "
                             f"(op: '{op.type}') with input shapes: {_input_shapes(op)}.")
        last = x.shape[-1]
        if k is not None and k < 0:
            raise ValueError(f"{op.type} ({op.name}): k must be non-negative, got {k}")
        if k is not None and last is not None and last < k:
            raise ValueError(f"input must have at least k columns. Had {last}, needed {k} for "
                             f"'{op.name}' (op: '{op.type}')")
        shape = x.shape[:-1].concatenate([k])
    return [(x.dtype.base_dtype, shape), (dtypes.int32, shape)]


register_op("InTopKV2", _infer_in_top_k)
register_op("InTopK", _infer_in_top_k)
register_op("TopKV2", _infer_top_k)
register_op("TopK", _infer_top_k)


def in_top_k(predictions, targets, k, name=None):
    """Whether targets[i] is among the k largest predictions[i] (ties count; a row with a
    non-finite prediction or an out-of-range target gives False). bool [batch]."""
    with get_default_graph().name_scope(name or "in_top_k") as scope:
        p = check_dtype("InTopKV2", "predictions",
                        convert_to_tensor(predictions, name="predictions"), (dtypes.float32,))
        t = check_dtype("InTopKV2", "targets", convert_to_tensor(targets, name="targets"), INDEX)
        k = convert_to_tensor(k, dtype=t.dtype.base_dtype, name="k")
        return apply_op("InTopKV2", [p, t, k], {"T": t.dtype.base_dtype}, scope[:-1] + "/")


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None):
    """(values, indices): the k largest entries of the last axis, largest first, and their
    int32 indices; equal values keep ascending index order."""
    x = check_dtype("TopKV2", "input", convert_to_tensor(input, name="input"), _REAL)
    k = convert_to_tensor(k, dtype=dtypes.int32, name="k")
    return TopKV2(*apply_op("TopKV2", [x, k], {"T": x.dtype.base_dtype, "sorted": bool(sorted)},
                            name or "TopKV2"))


__all__ = [
    "conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "conv2d_transpose",
    "depthwise_conv2d_native", "depthwise_conv2d_native_backprop_input",
    "depthwise_conv2d_native_backprop_filter", "max_pool", "avg_pool",
    "max_pool_with_argmax", "lrn", "local_response_normalization", "bias_add", "bias_add_v1",
    "relu", "relu6", "elu", "selu", "softplus", "softsign", "leaky_relu", "softmax",
    "log_softmax", "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
    "sparse_softmax_cross_entropy_with_logits", "l2_loss", "in_top_k", "top_k"]
