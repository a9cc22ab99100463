"""The NumPy reference kernels: importing this package registers every one of them."""
from tensorflux.kernels.numpy import array, control_flow, math, random, state  # noqa: F401
