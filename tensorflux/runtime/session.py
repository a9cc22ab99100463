"""Session and InteractiveSession: run fetches of a graph with feeds, holding per-session state."""
import collections
import contextlib
import threading

import numpy as np

from tensorflux.framework import dtypes, errors
from tensorflux.framework.graph import Operation, Tensor, get_default_graph
from tensorflux.framework.registry import DEAD
from tensorflux.runtime import allocator, devices
from tensorflux.runtime.config import ConfigProto
from tensorflux.runtime.executor import Plan
from tensorflux.runtime.resources import SessionResources


class FeedError(errors.InvalidArgumentError, ValueError):
    """A feed TF1 rejects before running: InvalidArgumentError, and ValueError as TF1's client."""


class _FetchMapper:
    """Flattens a nested fetch structure into graph elements and rebuilds the results.

    `elements` are the leaves in order; `build(values)` returns the structure with each leaf
    replaced by its value (None for an Operation).
    """

    def __init__(self, graph, fetches):
        self.elements = []
        self._rebuild = self._map(graph, fetches)

    def _map(self, graph, fetch):
        components = getattr(fetch, "_fetch_components", None)
        if components is not None and not isinstance(fetch, type):
            # Composite values (SparseTensor) fetch their parts and rebuild their value type.
            parts, build = components()
            children = [self._map(graph, f) for f in parts]
            return lambda values: build(*[c(values) for c in children])
        if isinstance(fetch, (list, tuple)) and not hasattr(fetch, "_as_graph_element"):
            children = [self._map(graph, f) for f in fetch]
            if hasattr(fetch, "_fields"):
                return lambda values: type(fetch)(*[c(values) for c in children])
            kind = type(fetch)
            return lambda values: kind(c(values) for c in children)
        if isinstance(fetch, dict):
            keys = list(fetch)
            children = [self._map(graph, fetch[k]) for k in keys]
            kind = type(fetch) if not isinstance(fetch, collections.defaultdict) else dict
            return lambda values: kind(zip(keys, (c(values) for c in children)))
        element = _fetch_element(graph, fetch)
        index = len(self.elements)
        self.elements.append(element)
        if isinstance(element, Operation):
            return lambda values: None
        return lambda values: values[index]

    def build(self, values):
        return self._rebuild(values)


def _fetch_element(graph, fetch):
    if fetch is None:
        raise TypeError(f"Fetch argument None has invalid type {type(None)}")
    try:
        element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
    except TypeError as exc:
        raise TypeError(f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a "
                        f"string or Tensor. ({exc})") from None
    except (ValueError, KeyError) as exc:
        raise ValueError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. "
                         f"({exc.args[0]})") from None
    if not graph.is_fetchable(element):
        raise errors.InvalidArgumentError(None, None, f"Fetch argument {fetch!r} is not fetchable.")
    return element


def _feed_array(tensor, value):
    """`value` as an array of the tensor's dtype and a shape its static shape accepts."""
    if isinstance(value, (Tensor, Operation)):
        raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable feed "
                        "values include Python scalars, strings, lists, numpy ndarrays, or "
                        "TensorHandles. For reference, the tensor object was "
                        f"{value!r} which was passed to the feed with key {tensor!r}.")
    dtype = tensor.dtype.base_dtype
    try:
        if dtype is dtypes.string:
            array = np.asarray(value, dtype=object)
            array = np.vectorize(_to_bytes, otypes=[object])(array) if array.size else array
        else:
            array = np.asarray(value, dtype=dtype.storage_numpy_dtype)
    except (TypeError, ValueError) as exc:
        raise FeedError(None, None, f"Cannot feed value {value!r} for Tensor "
                                         f"'{tensor.name}' of dtype {dtype.name}: {exc}") from None
    if not tensor.shape.is_compatible_with(array.shape):
        raise FeedError(None, None,
                        f"Cannot feed value of shape {array.shape} for Tensor '{tensor.name}', "
                        f"which has shape '{tensor.shape}'")
    return array


def _to_bytes(item):
    return item.encode() if isinstance(item, str) else item


def _fetch_value(value, copied=False):
    """A fetched value as TF1 returns it: a fresh ndarray (`copied`: it already is one, made by
    the copy from a GPU), or a NumPy scalar for rank 0."""
    value = devices.to_numpy(value)
    if isinstance(value, np.ndarray):
        return value[()] if value.ndim == 0 else value if copied else value.copy()
    return value


class _SessionStack(threading.local):
    def __init__(self):
        self.stack = []


_default_session_stack = _SessionStack()


def get_default_session():
    stack = _default_session_stack.stack
    return stack[-1] if stack else None


def _session_for(graph, session, what):
    if session is None:
        session = get_default_session()
        if session is None:
            raise ValueError(f"Cannot evaluate tensor using `{what}`: No default session is "
                             "registered. Use `with sess.as_default()` or pass an explicit "
                             "session to `eval(session=sess)`")
        if session.graph is not graph:
            raise ValueError("Cannot use the default session to evaluate tensor: the tensor's "
                             "graph is different from the session's graph. Pass an explicit "
                             "session to `eval(session=sess)`.")
    elif session.graph is not graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph "
                         "is different from the session's graph.")
    return session


class BaseSession:
    def __init__(self, target="", graph=None, config=None):
        if target:
            raise errors.UnimplementedError(
                None, None, f"Session target {target!r} is not supported: tensorflux runs "
                            "graphs in-process only (use target='').")
        allocator.tune_malloc()
        self._graph = graph if graph is not None else get_default_graph()
        self._config = config if config is not None else ConfigProto()
        self._resources = SessionResources()
        self._devices = devices.DeviceSet(self._config)
        self._plans = {}
        self._fetch_structures = {}
        self._lock = threading.Lock()
        self._closed = False
        self._default_context = None

    @property
    def graph(self):
        return self._graph

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    @property
    def sess_str(self):
        return ""

    def list_devices(self):
        return self._devices.list_devices()

    def _place(self, op):
        return self._devices.place(op)

    def as_default(self):
        return _as_default_session(self)

    def close(self):
        if self._closed:
            return
        self._closed = True
        self._resources.close()
        self._plans.clear()

    def __enter__(self):
        if self._default_context is None:
            self._default_context = self.as_default()
            self._default_context.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._default_context is not None:
            context, self._default_context = self._default_context, None
            context.__exit__(exc_type, exc, tb)
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the ops needed for `fetches` and returns their values in the same structure."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        mapper, fetch_tensors, targets = self._fetch_structure(fetches)
        feed_tensors, feed_values = self._feeds(feed_dict)
        plan = self._plan(fetch_tensors, targets, feed_tensors)
        timeout = getattr(options, "timeout_in_ms", 0) or self._config.operation_timeout_in_ms
        self._resources.set_deadline(timeout)
        trace = [] if options is not None and getattr(options, "trace_level", 0) else None
        values = plan.run(feed_values, trace)
        if trace is not None and run_metadata is not None:
            from tensorflux.runtime.tracing import fill_step_stats
            fill_step_stats(run_metadata, trace)
        by_tensor = {}
        for tensor, value, copied in zip(fetch_tensors, values, plan.fetch_copied):
            if value is DEAD:
                raise errors.InvalidArgumentError(
                    None, tensor.op, f"Retval does not have value: {tensor.name} is on the "
                                     "untaken branch of a tf.cond")
            by_tensor[tensor] = _fetch_value(value, copied)
        return mapper.build([by_tensor.get(e) for e in mapper.elements])

    def _fetch_structure(self, fetches):
        """The mapper of a fetch structure, its unique tensors and its target ops; remembered
        for a tensor, an op, a name, or a flat list or tuple of them, while the graph does not
        change, so a training loop does not map its fetches on every step."""
        shape = (list, tuple(fetches)) if type(fetches) is list else fetches
        key = (shape, self._graph.version)
        try:
            found = self._fetch_structures.get(key)
        except TypeError:  # dicts and nested lists are mapped on every run
            key, found = None, None
        if found is None:
            mapper = _FetchMapper(self._graph, fetches)
            unique = list(dict.fromkeys(mapper.elements))
            found = (mapper, [e for e in unique if isinstance(e, Tensor)],
                     [e for e in unique if isinstance(e, Operation)])
            if key is not None:
                if len(self._fetch_structures) >= 64:
                    self._fetch_structures.clear()
                self._fetch_structures[key] = found
        return found

    def _feeds(self, feed_dict):
        if not feed_dict:
            return (), ()
        tensors, values = [], []
        for key, value in feed_dict.items():
            try:
                tensor = self._graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
            except (TypeError, ValueError, KeyError) as exc:
                raise TypeError(f"Cannot interpret feed_dict key as Tensor: {exc.args[0]}") from None
            if not self._graph.is_feedable(tensor):
                raise ValueError(f"Tensor {tensor.name} may not be fed.")
            tensors.append(tensor)
            values.append(_feed_array(tensor, value))
        order = sorted(range(len(tensors)), key=lambda i: (tensors[i].op._id, tensors[i].value_index))
        return tuple(tensors[i] for i in order), tuple(values[i] for i in order)

    def _plan(self, fetch_tensors, targets, feed_tensors):
        version = self._graph.version
        key = (tuple(fetch_tensors), tuple(targets), feed_tensors, version)
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key)
                if plan is None:
                    if self._plans and next(iter(self._plans))[3] != version:
                        self._plans.clear()  # the graph grew: older plans may be stale
                    plan = Plan(self, fetch_tensors, targets, feed_tensors)
                    self._plans[key] = plan
        return plan

    def make_callable(self, fetches, feed_list=None):
        """A function running `fetches` with positional feed values for `feed_list`."""
        feed_list = list(feed_list or [])

        def call(*args):
            return self.run(fetches, dict(zip(feed_list, args)))
        return call


@contextlib.contextmanager
def _as_default_session(session):
    _default_session_stack.stack.append(session)
    try:
        with session.graph.as_default():
            yield session
    finally:
        _default_session_stack.stack.remove(session)


class Session(BaseSession):
    """`tf.Session(target='', graph=None, config=None)`: runs `graph` (default graph if None)."""


class InteractiveSession(BaseSession):
    """A Session that installs itself as the default session when created."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        self._interactive_context = self.as_default()
        self._interactive_context.__enter__()

    def close(self):
        context, self._interactive_context = getattr(self, "_interactive_context", None), None
        super().close()
        if context is not None:
            try:
                context.__exit__(None, None, None)
            except ValueError:
                pass
