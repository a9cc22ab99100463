"""Benchmarks: the same TF1-API workloads under tensorflux, TF1 and PyTorch eager, side by side.

    python bench/run.py [--quick] [--device gpu] [--only NAME...] [--repeats N] [--json out.json]

Backends, each in its own process (bench/worker.py); every workload runs on each in turn:
  tfx-numpy    tensorflux with its NumPy kernels (TENSORFLUX_KERNELS=numpy)
  tfx-torch    tensorflux with its default kernel libraries (torch first, NumPy otherwise)
  tf1          TensorFlow's compat.v1 graph mode, run by --tf-python (skipped when absent)
  torch-eager  an equivalent PyTorch eager program (skipped when torch is missing)
  tfx-torch-nopasses  tfx-torch with the graph passes off (only with --backends)
All get the same thread count (--threads, default all cores): OMP/OpenBLAS/MKL variables,
the sessions' intra- and inter-op pools, torch.set_num_threads.

With --device gpu, tensorflux places the graphs on CUDA (its default placement, as TF1's) and
PyTorch eager creates its models and data there; the reference is then torch-eager, since the
TF1 of today's TensorFlow has no GPU build for this Python.

Prints warmup-excluded medians with their interquartile range, and the ratio to the reference
(TF1 on the CPU: its median / the backend's, above 1 is faster). See docs/benchmarks.md.
"""
import argparse
import importlib.util
import json
import os
import platform
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)

import workloads  # noqa: E402  (needs BENCH_DIR on the path)
from worker import PREFIX  # noqa: E402

DEFAULT_TF_PYTHON = "/tmp/tfvenv/bin/python"
REFERENCE = {"cpu": "tf1", "gpu": "torch-eager"}

# name, description, framework the worker runs, TENSORFLUX_KERNELS (None: leave it unset)
BACKENDS = (
    ("tfx-numpy", "tensorflux, NumPy kernels", "tensorflux", "numpy"),
    ("tfx-torch", "tensorflux, default kernels (torch first)", "tensorflux", None),
    ("tf1", "TensorFlow compat.v1 graph mode", "tf1", None),
    ("torch-eager", "PyTorch eager, equivalent nn.Module/functional code", "torch", None),
    ("tfx-torch-nopasses", "tensorflux, default kernels, graph passes off",
     "tensorflux-unoptimized", None),
)
BACKEND_NAMES = [b[0] for b in BACKENDS]
DEFAULT_BACKENDS = {"cpu": BACKEND_NAMES[:4],  # the pass-less one only when asked for
                    "gpu": ["tfx-torch", "torch-eager"]}

# Run lengths: --quick is meant to take a couple of minutes on a 2-core machine, the full run
# under half an hour. budget is the seconds of timed runs per workload and backend after which
# sampling stops (with at least 3 samples).
MODES = {
    "quick": {"repeats": 5, "warmup": 2, "budget": 4.0, "timeout": 120.0},
    "full": {"repeats": 20, "warmup": 3, "budget": 25.0, "timeout": 300.0},
}


# OpenBLAS's threads (tfx-numpy's matrix products) spin for about 0.1 s after a call before
# they sleep, and OpenMP's and Eigen's pools for less: a sample taken while another backend's
# pool still spins loses a core to it.
SETTLE_S = 0.2


# ---- the machine ----
def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def cpu_model():
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def load_average():
    parts = _read("/proc/loadavg").split()
    return [float(p) for p in parts[:3]] if parts else list(os.getloadavg())


def gpu_name():
    """The first CUDA device's name, from torch in a child process (this one stays free of
    CUDA, which the workers initialize themselves); None without one."""
    probe = ("import torch; print(torch.cuda.get_device_name(0) "
             "if torch.cuda.is_available() else '')")
    try:
        name = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              timeout=120).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return name or None


def machine_description(device):
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), 0)
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": round(mem_kb / 2 ** 20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": load_average(),
        "gpu": gpu_name() if device == "gpu" else None,
    }


# ---- running the backends ----
def worker_env(kernels, threads):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH")) if p)
    env.pop("TENSORFLUX_KERNELS", None)
    if kernels:
        env["TENSORFLUX_KERNELS"] = kernels
    return env


class BackendWorker:
    """One backend's worker process (bench/worker.py), asked for one sample at a time.

    A worker that crashes or runs past the timeout on a workload is killed, that workload is
    recorded as failed, and a fresh worker is started for the next one.
    """

    def __init__(self, python, framework, kernels, settings):
        self.command = [python, os.path.join(BENCH_DIR, "worker.py"), "--framework", framework,
                        "--threads", str(settings["threads"]), "--device", settings["device"],
                        "--warmup", str(settings["warmup"]), "--budget", str(settings["budget"])]
        self.env = worker_env(kernels, settings["threads"])
        self.timeout = settings["timeout"]
        self.proc = None
        self.hello = None
        self.unavailable = None

    def start(self):
        if self.proc is not None or self.unavailable:
            return
        self.hello = None
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=self.env, text=True, cwd=REPO_ROOT,
                                     start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()

    @staticmethod
    def _read(proc, lines):
        for line in proc.stdout:
            if line.startswith(PREFIX):
                lines.put(json.loads(line[len(PREFIX):]))
        lines.put(None)

    def _next(self, timeout):
        """The worker's next record; raises RuntimeError when it died or hung."""
        try:
            record = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"timed out after {timeout:.0f} s") from None
        if record is None:
            self.proc.wait()
            self.stderr.seek(0)
            tail = self.stderr.read()[-1500:].strip()
            raise RuntimeError(f"worker exited with status {self.proc.returncode}: {tail}")
        return record

    def available(self):
        """Starts the worker if needed; False (with self.unavailable set) when it cannot run."""
        if self.unavailable:
            return False
        self.start()
        if self.hello is None:
            try:
                record = self._next(self.timeout)
            except RuntimeError as exc:
                record = {"event": "unavailable", "reason": str(exc)}
            if record.pop("event") == "unavailable":
                self.unavailable = record["reason"]
                self.stop(kill=True)
                return False
            self.hello = record
        return True

    def ask(self, command):
        """Sends one command (see worker.py) and returns the worker's answer without its
        event; {"error": ...} when the worker fails, hangs past the timeout or dies (it is
        then killed, and `available` starts a fresh one)."""
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # it died after its last answer: _next reports how
        try:
            record = self._next(self.timeout)
        except RuntimeError as exc:
            self.stop(kill=True)
            return {"error": str(exc)}
        record.pop("event")
        return record

    def stop(self, kill=False):
        """Ends the worker: closing its stdin lets it exit; a hung or dead one is killed."""
        if self.proc is None:
            return
        if not kill:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                kill = True
        if kill and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None


def measure_interleaved(name, workers, settings):
    """{backend: record} of one workload, its samples taken in turn on every backend.

    Each backend builds and warms the workload up; then one sample from each in round-robin
    until each has `repeats`, or has spent `budget` seconds sampling and holds at least
    min(3, repeats): load from other processes, which drifts by the second on a shared VM,
    weighs on the backends being compared alike. Before each sample the machine is left idle
    for SETTLE_S, so that the previous backend's thread pools have stopped spinning.
    """
    inner = workloads.BY_NAME[name].inner
    repeats, budget = settings["repeats"], settings["budget"]
    records, sampling = {}, {}
    for backend, worker in workers.items():
        if not worker.available():
            continue
        reply = worker.ask(f"prepare {name}")
        records[backend] = dict(reply, name=name, samples=[])
        if "error" not in reply:
            sampling[backend] = 0.0  # seconds spent sampling
    while sampling:
        for backend in list(sampling):
            record = records[backend]
            time.sleep(SETTLE_S)
            reply = workers[backend].ask("sample")
            if "error" in reply:
                record.update(reply)
                del sampling[backend]
                continue
            record["samples"].append(reply["seconds"])
            sampling[backend] += reply["seconds"] * inner
            count = len(record["samples"])
            if count >= repeats or (count >= min(3, repeats) and sampling[backend] > budget):
                del sampling[backend]
    for backend, worker in workers.items():
        if backend in records and worker.proc is not None:
            worker.ask("close")
    return records


# ---- statistics and report ----
def summarize(samples):
    ordered = sorted(samples)
    if len(ordered) >= 2:
        q25, _, q75 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q25 = q75 = ordered[0]
    return {"median_s": statistics.median(ordered), "q25_s": q25, "q75_s": q75,
            "iqr_s": q75 - q25, "min_s": ordered[0], "n": len(ordered)}


def scale(unit):
    return 1e6 if unit == "us" else 1e3


def number(value):
    """A figure with three or four significant digits and no exponent."""
    digits = 0 if value >= 100 else 1 if value >= 10 else 2 if value >= 1 else 3
    return f"{value:.{digits}f}"


def format_cell(entry, unit):
    if entry is None:
        return "-"
    if "error" in entry:
        return "FAILED"
    factor = scale(unit)
    text = f"{number(entry['median_s'] * factor)} ±{number(entry['iqr_s'] * factor)}"
    ratio = entry.get("ratio")
    return text + (f" ({ratio:.2f}x)" if ratio is not None else "")


def table(report, backends):
    header = ["workload", "unit"] + backends
    rows = []
    for name, per_backend in report["results"].items():
        unit = workloads.BY_NAME[name].unit
        rows.append([name, unit] + [format_cell(per_backend.get(b), unit) for b in backends])
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip()
             for row in [header] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def describe(report):
    m, s = report["machine"], report["settings"]
    gpu = f", {m['gpu']}" if m.get("gpu") else ""
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB{gpu}, {m['os']}",
             f"load average (1/5/15 min): start {m['load_average_start']}, "
             f"end {m['load_average_end']}",
             f"threads: {s['threads']} per backend (intra-op and inter-op pools, "
             f"OMP/OpenBLAS/MKL, torch.set_num_threads)",
             f"mode: {s['mode']}, up to {s['repeats']} timed samples after up to "
             f"{s['warmup']} warmup runs, sampling stops after {s['budget']:.0f} s "
             f"(at least 3 samples); wall time {report['wall_s']:.0f} s"]
    for name, info in report["backends"].items():
        if info.get("skipped"):
            lines.append(f"{name}: skipped: {info['skipped']}")
            continue
        versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
        extra = ""
        if info.get("kernel_libraries"):
            extra += f"; kernel libraries {info['kernel_libraries']}"
        if info.get("torch_threads"):
            extra += f"; torch threads {info['torch_threads']}"
        lines.append(f"{name}: {info['description']} ({versions}{extra})")
    return "\n".join(lines)


def failures(report):
    lines = []
    for name, per_backend in report["results"].items():
        for backend, entry in per_backend.items():
            if "error" in entry:
                message = " | ".join(line.strip() for line in entry["error"].splitlines())
                lines.append(f"{name} on {backend}: {message[:400]}")
    return lines


def log(backend, record):
    """One progress line on stderr per workload and backend."""
    if "error" in record:
        message = " | ".join(record["error"].splitlines())[:200]
        print(f"[{backend}] {record['name']}: FAILED: {message}", file=sys.stderr)
    else:
        unit = workloads.BY_NAME[record["name"]].unit
        median = statistics.median(record["samples"]) * scale(unit)
        print(f"[{backend}] {record['name']}: {number(median)} {unit} "
              f"(n={len(record['samples'])})", file=sys.stderr)


def result_entry(record):
    if "error" in record:
        return {"error": record["error"], "traceback": record.get("traceback")}
    entry = summarize(record["samples"])
    entry.update(samples_s=record["samples"], warmup_runs=record["warmup_runs"],
                 first_run_s=record["first_run_s"])
    return entry


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Run the TF1-API workloads under tensorflux, TF1 and PyTorch eager.")
    parser.add_argument("--quick", action="store_true",
                        help="few repeats, short budgets, no VGG16 (a couple of minutes)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=list(workloads.BY_NAME),
                        help="run only these workloads: " + ", ".join(workloads.BY_NAME))
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                        help="where tensorflux and PyTorch eager run (default %(default)s)")
    parser.add_argument("--backends", nargs="+", metavar="NAME", choices=BACKEND_NAMES,
                        help="backends to run (default: the first four on the CPU, tfx-torch "
                        "and torch-eager on the GPU): " + ", ".join(BACKEND_NAMES))
    parser.add_argument("--repeats", type=int, help="timed samples per workload and backend")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for every backend (default: all cores)")
    parser.add_argument("--tf-python", default=DEFAULT_TF_PYTHON,
                        help="python with TensorFlow installed (default %(default)s)")
    parser.add_argument("--timeout", type=float,
                        help="seconds one workload may run in one backend before it is killed")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    settings = dict(MODES[mode], mode=mode, threads=args.threads, device=args.device,
                    reference=REFERENCE[args.device])
    backends = args.backends or DEFAULT_BACKENDS[args.device]
    if args.repeats:
        settings["repeats"] = args.repeats
    if args.timeout:
        settings["timeout"] = args.timeout
    if args.only:
        names = [w.name for w in workloads.WORKLOADS if w.name in args.only]
    else:
        names = [w.name for w in workloads.WORKLOADS if not (args.quick and w.skip_quick)]

    started = time.time()
    report = {"machine": machine_description(args.device), "settings": settings, "backends": {},
              "results": {name: {} for name in names}}
    torch_installed = importlib.util.find_spec("torch") is not None
    workers = {}
    for backend, description, framework, kernels in BACKENDS:
        if backend not in backends:
            continue
        info = report["backends"][backend] = {"description": description}
        python = args.tf_python if framework == "tf1" else sys.executable
        if framework == "tf1" and not os.access(python, os.X_OK):
            info["skipped"] = f"no TensorFlow python at {python} (see --tf-python)"
        elif framework != "tf1" and kernels is None and not torch_installed:
            info["skipped"] = "torch is not installed"
        else:
            workers[backend] = BackendWorker(python, framework, kernels, settings)

    try:
        for worker in workers.values():  # the imports (TF's takes seconds) overlap
            worker.start()
        for name in names:
            for backend, record in measure_interleaved(name, workers, settings).items():
                log(backend, record)
                report["results"][name][backend] = result_entry(record)
                info = report["backends"][backend]
                for key in ("kernel_libraries", "torch_threads"):
                    if key in record.get("session", {}):
                        info[key] = record["session"][key]
    finally:
        for worker in workers.values():
            worker.stop()
    for backend, worker in workers.items():
        info = report["backends"][backend]
        if worker.unavailable:
            info["skipped"] = worker.unavailable
        if worker.hello:
            info["versions"] = worker.hello
    for backend, info in report["backends"].items():
        if info.get("skipped"):
            print(f"[{backend}] skipped: {info['skipped']}", file=sys.stderr)

    for per_backend in report["results"].values():
        reference = per_backend.get(settings["reference"])
        for entry in per_backend.values():
            if reference and "median_s" in reference and "median_s" in entry:
                entry["ratio"] = reference["median_s"] / entry["median_s"]
    report["machine"]["load_average_end"] = load_average()
    report["wall_s"] = time.time() - started

    shown = [b for b in backends if not report["backends"][b].get("skipped")]
    print(describe(report))
    print()
    print(f"median ±IQR per run, ratio to {settings['reference']} in parentheses "
          f"({settings['reference']} time / this time: >1 is faster)")
    print(table(report, shown))
    problems = failures(report)
    if problems:
        print("\nfailures:")
        for line in problems:
            print("  " + line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"\nJSON written to {args.json}")


if __name__ == "__main__":
    main()
