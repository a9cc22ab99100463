"""tf.client: the session's client-side helpers (timeline: Chrome traces of traced runs)."""
from tensorflux.client import timeline  # noqa: F401
