"""The session's devices and op placement: explicit device, soft placement, placement log."""
import sys

import numpy as np

from tensorflux.framework import errors
from tensorflux.framework.device_spec import DeviceSpec
from tensorflux.runtime.executor import lookup_kernel

_LOCAL = "/job:localhost/replica:0/task:0/device:"
_kernel_libraries = ["numpy"]
_to_numpy_converters = []


def kernel_libraries():
    """Kernel libraries in order of preference; a fast backend inserts itself first."""
    return list(_kernel_libraries)


def add_kernel_library(name, first=True, to_numpy=None, extra_devices=None):
    """Registers a kernel library (e.g. torch); `to_numpy` converts its values at fetch time."""
    if name not in _kernel_libraries:
        _kernel_libraries.insert(0 if first else len(_kernel_libraries), name)
    if to_numpy is not None:
        _to_numpy_converters.append(to_numpy)
    if extra_devices is not None:
        _device_providers.append(extra_devices)


def set_kernel_libraries(names):
    """Restricts and orders the libraries kernels are chosen from (e.g. ["numpy"])."""
    _kernel_libraries[:] = list(names)


def to_numpy(value):
    if isinstance(value, np.ndarray):
        return value
    for convert in _to_numpy_converters:
        converted = convert(value)
        if converted is not None:
            return converted
    return value


_device_providers = []


class DeviceAttributes:
    def __init__(self, name, device_type, memory_limit_bytes=0):
        self.name = name
        self.device_type = device_type
        self.memory_limit_bytes = memory_limit_bytes

    def __repr__(self):
        return f"_DeviceAttributes({self.name}, {self.device_type}, {self.memory_limit_bytes})"


class DeviceSet:
    """The local devices a session may place ops on, limited by ConfigProto.device_count."""

    def __init__(self, config):
        self._config = config
        counts = {"CPU": 1}
        for provider in _device_providers:
            for device_type, count in provider().items():
                counts[device_type] = count
        for device_type, limit in (config.device_count or {}).items():
            counts[device_type.upper()] = min(counts.get(device_type.upper(), 0), limit)
        counts["CPU"] = max(counts.get("CPU", 1), 1)
        self.counts = counts
        self._logged = False

    def list_devices(self):
        return [DeviceAttributes(f"{_LOCAL}{t}:{i}", t)
                for t, n in sorted(self.counts.items()) for i in range(n)]

    def place(self, op):
        """(device name, kernel) for `op`: its requested device, or CPU with soft placement."""
        spec = DeviceSpec.from_string(op.device) if op.device else DeviceSpec()
        soft = self._config.allow_soft_placement
        device_type = spec.device_type or "CPU"
        index = spec.device_index or 0
        remote = spec.job not in (None, "localhost") or (spec.task or 0) != 0
        if remote and not soft:
            raise errors.InvalidArgumentError(
                None, op, f"Cannot assign a device for operation {op.name}: {op.device} names a "
                          "remote job or task, and tensorflux sessions run in-process. Use "
                          "allow_soft_placement=True to place it locally.")
        libraries = kernel_libraries()
        kern = None
        if index < self.counts.get(device_type, 0):
            kern = lookup_kernel(op, device_type, libraries)
        if kern is None:
            available = index < self.counts.get(device_type, 0)
            if not soft and spec.device_type is not None:
                reason = ("no kernel is registered for it there" if available else
                          f"the device is not available (devices: {self._device_names()})")
                raise errors.InvalidArgumentError(
                    None, op, f"Cannot assign a device for operation {op.name}: Operation was "
                              f"explicitly assigned to {op.device} but {reason}.")
            device_type, index = "CPU", 0
            kern = lookup_kernel(op, "CPU", libraries)
        if kern is None:
            raise errors.NotFoundError(
                None, op, f"No registered '{op.type}' OpKernel for CPU devices compatible with "
                          f"node {op.name}")
        name = f"{_LOCAL}{device_type}:{index}"
        if self._config.log_device_placement:
            self._log(op, name)
        return name, kern

    def _device_names(self):
        return ", ".join(d.name for d in self.list_devices())

    def _log(self, op, name):
        if not self._logged:
            self._logged = True
            print("Device mapping: no known devices." if len(self.counts) == 1 else
                  "Device mapping:\n" + "\n".join(d.name for d in self.list_devices()),
                  file=sys.stderr)
        print(f"{op.name}: ({op.type}): {name}", file=sys.stderr)
