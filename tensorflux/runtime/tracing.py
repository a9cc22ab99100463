"""RunMetadata.step_stats from a traced Plan run (RunOptions(trace_level=FULL_TRACE)).

The executor records (op, device, start, end, outputs) per kernel call; this turns them into
TF's StepStats: one DeviceStepStats per device, one NodeExecStats per op with its times in
microseconds (and nanoseconds), its outputs' dtypes, shapes and byte sizes, and a timeline
label `name = Type(inputs)` that client/timeline.py parses as TF's timeline does.
"""
import numpy as np

from tensorflux.formats import protos
from tensorflux.framework.registry import DEAD

_ALLOCATOR = "cpu"


def _shape_and_bytes(value):
    """(shape, byte count) of an output value, without copying it (NumPy or torch)."""
    if value is None or value is DEAD:
        return None, 0
    shape = getattr(value, "shape", None)
    if shape is None:
        value = np.asarray(value)
        shape = value.shape
    nbytes = getattr(value, "nbytes", None)
    if nbytes is None:
        element_size = getattr(value, "element_size", None)
        numel = getattr(value, "numel", None)
        nbytes = element_size() * numel() if element_size and numel else 0
    return [int(d) for d in shape], int(nbytes)


def _label(op):
    inputs = [t._as_node_def_input() for t in op.inputs] + \
        ["^" + c.name for c in op.control_inputs]
    return f"{op.name} = {op.type}({', '.join(inputs)})"


def node_exec_stats(op, start, end, outputs, allocator=_ALLOCATOR):
    """The NodeExecStats of one op that ran from `start` to `end` (seconds since the epoch)."""
    start_ns = int(start * 1e9)
    start_us = start_ns // 1000
    duration_ns = max(int(round((end - start) * 1e9)), 1)
    duration_us = max(duration_ns // 1000, 1)            # TensorBoard needs a positive time
    stats = protos.NodeExecStats(
        node_name=op.name, all_start_micros=start_us, op_start_rel_micros=0,
        op_end_rel_micros=duration_us, all_end_rel_micros=duration_us,
        all_start_nanos=start_ns, op_start_rel_nanos=0, op_end_rel_nanos=duration_ns,
        all_end_rel_nanos=duration_ns, timeline_label=_label(op), scheduled_micros=start_us,
        scheduled_nanos=start_ns)
    total = 0
    for slot, (tensor, value) in enumerate(zip(op.outputs, outputs)):
        shape, nbytes = _shape_and_bytes(value)
        if shape is None:
            continue
        total += nbytes
        description = protos.TensorDescription(
            dtype=tensor.dtype.base_dtype.as_datatype_enum, shape=protos.as_shape_proto(shape),
            allocation_description=protos.AllocationDescription(
                requested_bytes=nbytes, allocated_bytes=nbytes, allocator_name=allocator))
        stats.output.add(slot=slot, tensor_description=description)
    if total:
        stats.memory.add(allocator_name=allocator, total_bytes=total, peak_bytes=total,
                         live_bytes=total)
    return stats


def step_stats(trace):
    """StepStats of a trace [(op, device, start, end, outputs)]; devices in order of use."""
    result = protos.StepStats()
    by_device = {}
    for op, device, start, end, outputs in trace:
        dev_stats = by_device.get(device)
        if dev_stats is None:
            dev_stats = by_device[device] = result.dev_stats.add(device=device)
        allocator = "GPU_0_bfc" if "GPU" in device else _ALLOCATOR
        dev_stats.node_stats.append(node_exec_stats(op, start, end, outputs, allocator))
    return result


def fill_step_stats(run_metadata, trace):
    """Replaces run_metadata.step_stats with the trace of one Session.run."""
    run_metadata.step_stats = step_stats(trace)
