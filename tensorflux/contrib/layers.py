"""tf.contrib.layers: initializers and regularizers (public names only)."""
from tensorflux.ops.init_ops import contrib_variance_scaling_initializer as variance_scaling_initializer  # noqa: F401,E501
from tensorflux.ops.init_ops import xavier_initializer  # noqa: F401

xavier_initializer_conv2d = xavier_initializer
from tensorflux.ops.regularizers import *  # noqa: F401,F403,E402
