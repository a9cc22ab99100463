"""tf.data.Dataset: a description of an input pipeline — a source and its transformations.

A Dataset holds no data of its own at run time. It lists the graph tensors it needs (the
*captured* tensors: slices, counts, file names, function captures); an iterator's initializer
evaluates them in the session and `_make(env, values)` turns the description into element
iterators (tensorflux/data/pipeline.py). Functions given to map/filter/flat_map/interleave are
traced once into graph ops (tensorflux/data/function.py).
"""
import collections
import os

import numpy as np

from tensorflux.framework import dtypes, errors
from tensorflux.framework.graph import Tensor, convert_to_tensor
from tensorflux.framework.shapes import TensorShape
from tensorflux.ops import array
from tensorflux.ops.op_util import constant_value
from tensorflux.data import structure
from tensorflux.data.pipeline import ElementIterator, Env, GeneratorIterator, Run
from tensorflux.runtime.executor import Plan

AUTOTUNE = -1


def _scalar(value, dtype, name):
    """A scalar argument (count, batch size, file name) as a tensor of `dtype`."""
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
        tensor = structure.to_tensor(value, name=name)
        if tensor.dtype.base_dtype != dtype:
            if not (tensor.dtype.is_integer and dtype.is_integer):
                raise TypeError(f"{name} must be a {dtype.name} tensor, got "
                                f"{tensor.dtype.base_dtype.name}")
            tensor = array.cast(tensor, dtype)
        return tensor
    return convert_to_tensor(value, dtype=dtype, name=name)


def _static_int(tensor):
    value = constant_value(tensor)
    return None if value is None else int(value)


def _cpu_count():
    return os.cpu_count() or 1


class Dataset:
    """An input pipeline (TF1's DatasetV1): create with the static sources, chain methods."""

    def _setup(self, types, shapes, inputs=(), functions=(), tensors=()):
        self._types = types
        self._shapes = shapes
        self._input_datasets = tuple(inputs)
        self._traced = tuple(functions)
        self._tensors = tuple(tensors)
        self._captured_cache = None

    def _make(self, env, values):
        """An element iterator for one pass over this dataset."""
        raise NotImplementedError

    def _start(self, session, values=None):
        """A running pass over this dataset for an iterator in `session` (the iterator kernels
        call this). `values` maps the captured tensors to their values; None evaluates them
        now, as a one-shot iterator does on first use."""
        if values is None:
            captured = self._captured()
            results = Plan(session, captured, [], []).run([])
            values = {t: Env.to_numpy(v) for t, v in zip(captured, results)}
        env = Env(session)
        return Run(env, self._make(env, values))

    def _captured(self):
        """Every tensor whose value the pipeline needs, in a fixed order."""
        if self._captured_cache is None:
            found = list(self._tensors)
            for fn in self._traced:
                found.extend(fn.captured)
            for ds in self._input_datasets:
                found.extend(ds._captured())
            self._captured_cache = list(dict.fromkeys(found))
        return self._captured_cache

    # ---- the element structure ----
    @property
    def output_types(self):
        return self._types

    @property
    def output_shapes(self):
        return self._shapes

    @property
    def output_classes(self):
        return structure.map_structure(lambda _: Tensor, self._types)

    def _flat_types(self):
        return structure.flatten(self._types)

    def __iter__(self):
        raise RuntimeError("dataset.__iter__() is only supported when eager execution is "
                           "enabled; use make_one_shot_iterator() or "
                           "make_initializable_iterator() in graph mode.")

    def __repr__(self):
        return f"<{type(self).__name__} shapes: {self._shapes}, types: {self._types}>"

    # ---- sources ----
    @staticmethod
    def from_tensors(tensors):
        """A dataset of one element, `tensors` (a nested structure of tensor-like values)."""
        return _TensorsDataset(tensors)

    @staticmethod
    def from_tensor_slices(tensors):
        """One element per slice of the first dimension of every component."""
        return _SlicesDataset(tensors)

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None):
        """Elements yielded by `generator(*args)`, checked against the types and shapes.

        `args` are tensors evaluated when the iterator is initialized and passed as NumPy
        values. A yielded value of the wrong type or shape fails with InvalidArgumentError.
        """
        return _GeneratorDataset(generator, output_types, output_shapes, args)

    @staticmethod
    def range(*args):
        """int64 elements like Python's range(start, stop, step)."""
        return _RangeDataset(*args)

    @staticmethod
    def zip(datasets):
        """Tuples (or dicts) of elements of `datasets`; ends with the shortest."""
        return _ZipDataset(datasets)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None):
        """The files matching `file_pattern` (a glob or several), shuffled unless shuffle=False.

        No match fails with InvalidArgumentError when the iterator reads.
        """
        from tensorflux.data.readers import MatchingFilesDataset
        files = MatchingFilesDataset(file_pattern)
        if shuffle is None or shuffle:
            files = files.shuffle(1 << 62, seed=seed)
        return files

    # ---- transformations ----
    def concatenate(self, dataset):
        return _ConcatenateDataset(self, dataset)

    def prefetch(self, buffer_size):
        """The same elements, produced ahead by a background thread into a buffer."""
        return _transformations.PrefetchDataset(self, buffer_size)

    def repeat(self, count=None):
        """The elements `count` times (forever if None or -1)."""
        return _transformations.RepeatDataset(self, count)

    def enumerate(self, start=0):
        return Dataset.zip((Dataset.range(start, np.iinfo(np.int64).max), self))

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None):
        """Elements drawn at random from a buffer of `buffer_size` upcoming elements.

        With a seed (or a graph-level seed) the order repeats from session to session; with
        reshuffle_each_iteration (default) each repetition gets a new order.
        """
        return _transformations.ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def cache(self, filename=""):
        """The elements of the first complete pass, replayed on later passes (from memory,
        or from `filename` across sessions)."""
        return _transformations.CacheDataset(self, filename)

    def take(self, count):
        return _transformations.TakeDataset(self, count)

    def skip(self, count):
        return _transformations.SkipDataset(self, count)

    def shard(self, num_shards, index):
        """Every `num_shards`-th element, starting at `index`."""
        return _transformations.ShardDataset(self, num_shards, index)

    def batch(self, batch_size, drop_remainder=False):
        """Consecutive elements stacked; the last batch may be smaller unless drop_remainder."""
        return _transformations.BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False):
        """Batches of elements padded to `padded_shapes` (None/-1 dims: the batch's longest)."""
        return _transformations.BatchDataset(self, batch_size, drop_remainder, padded_shapes,
                                             padding_values)

    def map(self, map_func, num_parallel_calls=None):
        """`map_func` applied to each element (a tuple element is passed as arguments).

        With num_parallel_calls, that many elements are processed at once on threads; the
        order is kept. An error in `map_func` fails that element's get_next only.
        """
        return _transformations.MapDataset(self, map_func, num_parallel_calls)

    def flat_map(self, map_func):
        """The elements of the datasets `map_func` returns, one dataset after another."""
        return _transformations.InterleaveDataset(self, map_func, 1, 1, "flat_map")

    def interleave(self, map_func, cycle_length=AUTOTUNE, block_length=1,
                   num_parallel_calls=None):
        """Elements of the datasets `map_func` returns, `block_length` at a time from each of
        `cycle_length` open datasets in turn."""
        if cycle_length is None or cycle_length == AUTOTUNE:
            cycle_length = _cpu_count()
        return _transformations.InterleaveDataset(self, map_func, cycle_length, block_length,
                                                  "interleave")

    def filter(self, predicate):
        """The elements for which `predicate` (a scalar tf.bool function) is true."""
        return _transformations.FilterDataset(self, predicate)

    def apply(self, transformation_func):
        dataset = transformation_func(self)
        if not isinstance(dataset, Dataset):
            raise TypeError("`transformation_func` must return a Dataset.")
        return dataset

    def unbatch(self):
        """Each batch split back into its elements."""
        return _transformations.UnbatchDataset(self)

    def with_options(self, options):
        return self

    def options(self):
        return None

    # ---- iterators ----
    def make_one_shot_iterator(self):
        from tensorflux.data.iterator import make_one_shot_iterator
        return make_one_shot_iterator(self)

    def make_initializable_iterator(self, shared_name=None):
        from tensorflux.data.iterator import make_initializable_iterator
        return make_initializable_iterator(self, shared_name)


DatasetV1 = Dataset


class Options:
    """tf.data.Options: accepted for compatibility; tensorflux's pipelines take no options."""

    def __init__(self):
        self.experimental_deterministic = None
        self.experimental_optimization = None
        self.experimental_threading = None

    def merge(self, options):
        return self


# ---- sources ----
class _TensorsDataset(Dataset):
    def __init__(self, tensors):
        tensors = structure.to_tensors(tensors, "from_tensors")
        flat = structure.flatten(tensors)
        self._setup(structure.map_structure(lambda t: t.dtype.base_dtype, tensors),
                    structure.map_structure(lambda t: t.shape, tensors), tensors=flat)

    def _make(self, env, values):
        return GeneratorIterator(iter([tuple(values[t] for t in self._tensors)]))


class _SlicesDataset(Dataset):
    def __init__(self, tensors):
        tensors = structure.to_tensors(tensors, "from_tensor_slices")
        flat = structure.flatten(tensors)
        dims = set()
        for t in flat:
            if t.shape.ndims == 0:
                raise ValueError(f"from_tensor_slices: component {t.name} is a scalar; every "
                                 "component needs at least one dimension to slice.")
            if t.shape.ndims is not None and t.shape.as_list()[0] is not None:
                dims.add(t.shape.as_list()[0])
        if len(dims) > 1:
            raise ValueError(f"from_tensor_slices: dimension 0 of the components differs: "
                             f"{sorted(dims)}")
        self._setup(structure.map_structure(lambda t: t.dtype.base_dtype, tensors),
                    structure.map_structure(lambda t: t.shape[1:] if t.shape.ndims is not None
                                            else TensorShape(None), tensors), tensors=flat)

    def _make(self, env, values):
        arrays = [values[t] for t in self._tensors]
        lengths = {len(a) if np.ndim(a) else 0 for a in arrays}
        if len(lengths) != 1:
            raise errors.InvalidArgumentError(
                None, None, "from_tensor_slices: all components must have the same size in "
                            f"dimension 0, got {sorted(lengths)}")
        n = lengths.pop()
        return GeneratorIterator(tuple(a[i, ...] for a in arrays) for i in range(n))


class _RangeDataset(Dataset):
    def __init__(self, *args):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"range takes 1 to 3 arguments (start, stop, step), got {len(args)}")
        if len(args) == 1:
            args = (0, args[0], 1)
        elif len(args) == 2:
            args = (args[0], args[1], 1)
        tensors = [_scalar(a, dtypes.int64, name) for a, name in
                   zip(args, ("start", "stop", "step"))]
        self._setup(dtypes.int64, TensorShape([]), tensors=tensors)

    def _make(self, env, values):
        start, stop, step = (int(values[t]) for t in self._tensors)
        if step == 0:
            raise errors.InvalidArgumentError(None, None, "range: step must be a non-zero integer")
        return GeneratorIterator((np.array(i, np.int64),) for i in range(start, stop, step))


class _GeneratorDataset(Dataset):
    def __init__(self, generator, output_types, output_shapes, args):
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        types = structure.normalize_types(output_types)
        shapes = structure.normalize_shapes(types, output_shapes)
        self._generator = generator
        arg_tensors = [structure.to_tensor(a, name="generator_arg") for a in (args or ())]
        self._setup(types, shapes, tensors=arg_tensors)

    def _make(self, env, values):
        args = [_python_arg(values[t]) for t in self._tensors]
        return GeneratorIterator(self._elements(args))

    def _elements(self, args):
        try:
            source = iter(self._generator(*args))
        except Exception as exc:
            raise errors.InvalidArgumentError(
                None, None, f"from_generator: calling `generator` failed: "
                            f"{type(exc).__name__}: {exc}") from exc
        types = self._flat_types()
        shapes = structure.flatten(self._shapes)
        while True:
            try:
                item = next(source)
            except StopIteration:
                return
            except Exception as exc:
                raise errors.InvalidArgumentError(
                    None, None, f"{type(exc).__name__}: {exc}") from exc
            flat = _flatten_like(self._types, item)
            yield tuple(_checked_component(v, dtype, shape)
                        for v, dtype, shape in zip(flat, types, shapes))


def _python_arg(value):
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _flatten_like(types, value):
    """The yielded `value` as flat components following the nesting of `types`."""
    if isinstance(types, dict):
        if not isinstance(value, collections.abc.Mapping) or sorted(value) != sorted(types):
            raise errors.InvalidArgumentError(
                None, None, f"`generator` yielded an element that did not match the expected "
                            f"structure {types!r}: {value!r}")
        return [c for key in sorted(types) for c in _flatten_like(types[key], value[key])]
    if isinstance(types, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(types):
            raise errors.InvalidArgumentError(
                None, None, f"`generator` yielded an element that did not match the expected "
                            f"structure {types!r}: {value!r}")
        return [c for t, v in zip(types, value) for c in _flatten_like(t, v)]
    return [value]


def _checked_component(value, dtype, shape):
    from tensorflux.ops.constant import to_numpy_value
    try:
        array_value = to_numpy_value(value, dtype)
    except (TypeError, ValueError):
        raise errors.InvalidArgumentError(
            None, None, "TypeError: `generator` yielded an element that could not be converted "
                        f"to the expected type. The expected type was {dtype.name}, but the "
                        f"yielded element was {value!r}.") from None
    if not structure.shape_fits(shape, array_value.shape):
        raise errors.InvalidArgumentError(
            None, None, f"TypeError: `generator` yielded an element of shape "
                        f"{array_value.shape} where an element of shape {shape} was expected.")
    return array_value


class _ZipDataset(Dataset):
    def __init__(self, datasets):
        flat = structure.flatten(datasets)
        if not structure.is_nested(datasets) or \
                not all(isinstance(d, Dataset) for d in flat):
            raise TypeError(f"zip: expected a (nested) tuple or dict of datasets, got "
                            f"{datasets!r}")
        self._setup(structure.map_structure(lambda d: d.output_types, datasets),
                    structure.map_structure(lambda d: d.output_shapes, datasets), inputs=flat)

    def _make(self, env, values):
        return _ZipIterator([d._make(env, values) for d in self._input_datasets])


class _ZipIterator(ElementIterator):
    def __init__(self, iterators):
        self._iterators = iterators

    def get_next(self):
        if self._iterators is None:
            return None
        parts = []
        for it in self._iterators:
            element = it.get_next()
            if element is None:
                self.close()
                return None
            parts.extend(element)
        return tuple(parts)

    def close(self):
        for it in self._iterators or ():
            it.close()
        self._iterators = None


# ---- transformations of one input ----
class _ConcatenateDataset(Dataset):
    def __init__(self, first, second):
        if not isinstance(second, Dataset):
            raise TypeError(f"concatenate: expected a Dataset, got {second!r}")
        try:
            structure.assert_same_structure(first.output_types, second.output_types)
        except ValueError:
            raise TypeError(f"Two datasets to concatenate have different structures: "
                            f"{first.output_types} vs. {second.output_types}") from None
        if first._flat_types() != second._flat_types():
            raise TypeError(f"Two datasets to concatenate have different types "
                            f"{first.output_types} and {second.output_types}")
        shapes = structure.map_structure(structure.most_specific_compatible_shape,
                                         first.output_shapes, second.output_shapes)
        self._setup(first.output_types, shapes, inputs=(first, second))

    def _make(self, env, values):
        return _ConcatenateIterator(env, values, self._input_datasets)


class _ConcatenateIterator(ElementIterator):
    def __init__(self, env, values, datasets):
        self._env, self._values = env, values
        self._pending = list(datasets)
        self._current = None

    def get_next(self):
        while True:
            if self._current is None:
                if not self._pending:
                    return None
                self._current = self._pending.pop(0)._make(self._env, self._values)
            element = self._current.get_next()
            if element is not None:
                return element
            self._current.close()
            self._current = None

    def close(self):
        if self._current is not None:
            self._current.close()
        self._current, self._pending = None, []


# The transformations subclass Dataset, so they are imported once it exists.
from tensorflux.data import transformations as _transformations  # noqa: E402
