"""`import tensorflow.compat.v1 as tf` programs get the whole tensorflux namespace."""
import sys

import tensorflux

sys.modules[__name__] = tensorflux
