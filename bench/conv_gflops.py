"""Convolution throughput against the machine's sgemm peak (issue 4: conv layers at >= 70%).

    python bench/conv_gflops.py [--threads N] [--repeats N] [--kernels torch|numpy]

Measures sgemm's GFLOP/s on a 2048^3 float32 product with OpenBLAS (NumPy) and with MKL
(torch), then times the course networks' convolution layers run by tensorflux, each in its
own small graph fed a random batch: the forward Conv2D, and its two backprops (the input's and
the filter's gradients, fetched together). A layer's work is 2 * N * Ho * Wo * Cout * Kh * Kw
* Cin floating-point operations for each of the three; the table gives GFLOP/s and the
percentage of the better sgemm peak. Layers are timed by the median of --repeats runs after two
warmups, sgemm by the fastest (it is a peak).
"""
import argparse
import os
import statistics
import sys
import time

# name, batch, input height/width, input channels, output channels, kernel size, stride
LAYERS = (
    ("lenet conv2", 50, 14, 32, 64, 5, 1),
    ("cifar conv2", 128, 12, 64, 64, 5, 1),
    ("alexnet conv2", 8, 27, 64, 192, 5, 1),
    ("alexnet conv3", 8, 13, 192, 384, 3, 1),
    ("vgg16 conv1_2", 2, 224, 64, 64, 3, 1),
    ("vgg16 conv3_2", 2, 56, 256, 256, 3, 1),
    ("vgg16 conv5_1", 2, 14, 512, 512, 3, 1),
)


def _seconds(fn, repeats, best=False):
    """The median (or, with `best`, the fastest) of `repeats` timed calls after two warmups."""
    fn()
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples) if best else statistics.median(samples)


def sgemm_peaks(repeats):
    """{library: GFLOP/s} of a 2048^3 float32 matrix product: the peak, so the fastest run."""
    import numpy as np
    n = 2048
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    peaks = {"numpy (OpenBLAS)": 2 * n ** 3 / _seconds(lambda: a @ a, repeats, best=True) / 1e9}
    try:
        import torch
    except ImportError:
        return peaks
    t = torch.from_numpy(a)
    peaks["torch (MKL)"] = 2 * n ** 3 / _seconds(lambda: t @ t, repeats, best=True) / 1e9
    return peaks


def layer_gflops(tf, layer, repeats, threads):
    """(forward GFLOP/s, backward GFLOP/s) of one layer under tensorflux."""
    import numpy as np
    _, batch, size, cin, cout, k, stride = layer
    rng = np.random.default_rng(1)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [batch, size, size, cin])
        w = tf.Variable(rng.standard_normal((k, k, cin, cout), dtype=np.float32) * 0.05)
        y = tf.nn.conv2d(x, w, [1, stride, stride, 1], "SAME")
        dy = tf.constant(rng.standard_normal(y.shape.as_list(), dtype=np.float32))
        grads = tf.gradients(y, [x, w], grad_ys=dy)
        config = tf.ConfigProto(intra_op_parallelism_threads=threads,
                                inter_op_parallelism_threads=threads)
        with tf.Session(config=config) as sess:
            sess.run(w.initializer)
            feed = {x: rng.standard_normal((batch, size, size, cin), dtype=np.float32)}
            forward = _seconds(lambda: sess.run(y, feed), repeats)
            backward = _seconds(lambda: sess.run(grads, feed), repeats)
    out = -(-size // stride)
    flops = 2 * batch * out * out * cout * k * k * cin
    return flops / forward / 1e9, 2 * flops / backward / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--kernels", choices=("torch", "numpy"), default="torch")
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    if args.kernels == "numpy":
        os.environ["TENSORFLUX_KERNELS"] = "numpy"
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tensorflux as tf

    peaks = sgemm_peaks(args.repeats)
    best = max(peaks.values())
    print(f"threads: {args.threads}; tensorflux kernels: {args.kernels}")
    for library, gflops in peaks.items():
        print(f"sgemm 2048^3, {library}: {gflops:.0f} GFLOP/s")
    print(f"\n{'layer':15} {'forward GFLOP/s':>16} {'% peak':>7} {'backward GFLOP/s':>17} "
          f"{'% peak':>7}")
    for layer in LAYERS:
        forward, backward = layer_gflops(tf, layer, args.repeats, args.threads)
        print(f"{layer[0]:15} {forward:16.0f} {100 * forward / best:6.0f}% {backward:17.0f} "
              f"{100 * backward / best:6.0f}%")


if __name__ == "__main__":
    main()
