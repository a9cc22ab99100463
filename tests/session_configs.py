"""Session configurations shared by the tests."""
import tensorflux as tf


def unoptimized(**options):
    """Tests of kernels, placement and plans run the graph as built: with the graph passes on,
    an Identity would be dropped, constant inputs folded by the NumPy kernel, and a conv fused,
    before the kernel or step under test ran."""
    return tf.ConfigProto(graph_options=tf.GraphOptions(
        optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0),
        rewrite_options={"disable_meta_optimizer": True}), **options)


UNOPTIMIZED = unoptimized()
# With a CUDA GPU visible, ops go to it by default, as in TF1. Tests of what the CPU does run
# with the GPU hidden: TF1 checks some bad inputs in its CPU kernels only (on a GPU, gather's
# out-of-range index gives zeros and a cross-entropy's bad label NaN, without waiting for the
# device), and the CPU's placement is what the tracing and placement-log tests read.
CPU_ONLY = tf.ConfigProto(device_count={"GPU": 0})
UNOPTIMIZED_CPU = unoptimized(device_count={"GPU": 0})
