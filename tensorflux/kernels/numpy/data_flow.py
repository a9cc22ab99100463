"""Kernels of the queue ops (ops/data_flow.py) and the queues themselves, as session resources.

Every queue guards its state with a lock of its own, so queue runner threads and the main
thread can run ops on one queue at once (and threads working on different queues of a pipeline
never wait for each other). Enqueue attempts are served in arrival order
(a blocked enqueue_many keeps its place in line), and so are dequeue attempts; a dequeue_many
takes elements as they arrive. Enqueuers and dequeuers wait on two conditions of their own,
and a waiting dequeue_many is woken once its batch is there (or the queue is as full as it
gets), not at every element: in an input pipeline, each wake-up is a thread switch that the
training step pays for.
"""
import collections
import heapq
import itertools
import threading

import numpy as np

from tensorflux.framework import dtypes, errors
from tensorflux.framework.registry import kernel
from tensorflux.kernels.numpy.random import op_generator

# TF names an unshared resource "_<process-wide counter>_<op name>", and so do we: the
# names show up in error messages users grep for.
_resource_ids = itertools.count()


def resource_display_name(op_name):
    return f"_{next(_resource_ids)}_{op_name}"


def fmt_shape(shape):
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


class _Attempt:
    """One enqueue, dequeue or close waiting for its turn; close(cancel=True) cancels it.
    A dequeue's `need` is how many elements it still takes."""

    __slots__ = ("cancelled", "need")

    def __init__(self, need=0):
        self.cancelled = False
        self.need = need


class Queue:
    """A FIFO queue of elements, each a tuple of NumPy arrays (one per component)."""

    kind = "FIFOQueue"

    def __init__(self, resources, op_name, dtypes, shapes, capacity):
        self.resources = resources
        self.name = resource_display_name(op_name)
        self.dtypes = [d.storage_numpy_dtype for d in dtypes]
        self.shapes = None if not shapes else [
            None if s.ndims is None else tuple(s.as_list()) for s in shapes]
        self.capacity = None if capacity is None or capacity < 0 else int(capacity)
        self.closed = False
        self._enqueuers = collections.deque()
        self._dequeuers = collections.deque()
        self.lock = threading.RLock()
        self._enqueue_turn = threading.Condition(self.lock)
        self._dequeue_turn = threading.Condition(self.lock)
        self._init_storage()

    # ---- storage: subclasses change the order elements come out in ----
    def _init_storage(self):
        self._items = collections.deque()

    def __len__(self):
        return len(self._items)

    def _put(self, element):
        self._items.append(element)

    def _take(self):
        return self._items.popleft()

    def _restore(self, elements):
        self._items.extendleft(reversed(elements))

    def _available(self):
        return len(self)

    def _most_available(self):
        """The most elements a dequeue can ever find available (None: no bound)."""
        return self.capacity

    # ---- checks ----
    def _check_element(self, components, many, op):
        if len(components) != len(self.dtypes):
            raise errors.InvalidArgumentError(
                None, op, f"{self.kind} '{self.name}' expects {len(self.dtypes)} components "
                          f"per element, got {len(components)}")
        batch = None
        for i, value in enumerate(components):
            shape = value.shape
            if many:
                if value.ndim == 0:
                    raise errors.InvalidArgumentError(
                        None, op, f"enqueue_many into {self.kind} '{self.name}': component {i} "
                                  "is a scalar, it needs a batch dimension")
                if batch is None:
                    batch = shape[0]
                elif shape[0] != batch:
                    raise errors.InvalidArgumentError(
                        None, op, f"enqueue_many into {self.kind} '{self.name}': components have "
                                  f"different batch sizes ({batch} and {shape[0]})")
            expected = self._expected_shape(i)
            element_shape = shape[1:] if many else shape
            if expected is not None and not _compatible(element_shape, expected):
                want = ((shape[0],) if many else ()) + expected
                raise errors.InvalidArgumentError(
                    None, op, f"Shape mismatch in tuple component {i}. Expected "
                              f"{fmt_shape(want)}, got {fmt_shape(shape)} (enqueueing into "
                              f"{self.kind} '{self.name}')")
        return batch

    def _expected_shape(self, index):
        return None if self.shapes is None else self.shapes[index]

    # ---- operations; each runs under the queue's lock ----
    def _wait(self, predicate, op, what, condition):
        self.resources.wait_until(predicate, op, what, condition)

    def _ready_to_dequeue(self, attempt):
        """Whether the dequeue at the head of the line can go on: its elements are there,
        or as many as the queue can hold (it then takes them and waits for the rest)."""
        most = self._most_available()
        enough = attempt.need if most is None else max(1, min(attempt.need, most))
        return self.closed or self._available() >= enough

    def _wake_dequeuer(self):
        if self._dequeuers and self._ready_to_dequeue(self._dequeuers[0]):
            self._dequeue_turn.notify_all()

    def _wake_enqueuer(self):
        if self._enqueuers:
            self._enqueue_turn.notify_all()

    def _wake_enqueuer_for_room(self, dequeue_waits):
        """After a dequeue: a producer blocked on a full queue is woken once a quarter of
        the queue is free, not at every element (it refills in bursts), unless a dequeue
        waits for what it brings. (A waiter also looks every 0.1 s: a wake-up missed here
        only delays it.)"""
        room = None if self.capacity is None else self.capacity - len(self)
        if dequeue_waits or room is None or room >= max(1, self.capacity // 4):
            self._wake_enqueuer()

    def close_resource(self):
        """The session closes: waiters wake up to see it."""
        with self.lock:
            self._enqueue_turn.notify_all()
            self._dequeue_turn.notify_all()

    def enqueue(self, components, many, op):
        # A copy: the caller's arrays (a variable's storage, say) may change after the enqueue.
        components = [np.array(c, dtype=d) for c, d in zip(components, self.dtypes)]
        count = self._check_element(components, many, op)
        if many:
            elements = [tuple(c[i] for c in components) for i in range(count)]
        else:
            elements = [tuple(components)]
        with self.lock:
            attempt = _Attempt()
            self._enqueuers.append(attempt)
            try:
                for element in elements:
                    self._wait(lambda: attempt.cancelled or (
                        self._enqueuers[0] is attempt and (self.closed or self._has_room())),
                        op, "Enqueue operation", self._enqueue_turn)
                    if attempt.cancelled:
                        raise errors.CancelledError(None, op, "Enqueue operation was cancelled")
                    if self.closed:
                        raise errors.CancelledError(None, op,
                                                    f"{self.kind} '{self.name}' is closed.")
                    self._put(element)
                    self._wake_dequeuer()
            finally:
                self._enqueuers.remove(attempt)
                self._wake_enqueuer()

    def _has_room(self):
        return self.capacity is None or len(self) < self.capacity

    def dequeue(self, n, op, allow_small=False, single=False):
        """`n` elements as a list of tuples (one tuple when `single`)."""
        if n < 0:
            raise errors.InvalidArgumentError(None, op, f"Dequeue count {n} must be >= 0")
        if n > 0 and not single and self.shapes is None:
            raise errors.InvalidArgumentError(
                None, op, f"{self.kind}'s DequeueMany and DequeueUpTo require the components "
                          "to have specified shapes.")
        taken = []
        with self.lock:
            attempt = _Attempt(n)
            self._dequeuers.append(attempt)
            try:
                while len(taken) < n:
                    need = attempt.need = n - len(taken)
                    self._wait(lambda: self._dequeuers[0] is attempt and
                               self._ready_to_dequeue(attempt), op, "Dequeue operation",
                               self._dequeue_turn)
                    if self.closed and self._available() < need:
                        if allow_small and (taken or self._available()):
                            taken.extend(self._take() for _ in range(self._available()))
                            break
                        message = (f"{self.kind} '{self.name}' is closed and has insufficient "
                                   f"elements (requested {need}, current size {len(self)})")
                        self._restore(taken)
                        raise errors.OutOfRangeError(None, op, message)
                    taken.extend(self._take() for _ in range(min(need, self._available())))
                    self._wake_enqueuer_for_room(len(taken) < n or len(self._dequeuers) > 1)
            finally:
                self._dequeuers.remove(attempt)
                self._wake_dequeuer()
        return taken

    def close(self, cancel_pending_enqueues, op):
        with self.lock:
            if cancel_pending_enqueues:
                self.closed = True
                for attempt in self._enqueuers:
                    attempt.cancelled = True
                self.close_resource()
                return
            # A plain close waits in the enqueue line: enqueues blocked before it still land.
            attempt = _Attempt()
            self._enqueuers.append(attempt)
            try:
                self._wait(lambda: attempt.cancelled or self._enqueuers[0] is attempt, op,
                           "Close operation", self._enqueue_turn)
                if attempt.cancelled:
                    return
                if self.closed:
                    raise errors.CancelledError(None, op, f"Queue '{self.name}' is already "
                                                          "closed.")
                self.closed = True
            finally:
                self._enqueuers.remove(attempt)
                self.close_resource()

    def batch(self, elements, n):
        """Stacks dequeued elements into one array per component."""
        out = []
        for i, dtype in enumerate(self.dtypes):
            if elements:
                out.append(np.stack([e[i] for e in elements]))
            else:
                shape = self._expected_shape(i) or ()
                out.append(np.zeros((0,) + tuple(d or 0 for d in shape), dtype=dtype))
        return out


def _compatible(shape, expected):
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))


class PaddingQueue(Queue):
    """A FIFO queue whose dequeue_many pads each component to the batch's largest shape."""

    kind = "PaddingFIFOQueue"

    def batch(self, elements, n):
        out = []
        for i, dtype in enumerate(self.dtypes):
            rank = len(self.shapes[i])
            if elements:
                dims = tuple(max(e[i].shape[d] for e in elements) for d in range(rank))
            else:
                dims = tuple(d or 0 for d in self.shapes[i])
            fill = b"" if dtype == object else 0
            stacked = np.full((len(elements),) + dims, fill, dtype=dtype)
            for row, element in enumerate(elements):
                stacked[(row,) + tuple(slice(0, s) for s in element[i].shape)] = element[i]
            out.append(stacked)
        return out


class RandomShuffleQueue(Queue):
    """Elements come out in random order, once more than `min_after_dequeue` are held."""

    kind = "RandomShuffleQueue"

    def __init__(self, resources, op_name, dtypes, shapes, capacity, min_after_dequeue,
                 generator):
        self.min_after_dequeue = int(min_after_dequeue)
        self._generator = generator
        super().__init__(resources, op_name, dtypes, shapes, capacity)

    def _init_storage(self):
        self._items = []

    def _put(self, element):
        self._items.append(element)

    def _take(self):
        # Swap a random element to the end so removal is O(1).
        index = int(self._generator.integers(len(self._items)))
        items = self._items
        items[index], items[-1] = items[-1], items[index]
        return items.pop()

    def _restore(self, elements):
        self._items.extend(elements)

    def _available(self):
        if self.closed:
            return len(self._items)
        return max(0, len(self._items) - self.min_after_dequeue)

    def _most_available(self):
        return None if self.capacity is None else self.capacity - self.min_after_dequeue


class PriorityQueue(Queue):
    """Elements come out smallest priority (component 0, an int64 scalar) first."""

    kind = "PriorityQueue"

    def _init_storage(self):
        self._items = []
        self._order = itertools.count()

    def _check_element(self, components, many, op):
        count = super()._check_element(components, many, op)
        if np.shape(components[0]) != ((count,) if many else ()):
            raise errors.InvalidArgumentError(
                None, op, f"{self.kind} '{self.name}': the priority (component 0) must be an "
                          f"int64 scalar per element, got shape "
                          f"{fmt_shape(np.shape(components[0]))}")
        return count

    def _expected_shape(self, index):
        if index == 0:
            return ()
        return None if self.shapes is None else self.shapes[index - 1]

    def _put(self, element):
        heapq.heappush(self._items, (int(element[0]), next(self._order), element))

    def _take(self):
        return heapq.heappop(self._items)[2]

    def _restore(self, elements):
        for element in elements:
            self._put(element)

# ---- kernels ----
def resource_of(ctx, handle):
    """The queue or reader a handle names in this session."""
    key = handle.item() if isinstance(handle, np.ndarray) else handle
    queue = ctx.resources.lookup(key)
    if queue is None:
        if ctx.resources.closed:
            raise errors.CancelledError(None, ctx.op, "Session has been closed.")
        raise errors.NotFoundError(None, ctx.op, f"Resource {key!r} does not exist in this "
                                                 "session")
    return queue


def _handle(key):
    return np.array(key, dtype=object)


def _key(ctx, shared_name):
    return "queue:" + (shared_name or ctx.op.name)


def _queue_kernel(op_type, queue_class):
    """The kernel of a queue op whose queue needs no more than its types, shapes and capacity."""
    @kernel(op_type, context=True)
    def make_queue(ctx, *, component_types, shapes=(), capacity=-1, shared_name=""):
        key = _key(ctx, shared_name)
        ctx.resources.lookup_or_create(
            key, lambda: queue_class(ctx.resources, ctx.op.name, component_types, shapes,
                                     capacity))
        return _handle(key)
    return make_queue


_queue_kernel("FIFOQueueV2", Queue)
_queue_kernel("PaddingFIFOQueueV2", PaddingQueue)


@kernel("RandomShuffleQueueV2", context=True)
def random_shuffle_queue(ctx, *, component_types, shapes=(), capacity=-1, min_after_dequeue=0,
                         seed=0, seed2=0, shared_name=""):
    key = _key(ctx, shared_name)

    def make():
        generator = op_generator(ctx, seed, seed2)
        return RandomShuffleQueue(ctx.resources, ctx.op.name, component_types, shapes, capacity,
                                  min_after_dequeue, generator)
    ctx.resources.lookup_or_create(key, make)
    return _handle(key)


@kernel("PriorityQueueV2", context=True)
def priority_queue(ctx, *, component_types, shapes=(), capacity=-1, shared_name=""):
    key = _key(ctx, shared_name)
    ctx.resources.lookup_or_create(
        key, lambda: PriorityQueue(ctx.resources, ctx.op.name, [dtypes.int64] + component_types,
                                   shapes, capacity))
    return _handle(key)


@kernel("QueueEnqueueV2", context=True)
def queue_enqueue(ctx, handle, *components):
    resource_of(ctx, handle).enqueue(components, False, ctx.op)


@kernel("QueueEnqueueManyV2", context=True)
def queue_enqueue_many(ctx, handle, *components):
    resource_of(ctx, handle).enqueue(components, True, ctx.op)


def _outputs(arrays):
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


@kernel("QueueDequeueV2", context=True)
def queue_dequeue(ctx, handle):
    (element,) = resource_of(ctx, handle).dequeue(1, ctx.op, single=True)
    return _outputs(list(element))


@kernel("QueueDequeueManyV2", context=True)
def queue_dequeue_many(ctx, handle, n):
    queue = resource_of(ctx, handle)
    return _outputs(queue.batch(queue.dequeue(int(n), ctx.op), int(n)))


@kernel("QueueDequeueUpToV2", context=True)
def queue_dequeue_up_to(ctx, handle, n):
    queue = resource_of(ctx, handle)
    return _outputs(queue.batch(queue.dequeue(int(n), ctx.op, allow_small=True), int(n)))


@kernel("QueueCloseV2", context=True)
def queue_close(ctx, handle, *, cancel_pending_enqueues=False):
    resource_of(ctx, handle).close(cancel_pending_enqueues, ctx.op)


@kernel("QueueSizeV2", context=True)
def queue_size(ctx, handle):
    queue = resource_of(ctx, handle)
    with queue.lock:
        return np.array(len(queue), dtype=np.int32)


@kernel("QueueIsClosedV2", context=True)
def queue_is_closed(ctx, handle):
    return np.array(resource_of(ctx, handle).closed)
