"""Kernels of control flow (ops/control_flow.py): Switch/Merge deadness, Print, Assert."""
import sys

import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.registry import DEAD, kernel


@kernel("NoOp")
def no_op():
    return None


@kernel("Switch")
def switch(data, pred):
    return (DEAD, data) if pred else (data, DEAD)


@kernel("RefSwitch", context=True)
def ref_switch(ctx, ref, pred):
    # Reads the variable only when initialized, so an untaken branch never fails on it.
    value = ref.value() if ref.initialized else DEAD
    return (DEAD, value) if pred else (value, DEAD)


@kernel("Merge")
def merge(*inputs):
    for index, value in enumerate(inputs):
        if value is not DEAD:
            return value, np.int32(index)
    return DEAD, DEAD


def _format(value, summarize):
    array = np.asarray(value)
    flat = array.reshape(-1)
    if summarize is not None and summarize >= 0 and flat.size > summarize:
        text = " ".join(str(v) for v in flat[:summarize]) + "..."
    else:
        text = " ".join(str(v) for v in flat)
    return f"[{text}]"


@kernel("Print", context=True)
def print_(ctx, input_, *data, message="", first_n=-1, summarize=3):
    with ctx.resources.lock:
        count = ctx.resources.counters.get(ctx.op, 0)
        ctx.resources.counters[ctx.op] = count + 1
    if first_n < 0 or count < first_n:
        print(message + "".join(_format(d, summarize) for d in data), file=sys.stderr)
    return input_


@kernel("PrintV2")
def print_v2(*tensors, template, sep=" ", end="\n", summarize=3, output_stream=sys.stderr):
    values = iter(tensors)
    parts = [part if part is not None else _format(next(values), summarize) for part in template]
    stream = sys.stdout if output_stream in ("stdout", sys.stdout) else sys.stderr
    print(sep.join(parts), end=end, file=stream)


@kernel("Assert", context=True)
def assert_(ctx, condition, *data, summarize=3):
    if not np.all(condition):
        shown = ", ".join(_format(d, summarize) for d in data)
        raise errors.InvalidArgumentError(None, ctx.op, f"assertion failed: [{shown}]")
