"""`from tensorflow.core.protobuf import config_pb2`, as TF1 programs write it."""
from tensorflux.runtime.config import (ConfigProto, GPUOptions, GraphOptions,  # noqa: F401
                                       OptimizerOptions, RunMetadata, RunOptions)
