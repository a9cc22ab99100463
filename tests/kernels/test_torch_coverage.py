"""The graphs of the course programs and of the benchmarks do their tensor arithmetic on torch.

Every op of them finds a torch kernel but host ops (constants, feeds, random draws and the
gradients' shape arithmetic, which TF keeps on the host: kernels/torch/host.py), stateful ops
(variables, queues, readers, iterators, summaries) and ops on strings: a NumPy kernel left in
such a graph would cost the benchmarks a trip through NumPy on every run.
"""
import contextlib
import importlib.util
import io
import os
import sys

import pytest

torch = pytest.importorskip("torch")

import tensorflux as tf  # noqa: E402
from tensorflux.examples import cifar10_input  # noqa: E402
from tensorflux.kernels.torch import host, library  # noqa: E402
from tensorflux.kernels.torch import math as torch_math  # noqa: E402
from tensorflux.runtime import devices  # noqa: E402
from session_configs import CPU_ONLY  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from bench import workloads  # noqa: E402

pytestmark = pytest.mark.torch


def _mnist_lenet():
    spec = importlib.util.spec_from_file_location(
        "mnist_lenet", os.path.join(ROOT, "examples", "mnist_lenet.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_lenet()


def _cifar10_inputs(directory):
    for i in range(1, 6):
        (directory / f"data_batch_{i}.bin").write_bytes(b"")
    with contextlib.redirect_stdout(io.StringIO()):  # its "Filling queue" message
        cifar10_input.distorted_inputs(str(directory), 8)


def _computes_on_tensors(op):
    """Whether `op` is arithmetic on numeric tensors (not a host, stateful or string op), and
    not one that NumPy runs faster on the CPU by design: a one-index gather (an input
    pipeline's next example) or a transcendental function of NUMPY_FASTER_ON_CPU."""
    if op.type in host.ON_HOST or op._op_def.stateful or op._op_def.ref_inputs:
        return False
    if op.type == "GatherV2" and op.inputs[1].shape.ndims == 0:
        return False
    if op.type in torch_math.NUMPY_FASTER_ON_CPU:
        return False
    return all(t.dtype.base_dtype in library.ALL for t in list(op.inputs) + list(op.outputs))


BUILDERS = [(w.name, lambda _, w=w: w.builder(tf, **dict(w.kwargs, **(
    {"batch": 2} if "batch" in w.kwargs else {})))) for w in workloads.WORKLOADS]
BUILDERS += [("mnist_lenet", lambda _: _mnist_lenet()), ("cifar10_input", _cifar10_inputs)]


@pytest.mark.parametrize("name,build", BUILDERS, ids=[name for name, _ in BUILDERS])
def test_graph_arithmetic_runs_on_torch(name, build, tmp_path):
    with tf.Graph().as_default() as graph:
        build(tmp_path)
    saved = devices.kernel_libraries()
    devices.set_kernel_libraries(["torch", "numpy"])
    try:
        sess = tf.Session(graph=graph, config=CPU_ONLY)  # a GPU keeps int32 on the host
    finally:
        devices.set_kernel_libraries(saved)
    with sess:
        on_numpy = sorted({op.type for op in graph.get_operations()
                           if _computes_on_tensors(op) and sess._place(op)[1].library != "torch"})
    assert on_numpy == []
