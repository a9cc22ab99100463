"""tf.queue: the queue classes (public names only)."""
from tensorflux.ops.data_flow import (FIFOQueue, PaddingFIFOQueue, PriorityQueue,  # noqa: F401
                                      QueueBase, RandomShuffleQueue)
