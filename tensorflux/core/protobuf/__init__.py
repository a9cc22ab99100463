"""`tensorflow.core.protobuf`: the session configuration messages (runtime/config.py)."""
