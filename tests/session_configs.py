"""Session configurations shared by the tests."""
import tensorflux as tf

# Tests of kernels, placement and plans run the graph as built: with the graph passes on, an
# Identity would be dropped, constant inputs folded by the NumPy kernel, and a conv fused,
# before the kernel or step under test ran.
UNOPTIMIZED = tf.ConfigProto(graph_options=tf.GraphOptions(
    optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0),
    rewrite_options={"disable_meta_optimizer": True}))
