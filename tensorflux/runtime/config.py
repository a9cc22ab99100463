"""ConfigProto, RunOptions, RunMetadata and friends: plain attribute holders with TF's defaults.

TF1 builds these as protobuf messages; programs only set and read fields, so a small
keyword-initialised class per message gives the same surface without a protobuf dependency.
RunMetadata is the real message (formats/protos.py): it is serialized into event files.
"""
from tensorflux.formats.protos import RunMetadata, StepStats  # noqa: F401


class _Message:
    _fields = {}

    def __init__(self, **kwargs):
        for name, default in self._fields.items():
            setattr(self, name, default() if callable(default) else default)
        for name, value in kwargs.items():
            if name not in self._fields:
                raise ValueError(f'Protocol message {type(self).__name__} has no "{name}" field.')
            if isinstance(value, dict) and isinstance(getattr(self, name), _Message):
                value = type(getattr(self, name))(**value)
            setattr(self, name, value)

    def CopyFrom(self, other):
        for name in self._fields:
            setattr(self, name, getattr(other, name))

    def __eq__(self, other):
        return type(self) is type(other) and all(
            getattr(self, n) == getattr(other, n) for n in self._fields)

    def __repr__(self):
        changed = []
        for name, default in self._fields.items():
            value = getattr(self, name)
            base = default() if callable(default) else default
            if value != base:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"


class GPUOptions(_Message):
    _fields = {"per_process_gpu_memory_fraction": 0.0, "allow_growth": False,
               "allocator_type": "", "visible_device_list": "", "force_gpu_compatible": False}


class OptimizerOptions(_Message):
    """The classic graph optimizer's switches. As in TF, opt_level L1 (the default) turns
    common-subexpression elimination and constant folding on whatever the two flags say;
    at L0 the flags decide (see runtime/passes)."""
    L1, L0 = 0, -1
    DEFAULT, OFF, ON_1, ON_2 = 0, -1, 1, 2
    _fields = {"do_common_subexpression_elimination": False, "do_constant_folding": False,
               "do_function_inlining": False, "opt_level": 0, "global_jit_level": 0}


class RewriterConfig(_Message):
    """Grappler's switches: a pass set to OFF, or all of them with disable_meta_optimizer,
    does not run (see runtime/passes)."""
    DEFAULT, ON, OFF, AGGRESSIVE = 0, 1, 2, 3
    _fields = {"constant_folding": 0, "arithmetic_optimization": 0, "remapping": 0,
               "dependency_optimization": 0, "layout_optimizer": 0, "disable_model_pruning": False,
               "disable_meta_optimizer": False}


class GraphOptions(_Message):
    _fields = {"optimizer_options": OptimizerOptions, "rewrite_options": RewriterConfig,
               "enable_recv_scheduling": False, "build_cost_model": 0, "infer_shapes": False,
               "place_pruned_graph": False}


class ConfigProto(_Message):
    _fields = {"device_count": dict, "intra_op_parallelism_threads": 0,
               "inter_op_parallelism_threads": 0, "use_per_session_threads": False,
               "allow_soft_placement": False, "log_device_placement": False,
               "gpu_options": GPUOptions, "graph_options": GraphOptions,
               "operation_timeout_in_ms": 0, "isolate_session_state": False}


class RunOptions(_Message):
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3
    _fields = {"trace_level": 0, "timeout_in_ms": 0, "inter_op_thread_pool": 0,
               "output_partition_graphs": False, "report_tensor_allocations_upon_oom": False}
