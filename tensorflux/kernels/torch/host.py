"""Ops that run on the host even when placed on a GPU, as TF keeps them in host memory.

Constants, placeholders, random draws (the same generator as on the CPU, so a seeded graph
draws the same numbers on either device), shape arithmetic and NoOp: their NumPy kernels are
registered as GPU kernels whose inputs and outputs all stay in host memory. A GPU consumer gets
the value by one copy, made once per Plan for a constant.
"""
from tensorflux.framework import registry

ON_HOST = ("Const", "Placeholder", "NoOp", "Range", "BroadcastGradientArgs",
           "RandomStandardNormal", "RandomUniform", "TruncatedNormal", "RandomUniformInt",
           "Multinomial", "RandomGamma")
_EVERY = tuple(range(-8, 8))  # as host indices: every input and output (these have few)


def register_host_kernels():
    for op_type in ON_HOST:
        numpy_kernel = registry.find_kernel(op_type, "CPU", "numpy")
        if numpy_kernel is None:
            continue
        registry.kernel(op_type, device="GPU", library="torch", context=numpy_kernel.context,
                        host_inputs=_EVERY, host_outputs=_EVERY)(numpy_kernel.fn)
