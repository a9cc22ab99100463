"""The transformations of tf.data.Dataset: map, filter, interleave, shuffle, repeat, take, skip,
shard, prefetch, cache, batch, padded_batch, unbatch; each a Dataset over its input with the
element iterator that runs it."""
import os
import pickle

import numpy as np

from tensorflux.framework import dtypes, errors
from tensorflux.framework.graph import Tensor, get_seed
from tensorflux.framework.shapes import TensorShape, as_shape
from tensorflux.ops.op_util import constant_value
from tensorflux.data import structure
from tensorflux.data.dataset import AUTOTUNE, Dataset, _cpu_count, _scalar, _static_int
from tensorflux.data.function import Function, check_predicate, predicate_value
from tensorflux.data.pipeline import (ElementIterator, GeneratorIterator, ParallelMapIterator,
                                      PrefetchIterator)


class MapDataset(Dataset):
    def __init__(self, input_dataset, map_func, num_parallel_calls):
        fn = Function(map_func, "map", input_dataset.output_types, input_dataset.output_shapes)
        if isinstance(num_parallel_calls, Tensor):
            num_parallel_calls = constant_value(num_parallel_calls)
            if num_parallel_calls is None:
                raise ValueError("map: num_parallel_calls must be known when the dataset is "
                                 "defined")
        if num_parallel_calls is not None and int(num_parallel_calls) == AUTOTUNE:
            num_parallel_calls = _cpu_count()
        self._parallel = int(num_parallel_calls) if num_parallel_calls else 1
        self._fn = fn
        self._setup(fn.output_types, fn.output_shapes, inputs=(input_dataset,), functions=(fn,))

    def _make(self, env, values):
        upstream = self._input_datasets[0]._make(env, values)

        def apply(element):
            return self._fn(env, values, element)
        if self._parallel > 1:
            return ParallelMapIterator(env, upstream, apply, self._parallel)
        return _MapIterator(upstream, apply)


class _MapIterator(ElementIterator):
    def __init__(self, upstream, fn):
        self._upstream, self._fn = upstream, fn

    def get_next(self):
        element = self._upstream.get_next()
        return None if element is None else self._fn(element)

    def close(self):
        self._upstream.close()


class FilterDataset(Dataset):
    def __init__(self, input_dataset, predicate):
        fn = Function(predicate, "filter", input_dataset.output_types,
                      input_dataset.output_shapes)
        check_predicate(fn)
        self._fn = fn
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,), functions=(fn,))

    def _make(self, env, values):
        return _FilterIterator(self._input_datasets[0]._make(env, values),
                               lambda element: predicate_value(self._fn(env, values, element)))


class _FilterIterator(ElementIterator):
    def __init__(self, upstream, keep):
        self._upstream, self._keep = upstream, keep

    def get_next(self):
        while True:
            element = self._upstream.get_next()
            if element is None or self._keep(element):
                return element

    def close(self):
        self._upstream.close()


class InterleaveDataset(Dataset):
    def __init__(self, input_dataset, map_func, cycle_length, block_length, kind):
        fn = Function(map_func, kind, input_dataset.output_types, input_dataset.output_shapes,
                      returns_dataset=True)
        self._fn = fn
        self._cycle = _scalar(cycle_length, dtypes.int64, "cycle_length")
        self._block = _scalar(block_length, dtypes.int64, "block_length")
        inner = fn.result
        self._setup(inner.output_types, inner.output_shapes, inputs=(input_dataset,),
                    functions=(fn,), tensors=(self._cycle, self._block))

    def _make(self, env, values):
        cycle, block = int(values[self._cycle]), int(values[self._block])
        if cycle < 1 or block < 1:
            raise errors.InvalidArgumentError(
                None, None, f"interleave: cycle_length ({cycle}) and block_length ({block}) "
                            "must be positive")
        inner = self._fn.result

        def open_element(element):
            outputs = self._fn(env, values, element)
            return inner._make(env, dict(zip(self._fn.outputs, outputs)))
        return _InterleaveIterator(self._input_datasets[0]._make(env, values), open_element,
                                   cycle, block)


class _InterleaveIterator(ElementIterator):
    """Round-robin over `cycle` open inner iterators, `block` elements from each in turn.

    A slot whose iterator ends is left empty and refilled from the input when the turn next
    comes to it.
    """

    def __init__(self, upstream, open_element, cycle, block):
        self._upstream = upstream
        self._open = open_element
        self._block = block
        self._slots = [None] * cycle
        self._index = 0
        self._taken = 0
        self._input_done = False

    def _advance(self):
        self._taken = 0
        self._index = (self._index + 1) % len(self._slots)

    def get_next(self):
        while not self._input_done or any(s is not None for s in self._slots):
            current = self._slots[self._index]
            if current is not None:
                element = current.get_next()
                if element is not None:
                    self._taken += 1
                    if self._taken == self._block:
                        self._advance()
                    return element
                current.close()
                self._slots[self._index] = None
                self._advance()
            elif not self._input_done:
                element = self._upstream.get_next()
                if element is None:
                    self._input_done = True
                else:
                    self._slots[self._index] = self._open(element)
            else:
                self._advance()
        return None

    def close(self):
        for slot in self._slots:
            if slot is not None:
                slot.close()
        self._slots = [None] * len(self._slots)
        self._input_done = True
        self._upstream.close()


class ShuffleDataset(Dataset):
    def __init__(self, input_dataset, buffer_size, seed, reshuffle_each_iteration):
        self._buffer = _scalar(buffer_size, dtypes.int64, "buffer_size")
        self._seeds = get_seed(seed)
        self._reshuffle = True if reshuffle_each_iteration is None else \
            bool(reshuffle_each_iteration)
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,), tensors=(self._buffer,))

    def _make(self, env, values):
        size = int(values[self._buffer])
        if size < 1:
            raise errors.InvalidArgumentError(None, None, f"shuffle: buffer_size must be greater "
                                                          f"than zero, got {size}")
        epoch = env.next_epoch(self) if self._reshuffle else 0
        graph_seed, op_seed = self._seeds
        if graph_seed is None and op_seed is None:
            key = [env.seed_for(self), epoch]
        else:
            key = [graph_seed or 0, op_seed or 0, epoch]
        return _ShuffleIterator(self._input_datasets[0]._make(env, values), size,
                                np.random.default_rng(key))


class _ShuffleIterator(ElementIterator):
    def __init__(self, upstream, size, rng):
        self._upstream, self._size, self._rng = upstream, size, rng
        self._buffer = []
        self._input_done = False

    def get_next(self):
        while not self._input_done and len(self._buffer) < self._size:
            element = self._upstream.get_next()
            if element is None:
                self._input_done = True
            else:
                self._buffer.append(element)
        if not self._buffer:
            return None
        index = int(self._rng.integers(len(self._buffer)))
        element = self._buffer[index]
        self._buffer[index] = self._buffer[-1]
        self._buffer.pop()
        return element

    def close(self):
        self._buffer = []
        self._upstream.close()


class RepeatDataset(Dataset):
    def __init__(self, input_dataset, count):
        self._count = _scalar(-1 if count is None else count, dtypes.int64, "count")
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,), tensors=(self._count,))

    def _make(self, env, values):
        return _RepeatIterator(env, values, self._input_datasets[0], int(values[self._count]))


class _RepeatIterator(ElementIterator):
    def __init__(self, env, values, dataset, count):
        self._env, self._values, self._dataset = env, values, dataset
        self._left = count  # negative: forever
        self._current = None
        self._produced = False

    def get_next(self):
        while True:
            if self._current is None:
                if self._left == 0:
                    return None
                self._left -= 1
                self._current = self._dataset._make(self._env, self._values)
                self._produced = False
            element = self._current.get_next()
            if element is not None:
                self._produced = True
                return element
            self._current.close()
            self._current = None
            if not self._produced:  # an empty input would repeat forever
                self._left = 0

    def close(self):
        if self._current is not None:
            self._current.close()
        self._current, self._left = None, 0


class TakeDataset(Dataset):
    def __init__(self, input_dataset, count):
        self._count = _scalar(count, dtypes.int64, "count")
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,), tensors=(self._count,))

    def _make(self, env, values):
        return _TakeIterator(self._input_datasets[0]._make(env, values),
                             int(values[self._count]))


class _TakeIterator(ElementIterator):
    def __init__(self, upstream, count):
        self._upstream, self._left = upstream, count

    def get_next(self):
        if self._left == 0:
            self._upstream.close()
            return None
        element = self._upstream.get_next()
        if element is not None and self._left > 0:
            self._left -= 1
        return element

    def close(self):
        self._upstream.close()


class SkipDataset(Dataset):
    def __init__(self, input_dataset, count):
        self._count = _scalar(count, dtypes.int64, "count")
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,), tensors=(self._count,))

    def _make(self, env, values):
        return _SkipIterator(self._input_datasets[0]._make(env, values),
                             int(values[self._count]))


class _SkipIterator(ElementIterator):
    def __init__(self, upstream, count):
        self._upstream, self._skip = upstream, count  # negative: skip everything

    def get_next(self):
        while self._skip != 0:
            if self._upstream.get_next() is None:
                self._skip = 0
                return None
            self._skip -= 1 if self._skip > 0 else 0
        return self._upstream.get_next()

    def close(self):
        self._upstream.close()


class ShardDataset(Dataset):
    def __init__(self, input_dataset, num_shards, index):
        self._num = _scalar(num_shards, dtypes.int64, "num_shards")
        self._index = _scalar(index, dtypes.int64, "index")
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,), tensors=(self._num, self._index))

    def _make(self, env, values):
        num, index = int(values[self._num]), int(values[self._index])
        if num < 1 or not 0 <= index < num:
            raise errors.InvalidArgumentError(
                None, None, f"shard: need num_shards > 0 and 0 <= index < num_shards, got "
                            f"num_shards={num}, index={index}")
        return _ShardIterator(self._input_datasets[0]._make(env, values), num, index)


class _ShardIterator(ElementIterator):
    def __init__(self, upstream, num, index):
        self._upstream, self._num, self._index = upstream, num, index
        self._position = 0

    def get_next(self):
        while True:
            element = self._upstream.get_next()
            if element is None:
                return None
            position, self._position = self._position, self._position + 1
            if position % self._num == self._index:
                return element

    def close(self):
        self._upstream.close()


class PrefetchDataset(Dataset):
    def __init__(self, input_dataset, buffer_size):
        if buffer_size is None or (not isinstance(buffer_size, Tensor) and
                                   buffer_size == AUTOTUNE):
            buffer_size = 2
        self._size = _scalar(buffer_size, dtypes.int64, "buffer_size")
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,), tensors=(self._size,))

    def _make(self, env, values):
        size = int(values[self._size])
        size = 2 if size == AUTOTUNE else size
        upstream = self._input_datasets[0]._make(env, values)
        if size == 0:
            return upstream
        return PrefetchIterator(env, upstream, size)


class CacheDataset(Dataset):
    """Memory cache per iterator initialization; with a filename, a pickle file shared
    between sessions, written once a pass completes."""

    def __init__(self, input_dataset, filename):
        self._filename = _scalar(filename, dtypes.string, "filename")
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,), tensors=(self._filename,))

    def _make(self, env, values):
        filename = structure.strings(values[self._filename])[0]
        path = filename + ".tfxcache" if filename else None
        key = ("cache", self)
        cached = env.cache.get(key)
        if cached is None and path and os.path.exists(path):
            with open(path, "rb") as f:
                cached = env.cache[key] = pickle.load(f)
        if cached is not None:
            return GeneratorIterator(iter(cached))

        def complete(elements):
            env.cache[key] = elements
            if path:
                with open(path, "wb") as f:
                    pickle.dump(elements, f)
        return _RecordingIterator(self._input_datasets[0]._make(env, values), complete)


class _RecordingIterator(ElementIterator):
    def __init__(self, upstream, complete):
        self._upstream, self._complete = upstream, complete
        self._seen = []

    def get_next(self):
        element = self._upstream.get_next()
        if element is None:
            if self._seen is not None:
                self._complete(self._seen)
                self._seen = None
            return None
        if self._seen is not None:
            self._seen.append(element)
        return element

    def close(self):
        self._seen = None
        self._upstream.close()


class BatchDataset(Dataset):
    def __init__(self, input_dataset, batch_size, drop_remainder, padded_shapes=None,
                 padding_values=None):
        self._size = _scalar(batch_size, dtypes.int64, "batch_size")
        self._drop = bool(drop_remainder)
        self._padded = padded_shapes is not None or padding_values is not None
        types = input_dataset.output_types
        element_shapes = input_dataset.output_shapes
        tensors = [self._size]
        if self._padded:
            shapes = _padded_shapes(types, element_shapes, padded_shapes)
            self._pad_shapes = structure.flatten(shapes)
            self._pad_values = _padding_values(types, padding_values)
            tensors += self._pad_values
        else:
            shapes = element_shapes
        size = _static_int(self._size) if self._drop else None
        self._setup(types, structure.map_structure(
            lambda s: TensorShape([size]).concatenate(s), shapes),
            inputs=(input_dataset,), tensors=tensors)

    def _make(self, env, values):
        size = int(values[self._size])
        if size < 1:
            raise errors.InvalidArgumentError(None, None, f"Batch size must be greater than zero, "
                                                          f"got {size}")
        combine = self._pad if self._padded else _stack

        def make_batch(elements):
            return combine(elements, values)
        return _BatchIterator(self._input_datasets[0]._make(env, values), size, self._drop,
                              make_batch)

    def _pad(self, elements, values):
        out = []
        for i, (static, pad_tensor) in enumerate(zip(self._pad_shapes, self._pad_values)):
            parts = [np.asarray(e[i]) for e in elements]
            ranks = {p.ndim for p in parts}
            if len(ranks) > 1 or (static.ndims is not None and ranks != {static.ndims}):
                raise errors.InvalidArgumentError(
                    None, None, f"padded_batch: component {i} has elements of rank "
                                f"{sorted(ranks)}, but the padded shape is {static}")
            longest = np.max([p.shape for p in parts], axis=0) if parts[0].ndim else ()
            target = [int(n) if d is None else d
                      for d, n in zip(static.as_list() if static.ndims is not None
                                      else [None] * len(longest), longest)]
            if any(n > t for n, t in zip(longest, target)):
                raise errors.InvalidArgumentError(
                    None, None, f"Attempted to pad to a smaller size than the input element: "
                                f"component {i} has shape {list(longest)}, padded shape "
                                f"{target}.")
            pad = values[pad_tensor]
            batch = np.empty([len(parts)] + target, dtype=parts[0].dtype)
            batch[...] = pad
            for row, part in enumerate(parts):
                # The trailing Ellipsis copies a 0-d object array's item, not the array itself.
                batch[(row,) + tuple(slice(0, n) for n in part.shape) + (Ellipsis,)] = part
            out.append(batch)
        return tuple(out)


def _stack(elements, values):
    out = []
    for i in range(len(elements[0])):
        parts = [np.asarray(e[i]) for e in elements]
        for j, part in enumerate(parts[1:], 1):
            if part.shape != parts[0].shape:
                raise errors.InvalidArgumentError(
                    None, None, f"Cannot batch tensors with different shapes in component {i}. "
                                f"First element had shape {list(parts[0].shape)} and element "
                                f"{j} had shape {list(part.shape)}.")
        out.append(np.stack(parts))
    return tuple(out)


def _padded_shapes(types, element_shapes, padded_shapes):
    if padded_shapes is None:
        return structure.map_structure(
            lambda s: TensorShape(None) if s.ndims is None else TensorShape([None] * s.ndims),
            element_shapes)
    if not structure.is_nested(types):
        padded_shapes = _as_padded_shape(padded_shapes)
    else:
        try:
            structure.assert_same_structure(types, padded_shapes)
        except ValueError:
            raise ValueError(f"padded_batch: padded_shapes {padded_shapes!r} do not match the "
                             f"structure of the elements {types!r}") from None
        padded_shapes = structure.map_structure(_as_padded_shape, padded_shapes)

    def check(padded, element):
        if padded.ndims is not None and element.ndims is not None:
            if padded.ndims != element.ndims or any(
                    p is not None and e is not None and e > p
                    for p, e in zip(padded.as_list(), element.as_list())):
                raise ValueError(f"The padded shape {padded} is not compatible with the "
                                 f"corresponding input component shape {element}.")
        return padded
    return structure.map_structure(check, padded_shapes, element_shapes)


def _as_padded_shape(shape):
    if isinstance(shape, Tensor):
        value = constant_value(shape)
        if value is None:
            raise ValueError("padded_batch: padded_shapes must be known when the dataset is "
                             "defined")
        shape = [int(d) for d in np.reshape(value, [-1])]
    if isinstance(shape, (list, tuple)):
        shape = [None if d is None or (not hasattr(d, "value") and int(d) < 0) else d
                 for d in shape]
    return as_shape(shape)


def _padding_values(types, padding_values):
    flat_types = structure.flatten(types)
    if padding_values is None:
        flat = [None] * len(flat_types)
    elif structure.is_nested(types):
        structure.assert_same_structure(types, padding_values)
        flat = structure.flatten(padding_values)
    else:
        flat = [padding_values]
    tensors = []
    for value, dtype in zip(flat, flat_types):
        if value is None:
            value = b"" if dtype is dtypes.string else np.zeros((), dtype.as_numpy_dtype)
        tensor = structure.to_tensor(value, name="padding_value")
        if tensor.dtype.base_dtype != dtype or not tensor.shape.is_compatible_with([]):
            raise TypeError(f"padded_batch: padding value {value!r} must be a scalar of type "
                            f"{dtype.name}")
        tensors.append(tensor)
    return tensors


class _BatchIterator(ElementIterator):
    def __init__(self, upstream, size, drop_remainder, make_batch):
        self._upstream, self._size = upstream, size
        self._drop, self._make_batch = drop_remainder, make_batch
        self._input_done = False

    def get_next(self):
        elements = []
        while not self._input_done and len(elements) < self._size:
            element = self._upstream.get_next()
            if element is None:
                self._input_done = True
            else:
                elements.append(element)
        if not elements or (self._drop and len(elements) < self._size):
            return None
        return self._make_batch(elements)

    def close(self):
        self._upstream.close()


class UnbatchDataset(Dataset):
    def __init__(self, input_dataset):
        shapes = input_dataset.output_shapes
        for s in structure.flatten(shapes):
            if s.ndims == 0:
                raise ValueError("unbatch: every component needs at least one dimension")
        self._setup(input_dataset.output_types,
                    structure.map_structure(lambda s: s[1:] if s.ndims is not None
                                            else TensorShape(None), shapes),
                    inputs=(input_dataset,))

    def _make(self, env, values):
        return _UnbatchIterator(self._input_datasets[0]._make(env, values))


class _UnbatchIterator(ElementIterator):
    def __init__(self, upstream):
        self._upstream = upstream
        self._batch, self._row = None, 0

    def get_next(self):
        while self._batch is None or self._row >= len(self._batch[0]):
            batch = self._upstream.get_next()
            if batch is None:
                return None
            if len({len(c) for c in batch}) != 1:
                raise errors.InvalidArgumentError(
                    None, None, "unbatch: the components of a batch have different sizes")
            self._batch, self._row = batch, 0
        row, self._row = self._row, self._row + 1
        return tuple(c[row, ...] for c in self._batch)

    def close(self):
        self._upstream.close()


class IgnoreErrorsDataset(Dataset):
    """The elements of `input_dataset` whose computation did not fail."""

    def __init__(self, input_dataset):
        self._setup(input_dataset.output_types, input_dataset.output_shapes,
                    inputs=(input_dataset,))

    def _make(self, env, values):
        return _IgnoreErrorsIterator(self._input_datasets[0]._make(env, values))


class _IgnoreErrorsIterator(ElementIterator):
    def __init__(self, upstream):
        self._upstream = upstream

    def get_next(self):
        while True:
            try:
                return self._upstream.get_next()
            except errors.OpError:
                continue

    def close(self):
        self._upstream.close()
