"""tf.losses: loss functions that weight, reduce and collect their result, and the losses
collections (LOSSES, REGULARIZATION_LOSSES) that get_total_loss adds up.

Every loss is computed in float32 (as TF1 does) and cast back to its input's dtype, weighted
elementwise by `weights` (which must broadcast to the losses' shape), reduced per `reduction`
and added to `loss_collection`.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import (GraphKeys, add_to_collection, convert_to_tensor,
                                        get_collection, get_default_graph)
from tensorflux.ops import array, math, nn, nn_impl
from tensorflux.ops.constant import constant


class Reduction:
    """How compute_weighted_loss reduces the weighted losses."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_OVER_NONZERO_WEIGHTS, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}.")


def _scope(name, default):
    return get_default_graph().name_scope(name or default)


def _check_broadcastable(weights, losses):
    """ValueError unless weights is a scalar or has the losses' rank with each dimension 1 or
    equal (checked where the shapes are known statically)."""
    w, v = weights.shape, losses.shape
    if w.ndims is None or v.ndims is None or w.ndims == 0:
        return
    ok = w.ndims == v.ndims and all(a is None or b is None or a == 1 or a == b
                                    for a, b in zip(w.as_list(), v.as_list()))
    if not ok:
        raise ValueError(f"weights can not be broadcast to values. values.rank={v.ndims}. "
                         f"weights.rank={w.ndims}. values.shape={v}. weights.shape={w}.")


def _safe_divide(total, count):
    """total / count, or 0 where count is 0."""
    positive = math.greater(count, 0.0)
    safe = array.where(positive, count, array.ones_like(count))
    return array.where(positive, math.truediv(total, safe), array.zeros_like(total),
                       name="value")


def _num_elements(losses):
    with _scope(None, "num_elements") as scope:
        return array.cast(array.size(losses), losses.dtype.base_dtype, name=scope[:-1] + "/")


def _num_present(losses, weights):
    """How many elements of losses have a nonzero weight, weights broadcast to losses."""
    with _scope(None, "num_present") as scope:
        present = array.where(math.equal(weights, 0.0), array.zeros_like(weights),
                              array.ones_like(weights))
        present = math.multiply(present, array.ones_like(losses))
        return math.reduce_sum(present, name=scope[:-1] + "/")


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """losses * weights reduced per `reduction` (default: the weighted sum divided by the
    number of nonzero weights), cast back to losses' dtype and added to loss_collection."""
    Reduction.validate(reduction)
    with _scope(scope, "weighted_loss"):
        losses = convert_to_tensor(losses, name="losses")
        input_dtype = losses.dtype.base_dtype
        weights = convert_to_tensor(weights, name="weights")
        _check_broadcastable(weights, losses)
        losses = array.cast(losses, dtypes.float32)
        weights = array.cast(weights, dtypes.float32)
        weighted = math.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = math.reduce_sum(weighted)
            if reduction == Reduction.MEAN:
                loss = _safe_divide(loss, math.reduce_sum(math.multiply(array.ones_like(losses),
                                                                        weights)))
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                loss = _safe_divide(loss, _num_present(losses, weights))
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = _safe_divide(loss, _num_elements(losses))
        loss = array.cast(loss, input_dtype)
        add_loss(loss, loss_collection)
        return loss


def _require(**values):
    for name, value in values.items():
        if value is None:
            raise ValueError(f"{name} must not be None.")


def _float_pair(labels, predictions):
    predictions = array.cast(convert_to_tensor(predictions, name="predictions"), dtypes.float32)
    labels = array.cast(convert_to_tensor(labels, name="labels"), dtypes.float32)
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible "
                         f"(predictions and labels)")
    return labels, predictions


def mean_squared_error(labels, predictions, weights=1.0, scope=None,
                       loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted (predictions - labels) ** 2."""
    _require(labels=labels, predictions=predictions)
    with _scope(scope, "mean_squared_error") as name:
        labels, predictions = _float_pair(labels, predictions)
        losses = math.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def absolute_difference(labels, predictions, weights=1.0, scope=None,
                        loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted |predictions - labels|."""
    _require(labels=labels, predictions=predictions)
    with _scope(scope, "absolute_difference") as name:
        labels, predictions = _float_pair(labels, predictions)
        losses = math.abs(math.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None,
             loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted -labels * log(predictions + eps) - (1 - labels) * log(1 - predictions + eps)."""
    _require(labels=labels, predictions=predictions)
    with _scope(scope, "log_loss") as name:
        labels, predictions = _float_pair(labels, predictions)
        positive = math.multiply(labels, math.log(math.add(predictions, epsilon)))
        negative = math.multiply(math.subtract(1.0, labels),
                                 math.log(math.add(math.subtract(1.0, predictions), epsilon)))
        losses = math.subtract(math.negative(positive), negative)
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted max(0, 1 - (2 * labels - 1) * logits), labels in {0, 1}."""
    _require(labels=labels, logits=logits)
    with _scope(scope, "hinge_loss") as name:
        labels, logits = _float_pair(labels, logits)
        signs = math.subtract(math.multiply(2.0, labels), 1.0)
        losses = nn.relu(math.subtract(1.0, math.multiply(signs, logits)))
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None,
               loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted 0.5 * e ** 2 where |e| <= delta, else delta * (|e| - 0.5 * delta),
    e = predictions - labels."""
    _require(labels=labels, predictions=predictions)
    with _scope(scope, "huber_loss") as name:
        labels, predictions = _float_pair(labels, predictions)
        error = math.abs(math.subtract(predictions, labels))
        quadratic = math.minimum(error, delta)
        linear = math.subtract(error, quadratic)
        losses = math.add(math.multiply(0.5, math.square(quadratic)),
                          math.multiply(delta, linear))
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None,
                    loss_collection=GraphKeys.LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None):
    """Weighted 1 - sum(labels * predictions, axis), for unit-normalized inputs."""
    if axis is not None and dim is not None:
        raise ValueError("cosine_distance: cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    _require(labels=labels, predictions=predictions)
    with _scope(scope, "cosine_distance_loss") as name:
        labels, predictions = _float_pair(labels, predictions)
        products = math.reduce_sum(math.multiply(predictions, labels), axis, keepdims=True)
        return compute_weighted_loss(math.subtract(1.0, products), weights, name,
                                     loss_collection, reduction)


def _logits_and_labels(logits, labels, labels_name):
    """logits as a tensor and labels cast to its dtype; ValueError if their shapes differ."""
    logits = convert_to_tensor(logits, name="logits")
    labels = array.cast(labels, logits.dtype.base_dtype)
    if not logits.shape.is_compatible_with(labels.shape):
        raise ValueError(f"Shapes {logits.shape} and {labels.shape} are incompatible "
                         f"(logits and {labels_name})")
    return logits, labels


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted sigmoid_cross_entropy_with_logits; label_smoothing s moves labels toward 1/2:
    labels * (1 - s) + s / 2."""
    _require(multi_class_labels=multi_class_labels, logits=logits)
    with _scope(scope, "sigmoid_cross_entropy_loss") as name:
        logits, labels = _logits_and_labels(logits, multi_class_labels, "multi_class_labels")
        if label_smoothing > 0:
            labels = math.add(math.multiply(labels, 1.0 - label_smoothing),
                              0.5 * label_smoothing)
        losses = nn_impl.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                           name="xentropy")
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted softmax cross entropy per example ([batch] weights); label_smoothing s moves
    labels toward uniform: labels * (1 - s) + s / num_classes. No gradient into labels."""
    _require(onehot_labels=onehot_labels, logits=logits)
    with _scope(scope, "softmax_cross_entropy_loss") as name:
        logits, labels = _logits_and_labels(logits, onehot_labels, "onehot_labels")
        if label_smoothing > 0:
            classes = array.cast(array.shape(labels)[-1], logits.dtype.base_dtype)
            labels = math.add(math.multiply(labels, 1.0 - label_smoothing),
                              math.truediv(label_smoothing, classes))
        labels = array.stop_gradient(labels, name="labels_stop_gradient")
        losses = nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits,
                                                         name="xentropy")
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def _squeeze_last(tensor, rank):
    """`tensor` without a trailing dimension of size 1 when its rank is `rank` + 1."""
    shape = tensor.shape
    if shape.ndims == rank + 1 and shape[-1] == 1:
        return array.squeeze(tensor, [-1])
    return tensor


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None,
                                 loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted sparse softmax cross entropy; labels [batch] (or [batch, 1]) class indices."""
    _require(labels=labels, logits=logits)
    with _scope(scope, "sparse_softmax_cross_entropy_loss") as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        weights = convert_to_tensor(weights, name="weights")
        if logits.shape.ndims is not None:
            labels = _squeeze_last(labels, logits.shape.ndims - 1)
            if weights.shape.ndims:
                weights = _squeeze_last(weights, logits.shape.ndims - 1)
        losses = nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                             name="xentropy")
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


# ---------------------------------------------------------------------------------------------
# The losses collections

def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Adds `loss` to `loss_collection` (nothing when it is None or empty)."""
    if loss_collection:
        add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    return get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses, or 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return math.add_n(losses, name=name)
    return constant(0.0)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the LOSSES collection and (by default) REGULARIZATION_LOSSES; ValueError
    when both are empty."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    return math.add_n(losses, name=name)


__all__ = ["Reduction", "compute_weighted_loss", "mean_squared_error", "absolute_difference",
           "log_loss", "hinge_loss", "huber_loss", "cosine_distance", "sigmoid_cross_entropy",
           "softmax_cross_entropy", "sparse_softmax_cross_entropy", "add_loss", "get_losses",
           "get_regularization_losses", "get_regularization_loss", "get_total_loss"]
