"""TF1's summary ops: each one evaluates to a serialized Summary (a scalar string tensor).

`tf.summary.scalar("loss", x)` builds, inside a name scope `loss`, a Const with the tag and a
ScalarSummary op named by the scope, and adds its output to the SUMMARIES collection;
`merge_all()` joins every collected summary into one, which a FileWriter writes per step.
The kernels are in kernels/numpy/summary.py.
"""
import contextlib
import logging
import re

import numpy as np

from tensorflux.formats import protos
from tensorflux.framework import dtypes
from tensorflux.framework.graph import GraphKeys, convert_to_tensor, get_default_graph
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.framework.shapes import TensorShape
from tensorflux.ops.constant import constant
from tensorflux.ops.op_util import apply_op

_SCALAR = [(dtypes.string, TensorShape([]))]
for _type in ("ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummaryV2",
              "TensorSummaryV2", "MergeSummary"):
    register_op(_type, lambda op: _SCALAR)
not_differentiable("ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummaryV2",
                   "TensorSummaryV2", "MergeSummary")

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")
_logger = logging.getLogger("tensorflux")


def _clean_tag(name):
    """A name usable as a tag and scope: other characters become '_', no leading '/'."""
    if name is None:
        return None
    cleaned = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
    if cleaned != name:
        _logger.info("Summary name %s is illegal; using %s instead.", name, cleaned)
    return cleaned


@contextlib.contextmanager
def _summary_scope(name, family=None):
    """Yields (tag, scope): the scope is a unique name scope `[family/]name`; the tag is that
    scope's full name, with the family in front once more so TensorBoard groups by it."""
    name, family = _clean_tag(name), _clean_tag(family)
    base = name if not family else f"{family}/{name}"
    with get_default_graph().name_scope(base) as scope:
        tag = scope.rstrip("/")
        yield (f"{family}/{tag}" if family else tag), scope


def _collect(value, collections):
    graph = value.graph
    for key in ([GraphKeys.SUMMARIES] if collections is None else collections):
        graph.add_to_collection(key, value)
    return value


def _summary_op(op_type, scope, inputs, attrs):
    return apply_op(op_type, inputs, attrs, scope)    # a name ending in "/" is used as is


def scalar(name, tensor, collections=None, family=None):
    """A Summary with one simple_value: `tensor` must be a real scalar (a tensor of another
    shape fails the run with InvalidArgumentError)."""
    tensor = convert_to_tensor(tensor)
    _check_real("scalar", name, tensor)
    with _summary_scope(name, family) as (tag, scope):
        tags = constant(tag, name="tags")
        value = _summary_op("ScalarSummary", scope, [tags, tensor],
                            {"T": tensor.dtype.base_dtype})
    return _collect(value, collections)


def _check_real(kind, name, tensor):
    dtype = tensor.dtype.base_dtype
    if not (dtype.is_floating or dtype.is_integer) or dtype.is_complex:
        raise TypeError(f"tf.summary.{kind} '{name}': values must be real numbers, got "
                        f"{dtype.name}")


def histogram(name, values, collections=None, family=None):
    """A Summary with the histogram of `values` over TF's default bucket limits; a NaN or
    infinity fails the run with InvalidArgumentError."""
    values = convert_to_tensor(values)
    _check_real("histogram", name, values)
    with _summary_scope(name, family) as (tag, scope):
        tag_tensor = constant(tag, name="tag")
        value = _summary_op("HistogramSummary", scope, [tag_tensor, values],
                            {"T": values.dtype.base_dtype})
    return _collect(value, collections)


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """PNG images of a [batch, height, width, channels] tensor (1, 3 or 4 channels), at most
    max_outputs of them, tagged `name/image/i` (`name/image` when max_outputs is 1).
    uint8 images are stored as they are; float images are rescaled each on its own."""
    tensor = convert_to_tensor(tensor)
    if tensor.shape.ndims not in (None, 4):
        raise ValueError(f"tf.summary.image '{name}': tensor must be 4-D, got shape "
                         f"{tensor.shape}")
    dtype = tensor.dtype.base_dtype
    if dtype not in (dtypes.uint8, dtypes.float16, dtypes.float32, dtypes.float64):
        raise TypeError(f"tf.summary.image '{name}': images must be uint8, float16, float32 or "
                        f"float64, got {dtype.name}")
    with _summary_scope(name, family) as (tag, scope):
        tag_tensor = constant(tag, name="tag")
        value = _summary_op("ImageSummary", scope, [tag_tensor, tensor],
                            {"T": dtype, "max_images": int(max_outputs),
                             "bad_color": np.array([255, 0, 0, 255], np.uint8)})
    return _collect(value, collections)


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """16-bit WAV clips of a float tensor [batch, frames] or [batch, frames, channels] with
    values in [-1, 1], at most max_outputs of them, tagged like images (`name/audio/i`)."""
    tensor = convert_to_tensor(tensor, dtype=dtypes.float32)
    with _summary_scope(name, family) as (tag, scope):
        rate = convert_to_tensor(sample_rate, dtype=dtypes.float32, name="sample_rate")
        tag_tensor = constant(tag, name="tag")
        value = _summary_op("AudioSummaryV2", scope, [tag_tensor, tensor, rate],
                            {"max_outputs": int(max_outputs)})
    return _collect(value, collections)


def tensor_summary(name, tensor, summary_description=None, collections=None,
                   summary_metadata=None, family=None, display_name=None):
    """A Summary holding `tensor` itself, with `summary_metadata` (a SummaryMetadata)."""
    tensor = convert_to_tensor(tensor)
    metadata = summary_metadata if summary_metadata is not None else protos.SummaryMetadata()
    if display_name:
        metadata.display_name = display_name
    if summary_description:
        metadata.summary_description = summary_description
    with _summary_scope(name, family) as (tag, scope):
        tag_tensor = constant(tag, name="tag")
        serialized = constant(metadata.SerializeToString(), name="serialized_summary_metadata")
        value = _summary_op("TensorSummaryV2", scope, [tag_tensor, tensor, serialized],
                            {"T": tensor.dtype.base_dtype})
    return _collect(value, collections)


def text(name, tensor, collections=None):
    """A string tensor TensorBoard's Text dashboard shows (markdown)."""
    tensor = convert_to_tensor(tensor)
    if tensor.dtype.base_dtype != dtypes.string:
        raise ValueError(f"Expected tensor {tensor.name} to have dtype string, got "
                         f"{tensor.dtype.name}")
    metadata = protos.SummaryMetadata(
        plugin_data=protos.SummaryMetadata.PluginData(plugin_name="text"))
    return tensor_summary(name, tensor, summary_metadata=metadata, collections=collections)


def merge(inputs, collections=None, name=None):
    """One Summary with the values of all `inputs` (serialized Summary tensors); a tag that
    occurs twice fails the run with InvalidArgumentError."""
    inputs = [convert_to_tensor(t, dtype=dtypes.string) for t in inputs]
    with get_default_graph().name_scope(name or "Merge"):
        value = apply_op("MergeSummary", inputs, {"N": len(inputs)}, name or "MergeSummary")
    if collections:
        _collect(value, collections)
    return value


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """merge() of every summary in collection `key` (None when there is none)."""
    summaries = get_default_graph().get_collection(key, scope=scope)
    if not summaries:
        return None
    return merge(summaries, name=name)


__all__ = ["scalar", "histogram", "image", "audio", "text", "tensor_summary", "merge",
           "merge_all"]
