"""tf.contrib: the few contrib names TF1 course programs import."""
from tensorflux.contrib import layers  # noqa: F401
