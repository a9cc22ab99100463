"""tf.data.experimental: the few helpers TF1 programs commonly use."""
from tensorflux.data.dataset import AUTOTUNE, Dataset
from tensorflux.data.transformations import IgnoreErrorsDataset


def unbatch():
    """A transformation splitting each batch back into elements (use with Dataset.apply)."""
    return lambda dataset: dataset.unbatch()


def ignore_errors():
    """A transformation dropping the elements whose computation failed."""
    return IgnoreErrorsDataset


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """shuffle(buffer_size, seed) then repeat(count), with a new order each repetition."""
    return lambda dataset: dataset.shuffle(buffer_size, seed).repeat(count)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    """map(map_func) followed by batch(batch_size, drop_remainder)."""
    calls = num_parallel_calls or (batch_size * num_parallel_batches
                                   if num_parallel_batches else None)
    return lambda dataset: dataset.map(map_func, calls).batch(batch_size, drop_remainder)


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False,
                        buffer_output_elements=None, prefetch_input_elements=None):
    """interleave(map_func, cycle_length, block_length), always in the deterministic order."""
    return lambda dataset: dataset.interleave(map_func, cycle_length, block_length)


__all__ = ["AUTOTUNE", "Dataset", "unbatch", "ignore_errors", "shuffle_and_repeat",
           "map_and_batch", "parallel_interleave"]
