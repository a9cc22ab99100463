"""Chrome trace JSON of a step's StepStats (tensorflow.python.client.timeline's Timeline).

    run_metadata = tf.RunMetadata()
    sess.run(train_op, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
             run_metadata=run_metadata)
    trace = Timeline(run_metadata.step_stats).generate_chrome_trace_format()
    open("timeline.json", "w").write(trace)     # load in chrome://tracing or Perfetto

Layout (FORMATS.md section 7): process 0 is "Allocators"; each device gets a "<device>
Compute" process for its ops and a "<device> Tensors" process for tensor lifetimes. Ops are
complete events ("X") on lanes: an op goes on the first lane free before it starts. Data flow
arrows ("s"/"t") join producer and consumer when they sit on different lanes or devices.
"""
import json
import re

from tensorflux.formats import protos

_LABEL = re.compile(r"^(.*) = (.*)\((.*)\)$")


def _parse_label(label):
    """(node name, op type, input names) of a timeline label `name = Type(in0, in1)`."""
    match = _LABEL.match(label or "")
    if match is None:
        return None, "unknown", []
    inputs = [name.strip() for name in match.group(3).split(",") if name.strip()]
    return match.group(1), match.group(2), [name for name in inputs if not name.startswith("^")]


class _Trace:
    """The list of trace events, with helpers for each kind (keys in TF's order)."""

    def __init__(self):
        self.metadata = []
        self.events = []

    def process(self, pid, name):
        self.metadata.append({"name": "process_name", "ph": "M", "pid": pid,
                              "args": {"name": name}})

    def complete(self, name, category, pid, tid, start, duration, args):
        self.events.append({"ph": "X", "cat": category, "name": name, "pid": pid, "tid": tid,
                            "ts": start, "dur": duration, "args": args})

    def flow(self, phase, name, pid, tid, timestamp, flow_id):
        self.events.append({"ph": phase, "cat": "DataFlow", "name": name, "pid": pid,
                            "tid": tid, "ts": timestamp, "id": flow_id})

    def tensor(self, phase, name, pid, timestamp, object_id, snapshot=None):
        event = {"ph": phase, "cat": "Tensor", "name": name, "pid": pid, "tid": 0,
                 "ts": timestamp, "id": object_id}
        if snapshot is not None:
            event["args"] = {"snapshot": snapshot}
        self.events.append(event)

    def counter(self, name, pid, timestamp, values):
        self.events.append({"ph": "C", "cat": "Memory", "name": name, "pid": pid, "tid": 0,
                            "ts": timestamp, "args": values})

    def to_json(self, pretty):
        trace = {"traceEvents": self.metadata + self.events}
        if pretty:
            return json.dumps(trace, indent=4, separators=(",", ": "))
        return json.dumps(trace, separators=(",", ":"))


class Timeline:
    """A Chrome trace of one step: Timeline(step_stats, graph=None)."""

    def __init__(self, step_stats, graph=None):
        if isinstance(step_stats, (bytes, bytearray)):
            step_stats = protos.StepStats.FromString(step_stats)
        elif not isinstance(step_stats, protos.StepStats):
            step_stats = protos.StepStats.FromString(step_stats.SerializeToString())
        self._step_stats = step_stats
        self._graph = graph

    def _lanes(self, node_stats):
        """Lane (tid) per op: the first lane whose last op ended before this one starts."""
        lanes, tids = [], []
        for stats in node_stats:
            start = stats.all_start_micros
            for lane, busy_until in enumerate(lanes):
                if start > busy_until:
                    break
            else:
                lane = len(lanes)
                lanes.append(0)
            lanes[lane] = start + stats.all_end_rel_micros
            tids.append(lane)
        return tids

    def generate_chrome_trace_format(self, show_dataflow=True, show_memory=False):
        """The trace as a JSON string (pretty-printed, as TF's)."""
        trace = _Trace()
        trace.process(0, "Allocators")
        pids = {}
        for dev_stats in self._step_stats.dev_stats:
            if dev_stats.device not in pids:
                pid = 1 + 2 * len(pids)
                pids[dev_stats.device] = pid
                trace.process(pid, f"{dev_stats.device} Compute")
                trace.process(pid + 1, f"{dev_stats.device} Tensors")
        produced = {}     # tensor name -> (end time, pid, tid, bytes, allocator)
        last_use = {}     # tensor name -> last consumer's end time
        placed = []
        for dev_stats in self._step_stats.dev_stats:
            pid = pids[dev_stats.device]
            for stats, tid in zip(dev_stats.node_stats, self._lanes(dev_stats.node_stats)):
                placed.append((stats, pid, tid))
                end = stats.all_start_micros + stats.all_end_rel_micros
                for output in stats.output:
                    name = stats.node_name if output.slot == 0 else \
                        f"{stats.node_name}:{output.slot}"
                    allocation = output.tensor_description.allocation_description
                    produced[name] = (end, pid, tid, stats.all_start_micros,
                                      allocation.allocated_bytes or allocation.requested_bytes,
                                      allocation.allocator_name or "cpu",
                                      output.tensor_description)
        flow_id = 0
        for stats, pid, tid in placed:
            _, op_type, inputs = _parse_label(stats.timeline_label)
            args = {"name": stats.node_name, "op": op_type}
            for i, name in enumerate(inputs):
                args[f"input{i}"] = name
            start = stats.all_start_micros
            trace.complete(op_type, "Op", pid, tid, start, stats.all_end_rel_micros, args)
            for name in inputs:
                source = produced.get(name)
                if source is None:
                    continue
                last_use[name] = max(last_use.get(name, 0),
                                     start + stats.all_end_rel_micros - 1)
                if show_dataflow and (source[1] != pid or source[2] != tid):
                    trace.flow("s", name, source[1], source[2], source[0], flow_id)
                    trace.flow("t", name, pid, tid, start, flow_id)
                    flow_id += 1
        if show_memory:
            self._show_memory(trace, produced, last_use)
        return trace.to_json(pretty=True)

    def _show_memory(self, trace, produced, last_use):
        """Tensor objects (created, snapshot, deleted) and per-allocator memory counters."""
        changes = []
        for object_id, (name, info) in enumerate(produced.items()):   # in production order
            end, pid, _, start, nbytes, allocator, description = info
            tensors_pid = pid + 1
            freed = max(last_use.get(name, end), end)
            snapshot = {"tensor_description": _description_text(description)}
            trace.tensor("N", name, tensors_pid, start, object_id)
            trace.tensor("O", name, tensors_pid, end, object_id, snapshot)
            trace.tensor("D", name, tensors_pid, freed, object_id)
            changes.append((start, allocator, nbytes))
            changes.append((freed, allocator, -nbytes))
        in_use = {}
        for timestamp, allocator, delta in sorted(changes, key=lambda c: (c[0], -c[2])):
            in_use[allocator] = in_use.get(allocator, 0) + delta
            trace.counter(allocator, 0, timestamp, {allocator: in_use[allocator]})


def _description_text(description):
    from tensorflux.formats import text_format
    return text_format.message_to_text(description)
