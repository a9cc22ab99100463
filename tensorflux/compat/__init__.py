"""tf.compat: `tensorflow.compat.v1` is tensorflux itself."""
import tensorflux as v1  # noqa: F401
