"""Queues: FIFOQueue, RandomShuffleQueue, PaddingFIFOQueue and PriorityQueue.

A queue op (FIFOQueueV2, ...) outputs a resource handle naming a queue that lives in the
session; the enqueue, dequeue, close and size ops take that handle. Full queues block
enqueues and empty ones block dequeues until another Session.run (another thread) changes
them; a closed queue with too few elements raises OutOfRangeError.
"""
from tensorflux.framework import dtypes as _dtypes
from tensorflux.framework.graph import convert_to_tensor, get_default_graph, get_seed
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.framework.shapes import TensorShape, as_shape, unknown_shape
from tensorflux.ops.op_util import apply_op, constant_value

_HANDLE = [(_dtypes.resource, TensorShape([]))]
_QUEUE_TYPES = ("FIFOQueueV2", "RandomShuffleQueueV2", "PaddingFIFOQueueV2", "PriorityQueueV2")

for _type in _QUEUE_TYPES:
    register_op(_type, lambda op: _HANDLE, stateful=True)


def queue_element_shapes(handle, count):
    """The static shapes of a queue's components, when `handle` comes straight from its op."""
    op = handle.op
    if op.type not in _QUEUE_TYPES or not op.attrs.get("shapes"):
        return [unknown_shape()] * count
    shapes = list(op.attrs["shapes"])
    if op.type == "PriorityQueueV2":
        shapes = [TensorShape([])] + shapes
    return shapes if len(shapes) == count else [unknown_shape()] * count


def _infer_dequeue(op):
    types = op.attrs["component_types"]
    return list(zip(types, queue_element_shapes(op.inputs[0], len(types))))


def _infer_dequeue_many(op):
    n = constant_value(op.inputs[1]) if op.type == "QueueDequeueManyV2" else None
    batch = TensorShape([None if n is None else int(n)])
    return [(dtype, batch.concatenate(shape))
            for dtype, shape in _infer_dequeue(op)]


register_op("QueueEnqueueV2", lambda op: [], stateful=True)
register_op("QueueEnqueueManyV2", lambda op: [], stateful=True)
register_op("QueueDequeueV2", _infer_dequeue, stateful=True)
register_op("QueueDequeueManyV2", _infer_dequeue_many, stateful=True)
register_op("QueueDequeueUpToV2", _infer_dequeue_many, stateful=True)
register_op("QueueCloseV2", lambda op: [], stateful=True)
register_op("QueueSizeV2", lambda op: [(_dtypes.int32, TensorShape([]))], stateful=True)
register_op("QueueIsClosedV2", lambda op: [(_dtypes.bool_, TensorShape([]))], stateful=True)
not_differentiable(*_QUEUE_TYPES, "QueueEnqueueV2", "QueueEnqueueManyV2", "QueueDequeueV2",
                   "QueueDequeueManyV2", "QueueDequeueUpToV2", "QueueCloseV2", "QueueSizeV2",
                   "QueueIsClosedV2")


def _as_type_list(dtypes):
    if isinstance(dtypes, (list, tuple)):
        return [_dtypes.as_dtype(d) for d in dtypes]
    return [_dtypes.as_dtype(dtypes)]


def _as_shape_list(shapes, dtypes, unknown_dim_allowed=False):
    """TF's rule: None, or one fully defined shape per component (a bare shape for one)."""
    if shapes is None:
        return None
    if isinstance(shapes, TensorShape) or (
            isinstance(shapes, (list, tuple)) and
            all(s is None or isinstance(s, int) for s in shapes)):
        shapes = [shapes]
    shapes = [as_shape(s) for s in shapes]
    if not unknown_dim_allowed and any(not s.is_fully_defined() for s in shapes):
        raise ValueError(f"All shapes must be fully defined: {shapes}")
    if len(shapes) != len(dtypes):
        raise ValueError(f"shapes must have the same length as dtypes: {len(shapes)} shapes for "
                         f"{len(dtypes)} dtypes")
    return shapes


def _as_name_list(names, dtypes):
    if names is None:
        return None
    if not isinstance(names, (list, tuple)):
        names = [names]
    if len(names) != len(dtypes):
        raise ValueError("List of names must have the same length as the list of dtypes")
    return list(names)


class QueueBase:
    """The operations every queue offers; subclasses create the queue op.

    Elements are tuples of tensors with the queue's `dtypes` (and `shapes`, when given);
    with `names`, elements are dicts keyed by those names.
    """

    def __init__(self, dtypes, shapes, names, queue_ref):
        self._dtypes = dtypes
        self._shapes = shapes if shapes is not None else [unknown_shape() for _ in dtypes]
        self._names = names
        self._queue_ref = queue_ref
        self._name = queue_ref.op.name.split("/")[-1]

    @property
    def queue_ref(self):
        return self._queue_ref

    @property
    def name(self):
        return self._queue_ref.op.name

    @property
    def dtypes(self):
        return self._dtypes

    @property
    def shapes(self):
        return self._shapes

    @property
    def names(self):
        return self._names

    # ---- building the ops ----
    def _components(self, vals):
        """`vals` as a list of tensors in component order (dicts need the queue's names)."""
        if isinstance(vals, dict):
            if not self._names:
                raise ValueError("Queue must have names to enqueue a dictionary")
            if sorted(self._names) != sorted(vals):
                raise ValueError(f"Keys in dictionary to enqueue do not match names of Queue.  "
                                 f"Dictionary: {sorted(vals)}, Queue: {sorted(self._names)}")
            vals = [vals[k] for k in self._names]
        elif self._names:
            raise ValueError("You must enqueue a dictionary in a Queue with names")
        elif not isinstance(vals, (list, tuple)):
            vals = [vals]
        # As TF, surplus values are ignored and missing ones leave the op short of inputs.
        return [convert_to_tensor(v, dtype=d, name=f"component_{i}")
                for i, (v, d) in enumerate(zip(vals, self._dtypes))]

    def _dequeued(self, tensors):
        if self._names:
            return dict(zip(self._names, tensors))
        return tensors[0] if len(tensors) == 1 else list(tensors)

    def enqueue(self, vals, name=None):
        """Adds one element; blocks while the queue is full (CancelledError once closed)."""
        graph = get_default_graph()
        with graph.name_scope(name or f"{self._name}_enqueue") as scope:
            tensors = self._components(vals)
            for tensor, shape in zip(tensors, self._shapes):
                tensor.shape.assert_is_compatible_with(shape)
            return apply_op("QueueEnqueueV2", [self._queue_ref] + tensors,
                            {"Tcomponents": [t.dtype.base_dtype for t in tensors],
                             "timeout_ms": -1}, scope[:-1] + "/")

    def enqueue_many(self, vals, name=None):
        """Adds the slices along dimension 0 of each component as separate elements."""
        graph = get_default_graph()
        with graph.name_scope(name or f"{self._name}_EnqueueMany") as scope:
            tensors = self._components(vals)
            batch = TensorShape([None])
            for tensor, shape in zip(tensors, self._shapes):
                if tensor.shape.ndims == 0:
                    raise ValueError(f"Shape {tensor.shape} must have rank at least 1")
                if tensor.shape.ndims is not None:
                    batch = batch.merge_with(tensor.shape[:1])
                    tensor.shape[1:].assert_is_compatible_with(shape)
            return apply_op("QueueEnqueueManyV2", [self._queue_ref] + tensors,
                            {"Tcomponents": [t.dtype.base_dtype for t in tensors],
                             "timeout_ms": -1}, scope[:-1] + "/")

    def _dequeue_op(self, op_type, inputs, name):
        outputs = apply_op(op_type, [self._queue_ref] + inputs,
                           {"component_types": list(self._dtypes), "timeout_ms": -1}, name)
        return outputs if isinstance(outputs, list) else [outputs]

    def dequeue(self, name=None):
        """Removes and returns one element; blocks while the queue is empty."""
        tensors = self._dequeue_op("QueueDequeueV2", [], name or f"{self._name}_Dequeue")
        for tensor, shape in zip(tensors, self._shapes):
            tensor.set_shape(shape)
        return self._dequeued(tensors)

    def dequeue_many(self, n, name=None):
        """Removes `n` elements and returns them stacked; OutOfRangeError if closed with fewer."""
        graph = get_default_graph()
        with graph.name_scope(name or f"{self._name}_DequeueMany") as scope:
            n = convert_to_tensor(n, dtype=_dtypes.int32, name="n")
            tensors = self._dequeue_op("QueueDequeueManyV2", [n], scope[:-1] + "/")
        return self._dequeued(tensors)

    def dequeue_up_to(self, n, name=None):
        """As dequeue_many, but a closed queue gives what is left (OutOfRangeError if empty)."""
        graph = get_default_graph()
        with graph.name_scope(name or f"{self._name}_DequeueUpTo") as scope:
            n = convert_to_tensor(n, dtype=_dtypes.int32, name="n")
            tensors = self._dequeue_op("QueueDequeueUpToV2", [n], scope[:-1] + "/")
        return self._dequeued(tensors)

    def close(self, cancel_pending_enqueues=False, name=None):
        """Closes the queue: later enqueues fail, dequeues drain what is left.

        Without cancel_pending_enqueues the close waits behind enqueues already blocked on
        the full queue; with it those enqueues fail with CancelledError.
        """
        return apply_op("QueueCloseV2", [self._queue_ref],
                        {"cancel_pending_enqueues": bool(cancel_pending_enqueues)},
                        name or f"{self._name}_Close")

    def is_closed(self, name=None):
        return apply_op("QueueIsClosedV2", [self._queue_ref], {},
                        name or f"{self._name}_IsClosed")

    def size(self, name=None):
        """The number of elements in the queue (int32 scalar)."""
        return apply_op("QueueSizeV2", [self._queue_ref], {}, name or f"{self._name}_Size")


def _queue_attrs(dtypes, shapes, capacity, shared_name):
    return {"component_types": dtypes, "shapes": list(shapes or []), "capacity": int(capacity),
            "container": "", "shared_name": shared_name or ""}


class FIFOQueue(QueueBase):
    """A queue that gives elements in the order they were enqueued."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name="fifo_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes)
        names = _as_name_list(names, dtypes)
        ref = apply_op("FIFOQueueV2", [], _queue_attrs(dtypes, shapes, capacity, shared_name),
                       name)
        super().__init__(dtypes, shapes, names, ref)


class PaddingFIFOQueue(QueueBase):
    """A FIFOQueue whose shapes may have unknown dimensions; dequeue_many pads with zeros."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None,
                 name="padding_fifo_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes, unknown_dim_allowed=True)
        names = _as_name_list(names, dtypes)
        if len(dtypes) != len(shapes):
            raise ValueError("Shapes must be provided for all components, but received "
                             f"{len(dtypes)} dtypes and {len(shapes)} shapes.")
        if any(s.ndims is None for s in shapes):
            raise ValueError(f"PaddingFIFOQueue needs shapes of known rank, got {shapes}")
        ref = apply_op("PaddingFIFOQueueV2", [],
                       _queue_attrs(dtypes, shapes, capacity, shared_name), name)
        super().__init__(dtypes, shapes, names, ref)


class RandomShuffleQueue(QueueBase):
    """A queue that gives its elements in random order.

    Dequeues wait until more than `min_after_dequeue` elements are held (unless closed), so
    that what comes out is well mixed.
    """

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None, seed=None,
                 shared_name=None, name="random_shuffle_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes)
        names = _as_name_list(names, dtypes)
        graph_seed, op_seed = get_seed(seed)
        if graph_seed is None and op_seed is None:
            graph_seed = op_seed = 0
        elif op_seed is None:
            op_seed = 0
        attrs = _queue_attrs(dtypes, shapes, capacity, shared_name)
        attrs.update(min_after_dequeue=int(min_after_dequeue), seed=graph_seed or 0,
                     seed2=op_seed)
        ref = apply_op("RandomShuffleQueueV2", [], attrs, name)
        super().__init__(dtypes, shapes, names, ref)


class PriorityQueue(QueueBase):
    """A queue giving elements smallest priority first.

    Each element starts with an int64 scalar priority, before the components of `types`.
    """

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None,
                 name="priority_queue"):
        types = _as_type_list(types)
        shapes = _as_shape_list(shapes, types)
        attrs = {"component_types": types, "shapes": list(shapes or []),
                 "capacity": int(capacity), "container": "", "shared_name": shared_name or ""}
        ref = apply_op("PriorityQueueV2", [], attrs, name)
        dtypes = [_dtypes.int64] + types
        if shapes is not None:
            shapes = [TensorShape([])] + shapes
        names = _as_name_list(names, dtypes)
        super().__init__(dtypes, shapes, names, ref)


__all__ = ["QueueBase", "FIFOQueue", "PaddingFIFOQueue", "RandomShuffleQueue", "PriorityQueue"]
