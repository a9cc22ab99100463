"""tf.losses: loss functions and the losses collections (public names only)."""
from tensorflux.ops.losses import *  # noqa: F401,F403
