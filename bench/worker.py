"""One backend's benchmark process: builds and times the workloads run.py asks for.

Started by run.py, one long-lived process per backend, so that TensorFlow and tensorflux never
share a process and each has its thread pools to itself. The thread counts come from the
environment run.py sets (OMP/OpenBLAS/MKL) and from `--threads`, which goes into the session's
ConfigProto (intra- and inter-op pools) or torch.set_num_threads for PyTorch eager.

It reads one command per line on stdin and answers each on stdout with a line that starts with
`@@bench ` and carries one JSON object. At start it says {"event": "hello", versions...} (or
{"event": "unavailable"}). Then:
  prepare NAME   builds the workload, runs it once and warms it up:
                 {"event": "prepared", "first_run_s", "warmup_runs", "session"} or
                 {"event": "error", "error", "traceback"}
  sample         one timed sample (the mean of the workload's inner runs): {"event": "sample",
                 "seconds"}, or an error as above
  close          ends the workload's session and threads: {"event": "closed"}
Being told to take one sample at a time lets run.py alternate the backends sample by sample,
so that the machine's load, which drifts by the second on a shared VM, weighs on all alike.
"""
import argparse
import gc
import json
import os
import platform
import sys
import time
import traceback

import workloads

PREFIX = "@@bench "


def emit(**record):
    sys.stdout.write(PREFIX + json.dumps(record) + "\n")
    sys.stdout.flush()


def warm_up(run, warmup, budget):
    """The first run (which plans the graph; TF optimizes it), then warmup runs until there
    are `warmup` in all or a quarter of `budget` seconds has gone."""
    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    warm = 1
    while warm < warmup and time.perf_counter() - start < budget / 4:
        run()
        warm += 1
    gc.collect()
    return {"first_run_s": first, "warmup_runs": warm}


def sample(run, inner, finish):
    """Seconds per run; `finish` waits for work still queued on a GPU, whose kernels run
    asynchronously: a step that fetches no value returns once its kernels are launched."""
    began = time.perf_counter()
    for _ in range(inner):
        run()
    finish()
    return (time.perf_counter() - began) / inner


def gpu_finisher(device):
    """What `sample` calls after the runs: a CUDA synchronize on the GPU, nothing on the CPU."""
    if device != "gpu":
        return lambda: None
    import torch
    if not torch.cuda.is_available():
        raise RuntimeError("--device gpu: torch sees no CUDA GPU")
    return torch.cuda.synchronize


# ---- frameworks ----
class GraphFramework:
    """tensorflux or TF1 compat.v1: the TF1-API builders run in a graph and a session."""

    def __init__(self, name, threads, device):
        self.threads = threads
        self.device = device
        if name == "tf1":
            import tensorflow.compat.v1 as tf
            tf.disable_v2_behavior()
            tf.logging.set_verbosity(tf.logging.ERROR)
        else:
            import tensorflux as tf
        self.tf = tf
        self.name = name

    def versions(self):
        import numpy
        info = {"numpy": numpy.__version__}
        if self.name == "tf1":
            info["tensorflow"] = self.tf.__version__
        else:
            info["tensorflux"] = getattr(self.tf, "__version__", "unknown")
        return info

    def session_info(self):
        """What the session actually used, read after the first session exists."""
        if self.name == "tf1":
            return {}
        from tensorflux.runtime import devices
        info = {"kernel_libraries": devices.kernel_libraries()}
        if "torch" in sys.modules:
            import torch
            info["torch"] = torch.__version__
            info["torch_threads"] = torch.get_num_threads()
        return info

    def prepare(self, workload):
        tf = self.tf
        graph = tf.Graph()
        with graph.as_default():
            step = workload.builder(tf, **workload.kwargs)
            init = tf.group(tf.global_variables_initializer(), tf.local_variables_initializer())
        # Ops go to the GPU by default where one is visible and has their kernel, as in TF1;
        # on the CPU the GPU is hidden.
        config = tf.ConfigProto(intra_op_parallelism_threads=self.threads,
                                inter_op_parallelism_threads=self.threads,
                                device_count={"GPU": 1 if self.device == "gpu" else 0},
                                allow_soft_placement=True)
        if self.name == "tensorflux-unoptimized":  # every graph pass off, as TF1 turns its off
            config.graph_options.rewrite_options.disable_meta_optimizer = True
            config.graph_options.optimizer_options.opt_level = tf.OptimizerOptions.L0
        sess = tf.Session(graph=graph, config=config)
        sess.run(init)
        coord = tf.train.Coordinator()
        with graph.as_default():
            threads = tf.train.start_queue_runners(sess, coord)
        fetches, feed = step.fetches, step.feed

        def run():
            sess.run(fetches, feed_dict=feed)

        def close():
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=10)
            sess.close()
        return run, close


class TorchEager:
    """PyTorch eager: the equivalent programs of torch_models.py. On the GPU, CUDA is torch's
    default device, so the models' parameters and their data are created there."""

    def __init__(self, name, threads, device):
        import torch
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        if device == "gpu":
            torch.set_default_device("cuda")
            torch.backends.cudnn.allow_tf32 = False  # float32 convolutions, as tensorflux's
        self.torch = torch

    def versions(self):
        import numpy
        return {"numpy": numpy.__version__, "torch": self.torch.__version__}

    def session_info(self):
        return {"torch_threads": self.torch.get_num_threads()}

    def prepare(self, workload):
        import torch_models
        if workload.name not in torch_models.BUILDERS:
            raise NotImplementedError(f"no PyTorch program for {workload.name}")
        step = torch_models.BUILDERS[workload.name](self.torch, **workload.kwargs)
        return step, lambda: None


def _error(exc):
    lines = traceback.format_exception_only(type(exc), exc)
    emit(event="error", error="".join(lines).strip(), traceback=traceback.format_exc()[-4000:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=("tensorflux", "tensorflux-unoptimized", "tf1",
                                                "torch"), required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--budget", type=float, required=True)
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    args = parser.parse_args()

    try:
        kind = TorchEager if args.framework == "torch" else GraphFramework
        framework = kind(args.framework, args.threads, args.device)
        finish = gpu_finisher(args.device)
    except Exception as exc:  # noqa: BLE001 -- reported to run.py, which skips the backend
        emit(event="unavailable", reason=f"{type(exc).__name__}: {exc}")
        return
    emit(event="hello", python=platform.python_version(), **framework.versions())

    workload = run = close = None
    for line in sys.stdin:
        command, _, name = line.strip().partition(" ")
        try:  # one failing workload must not stop the rest: errors go back to run.py
            if command == "prepare":
                workload = workloads.BY_NAME[name]
                run, close = framework.prepare(workload)
                emit(event="prepared", session=framework.session_info(),
                     **warm_up(run, args.warmup, args.budget))
            elif command == "sample":
                emit(event="sample", seconds=sample(run, workload.inner, finish))
            elif command == "close":
                if close is not None:
                    close()
                workload = run = close = None
                gc.collect()
                emit(event="closed")
        except Exception as exc:  # noqa: BLE001
            _error(exc)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
