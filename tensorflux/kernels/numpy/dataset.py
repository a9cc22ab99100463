"""Kernels of the tf.data iterator ops (tensorflux/data/iterator.py).

An iterator lives in the session's resources. Initializing it asks the Dataset (the op's
`dataset` attr) to start a run; closing the session, or initializing again, closes the run and
stops its threads.
"""
import threading

import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import kernel

_HANDLE_PREFIX = b"tensorflux-iterator:"


class IteratorResource:
    def __init__(self, name, output_types, output_shapes):
        self.name = name
        self.output_types = list(output_types)
        self.output_shapes = list(output_shapes)
        self.string_handle = _HANDLE_PREFIX + name.encode()
        self._run = None
        self._state_lock = threading.Lock()
        # get_next calls are served one at a time, as the elements are a single sequence.
        self._next_lock = threading.Lock()
        self._closed = False

    def reset(self, start_run):
        """Replaces the current run by `start_run()`; the old one is closed first."""
        with self._state_lock:
            old, self._run = self._run, None
        if old is not None:
            old.close()
        run = start_run()
        with self._state_lock:
            if self._closed:
                run.close()
                raise errors.CancelledError(None, None, "Session has been closed.")
            self._run = run

    def start_once(self, start_run):
        with self._next_lock:
            if self._run is None:
                self.reset(start_run)

    def get_next(self, op):
        with self._next_lock:
            run = self._run
            if run is None:
                raise errors.FailedPreconditionError(
                    None, op, "GetNext() failed because the iterator has not been initialized. "
                              "Ensure that you have run the initializer operation for this "
                              "iterator before getting the next element.")
            element = run.get_next()
        if element is None:
            raise errors.OutOfRangeError(None, op, "End of sequence")
        return element

    def close_resource(self):
        with self._state_lock:
            self._closed = True
            run, self._run = self._run, None
        if run is not None:
            run.close()


def _iterator(ctx, shared_name, output_types, output_shapes):
    name = shared_name or ctx.op.name
    return ctx.resources.lookup_or_create(
        ("iterator", name), lambda: IteratorResource(name, output_types, output_shapes))


@kernel("IteratorV2", context=True)
def iterator_v2(ctx, *, shared_name="", output_types, output_shapes):
    return _iterator(ctx, shared_name, output_types, output_shapes)


@kernel("OneShotIterator", context=True)
def one_shot_iterator(ctx, *, dataset, shared_name="", output_types, output_shapes):
    resource = _iterator(ctx, shared_name, output_types, output_shapes)
    resource.start_once(lambda: dataset._start(ctx.session))
    return resource


@kernel("MakeIterator", context=True)
def make_iterator(ctx, resource, *captured, dataset):
    values = dict(zip(dataset._captured(), captured))
    resource.reset(lambda: dataset._start(ctx.session, values))


@kernel("IteratorGetNext", context=True)
def iterator_get_next(ctx, resource, *, output_types, output_shapes):
    element = resource.get_next(ctx.op)
    return element[0] if len(element) == 1 else element


@kernel("IteratorToStringHandle", context=True)
def iterator_to_string_handle(ctx, resource):
    return np.array(resource.string_handle, dtype=object)


@kernel("IteratorFromStringHandle", context=True)
def iterator_from_string_handle(ctx, string_handle, *, output_types, output_shapes):
    handle = string_handle[()] if isinstance(string_handle, np.ndarray) else string_handle
    handle = handle.encode() if isinstance(handle, str) else bytes(handle)
    resource = None
    if handle.startswith(_HANDLE_PREFIX):
        resource = ctx.resources.lookup(("iterator", handle[len(_HANDLE_PREFIX):].decode()))
    if resource is None:
        raise errors.InvalidArgumentError(
            None, ctx.op, f"{handle!r} is not the string handle of an iterator of this session")
    if resource.output_types != list(output_types):
        raise errors.InvalidArgumentError(
            None, ctx.op, f"The iterator of handle {handle!r} has output types "
                          f"{[t.name for t in resource.output_types]}, but this feedable "
                          f"iterator expects {[t.name for t in output_types]}.")
    for theirs, mine in zip(resource.output_shapes, output_shapes):
        if not mine.is_compatible_with(theirs):
            raise errors.InvalidArgumentError(
                None, ctx.op, f"The iterator of handle {handle!r} has output shapes "
                              f"{resource.output_shapes}, incompatible with this feedable "
                              f"iterator's {list(output_shapes)}.")
    return resource
