"""`from tensorflow.core.protobuf import rewriter_config_pb2`: grappler's switches, which
turn tensorflux's graph passes off (runtime/passes)."""
from tensorflux.runtime.config import RewriterConfig  # noqa: F401
