"""tf.random: TF 1.15's names for the random ops (public names only)."""
from tensorflux.framework.graph import get_seed, set_random_seed  # noqa: F401
from tensorflux.ops.random import categorical, multinomial  # noqa: F401
from tensorflux.ops.random import random_gamma as gamma  # noqa: F401
from tensorflux.ops.random import random_normal as normal  # noqa: F401
from tensorflux.ops.random import random_shuffle as shuffle  # noqa: F401
from tensorflux.ops.random import random_uniform as uniform  # noqa: F401
from tensorflux.ops.random import truncated_normal  # noqa: F401
