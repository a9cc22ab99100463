"""Compile (fetches, feeds, targets) into a Plan, a flat list of kernel calls, and run it.

All decisions — which ops run (the pruned graph, as the passes of runtime/passes rewrite it),
in what order, on which device, with which kernel, where a value crosses between kernel
libraries or devices, when each intermediate value dies, which buffers are reused in place —
are taken once here, so `Plan.run` is a tight loop over steps.
"""
import functools
import heapq
import time

import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import DEAD
from tensorflux.runtime import devices, passes
from tensorflux.runtime.passes.rewrite import SHAPE_READERS, conditional_region
from tensorflux.runtime.resources import OpContext


class Step:
    """One kernel call: input slots in, output slots out, slots to free afterwards.

    A `copy` step is no op's kernel: it moves a value across kernel libraries or devices
    (e.g. a NumPy array to a torch tensor on GPU) for the op it was inserted before.
    """

    __slots__ = ("op", "fn", "inputs", "outputs", "single", "frees", "device", "library",
                 "copy")

    def __init__(self, op, fn, inputs, outputs, device, library, copy=False):
        self.op = op
        self.fn = fn
        self.inputs = inputs
        self.outputs = outputs
        self.single = copy or len(op.outputs) <= 1
        if not outputs:
            self.outputs = (None,)  # a kernel of no outputs returns None; nothing is stored
        self.frees = ()
        self.device = device
        self.library = library
        self.copy = copy


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
        rewrite = passes.optimize(order, fetch_tensors, target_ops, session._devices,
                                  session._config.graph_options)
        order = rewrite.ops
        self._aliases = rewrite.resolved_aliases()  # tensors of ops the passes removed
        region = conditional_region(order)
        self._slots = {}
        self._domains = {}  # slot -> the domain its value lives in (see devices.py)
        self._constants = {}  # slot -> value known at plan time (Consts, and their copies)
        self._copies = {}  # (slot, domain) -> the slot holding the value moved there
        self._maybe_dead = set()  # slots of ops downstream of a Switch
        self.steps = []
        slot_of = self._tensor_slot
        self.feed_slots = [slot_of(t) for t in feed_tensors]
        for slot in self.feed_slots:
            self._domains[slot] = devices.HOST
        fetch_slots = [slot_of(t) for t in fetch_tensors]
        consumed = {self._aliases.get(t, t) for op in order
                    for t in op._inputs[op._op_def.ref_inputs:]}
        fresh = set()  # slots a kernel has just allocated, shared with no other value
        kernels = {}
        for op in order:
            device, kern, device_type, index = session._place(op)
            domain = devices.domain_of(kern, device_type, index)
            refs = op._op_def.ref_inputs
            host = _indices(kern.host_inputs, len(op._inputs))
            inputs = tuple(self._moved(slot_of(t), devices.HOST if i in host else domain, op)
                           for i, t in enumerate(op._inputs) if i >= refs)
            # A fed output is already in its slot; the op must not overwrite it.
            outputs = tuple(slot_of(t) if (t in consumed or t in self._slots) and t not in fed
                            else None for t in op._outputs)
            host = _indices(kern.host_outputs, len(outputs))
            for i, slot in enumerate(outputs):
                if slot is not None:
                    self._domains[slot] = devices.HOST if i in host else domain
                    if op in region:
                        self._maybe_dead.add(slot)
            step = Step(op, _bind(kern, op, session), inputs, outputs, device, kern.library)
            if op.type == "Const" and op not in region:
                if outputs[0] is not None:
                    self._constants[outputs[0]] = step.fn()
                continue
            if kern.fresh and len(outputs) == 1:
                fresh.add(outputs[0])
            kernels[step] = kern
            self.steps.append(step)
        self.fetch_slots = [self._moved(slot, devices.HOST, t.op)
                            for slot, t in zip(fetch_slots, fetch_tensors)]
        # Fetches copied from a device's memory at run time are fresh arrays the session need
        # not copy again (a constant's copy, made once at plan time, is not).
        self.fetch_copied = [moved != slot and moved not in self._constants and
                             self._domains.get(slot, devices.HOST)[1] != "CPU"
                             for slot, moved in zip(fetch_slots, self.fetch_slots)]
        keep = set(self.fetch_slots) | set(self.feed_slots)
        self._reuse_buffers(kernels, fresh, keep, region)
        self._guard_conditional_steps(region, self._slot_of)
        self.num_slots = len(self._slots)
        self._initial = [None] * self.num_slots
        for slot, value in self._constants.items():
            self._initial[slot] = value
        self._set_frees(keep)
        self.ops = order

    def _slot_of(self, key):
        slots = self._slots
        if key not in slots:
            slots[key] = len(slots)
        return slots[key]

    def _tensor_slot(self, tensor):
        return self._slot_of(self._aliases.get(tensor, tensor))

    def _moved(self, slot, domain, op):
        """The slot holding `slot`'s value in `domain`: itself, or a copy made before `op`
        (at plan time for constants; shared by every consumer in that domain)."""
        have = self._domains.get(slot, devices.HOST)
        if have == domain:
            return slot
        key = (slot, domain)
        moved = self._copies.get(key)
        if moved is None:
            moved = self._copies[key] = self._slot_of(("copy",) + key)
            self._domains[moved] = domain
            fn = devices.converter(have, domain)
            if slot in self._constants:
                self._constants[moved] = fn(self._constants[slot])
            else:
                if slot in self._maybe_dead:
                    fn = _passing_dead(fn)
                    self._maybe_dead.add(moved)
                self.steps.append(Step(op, fn, (slot,), (moved,), None, domain[0], copy=True))
        return moved

    def _reuse_buffers(self, kernels, fresh, keep, region):
        """Elementwise steps write into an input that dies with them, instead of allocating.

        Only a buffer a kernel allocated and that nothing else reads (so never a variable's
        storage, a Const's value, a feed, a fetched value, or a view of another value), of
        the output's dtype; where static shapes do not prove the output has its shape, the
        step checks at run time. Ops that read only the shape (those gradients build) do not
        count as readers: writing the values in place leaves the shape as it was.
        """
        readers = {}
        for step in self.steps:
            if step.copy or step.op.type not in SHAPE_READERS:
                for slot in set(step.inputs):
                    readers[slot] = readers.get(slot, 0) + 1
        for step, kern in kernels.items():
            op = step.op
            if not kern.inplace or op in region or step.outputs[0] is None:
                continue
            out = op._outputs[0]
            refs = op._op_def.ref_inputs
            for index in kern.inplace:
                slot = step.inputs[index]
                source = op._inputs[refs + index]
                if slot in fresh and readers[slot] == 1 and slot not in keep and \
                        source.dtype.base_dtype == out.dtype.base_dtype and \
                        source.dtype.base_dtype.name != "string":
                    proven = source.shape.is_fully_defined() and \
                        out.shape.is_fully_defined() and \
                        source.shape.as_list() == out.shape.as_list()
                    step.fn = _in_place(step.fn, index, not proven)
                    break

    def _guard_conditional_steps(self, region, slot_of):
        """Steps downstream of a Switch may see dead inputs: they skip their kernel then.

        Each such step also writes a liveness token, which steps holding a control edge
        on it read, so ops gated only by control dependencies die with their branch too.
        Copy steps pass a dead value through unchanged.
        """
        if not region:
            return
        tokens = {}
        for step in self.steps:
            op = step.op
            if op not in region or step.copy:
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
        values = self._initial.copy()
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
        """The same loop, recording each op's device, start, end and output sizes."""
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
            if not step.copy:
                trace.append((step.op, step.device, start, end, results))


def _indices(indices, count):
    """Host input / output indices of one op, negative ones counted from the end."""
    return {i % count for i in indices if -count <= i < count}


def _passing_dead(convert):
    def move(value):
        return value if value is DEAD else convert(value)
    return move


def _in_place(fn, index, check_shapes):
    """`fn` writing its result into its input `index` (when that buffer can hold it)."""
    def run(*args):
        target = args[index]
        if isinstance(target, np.generic) or \
                (check_shapes and not all(_fits(arg, target.shape) for arg in args)):
            return fn(*args)
        return fn(*args, out=target)
    return run


def _fits(value, shape):
    """Whether `value` broadcasts to `shape` without growing it."""
    other = getattr(value, "shape", ())
    if len(other) > len(shape):
        return False
    return all(o == 1 or o == s for o, s in zip(reversed(other), reversed(shape)))


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
