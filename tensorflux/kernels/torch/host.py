"""Ops that run on the host even when placed on a GPU, as TF keeps them in host memory.

Constants, placeholders, random draws (the same generator as on the CPU, so a seeded graph
draws the same numbers on either device) and NoOp; and, as TF's int32 GPU kernels do, the
shape arithmetic of int32 tensors (`tf.shape(x)[0] * 2`). Their NumPy kernels are registered
as GPU kernels of the NumPy library: whatever the device, a NumPy kernel reads and writes host
memory, so a GPU consumer gets the value by one copy (made once per Plan for a constant), and
shape arithmetic never waits for the device.
"""
from tensorflux.framework import dtypes, registry

ON_HOST = ("Const", "Placeholder", "NoOp", "Range", "BroadcastGradientArgs",
           "RandomStandardNormal", "RandomUniform", "TruncatedNormal", "RandomUniformInt",
           "Multinomial", "RandomGamma")
# Ops whose int32 tensors are shapes, sizes and indices; their torch GPU kernels decline
# int32 (library.torch_kernel) so that these run here.
INT32_ON_HOST = frozenset({
    "Identity", "Shape", "Size", "Rank", "Reshape", "ExpandDims", "Squeeze", "StridedSlice",
    "Slice", "Pack", "Unpack", "ConcatV2", "Fill", "Tile", "Cast", "Add", "AddV2", "Sub",
    "Mul", "FloorDiv", "FloorMod", "Maximum", "Minimum", "Sum", "Prod", "Equal", "Less",
    "Greater", "Select", "SelectV2", "GatherV2", "Transpose", "ZerosLike", "OnesLike"})


def int32_only(op):
    """Whether every input and output of `op` (but bool predicates) is int32."""
    tensors = [t for t in list(op._inputs) + list(op._outputs)
               if t.dtype.base_dtype != dtypes.bool_]
    return bool(tensors) and all(t.dtype.base_dtype == dtypes.int32 for t in tensors)


def register_host_kernels():
    every = tuple(range(-16, 16))  # as host indices: every input and output
    for op_type in ON_HOST + tuple(sorted(INT32_ON_HOST)):
        numpy_kernel = registry.find_kernel(op_type, "CPU", "numpy")
        if numpy_kernel is None or registry.find_kernel(op_type, "GPU", "numpy") is not None:
            continue
        registry.kernel(op_type, device="GPU", library="numpy", context=numpy_kernel.context,
                        supports=None if op_type in ON_HOST else int32_only,
                        host_inputs=every, host_outputs=every)(numpy_kernel.fn)
