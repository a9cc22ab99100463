"""tf.nn functions composed from other ops: dropout, normalization, moments, the sigmoid cross
entropies, dense layers, embedding lookup, and the convolutions built on conv2d.

They add no op types, so their gradients come from the ops they are made of.
"""
import numbers

import numpy as np

from tensorflux.framework import dtypes
from tensorflux.framework.graph import convert_to_tensor, get_default_graph
from tensorflux.ops import array, math, nn, random
from tensorflux.ops.op_util import FLOATS, INDEX, check_dtype, constant_value


def _scope(name, default):
    return get_default_graph().name_scope(name or default)


# ---------------------------------------------------------------------------------------------
# Dropout

def _noise_shape(x, noise_shape):
    """The noise shape: x's shape by default; None entries of a list take x's sizes."""
    if noise_shape is None:
        return array.shape(x)
    if isinstance(noise_shape, (list, tuple)) and x.shape.ndims == len(noise_shape):
        return [d if d is not None else x.shape[i] if x.shape[i] is not None
                else array.shape(x)[i] for i, d in enumerate(noise_shape)]
    return noise_shape


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Keeps each element with probability keep_prob (= 1 - rate), scaled by 1 / keep_prob;
    zeroes the rest. keep_prob or rate may be a float or a scalar tensor (a placeholder fed
    1.0 turns dropout off). noise_shape broadcasts one keep/drop decision over dimensions of
    size 1. A Python rate of 0 returns x unchanged."""
    if keep_prob is not None and rate is not None:
        raise ValueError("dropout: cannot specify both 'keep_prob' and 'rate'")
    if keep_prob is not None:
        if isinstance(keep_prob, numbers.Real):
            if not 0 < keep_prob <= 1:
                raise ValueError(f"keep_prob must be a scalar tensor or a float in the range "
                                 f"(0, 1], got {keep_prob:g}")
            rate = 1.0 - keep_prob
        else:
            rate = keep_prob  # converted below, then taken from 1
    elif rate is None:
        raise ValueError("You must provide a rate to dropout.")
    with _scope(name, "dropout") as scope:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError(f"x has to be a floating point tensor since it's going to be "
                             f"scaled. Got a {x.dtype.base_dtype.name} tensor instead.")
        if isinstance(rate, numbers.Real):
            if not 0 <= rate < 1:
                raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), "
                                 f"got {rate:g}")
            if rate == 0:
                return x
        rate = convert_to_tensor(rate, dtype=x.dtype.base_dtype, name="rate")
        if rate.shape.ndims not in (None, 0):
            raise ValueError(f"dropout: {'keep_prob' if keep_prob is not None else 'rate'} must "
                             f"be a scalar, got shape {rate.shape}")
        if keep_prob is not None and not isinstance(keep_prob, numbers.Real):
            rate = math.subtract(1.0, rate)
        if constant_value(rate) is not None and float(constant_value(rate)) == 0:
            return x
        uniform = random.random_uniform(_noise_shape(x, noise_shape), seed=seed,
                                        dtype=x.dtype.base_dtype)
        scale = math.reciprocal(math.subtract(1.0, rate))
        keep = array.cast(math.greater_equal(uniform, rate), x.dtype.base_dtype)
        out = math.multiply(math.multiply(x, scale), keep, name=scope[:-1] + "/")
        out.set_shape(x.shape)
        return out


# ---------------------------------------------------------------------------------------------
# Normalization and moments

def _axis_arg(op_name, axis, dim):
    if axis is not None and dim is not None:
        raise ValueError(f"{op_name}: cannot specify both 'axis' and 'dim'")
    return dim if axis is None else axis


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon)); all axes when axis is None."""
    axis = _axis_arg("l2_normalize", axis, dim)
    with _scope(name, "l2_normalize") as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = math.reduce_sum(math.square(x), axis, keepdims=True)
        inv_norm = math.rsqrt(math.maximum(square_sum, epsilon))
        return math.multiply(x, inv_norm, name=scope[:-1] + "/")


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of x over `axes`; float16 is computed in float32. The variance is the
    population (biased) one."""
    keep = bool(keep_dims if keepdims is None else keepdims)
    with _scope(name, "moments"):
        x = convert_to_tensor(x, name="x")
        y = array.cast(x, dtypes.float32) if x.dtype.base_dtype == dtypes.float16 else x
        axes = list(axes) if isinstance(axes, (list, tuple)) else axes
        mean = math.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = math.reduce_mean(math.squared_difference(y, array.stop_gradient(mean)), axes,
                                    keepdims=True, name="variance")
        if not keep:
            squeeze_axes = [axes] if isinstance(axes, int) else axes
            mean = array.squeeze(mean, squeeze_axes)
            variance = array.squeeze(variance, squeeze_axes)
        if x.dtype.base_dtype == dtypes.float16:
            return array.cast(mean, dtypes.float16), array.cast(variance, dtypes.float16)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """scale * (x - mean) / sqrt(variance + variance_epsilon) + offset, broadcasting; offset
    and scale may be None."""
    with _scope(name, "batchnorm") as scope:
        x = convert_to_tensor(x, name="x")
        inv = math.rsqrt(math.add(variance, variance_epsilon))
        if scale is not None:
            inv = math.multiply(inv, scale)
        inv = array.cast(inv, x.dtype.base_dtype)
        shift = math.negative(math.multiply(mean, inv)) if offset is None else \
            math.subtract(offset, math.multiply(mean, inv))
        return math.add(math.multiply(x, inv), array.cast(shift, x.dtype.base_dtype),
                        name=scope[:-1] + "/")


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
                     data_format="NHWC", is_training=True, name=None):
    """Batch normalization of a 4-D x over its batch and spatial dimensions:
    (y, batch_mean, batch_variance). Training normalizes with the batch's population variance
    and returns the sample (n / (n - 1)) variance; inference uses `mean` and `variance`.
    Composed from other ops (no fused kernel)."""
    op_name = "fused_batch_norm"
    data_format = nn.check_data_format(op_name, data_format)
    if not is_training and (mean is None or variance is None):
        raise ValueError(f"{op_name}: both 'mean' and 'variance' must be 1-D tensors when "
                         f"is_training is False")
    epsilon = max(float(epsilon), 1.001e-5)  # TF's least epsilon
    with _scope(name, "FusedBatchNorm"):
        x = check_dtype(op_name, "x", convert_to_tensor(x, name="x"), FLOATS)
        if x.shape.ndims is not None and x.shape.ndims != 4:
            raise ValueError(f"{op_name}: x must be 4-D, got shape {x.shape}")
        y = array.cast(x, dtypes.float32) if x.dtype.base_dtype != dtypes.float64 else x
        axes = [0, 2, 3] if data_format == "NCHW" else [0, 1, 2]
        channel = [1, -1, 1, 1] if data_format == "NCHW" else [-1]
        scale = convert_to_tensor(scale, dtype=y.dtype.base_dtype, name="scale")
        offset = convert_to_tensor(offset, dtype=y.dtype.base_dtype, name="offset")
        if is_training:
            batch_mean, batch_var = moments(y, axes)
            n = _count(y, axes)
            sample_var = math.multiply(batch_var, math.truediv(n, math.maximum(n - 1.0, 1.0)))
        else:
            batch_mean = convert_to_tensor(mean, dtype=y.dtype.base_dtype, name="mean")
            batch_var = convert_to_tensor(variance, dtype=y.dtype.base_dtype, name="variance")
            sample_var = batch_var
        out = batch_normalization(y, array.reshape(batch_mean, channel),
                                  array.reshape(batch_var, channel),
                                  array.reshape(offset, channel), array.reshape(scale, channel),
                                  epsilon)
        return array.cast(out, x.dtype.base_dtype), batch_mean, sample_var


def _count(x, axes):
    """The number of elements each reduction over `axes` covers, as x's dtype."""
    dims = [x.shape[a] for a in axes] if x.shape.ndims is not None else [None]
    if all(d is not None for d in dims):
        return convert_to_tensor(float(np.prod(dims)), dtype=x.dtype.base_dtype)
    sizes = array.gather(array.shape(x), axes)
    return array.cast(math.reduce_prod(sizes), x.dtype.base_dtype)


# ---------------------------------------------------------------------------------------------
# Sigmoid cross entropies

def _check_same_shape(what, logits, labels):
    if not logits.shape.is_compatible_with(labels.shape):
        raise ValueError(f"logits and {what} must have the same shape ({logits.shape} vs "
                         f"{labels.shape})")


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Elementwise logistic loss of logits x against labels z in [0, 1], in the stable form
    max(x, 0) - x * z + log(1 + exp(-|x|)). Labels and logits must be passed by name and
    have one shape (ValueError otherwise)."""
    nn.check_named_xent_args("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with _scope(name, "logistic_loss") as scope:
        logits = check_dtype("sigmoid_cross_entropy_with_logits", "logits",
                             convert_to_tensor(logits, name="logits"), FLOATS)
        labels = convert_to_tensor(labels, dtype=logits.dtype.base_dtype, name="labels")
        _check_same_shape("labels", logits, labels)
        # Selects rather than max/abs, so the gradient at x == 0 is sigmoid(0) - z.
        zeros = array.zeros_like(logits)
        positive = math.greater_equal(logits, zeros)
        relu_logits = array.where(positive, logits, zeros)
        neg_abs_logits = array.where(positive, math.negative(logits), logits)
        return math.add(math.subtract(relu_logits, math.multiply(logits, labels)),
                        math.log1p(math.exp(neg_abs_logits)), name=scope[:-1] + "/")


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None,
                                       targets=None):
    """sigmoid_cross_entropy_with_logits with positive examples weighted by pos_weight q, in
    the stable form (1 - z) * x + l * (log(1 + exp(-|x|)) + max(-x, 0)), l = 1 + (q - 1) * z.
    `targets` is TF1's older name for labels."""
    if labels is not None and targets is not None:
        raise ValueError("weighted_cross_entropy_with_logits: cannot specify both 'labels' "
                         "and 'targets'")
    labels = targets if labels is None else labels
    if labels is None or logits is None or pos_weight is None:
        raise ValueError("weighted_cross_entropy_with_logits needs labels (targets), logits "
                         "and pos_weight")
    with _scope(name, "logistic_loss") as scope:
        logits = check_dtype("weighted_cross_entropy_with_logits", "logits",
                             convert_to_tensor(logits, name="logits"), FLOATS)
        labels = convert_to_tensor(labels, dtype=logits.dtype.base_dtype, name="labels")
        _check_same_shape("targets", logits, labels)
        pos_weight = convert_to_tensor(pos_weight, dtype=logits.dtype.base_dtype,
                                       name="pos_weight")
        log_weight = math.add(1.0, math.multiply(math.subtract(pos_weight, 1.0), labels))
        softplus_neg = math.add(math.log1p(math.exp(math.negative(math.abs(logits)))),
                                nn.relu(math.negative(logits)))
        return math.add(math.multiply(math.subtract(1.0, labels), logits),
                        math.multiply(log_weight, softplus_neg), name=scope[:-1] + "/")


# ---------------------------------------------------------------------------------------------
# Dense layers and embeddings

def xw_plus_b(x, weights, biases, name=None):
    """matmul(x, weights) + biases."""
    with _scope(name, "xw_plus_b") as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return nn.bias_add(math.matmul(x, weights), biases, name=scope[:-1] + "/")


def relu_layer(x, weights, biases, name=None):
    """relu(matmul(x, weights) + biases)."""
    with _scope(name, "relu_layer") as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return nn.relu(nn.bias_add(math.matmul(x, weights), biases), name=scope[:-1] + "/")


def _partition_offsets(params, ids_dtype):
    """Where each partition starts in the concatenation of `params`, as a 1-D tensor."""
    sizes = [p.shape[0] if p.shape.ndims else None for p in params]
    if all(s is not None for s in sizes):
        starts = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(ids_dtype.as_numpy_dtype)
        return convert_to_tensor(starts, dtype=ids_dtype, name="partition_offsets")
    rows = array.stack([array.cast(array.shape(p)[0], ids_dtype) for p in params])
    return math.cumsum(rows, exclusive=True)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """The rows of `params` at `ids` (output shape ids.shape + params.shape[1:]).

    `params` is one tensor or a list of partitions of one table. With 'mod', id i lives in
    partition i % n at row i // n; with 'div', ids are split into contiguous ranges, first
    partitions holding one more when the count does not divide. max_norm clips each looked-up
    row to that L2 norm.
    """
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"Unrecognized partition strategy: {partition_strategy}")
    if isinstance(params, (list, tuple)):
        params = list(params)
    else:
        params = [params]
    if not params:
        raise ValueError("Need at least one param")
    with _scope(name, "embedding_lookup") as scope:
        ids = check_dtype("embedding_lookup", "ids", convert_to_tensor(ids, name="ids"), INDEX)
        if len(params) == 1:
            result = array.gather(params[0], ids, name=None if max_norm else scope[:-1] + "/")
        else:
            params = [convert_to_tensor(p, name="params") for p in params]
            table = array.concat(params, 0)
            if partition_strategy == "mod":
                count = convert_to_tensor(len(params), dtype=ids.dtype.base_dtype)
                offsets = _partition_offsets(params, ids.dtype.base_dtype)
                ids = math.add(array.gather(offsets, math.floormod(ids, count)),
                               math.floordiv(ids, count))
            result = array.gather(table, ids, name=None if max_norm else scope[:-1] + "/")
        if max_norm is None:
            return result
        return _clip_rows(result, ids.shape.ndims, max_norm, scope[:-1] + "/")


def _clip_rows(values, ids_rank, max_norm, name):
    """Each embedding (the dims after the ids' dims) scaled down to L2 norm <= max_norm."""
    rank = values.shape.ndims
    if rank is None or ids_rank is None:
        raise ValueError("embedding_lookup: max_norm needs ids and params of known rank")
    axes = list(range(ids_rank, rank))
    if not axes:
        return array.identity(values, name=name)
    norm = math.sqrt(math.reduce_sum(math.square(values), axes, keepdims=True))
    limit = convert_to_tensor(max_norm, dtype=values.dtype.base_dtype, name="max_norm")
    scale = math.truediv(limit, math.maximum(norm, limit))
    return math.multiply(values, scale, name=name)


def crelu(features, name=None, axis=-1):
    """concat([relu(features), relu(-features)], axis)."""
    with _scope(name, "CRelu") as scope:
        features = convert_to_tensor(features, name="features")
        both = array.concat([features, math.negative(features)], axis)
        return nn.relu(both, name=scope[:-1] + "/")


def zero_fraction(value, name=None):
    """The fraction of zeros in `value`, a float32 scalar."""
    with _scope(name, "zero_fraction"):
        value = convert_to_tensor(value, name="value")
        zero = array.zeros([], dtype=value.dtype.base_dtype)
        return math.reduce_mean(array.cast(math.equal(value, zero), dtypes.float32))


# ---------------------------------------------------------------------------------------------
# Convolutions built on conv2d and depthwise_conv2d_native

def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None,
                     dilations=None):
    """Depthwise convolution (see depthwise_conv2d_native) with an optional atrous `rate`
    (2 ints; strides must then be 1)."""
    op_type = "depthwise_conv2d"
    if rate is not None and dilations is not None:
        raise ValueError(f"{op_type}: cannot specify both 'rate' and 'dilations'")
    rate = dilations if rate is None else rate
    data_format = nn.check_data_format(op_type, data_format)
    dilation_attr = nn.window_attr(op_type, "rate", rate, data_format)
    stride_attr = nn.window_attr(op_type, "strides", strides, data_format)
    if max(dilation_attr) > 1 and max(stride_attr) > 1:
        raise ValueError(f"{op_type}: strides > 1 not supported in conjunction with rate > 1 "
                         f"(strides {stride_attr}, rate {dilation_attr})")
    with get_default_graph().name_scope(name or "depthwise") as scope:
        return nn.depthwise_conv2d_native(input, filter, stride_attr, padding, data_format,
                                          dilation_attr, name=scope[:-1] + "/")


def atrous_conv2d(value, filters, rate, padding, name=None):
    """conv2d with the filter dilated by `rate` (>= 1) in both spatial dimensions."""
    if int(rate) < 1:
        raise ValueError(f"atrous_conv2d: rate {rate} cannot be less than one")
    return nn.conv2d(value, filters, [1, 1, 1, 1], padding, dilations=[1, rate, rate, 1],
                     name=name)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, rate=None,
                     name=None, data_format=None, dilations=None):
    """depthwise_conv2d then a 1x1 conv2d with pointwise_filter [1, 1, in * multiplier, out]."""
    with _scope(name, "separable_conv2d") as scope:
        input = convert_to_tensor(input, name="input")
        depthwise_filter = convert_to_tensor(depthwise_filter, name="depthwise_filter")
        pointwise_filter = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        d_shape, p_shape = depthwise_filter.shape, pointwise_filter.shape
        if d_shape.ndims not in (None, 4) or p_shape.ndims not in (None, 4):
            raise ValueError(f"separable_conv2d: filters must be 4-D, got depthwise "
                             f"{d_shape} and pointwise {p_shape}")
        if p_shape.ndims == 4 and (p_shape[0] not in (None, 1) or p_shape[1] not in (None, 1)):
            raise ValueError(f"separable_conv2d: pointwise_filter must be [1, 1, in, out], got "
                             f"{p_shape}")
        depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, rate=rate,
                                        name="depthwise", data_format=data_format,
                                        dilations=dilations)
        return nn.conv2d(depthwise, pointwise_filter, [1, 1, 1, 1], "VALID",
                         data_format=data_format or "NHWC", name=scope[:-1] + "/")


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None,
           data_format=None, name=None, input=None, dilations=None):
    """1-D convolution of a [batch, width, in] ('NWC') or [batch, in, width] ('NCW') input with
    a [width, in, out] filter, through conv2d on a height of one."""
    if value is not None and input is not None:
        raise ValueError("conv1d: cannot specify both 'input' and 'value'")
    value = input if value is None else value
    if data_format not in (None, "NWC", "NHWC", "NCW", "NCHW"):
        raise ValueError(f"conv1d: data_format must be 'NWC' or 'NCW', got {data_format!r}")
    channels_first = data_format in ("NCW", "NCHW")
    with _scope(name, "conv1d") as scope:
        value = convert_to_tensor(value, name="input")
        filters = convert_to_tensor(filters, name="filters")
        spatial = 2 if channels_first else 1
        if value.shape.ndims not in (None, 3) or filters.shape.ndims not in (None, 3):
            raise ValueError(f"conv1d: input and filters must be 3-D, got {value.shape} and "
                             f"{filters.shape}")
        x = array.expand_dims(value, spatial)
        f = array.expand_dims(filters, 0)
        fmt = "NCHW" if channels_first else "NHWC"
        strides = _width_only("conv1d", "stride", stride, channels_first)
        rates = _width_only("conv1d", "dilations", dilations, channels_first)
        out = nn.conv2d(x, f, strides, padding, data_format=fmt, dilations=rates)
        return array.squeeze(out, [spatial], name=scope[:-1] + "/")


def _width_only(op_name, arg, value, channels_first):
    """A conv1d stride / dilation (int, 1 or 3 values) as conv2d's 4 with height 1."""
    values = [1] if value is None else ([int(value)] if isinstance(value, numbers.Integral)
                                        else [int(v) for v in value])
    if len(values) == 3:
        values = [values[2]] if channels_first else [values[1]]
    if len(values) != 1:
        raise ValueError(f"{op_name}: {arg} should be of length 1 or 3 but was {len(values)}")
    return [1, 1, 1, values[0]] if channels_first else [1, 1, values[0], 1]


def convolution(input, filter, padding, strides=None, dilation_rate=None, name=None,
                data_format=None, filters=None, dilations=None):
    """N-D convolution for N = 1 or 2 (by the filter's rank), as conv1d or conv2d."""
    if filter is not None and filters is not None:
        raise ValueError("convolution: cannot specify both 'filters' and 'filter'")
    filter = filters if filter is None else filter
    if dilation_rate is not None and dilations is not None:
        raise ValueError("convolution: cannot specify both 'dilations' and 'dilation_rate'")
    dilation_rate = dilations if dilation_rate is None else dilation_rate
    filter = convert_to_tensor(filter, name="filter")
    rank = filter.shape.ndims
    if rank == 3:
        return conv1d(input, filter, strides, padding, data_format=data_format, name=name,
                      dilations=dilation_rate)
    if rank == 4:
        fmt = {None: "NHWC", "NHWC": "NHWC", "NCHW": "NCHW"}.get(data_format)
        if fmt is None:
            raise ValueError(f"convolution: data_format must be 'NHWC' or 'NCHW' for 2-D, got "
                             f"{data_format!r}")
        return nn.conv2d(input, filter, strides, padding, data_format=fmt,
                         dilations=dilation_rate, name=name or "convolution")
    raise ValueError(f"convolution: only 1-D and 2-D convolutions are supported (filter rank 3 "
                     f"or 4), got filter shape {filter.shape}")


__all__ = ["dropout", "l2_normalize", "moments", "batch_normalization", "fused_batch_norm",
           "sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits",
           "xw_plus_b", "relu_layer", "embedding_lookup", "crelu", "zero_fraction",
           "depthwise_conv2d", "atrous_conv2d", "separable_conv2d", "conv1d", "convolution"]
