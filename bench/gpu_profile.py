"""Where a workload's time goes on a CUDA GPU: with its fetches and without, and per kernel.

    python bench/gpu_profile.py vgg16_fwd_bwd alexnet_fwd_bwd [--no-profile]

For each workload of workloads.py it times, under tensorflux on the GPU, a step that fetches
the workload's values (copied to the host, as sess.run returns them) and one that only runs
them (`tf.group`), which is the GPU's compute and the launches. Then, unless --no-profile,
torch's profiler lists the CUDA kernels and the CPU-side calls that took longest in three of
the compute-only steps. The times are means after warmup, the device synchronized around them.
"""
import argparse
import os
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [BENCH_DIR, os.path.dirname(BENCH_DIR)]

import tensorflux as tf  # noqa: E402
import workloads  # noqa: E402


def mean_ms(step, runs=8, warmup=3):
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    began = time.perf_counter()
    for _ in range(runs):
        step()
    torch.cuda.synchronize()
    return (time.perf_counter() - began) / runs * 1e3


def report(name, with_profile):
    workload = workloads.BY_NAME[name]
    graph = tf.Graph()
    with graph.as_default():
        step = workload.builder(tf, **workload.kwargs)
        init = tf.global_variables_initializer()
        fetches = step.fetches if isinstance(step.fetches, list) else [step.fetches]
        run_only = tf.group(*fetches)
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        fetched = mean_ms(lambda: sess.run(step.fetches, step.feed))
        computed = mean_ms(lambda: sess.run(run_only, step.feed))
        print(f"{name}: {fetched:.2f} ms fetching its values, {computed:.2f} ms running them")
        if not with_profile:
            return
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for _ in range(3):
                sess.run(run_only, step.feed)
            torch.cuda.synchronize()
    for key in ("cuda_time_total", "self_cpu_time_total"):
        print(prof.key_averages().table(sort_by=key, row_limit=12, max_name_column_width=60))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="+", choices=list(workloads.BY_NAME))
    parser.add_argument("--no-profile", action="store_true", help="only the two timings")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_profile.py: torch sees no CUDA GPU")
    for name in args.workloads:
        report(name, not args.no_profile)


if __name__ == "__main__":
    main()
