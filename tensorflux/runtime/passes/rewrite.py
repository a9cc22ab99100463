"""The graph a Plan runs, as the passes rewrite it: an ordered op list and tensor aliases.

The passes never touch the user's Graph. They work on the pruned, ordered op list of one Plan:
they drop ops, put new ops (made by `framework.graph.detached_operation`) in their place, and
alias the tensors of dropped ops to tensors that hold the same value. The op list stays a valid
schedule: a new op takes the place of the last op it replaces, and a pass checks that nothing
between the old and the new places needs the value earlier or changes what the op reads.
"""
from tensorflux.framework.graph import detached_operation

# Ops that read only the static or dynamic shape of their inputs, never the values.
SHAPE_READERS = frozenset({"Shape", "ShapeN", "Size", "Rank"})


def conditional_region(order):
    """The ops downstream of a Switch (through data or control edges): they may see DEAD."""
    region = set()
    for op in order:
        if op.type in ("Switch", "RefSwitch") or \
                any(t.op in region for t in op._inputs) or \
                any(c in region for c in op._control_inputs):
            region.add(op)
    return region


class Rewrite:
    def __init__(self, ops, fetches, targets, devices):
        self.ops = list(ops)
        self.alias = {}  # tensor of a dropped op -> the tensor holding its value
        self.fetched = set(fetches)
        self.targets = set(targets)
        self.devices = devices
        self.region = conditional_region(self.ops)

    def resolve(self, tensor):
        while tensor in self.alias:
            tensor = self.alias[tensor]
        return tensor

    def inputs(self, op):
        return [self.resolve(t) for t in op._inputs]

    def consumers(self):
        """tensor -> the ops (in order) that read it, after aliasing."""
        readers = {}
        for op in self.ops:
            for t in self.inputs(op):
                readers.setdefault(t, []).append(op)
        return readers

    def new_op(self, like, op_type, inputs, attrs, name=None):
        """A detached op standing in for `like`, placed on its device; None when no kernel
        library runs `op_type` there."""
        op = detached_operation(like, op_type, inputs, attrs, name)
        return op if self.devices.place_like(op, like) else None

    def same_device(self, a, b):
        return self.devices.place(a)[0] == self.devices.place(b)[0]

    def replace(self, old_ops, new_op, aliases):
        """Drops `old_ops`; `new_op` runs where the last of them ran."""
        old = set(old_ops)
        last = max(i for i, op in enumerate(self.ops) if op in old)
        self.ops = [new_op if i == last else op for i, op in enumerate(self.ops)
                    if op not in old or i == last]
        self.alias.update(aliases)

    def resolved_aliases(self):
        return {t: self.resolve(t) for t in self.alias}
