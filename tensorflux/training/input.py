"""Queue-based input pipelines: producers of work items, and batching of examples.

Each function builds a queue, the ops that fill it and a QueueRunner (added to the graph's
QUEUE_RUNNERS collection) that runs those ops in background threads once
`tf.train.start_queue_runners` is called. `num_epochs` counts through a local variable, so
`tf.local_variables_initializer()` must run first; once the epochs are used up the queue is
closed and its consumers see OutOfRangeError after draining it. The maybe_* batchers enqueue
only the examples their `keep_input` selects.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import (GraphKeys, Tensor, convert_to_tensor, get_default_graph,
                                        name_scope)
from tensorflux.framework.shapes import TensorShape, as_shape
from tensorflux.ops import array, math
from tensorflux.ops.constant import constant
from tensorflux.ops.control_flow import Assert, cond, no_op
from tensorflux.ops.data_flow import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue
from tensorflux.ops.op_util import constant_value
from tensorflux.ops.random import random_shuffle
from tensorflux.ops.state import Variable
from tensorflux.training.queue_runner import QueueRunner, add_queue_runner


def match_filenames_once(pattern, name=None):
    """A local variable holding the files matching `pattern`, found when it is initialized."""
    from tensorflux.ops.io import matching_files
    with name_scope(name or "matching_filenames") as scope:
        return Variable(lambda: matching_files(pattern), trainable=False, validate_shape=False,
                        name=scope[:-1].split("/")[-1], collections=[GraphKeys.LOCAL_VARIABLES])


def limit_epochs(tensor, num_epochs=None, name=None):
    """`tensor`, but evaluating it more than `num_epochs` times raises OutOfRangeError."""
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with name_scope(name or "limit_epochs") as scope:
        epochs = Variable(constant(0, dtypes.int64), name="epochs", trainable=False,
                          collections=[GraphKeys.LOCAL_VARIABLES])
        counter = epochs.count_up_to(num_epochs)
        with get_default_graph().control_dependencies([counter]):
            return array.identity(tensor, name=scope[:-1] + "/")


def input_producer(input_tensor, element_shape=None, num_epochs=None, shuffle=True, seed=None,
                   capacity=32, shared_name=None, summary_name=None, name=None, cancel_op=None):
    """A FIFOQueue filled with the rows of `input_tensor`, `num_epochs` times (forever if None),
    each pass in a new random order when `shuffle`."""
    with name_scope(name or "input_producer") as scope:
        input_tensor = convert_to_tensor(input_tensor, name="input_tensor")
        element_shape = input_tensor.shape[1:].merge_with(
            as_shape(element_shape) if element_shape is not None else input_tensor.shape[1:])
        if not element_shape.is_fully_defined():
            raise ValueError("Either `input_tensor` must have a fully defined shape or "
                             "`element_shape` must be specified")
        if shuffle:
            input_tensor = random_shuffle(input_tensor, seed=seed)
        input_tensor = limit_epochs(input_tensor, num_epochs)
        queue = FIFOQueue(capacity, [input_tensor.dtype.base_dtype], shapes=[element_shape],
                          shared_name=shared_name, name=scope)
        enqueue = queue.enqueue_many([input_tensor])
        add_queue_runner(QueueRunner(queue, [enqueue], cancel_op=cancel_op))
        if summary_name is not None:
            _fill_summary(summary_name, queue.size(), 0, capacity)
        return queue


def string_input_producer(string_tensor, num_epochs=None, shuffle=True, seed=None, capacity=32,
                          shared_name=None, name=None, cancel_op=None):
    """A queue of the strings (file names) in `string_tensor`, for a reader to take work from.

    With shuffle=False the strings come in the given order, epoch after epoch.
    """
    not_null_err = "string_input_producer requires a non-null input tensor"
    if not isinstance(string_tensor, Tensor) and not string_tensor:
        raise ValueError(not_null_err)
    with name_scope(name or "input_producer") as scope:
        string_tensor = convert_to_tensor(string_tensor, dtype=dtypes.string)
        with get_default_graph().control_dependencies(
                [Assert(math.greater(array.size(string_tensor), 0), [not_null_err])]):
            string_tensor = array.identity(string_tensor)
        return input_producer(string_tensor, TensorShape([]), num_epochs, shuffle, seed,
                              capacity, shared_name, f"fraction_of_{capacity}_full",
                              name=scope, cancel_op=cancel_op)


def range_input_producer(limit, num_epochs=None, shuffle=True, seed=None, capacity=32,
                         shared_name=None, name=None):
    """A queue of the integers 0 .. limit-1 (int32)."""
    with name_scope(name or "input_producer") as scope:
        range_tensor = array.range_(0, limit, dtype=dtypes.int32)
        return input_producer(range_tensor, [], num_epochs, shuffle, seed, capacity,
                              shared_name, f"fraction_of_{capacity}_full", name=scope)


def slice_input_producer(tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32,
                         shared_name=None, name=None):
    """One row (slice along dimension 0) of every tensor of `tensor_list` at a time.

    All tensors must have the same first dimension; rows of one index come out together.
    """
    with name_scope(name or "input_producer"):
        tensor_list = [convert_to_tensor(t) for t in tensor_list]
        if not tensor_list:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        first = tensor_list[0]
        size = first.shape[0] if first.shape.ndims else None
        limit = size if size is not None else array.shape(first)[0]
        queue = range_input_producer(limit, num_epochs, shuffle, seed, capacity, shared_name)
        index = queue.dequeue()
        return [array.gather(t, index) for t in tensor_list]


def _fill_summary(name, size, floor, capacity):
    """The scalar summary TF1 adds for each pipeline queue: how full it is beyond `floor`."""
    from tensorflux.summary.summary_ops import scalar
    filled = math.maximum(array.cast(math.subtract(size, floor), dtypes.float32), 0.0)
    scalar(name, math.multiply(filled, 1.0 / (capacity - floor)))


# ---- batching ----
def _flatten(tensors):
    """A list of tensors from a list or dict (dicts in sorted key order)."""
    if isinstance(tensors, dict):
        return [tensors[k] for k in sorted(tensors)]
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError("tensors must be a list or a dict of tensors, got "
                        f"{type(tensors).__name__}: to batch one tensor pass [tensor]")
    return list(tensors)


def _restore(original, dequeued):
    """The batch in the structure of `original` (a list of one gives one tensor, as TF)."""
    if isinstance(original, dict):
        if not isinstance(dequeued, list):
            dequeued = [dequeued]
        return {k: dequeued[i] for i, k in enumerate(sorted(original))}
    return dequeued


def _shapes(tensor_lists, shapes, enqueue_many):
    if shapes is not None:
        return [as_shape(s) for s in shapes]
    merged = None
    for tensors in tensor_lists:
        found = [t.shape[1:] if enqueue_many else t.shape for t in tensors]
        if enqueue_many and any(t.shape.ndims == 0 for t in tensors):
            raise ValueError("enqueue_many needs tensors of rank at least 1, with the batch as "
                             "their first dimension")
        merged = found if merged is None else [a.merge_with(b) for a, b in zip(merged, found)]
    return merged


def _dtypes(tensor_lists):
    types = [t.dtype.base_dtype for t in tensor_lists[0]]
    for tensors in tensor_lists[1:]:
        if [t.dtype.base_dtype for t in tensors] != types:
            raise TypeError("Expected types to be consistent: "
                            f"{types} vs. {[t.dtype.base_dtype for t in tensors]}.")
    return types


def _validate(tensor_lists):
    lengths = {len(tensors) for tensors in tensor_lists}
    if len(lengths) != 1:
        raise ValueError("Expected the same number of tensors in each list of tensors_list, "
                         f"got {sorted(lengths)}")
    if not next(iter(lengths)):
        raise ValueError("Expected at least one tensor in batch().")
    return [[convert_to_tensor(t) for t in tensors] for tensors in tensor_lists]


def _validate_keep_input(keep_input, enqueue_many):
    keep_input = convert_to_tensor(keep_input, dtype=dtypes.bool_)
    if keep_input.shape.ndims is None:
        raise ValueError("`keep_input` dimensions must be known at graph construction.")
    if not enqueue_many and keep_input.shape.ndims == 1:
        raise ValueError("`keep_input` cannot be a vector when `enqueue_many=False`.")
    if keep_input.shape.ndims > 1:
        raise ValueError("`keep_input` must be 0 or 1 dimensions.")
    return keep_input


def _enqueue_ops(queue, tensor_lists, enqueue_many, keep_input):
    """One enqueue op per list of tensors, adding only what `keep_input` keeps: a vector picks
    examples out of each enqueue_many batch, a scalar keeps or drops the whole input (through
    a cond, unless it is a constant)."""
    enqueue = queue.enqueue_many if enqueue_many else queue.enqueue
    keep = constant_value(keep_input) if keep_input.shape.ndims == 0 else None
    ops = []
    for tensors in tensor_lists:
        if keep_input.shape.ndims == 1:
            ops.append(enqueue([array.boolean_mask(t, keep_input) for t in tensors]))
        elif keep is None:
            ops.append(cond(keep_input, lambda tensors=tensors: enqueue(tensors), no_op))
        else:
            ops.append(enqueue(tensors) if keep else no_op())
    return ops


def _make_batch(tensor_lists, original, batch_size, capacity, enqueue_many, shapes,
                dynamic_pad, allow_smaller_final_batch, shared_name, name, default_name,
                threads_per_list, shuffle=None, keep_input=True):
    with name_scope(name or default_name) as scope:
        tensor_lists = _validate(tensor_lists)
        keep_input = _validate_keep_input(keep_input, enqueue_many)
        types = _dtypes(tensor_lists)
        shapes = _shapes(tensor_lists, shapes, enqueue_many)
        if shuffle is not None:
            min_after_dequeue, seed = shuffle
            queue = RandomShuffleQueue(capacity, min_after_dequeue, types, shapes=shapes,
                                       seed=seed, shared_name=shared_name)
        elif dynamic_pad:
            queue = PaddingFIFOQueue(capacity, types, shapes=shapes, shared_name=shared_name)
        else:
            if not all(s.is_fully_defined() for s in shapes):
                raise ValueError(f"All shapes must be fully defined: {shapes}")
            queue = FIFOQueue(capacity, types, shapes=shapes, shared_name=shared_name)
        enqueue_ops = _enqueue_ops(queue, tensor_lists, enqueue_many,
                                   keep_input) * threads_per_list
        add_queue_runner(QueueRunner(queue, enqueue_ops))
        if shuffle is None:
            _fill_summary(f"fraction_of_{capacity}_full", queue.size(), 0, capacity)
        else:
            kept = shuffle[0]
            _fill_summary(f"fraction_over_{kept}_of_{capacity - kept}_full", queue.size(), kept,
                          capacity)
        if allow_smaller_final_batch:
            dequeued = queue.dequeue_up_to(batch_size, name=scope)
        else:
            dequeued = queue.dequeue_many(batch_size, name=scope)
        return _restore(original, dequeued)


def batch(tensors, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None,
          dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """Batches of `batch_size` examples, in the order `num_threads` threads enqueue them.

    tensors: a list or dict of tensors (one example each, or a batch with enqueue_many).
    dynamic_pad pads examples of varying shape to the longest in each batch.
    allow_smaller_final_batch returns the remainder as a last, smaller batch.
    """
    return maybe_batch(tensors, True, batch_size, num_threads, capacity, enqueue_many, shapes,
                       dynamic_pad, allow_smaller_final_batch, shared_name, name)


def batch_join(tensors_list, batch_size, capacity=32, enqueue_many=False, shapes=None,
               dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """As batch(), with one thread per list of `tensors_list` (e.g. one reader each)."""
    return maybe_batch_join(tensors_list, True, batch_size, capacity, enqueue_many, shapes,
                            dynamic_pad, allow_smaller_final_batch, shared_name, name)


def shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, num_threads=1, seed=None,
                  enqueue_many=False, shapes=None, allow_smaller_final_batch=False,
                  shared_name=None, name=None):
    """Batches drawn at random from a RandomShuffleQueue holding at least `min_after_dequeue`
    examples (until the input ends). `capacity` must exceed `min_after_dequeue`."""
    return maybe_shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, True,
                               num_threads, seed, enqueue_many, shapes,
                               allow_smaller_final_batch, shared_name, name)


def shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, seed=None,
                       enqueue_many=False, shapes=None, allow_smaller_final_batch=False,
                       shared_name=None, name=None):
    """As shuffle_batch(), with one thread per list of `tensors_list`."""
    return maybe_shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, True,
                                    seed, enqueue_many, shapes, allow_smaller_final_batch,
                                    shared_name, name)


def maybe_batch(tensors, keep_input, batch_size, num_threads=1, capacity=32,
                enqueue_many=False, shapes=None, dynamic_pad=False,
                allow_smaller_final_batch=False, shared_name=None, name=None):
    """As batch(), enqueueing only the examples `keep_input` keeps: a bool scalar, or with
    enqueue_many a bool vector with one entry per example of the batch."""
    return _make_batch([_flatten(tensors)], tensors, batch_size, capacity, enqueue_many,
                       shapes, dynamic_pad, allow_smaller_final_batch, shared_name, name,
                       "batch", num_threads, keep_input=keep_input)


def maybe_batch_join(tensors_list, keep_input, batch_size, capacity=32, enqueue_many=False,
                     shapes=None, dynamic_pad=False, allow_smaller_final_batch=False,
                     shared_name=None, name=None):
    """As batch_join(), enqueueing only the examples `keep_input` keeps (see maybe_batch)."""
    return _make_batch([_flatten(t) for t in tensors_list], tensors_list[0], batch_size,
                       capacity, enqueue_many, shapes, dynamic_pad, allow_smaller_final_batch,
                       shared_name, name, "batch_join", 1, keep_input=keep_input)


def maybe_shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, keep_input,
                        num_threads=1, seed=None, enqueue_many=False, shapes=None,
                        allow_smaller_final_batch=False, shared_name=None, name=None):
    """As shuffle_batch(), enqueueing only the examples `keep_input` keeps (see
    maybe_batch)."""
    _check_shuffle_args(capacity, min_after_dequeue)
    return _make_batch([_flatten(tensors)], tensors, batch_size, capacity, enqueue_many,
                       shapes, False, allow_smaller_final_batch, shared_name, name,
                       "shuffle_batch", num_threads, shuffle=(min_after_dequeue, seed),
                       keep_input=keep_input)


def maybe_shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, keep_input,
                             seed=None, enqueue_many=False, shapes=None,
                             allow_smaller_final_batch=False, shared_name=None, name=None):
    """As shuffle_batch_join(), enqueueing only the examples `keep_input` keeps (see
    maybe_batch)."""
    _check_shuffle_args(capacity, min_after_dequeue)
    return _make_batch([_flatten(t) for t in tensors_list], tensors_list[0], batch_size,
                       capacity, enqueue_many, shapes, False, allow_smaller_final_batch,
                       shared_name, name, "shuffle_batch_join", 1,
                       shuffle=(min_after_dequeue, seed), keep_input=keep_input)


def _check_shuffle_args(capacity, min_after_dequeue):
    if min_after_dequeue is None or capacity is None:
        raise ValueError("shuffle_batch needs capacity and min_after_dequeue")
    if capacity <= min_after_dequeue:
        raise ValueError(f"capacity {capacity} must be bigger than min_after_dequeue "
                         f"{min_after_dequeue}.")


__all__ = ["match_filenames_once", "limit_epochs", "input_producer", "string_input_producer",
           "range_input_producer", "slice_input_producer", "batch", "batch_join",
           "shuffle_batch", "shuffle_batch_join", "maybe_batch", "maybe_batch_join",
           "maybe_shuffle_batch", "maybe_shuffle_batch_join"]
