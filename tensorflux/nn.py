"""tf.nn: neural-network ops (public names only)."""
from tensorflux.ops.math import sigmoid, tanh  # noqa: F401
