"""torch kernels of control flow (ops/control_flow.py): the NumPy kernels' bodies, which only
route values, registered for tensors, with the predicate and Merge's index in host memory."""
from tensorflux.kernels.numpy import control_flow
from tensorflux.kernels.torch.library import ALL, torch_kernel

torch_kernel("Switch", types=ALL, host_inputs=(1,))(control_flow.switch)
torch_kernel("Merge", types=ALL, host_outputs=(1,))(control_flow.merge)
