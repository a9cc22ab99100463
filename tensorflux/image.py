"""tf.image: image decoding and transforms (public names only)."""
from tensorflux.ops.image import *  # noqa: F401,F403,E402
