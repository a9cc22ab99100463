"""Kernel libraries, the session's devices, and op placement (colocation, soft placement, log).

Kernel libraries: NumPy is always there; a faster one (torch) registers itself with
`add_kernel_library` when its package is imported. `load_kernel_libraries` imports it lazily,
on the first session, so that `import tensorflux` does not pay for `import torch`; the
environment variable TENSORFLUX_KERNELS (`numpy`, or `torch`: a comma list in order of
preference; NumPy stays the last resort) pins the choice, as does `set_kernel_libraries`.
torch's thread pool is per process: ConfigProto.intra_op_parallelism_threads sets it when a
session is created, for every session of the process.

Values live in *domains*, `(library, device type, device index)`: ("numpy", "CPU", 0) for NumPy
arrays in host memory, ("torch", "GPU", 0) for torch tensors on the first GPU. A kernel reads
and writes values of its own domain, except its host inputs and outputs (HOST). The executor
asks `converter(src, dst)` at plan time for the function that moves a value across.

Placement follows TF: an op goes where its device string says, or, with none, to GPU:0 when a
GPU exists and has a kernel for it, else to CPU. Ops colocated with each other (`colocate_with`,
and every op that takes a variable by reference) form one group placed together, so a
variable and its initializer, reads and optimizer updates share one device. A device that does
not exist, or has no kernel, fails the op, or moves it to CPU with `allow_soft_placement`.
"""
import importlib
import os
import sys
import threading

import numpy as np

from tensorflux.framework import errors, registry
from tensorflux.framework.device_spec import DeviceSpec

_LOCAL = "/job:localhost/replica:0/task:0/device:"
HOST = ("numpy", "CPU", 0)


class _Library:
    __slots__ = ("name", "to_numpy", "devices", "convert", "configure")

    def __init__(self, name, to_numpy, devices, convert, configure):
        self.name = name
        self.to_numpy = to_numpy
        self.devices = devices
        self.convert = convert
        self.configure = configure


_kernel_libraries = ["numpy"]
_libraries = {}
_loaded = False
_pinned = False  # set_kernel_libraries (or TENSORFLUX_KERNELS) fixed the order


def add_kernel_library(name, first=True, to_numpy=None, extra_devices=None, convert=None,
                       configure=None):
    """Registers a kernel library (called by its package when imported).

    `to_numpy(value)` returns a value of the library as a NumPy array (None if not its own);
    `extra_devices()` returns the device counts it provides, e.g. {"GPU": 1};
    `convert(src, dst)` returns the function moving a value from domain src to domain dst
    (None when it does not know how); `configure(config)` applies a session's ConfigProto
    (thread counts).
    """
    if name not in _kernel_libraries and not _pinned:
        _kernel_libraries.insert(0 if first else len(_kernel_libraries), name)
    _libraries[name] = _Library(name, to_numpy, extra_devices, convert, configure)


def load_kernel_libraries():
    """Imports the optional kernel libraries once: TENSORFLUX_KERNELS's, or torch if installed."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    choice = [name.strip() for name in os.environ.get("TENSORFLUX_KERNELS", "").split(",")
              if name.strip()]
    if choice:
        set_kernel_libraries(choice + ([] if "numpy" in choice else ["numpy"]))
        return
    try:
        importlib.import_module("tensorflux.kernels.torch")
    except ImportError:
        pass  # torch is not installed: NumPy kernels only


def kernel_libraries():
    """Kernel libraries in order of preference; a fast backend comes first."""
    load_kernel_libraries()
    return list(_kernel_libraries)


def set_kernel_libraries(names):
    """Restricts and orders the libraries kernels are chosen from (e.g. ["numpy"]).

    Takes effect for sessions created afterwards; importing a named library that is not
    installed raises ImportError.
    """
    global _loaded, _pinned
    names = list(names)
    for name in names:
        if name != "numpy" and name not in _libraries:
            importlib.import_module(f"tensorflux.kernels.{name}")
    _kernel_libraries[:] = names
    _loaded = _pinned = True


def _active_libraries():
    return [_libraries[name] for name in _kernel_libraries if name in _libraries]


def to_numpy(value):
    """A value of any library as a NumPy value (NumPy values pass through)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value
    for library in _libraries.values():
        if library.to_numpy is not None:
            converted = library.to_numpy(value)
            if converted is not None:
                return converted
    return value


def domain_of(kern, device_type, index):
    """The domain a kernel placed on (device_type, index) reads and writes."""
    return HOST if kern.library == "numpy" else (kern.library, device_type, index)


def converter(src, dst):
    """The function moving a value from domain `src` to domain `dst` (chosen at plan time)."""
    for name in (src[0], dst[0]):
        library = _libraries.get(name)
        if library is not None and library.convert is not None:
            fn = library.convert(src, dst)
            if fn is not None:
                return fn
    raise errors.InternalError(None, None, f"No way to move a value from {src} to {dst}")


def lookup_kernel(op, device_type, libraries):
    """The first kernel for `op` on `device_type` among `libraries` that accepts the op."""
    for library in libraries:
        kern = registry.find_kernel(op.type, device_type, library)
        if kern is not None and (kern.supports is None or kern.supports(op)):
            return kern
    return None


class DeviceAttributes:
    def __init__(self, name, device_type, memory_limit_bytes=0):
        self.name = name
        self.device_type = device_type
        self.memory_limit_bytes = memory_limit_bytes

    def __repr__(self):
        return f"_DeviceAttributes({self.name}, {self.device_type}, {self.memory_limit_bytes})"


class DeviceSet:
    """The local devices a session may place ops on (limited by ConfigProto.device_count),
    and where each op of the graph was placed, fixed the first time it is asked for."""

    def __init__(self, config):
        load_kernel_libraries()
        self._config = config
        self._libraries = list(_kernel_libraries)
        counts = {"CPU": 1}
        for library in _active_libraries():
            if library.devices is not None:
                for device_type, count in library.devices().items():
                    counts[device_type] = count
        for device_type, limit in (config.device_count or {}).items():
            counts[device_type.upper()] = min(counts.get(device_type.upper(), 0), limit)
        counts["CPU"] = max(counts.get("CPU", 1), 1)
        self.counts = counts
        for library in _active_libraries():
            if library.configure is not None:
                library.configure(config)
        self._placed = {}  # op -> (device name, kernel, device type, index)
        self._groups = None  # op -> its colocation group, for the graph version below
        self._groups_version = None
        self._logged = False
        self._lock = threading.Lock()

    def list_devices(self):
        return [DeviceAttributes(f"{_LOCAL}{t}:{i}", t)
                for t, n in sorted(self.counts.items()) for i in range(n)]

    def place(self, op):
        """(device name, kernel, device type, index) for `op`, with its colocation group."""
        placed = self._placed.get(op)
        if placed is None:
            with self._lock:  # plans may compile in several threads (queue runners, tf.data)
                if op not in self._placed:
                    self._place_group(op)
                placed = self._placed[op]
        return placed

    def place_like(self, op, model):
        """Places `op`, made by a graph rewrite, on `model`'s device; False (and `op` left
        unplaced) when no library has a kernel for it there."""
        _, _, device_type, index = self.place(model)
        kern = lookup_kernel(op, device_type, self._libraries)
        if kern is None:
            return False
        with self._lock:
            self._placed[op] = (f"{_LOCAL}{device_type}:{index}", kern, device_type, index)
        return True

    # ---- colocation groups ----
    def _group_members(self, op):
        graph = op.graph
        version = graph.version  # read first: an op another thread adds meanwhile bumps it
        if self._groups_version != version:
            self._groups = _colocation_groups(graph.get_operations())
            self._groups_version = version
        return self._groups[op]

    def _place_group(self, op):
        members = self._group_members(op)
        placed = next((m for m in members if m in self._placed), None)
        unplaced = [m for m in members if m not in self._placed]
        if placed is not None:  # the group was placed before this op joined the graph
            _, _, device_type, index = self._placed[placed]
            for member in unplaced:
                kern = lookup_kernel(member, device_type, self._libraries)
                if kern is None:
                    raise errors.InvalidArgumentError(
                        None, member, f"Cannot assign a device for operation {member.name}: it "
                                      f"is colocated with {placed.name} on {device_type}:"
                                      f"{index}, which has no kernel for {member.type}.")
                self._record(member, device_type, index, kern)
            return
        device_type, index, kernels = self._choose_device(unplaced)
        for member in unplaced:
            self._record(member, device_type, index, kernels[member])

    def _choose_device(self, members):
        """The device of a colocation group, and each member's kernel there."""
        soft = self._config.allow_soft_placement
        requested = next((m for m in members if m.device), None)
        spec = DeviceSpec.from_string(requested.device) if requested is not None else DeviceSpec()
        remote = spec.job not in (None, "localhost") or (spec.task or 0) != 0
        if remote and not soft:
            raise errors.InvalidArgumentError(
                None, requested, f"Cannot assign a device for operation {requested.name}: "
                f"{requested.device} names a remote job or task, and tensorflux sessions run "
                "in-process. Use allow_soft_placement=True to place it locally.")
        explicit = spec.device_type is not None
        if explicit:
            candidates = [(spec.device_type, spec.device_index or 0)]
        else:  # TF's default: the first GPU when it has kernels for the group, else the CPU
            candidates = [("GPU", 0)] if self.counts.get("GPU", 0) else []
        if soft or not explicit:
            candidates.append(("CPU", 0))
        missing = None
        for device_type, index in candidates:
            if index >= self.counts.get(device_type, 0):
                continue
            kernels = {m: lookup_kernel(m, device_type, self._libraries) for m in members}
            missing = next((m for m in members if kernels[m] is None), None)
            if missing is None:
                return device_type, index, kernels
        if explicit and not soft:
            op = missing or requested
            reason = (f"no kernel is registered for {op.type} there" if missing is not None else
                      f"the device is not available (devices: {self._device_names()})")
            raise errors.InvalidArgumentError(
                None, op, f"Cannot assign a device for operation {op.name}: Operation was "
                          f"explicitly assigned to {requested.device} but {reason}.")
        missing = missing or members[0]
        raise errors.NotFoundError(
            None, missing, f"No registered '{missing.type}' OpKernel for CPU devices compatible "
                           f"with node {missing.name}")

    def _record(self, op, device_type, index, kern):
        name = f"{_LOCAL}{device_type}:{index}"
        self._placed[op] = (name, kern, device_type, index)
        if self._config.log_device_placement:
            self._log(op, name)

    def _device_names(self):
        return ", ".join(d.name for d in self.list_devices())

    def _log(self, op, name):
        if not self._logged:
            self._logged = True
            print("Device mapping: no known devices." if len(self.counts) == 1 else
                  "Device mapping:\n" + "\n".join(d.name for d in self.list_devices()),
                  file=sys.stderr)
        print(f"{op.name}: ({op.type}): {name}", file=sys.stderr)


def _colocation_groups(ops):
    """op -> the ops of its colocation group (in creation order): ops colocated by
    `colocate_with`, and every op with the variables it takes by reference."""
    parent = {}

    def find(name):
        while parent.get(name, name) != name:
            name = parent[name]
        return name

    names = {}
    for op in ops:
        name = names[op] = op._colocation[0] if op._colocation else op.name
        for ref in op._inputs[:op._op_def.ref_inputs]:
            a, b = find(name), find(ref.op._colocation[0] if ref.op._colocation else ref.op.name)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups = {}
    for op in ops:
        groups.setdefault(find(names[op]), []).append(op)
    return {op: groups[find(names[op])] for op in ops}
