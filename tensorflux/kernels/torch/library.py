"""What every torch kernel module shares: registration, dtypes, devices, and value conversion.

A torch kernel is registered for the CPU and the GPU at once (`torch_kernel`) with the dtypes it
takes; an op with any other dtype (unsigned wider than 8 bits, strings, quantized, bfloat16,
complex) declines the torch kernel at plan time and runs on NumPy. Values are torch tensors of
TF's logical shape; a tensor crosses to NumPy and back without a copy on the CPU
(`torch.from_numpy`, `.numpy()`), and by a device copy to and from a GPU.
"""
import warnings

import numpy as np
import torch

from tensorflux.framework import dtypes, errors
from tensorflux.framework.registry import kernel
from tensorflux.kernels.torch import host

FLOATS = frozenset({dtypes.float16, dtypes.float32, dtypes.float64})
INTEGERS = frozenset({dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8})
REALS = FLOATS | INTEGERS
ALL = REALS | {dtypes.bool_}
# Dense float kernels (matmul, convolution, pooling): half precision on GPUs only, where it is
# fast; on the CPU it stays with NumPy, which computes it in float32 as TF does.
DENSE = {"CPU": frozenset({dtypes.float32, dtypes.float64}), "GPU": FLOATS}

TORCH_DTYPES = {
    dtypes.float16: torch.float16, dtypes.float32: torch.float32, dtypes.float64: torch.float64,
    dtypes.int8: torch.int8, dtypes.int16: torch.int16, dtypes.int32: torch.int32,
    dtypes.int64: torch.int64, dtypes.uint8: torch.uint8, dtypes.bool_: torch.bool,
}


# ---- oneDNN's fused primitives ----
def _onednn(name):
    """torch.ops.mkldnn.<name>, where this torch build has oneDNN and the op, else None."""
    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return getattr(torch.ops.mkldnn, name)
    except (AttributeError, RuntimeError):
        return None


# oneDNN's inner product and convolution on dense tensors, with a bias and an activation
# applied as they write their output (the primitives torch's compiler fuses into).
ONEDNN_INNER_PRODUCT = _onednn("_linear_pointwise")
ONEDNN_CONVOLUTION = _onednn("_convolution_pointwise")


def on_onednn(*tensors):
    """Whether oneDNN's primitives take these tensors: float32, on the CPU."""
    return all(t.dtype == torch.float32 and t.device.type == "cpu" for t in tensors)


# ---- devices ----
# TF 1.15 computes float32 convolutions in float32. cuDNN would otherwise round their inputs
# to TF32 on Ampere and later GPUs (relative errors of 1e-4 to 1e-3); torch's matrix products already
# default to full float32. TF also times cuDNN's algorithms for each new shape and keeps the
# fastest (its autotune), which is cuDNN's benchmark mode. Both flags are torch's, for the whole
# process.
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True
# GPU:N is cuda:N. Tests that have no GPU set this to "cpu" to run the GPU paths (placement,
# copies, variables stored as tensors) on a simulated device backed by CPU memory.
gpu_backend = "cuda"
simulated_gpus = 0


def torch_device(device_type, index):
    if device_type == "GPU":
        return torch.device("cuda", index) if gpu_backend == "cuda" else torch.device("cpu")
    return torch.device("cpu")


def device_counts():
    if gpu_backend != "cuda":
        return {"GPU": simulated_gpus}
    return {"GPU": torch.cuda.device_count() if torch.cuda.is_available() else 0}


def configure(config):
    """Applies a session's ConfigProto to torch: intra_op_parallelism_threads sizes its CPU
    thread pool, gpu_options.per_process_gpu_memory_fraction caps its CUDA allocator.

    torch has one pool and one allocator per process, so the last session created sets them
    for all sessions. inter_op_parallelism_threads has nothing to act on: a Plan runs its
    steps one after another.
    """
    threads = config.intra_op_parallelism_threads
    if threads and threads > 0 and threads != torch.get_num_threads():
        torch.set_num_threads(threads)
    fraction = config.gpu_options.per_process_gpu_memory_fraction
    if fraction and gpu_backend == "cuda" and torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            torch.cuda.set_per_process_memory_fraction(min(fraction, 1.0), index)


# ---- values ----
def from_numpy(value):
    """A NumPy value (array or scalar) as a CPU tensor sharing its memory where it can."""
    array = np.asarray(value)
    if not array.flags.writeable:
        # A Const's value or a broadcast view: torch warns that it could write into it, but
        # kernels never write into their inputs, and the executor reuses in place only
        # buffers that kernels allocated.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return _shared_tensor(array)
    return _shared_tensor(array)


def _shared_tensor(array):
    try:
        return torch.from_numpy(array)
    except ValueError:  # negative strides (a reversed view): torch needs a copy
        return torch.from_numpy(np.ascontiguousarray(array))


def to_numpy(value):
    """Any tensor as a NumPy array (for values fetched outside a Plan); None if not a tensor."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu").numpy()
    return None


def converter(src, dst):
    """The function moving a value between domains (see runtime/devices.py), or None."""
    if src[0] != "torch" and dst[0] != "torch":
        return None
    if src[0] != "torch":
        if dst[1] == "CPU":
            return from_numpy
        device = torch_device(dst[1], dst[2])
        return lambda value: from_numpy(value).to(device, copy=True)
    if dst[0] != "torch":
        if src[1] == "CPU":
            return torch.Tensor.numpy  # shares the tensor's memory
        # Made contiguous on the device, where that is fast, so the host array is C-ordered.
        return lambda value: value.contiguous().to("cpu", copy=True).numpy()
    device = torch_device(dst[1], dst[2])
    return lambda value: value.to(device, copy=True)


# ---- registration ----
def torch_kernel(op_types, *, types=REALS, supports=None, devices=("CPU", "GPU"), context=False,
                 host_inputs=(), host_outputs=(), inplace=(), fresh=False):
    """Registers the decorated function as the torch kernel of `op_types` on `devices`.

    The kernel accepts an op when every input it holds as a tensor has one of `types` (a set,
    or a dict of sets by device type), every output is of a dtype torch has, and
    `supports(op)` (when given) agrees. On a GPU it leaves int32 shape arithmetic to the
    host (host.py).
    """
    def accepts_on(device):
        allowed = types[device] if isinstance(types, dict) else types

        def accepts(op):
            if device == "GPU" and op.type in host.INT32_ON_HOST and host.int32_only(op):
                return False
            refs, count = op._op_def.ref_inputs, len(op._inputs)
            on_host = {i % count for i in host_inputs if -count <= i < count}
            for i, t in enumerate(op._inputs):
                if i >= refs and i not in on_host and t.dtype.base_dtype not in allowed:
                    return False
            for i, t in enumerate(op._outputs):
                if i not in host_outputs and t.dtype.base_dtype not in ALL:
                    return False
            return supports is None or supports(op)
        return accepts

    def decorate(fn):
        for device in devices:
            kernel(op_types, device=device, library="torch", context=context,
                   supports=accepts_on(device), host_inputs=host_inputs,
                   host_outputs=host_outputs, inplace=inplace, fresh=fresh)(fn)
        return fn
    return decorate


def variable_tensor(ref):
    """A variable's storage as a tensor: the NumPy array of a CPU variable, shared."""
    value = ref.value()
    return from_numpy(value) if isinstance(value, np.ndarray) else value


def invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def as_ints(value):
    """A host input (shape, axes, sizes) as a list of Python ints."""
    return np.asarray(value).reshape(-1).tolist()


def scalar(value):
    """A host scalar as a Python number."""
    return np.asarray(value).item()
