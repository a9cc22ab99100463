"""Per-session state: variable values, queues, readers, iterators and random generators.

TF1 keeps variables in the session (its ResourceMgr), so two sessions over one graph hold
different values and closing a session releases everything it held.
"""
import threading
import time

import numpy as np

from tensorflux.framework import errors
from tensorflux.kernels.numpy.state import variable_key


class SessionResources:
    def __init__(self):
        self.variables = {}
        self._objects = {}
        self._generators = {}
        self.counters = {}
        self.lock = threading.RLock()
        # Blocking kernels wait on this condition; any state change or close notifies it.
        self.changed = threading.Condition(self.lock)
        self.closed = False
        self._run_state = threading.local()

    def variable_ref(self, tensor):
        """The VariableRef a ref input names; the tensor must come from a variable op."""
        op = tensor.op
        if op.type != "VariableV2":
            raise errors.UnimplementedError(
                None, op, f"{op.name} ({op.type}) is used as a variable reference, but only "
                          "variable ops can be assigned to.")
        return VariableRef(self, variable_key(op), op)

    def lookup_or_create(self, key, factory):
        """The shared object under `key` (queues, readers, iterators), made on first use."""
        with self.lock:
            obj = self._objects.get(key)
            if obj is None:
                obj = self._objects[key] = factory()
            return obj

    def lookup(self, key):
        return self._objects.get(key)

    def generator(self, op, seed_pair):
        """The random generator of one op, seeded once per session by (graph seed, op seed)."""
        gen = self._generators.get(op)
        if gen is None:
            seed = None if seed_pair is None else list(seed_pair)
            gen = self._generators[op] = np.random.default_rng(seed)
        return gen

    # ---- blocking waits (queues, readers) ----
    def set_deadline(self, timeout_in_ms):
        self._run_state.deadline = (time.monotonic() + timeout_in_ms / 1000.0
                                    if timeout_in_ms else None)

    def wait_until(self, predicate, op=None, what="operation", condition=None):
        """Blocks until `predicate()` holds; session close or the run's deadline ends the wait.

        It waits on `condition` (`self.changed` by default), whose lock the caller holds,
        and looks at the session's state every 0.1 s besides.
        """
        condition = condition or self.changed
        while not predicate():
            if self.closed:
                raise errors.CancelledError(None, op, f"Session has been closed: {what} was "
                                                      "cancelled.")
            condition.wait(min(self.time_left(op, what), 0.1))

    def time_left(self, op=None, what="operation"):
        """Seconds left before this thread's run times out (RunOptions.timeout_in_ms; inf
        without one); DeadlineExceededError once there are none."""
        deadline = getattr(self._run_state, "deadline", None)
        if deadline is None:
            return float("inf")
        left = deadline - time.monotonic()
        if left <= 0:
            raise errors.DeadlineExceededError(None, op, f"Timed out waiting for {what}.")
        return left

    def notify(self):
        with self.lock:
            self.changed.notify_all()

    def close(self):
        with self.lock:
            self.closed = True
            for obj in self._objects.values():
                close = getattr(obj, "close_resource", None)
                if close is not None:
                    close()
            self.changed.notify_all()
        self.variables.clear()
        self._objects.clear()
        self._generators.clear()


class VariableRef:
    """A kernel's handle on one variable's storage in one session.

    The storage is a NumPy array for a variable on the CPU (torch kernels update it in place
    through a tensor sharing its memory), or a device tensor for a variable placed on an
    accelerator, which that library's kernels read and assign (`storage`, `replace`).
    """

    __slots__ = ("_store", "key", "op")

    def __init__(self, resources, key, op):
        self._store = resources.variables
        self.key = key
        self.op = op

    @property
    def initialized(self):
        return self.key in self._store

    def value(self):
        try:
            return self._store[self.key]
        except KeyError:
            raise errors.FailedPreconditionError(
                None, self.op, f"Attempting to use uninitialized value {self.op.name}") from None

    def storage(self):
        """The stored value as it is, or None before the first assignment."""
        return self._store.get(self.key)

    def replace(self, value):
        """Makes `value` the variable's storage (the caller made it a copy of its own)."""
        self._store[self.key] = value

    def check_shape(self, shape):
        """Raises as TF's Assign does when `shape` does not fit the variable's static shape."""
        static = self.op._outputs[0].shape
        if static.ndims is not None and not static.is_compatible_with(tuple(shape)):
            raise errors.InvalidArgumentError(
                None, None, f"Assign requires shapes of both tensors to match. lhs shape= "
                            f"{list(static.as_list())} rhs shape= {list(shape)}")

    def assign(self, value, validate_shape=True):
        """Stores a copy of `value`, in place when shape and dtype allow (as TF's Assign)."""
        current = self._store.get(self.key)
        value = np.asarray(value)
        if current is not None and current.shape == value.shape and current.dtype == value.dtype:
            np.copyto(current, value)
            return current
        if validate_shape:
            self.check_shape(value.shape)
        stored = np.array(value, dtype=self.op._attrs["dtype"].storage_numpy_dtype, copy=True)
        self._store[self.key] = stored
        return stored


class OpContext:
    """What a stateful kernel sees: the session's resources and the op it runs for."""

    __slots__ = ("resources", "op", "session")

    def __init__(self, resources, op, session):
        self.resources = resources
        self.op = op
        self.session = session
