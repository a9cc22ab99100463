"""tf.contrib.layers regularizers: functions of a weight tensor that give a scalar penalty,
for get_variable(regularizer=...) and the REGULARIZATION_LOSSES collection."""
import numbers

from tensorflux.framework.graph import (GraphKeys, add_to_collection, convert_to_tensor,
                                        get_collection, get_default_graph)
from tensorflux.ops import math, nn
from tensorflux.platform import tf_logging as logging


def _check_scale(scale):
    """None when the scale turns the regularizer off (0), else the scale; ValueError for
    integer or negative scales, as TF1."""
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}")
        if scale == 0.0:
            logging.info("Scale of 0 disables regularizer.")
            return None
    return scale


def _regularizer(scale, scope, default_name, penalty):
    scale = _check_scale(scale)
    if scale is None:
        return lambda _: None

    def regularize(weights):
        with get_default_graph().name_scope(scope or default_name) as name:
            weights = convert_to_tensor(weights, name="weights")
            factor = convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return math.multiply(factor, penalty(weights), name=name[:-1] + "/")
    return regularize


def l1_regularizer(scale, scope=None):
    """weights -> scale * sum(|weights|)."""
    return _regularizer(scale, scope, "l1_regularizer",
                        lambda w: math.reduce_sum(math.abs(w)))


def l2_regularizer(scale, scope=None):
    """weights -> scale * sum(weights ** 2) / 2 (l2_loss)."""
    return _regularizer(scale, scope, "l2_regularizer", nn.l2_loss)


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """weights -> l1_regularizer(scale_l1)(weights) + l2_regularizer(scale_l2)(weights)."""
    l1, l2 = l1_regularizer(scale_l1), l2_regularizer(scale_l2)

    def regularize(weights):
        with get_default_graph().name_scope(scope or "l1_l2_regularizer") as name:
            parts = [p for p in (l1(weights), l2(weights)) if p is not None]
            if not parts:
                return None
            return math.add_n(parts, name=name[:-1] + "/")
    return regularize


def apply_regularization(regularizer, weights_list=None):
    """The sum of regularizer(w) over weights_list (default: the WEIGHTS collection), added to
    REGULARIZATION_LOSSES."""
    weights_list = get_collection(GraphKeys.WEIGHTS) if weights_list is None else weights_list
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with get_default_graph().name_scope("get_regularization_penalty") as name:
        penalties = [p for p in (regularizer(w) for w in weights_list) if p is not None]
        if not penalties:
            return convert_to_tensor(0.0)
        total = math.add_n(penalties, name=name[:-1] + "/")
        add_to_collection(GraphKeys.REGULARIZATION_LOSSES, total)
        return total


__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "apply_regularization"]
