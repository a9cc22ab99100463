"""Compile (fetches, feeds, targets) into a Plan, a flat list of kernel calls, and run it.

All decisions — which ops run, in what order, on which device, with which kernel, when each
intermediate value dies — are taken once here, so `Plan.run` is a tight loop over steps.
"""
import functools
import heapq
import time

import numpy as np

from tensorflux.framework import errors, registry
from tensorflux.framework.registry import DEAD
from tensorflux.runtime.resources import OpContext


class Step:
    """One kernel call: input slots in, output slots out, slots to free afterwards."""

    __slots__ = ("op", "fn", "inputs", "outputs", "single", "frees", "device", "library")

    def __init__(self, op, fn, inputs, outputs, device, library):
        self.op = op
        self.fn = fn
        self.inputs = inputs
        self.outputs = outputs
        self.single = len(op.outputs) <= 1
        if not outputs:
            self.outputs = (None,)  # a kernel of no outputs returns None; nothing is stored
        self.frees = ()
        self.device = device
        self.library = library


def prune(fetch_tensors, target_ops, fed):
    """The ops needed to compute the fetches and run the targets, given the fed tensors."""
    needed = set()
    stack = [t.op for t in fetch_tensors if t not in fed] + list(target_ops)
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        needed.add(op)
        stack.extend(t.op for t in op._inputs[op._op_def.ref_inputs:] if t not in fed)
        stack.extend(op._control_inputs)
    return needed


def topological_order(ops, fed):
    """A deterministic order: among ready ops, the earliest created runs first."""
    waiting = {}
    users = {}
    for op in ops:
        deps = {t.op for t in op._inputs[op._op_def.ref_inputs:] if t not in fed and t.op in ops}
        deps.update(c for c in op._control_inputs if c in ops)
        waiting[op] = len(deps)
        for dep in deps:
            users.setdefault(dep, []).append(op)
    ready = [(op._id, op) for op, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, op = heapq.heappop(ready)
        order.append(op)
        for user in users.get(op, ()):
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (user._id, user))
    if len(order) != len(ops):
        stuck = sorted((op for op in ops if waiting[op] > 0), key=lambda op: op._id)
        raise errors.InvalidArgumentError(None, stuck[0], "Graph has a cycle through: " +
                                          ", ".join(op.name for op in stuck[:5]))
    return order


class Plan:
    def __init__(self, session, fetch_tensors, target_ops, feed_tensors):
        fed = set(feed_tensors)
        order = topological_order(prune(fetch_tensors, target_ops, fed), fed)
        slots = {}

        def slot_of(tensor):
            if tensor not in slots:
                slots[tensor] = len(slots)
            return slots[tensor]

        self.feed_slots = [slot_of(t) for t in feed_tensors]
        self.fetch_slots = [slot_of(t) for t in fetch_tensors]
        consumed = {t for op in order for t in op._inputs[op._op_def.ref_inputs:]}
        self.steps = []
        for op in order:
            inputs = tuple(slot_of(t) for t in op._inputs[op._op_def.ref_inputs:])
            # A fed output is already in its slot; the op must not overwrite it.
            outputs = tuple(slot_of(t) if (t in consumed or t in slots) and t not in fed else None
                            for t in op._outputs)
            device, kern = session._place(op)
            self.steps.append(Step(op, _bind(kern, op, session), inputs, outputs, device,
                                   kern.library))
        self._guard_conditional_steps(order, slot_of)
        self.num_slots = len(slots)
        self._set_frees(set(self.fetch_slots) | set(self.feed_slots))
        self.ops = order

    def _guard_conditional_steps(self, order, slot_of):
        """Steps downstream of a Switch may see dead inputs: they skip their kernel then.

        Each such step also writes a liveness token, which steps holding a control edge
        on it read, so ops gated only by control dependencies die with their branch too.
        """
        region = set()
        for op in order:
            if op.type in ("Switch", "RefSwitch") or \
                    any(t.op in region for t in op._inputs) or \
                    any(c in region for c in op._control_inputs):
                region.add(op)
        if not region:
            return
        tokens = {}
        for step in self.steps:
            op = step.op
            if op not in region:
                continue
            token = slot_of(("token", op))
            tokens[op] = token
            controls = tuple(tokens[c] for c in op._control_inputs if c in tokens)
            step.fn = _dead_guard(step.fn, len(step.inputs), len(op._outputs), step.single,
                                  op.type == "Merge")
            step.inputs = step.inputs + controls
            step.outputs = step.outputs + (token,)
            step.single = False

    def _set_frees(self, keep):
        last_use = {}
        for index, step in enumerate(self.steps):
            for slot in step.inputs:
                last_use[slot] = index
            for slot in step.outputs:
                if slot is not None and slot not in last_use:
                    last_use[slot] = index
        frees = {}
        for slot, index in last_use.items():
            if slot not in keep:
                frees.setdefault(index, []).append(slot)
        for index, step in enumerate(self.steps):
            step.frees = tuple(frees.get(index, ()))

    def run(self, feed_values, trace=None):
        values = [None] * self.num_slots
        for slot, value in zip(self.feed_slots, feed_values):
            values[slot] = value
        if trace is not None:
            self._run_traced(values, trace)
        else:
            step = None
            try:
                for step in self.steps:
                    result = step.fn(*[values[i] for i in step.inputs])
                    if step.single:
                        if step.outputs[0] is not None:
                            values[step.outputs[0]] = result
                    else:
                        for slot, value in zip(step.outputs, result):
                            if slot is not None:
                                values[slot] = value
                    for slot in step.frees:
                        values[slot] = None
            except Exception as exc:
                raise _as_op_error(exc, step.op) from exc
        return [values[i] for i in self.fetch_slots]

    def _run_traced(self, values, trace):
        """The same loop, recording each step's device, start, end and output sizes."""
        for step in self.steps:
            start = time.time()
            try:
                result = step.fn(*[values[i] for i in step.inputs])
            except Exception as exc:
                raise _as_op_error(exc, step.op) from exc
            end = time.time()
            results = (result,) if step.single else tuple(result)
            for slot, value in zip(step.outputs, results):
                if slot is not None:
                    values[slot] = value
            for slot in step.frees:
                values[slot] = None
            trace.append((step.op, step.device, start, end, results))


def _dead_guard(fn, num_inputs, num_outputs, single, is_merge):
    dead = (DEAD,) * (num_outputs + 1)

    def guarded(*args):
        if any(a is DEAD for a in args[num_inputs:]) or \
                (not is_merge and any(a is DEAD for a in args[:num_inputs])):
            return dead
        result = fn(*args[:num_inputs])
        results = (result,) if single else tuple(result or ())
        alive = not results or any(r is not DEAD for r in results)
        return results + (True if alive else DEAD,)
    return guarded


def _bind(kern, op, session):
    attrs = {name: op._attrs[name] for name in kern.attr_names if name in op._attrs}
    if kern.context:
        refs = [session._resources.variable_ref(t) for t in op._inputs[:op._op_def.ref_inputs]]
        return functools.partial(kern.fn, OpContext(session._resources, op, session), *refs,
                                 **attrs)
    return functools.partial(kern.fn, **attrs) if attrs else kern.fn


def _as_op_error(exc, op):
    """A kernel failure as a tf.errors class naming the op, its type and the user's line."""
    if isinstance(exc, errors.OpError):
        if exc.op is None:
            exc._op = op
        return exc
    if isinstance(exc, (ValueError, TypeError, IndexError, np.linalg.LinAlgError)):
        cls = errors.InvalidArgumentError
    elif isinstance(exc, (MemoryError,)):
        cls = errors.ResourceExhaustedError
    elif isinstance(exc, (ZeroDivisionError, FloatingPointError, ArithmeticError)):
        cls = errors.InvalidArgumentError
    else:
        cls = errors.InternalError
    return cls(None, op, f"{op.type} op '{op.name}' failed: {exc}")


def lookup_kernel(op, device_type, libraries):
    """The first registered kernel for `op` on `device_type` among `libraries`, or None."""
    for library in libraries:
        kern = registry.find_kernel(op.type, device_type, library)
        if kern is not None:
            return kern
    return None
