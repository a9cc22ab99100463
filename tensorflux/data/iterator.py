"""tf.data iterators: one-shot, initializable, reinitializable and feedable.

An iterator is a per-session resource (kernels/numpy/dataset.py). Its ops:
  IteratorV2 / OneShotIterator / IteratorFromStringHandle -> the iterator resource
  MakeIterator(iterator, *captured)  (re)starts the iterator on a dataset; it takes the
      dataset's captured tensors as inputs, so placeholders fed in that run are used
  IteratorGetNext(iterator)          the next element; OutOfRangeError at the end
  IteratorToStringHandle(iterator)   a string naming the iterator, for feedable iterators
The Dataset description travels in the `dataset` attr: it is a Python object, not a tensor.
"""
from tensorflux.framework import dtypes
from tensorflux.framework.graph import Tensor, convert_to_tensor, get_default_graph
from tensorflux.framework.registry import not_differentiable, register_op
from tensorflux.framework.shapes import TensorShape
from tensorflux.ops.op_util import apply_op
from tensorflux.data import structure
from tensorflux.data.dataset import Dataset


def _resource_output(op):
    return [(dtypes.resource, TensorShape([]))]


def _element_outputs(op):
    return list(zip(op.attrs["output_types"], op.attrs["output_shapes"]))


register_op("IteratorV2", _resource_output, stateful=True)
register_op("OneShotIterator", _resource_output, stateful=True)
register_op("IteratorFromStringHandle", _resource_output, stateful=True)
register_op("MakeIterator", lambda op: [], stateful=True)
register_op("IteratorGetNext", _element_outputs, stateful=True)
register_op("IteratorToStringHandle", lambda op: [(dtypes.string, TensorShape([]))],
            stateful=True)
not_differentiable("IteratorV2", "OneShotIterator", "IteratorFromStringHandle", "MakeIterator",
                   "IteratorGetNext", "IteratorToStringHandle")


def _structure_attrs(types, shapes):
    return {"output_types": structure.flatten(types),
            "output_shapes": structure.flatten(shapes)}


class Iterator:
    """Elements of a dataset in a session: `get_next()` builds the op that returns the next one.

    Made by `make_one_shot_iterator(dataset)`, `make_initializable_iterator(dataset)`,
    `Iterator.from_structure(types, shapes)` (re-initializable with `make_initializer`) or
    `Iterator.from_string_handle(handle, types, shapes)` (feedable).
    """

    def __init__(self, iterator_resource, initializer, output_types, output_shapes,
                 output_classes=None):
        self._resource = iterator_resource
        self._initializer = initializer
        self._types = output_types
        self._shapes = output_shapes
        self._classes = output_classes if output_classes is not None else \
            structure.map_structure(lambda _: Tensor, output_types)
        self._string_handle = None

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None):
        """An iterator with no dataset yet; `make_initializer(dataset)` gives it one."""
        types = structure.normalize_types(output_types)
        shapes = structure.normalize_shapes(types, output_shapes)
        attrs = {"shared_name": shared_name or "", "container": "",
                 **_structure_attrs(types, shapes)}
        handle = apply_op("IteratorV2", [], attrs, "Iterator")
        return Iterator(handle, None, types, shapes, output_classes)

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None, output_classes=None):
        """The iterator whose `string_handle()` value is fed into `string_handle`."""
        types = structure.normalize_types(output_types)
        shapes = structure.normalize_shapes(types, output_shapes)
        string_handle = convert_to_tensor(string_handle, dtype=dtypes.string)
        handle = apply_op("IteratorFromStringHandle", [string_handle],
                          _structure_attrs(types, shapes), "IteratorFromStringHandle")
        return Iterator(handle, None, types, shapes, output_classes)

    @property
    def initializer(self):
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer.")
        return self._initializer

    @property
    def output_types(self):
        return self._types

    @property
    def output_shapes(self):
        return self._shapes

    @property
    def output_classes(self):
        return self._classes

    def make_initializer(self, dataset, name=None):
        """An op that (re)starts this iterator on `dataset`, whose structure must match."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"make_initializer: expected a Dataset, got {dataset!r}")
        try:
            structure.assert_same_structure(self._types, dataset.output_types)
        except ValueError:
            raise TypeError(f"Expected output types {self._types!r} but got dataset with output "
                            f"types {dataset.output_types!r}.") from None
        if structure.flatten(self._types) != dataset._flat_types():
            raise TypeError(f"Expected output types {self._types!r} but got dataset with output "
                            f"types {dataset.output_types!r}.")
        for mine, theirs in zip(structure.flatten(self._shapes),
                                structure.flatten(dataset.output_shapes)):
            if not mine.is_compatible_with(theirs):
                raise TypeError(f"Expected output shapes compatible with {self._shapes!r} but "
                                f"got dataset with output shapes {dataset.output_shapes!r}.")
        return _make_iterator_op(self._resource, dataset, name or "make_initializer")

    def get_next(self, name=None):
        """The next element as tensors of `output_types`/`output_shapes` (nested likewise).

        Running it past the last element raises OutOfRangeError ("End of sequence").
        """
        result = apply_op("IteratorGetNext", [self._resource],
                          _structure_attrs(self._types, self._shapes), name or "IteratorGetNext")
        flat = [result] if isinstance(result, Tensor) else list(result)
        return structure.pack(self._types, flat)

    def string_handle(self, name=None):
        """A scalar tf.string naming this iterator in its session, to feed a feedable one."""
        if self._string_handle is None or name is not None:
            handle = apply_op("IteratorToStringHandle", [self._resource], {},
                              name or "IteratorToStringHandle")
            if name is not None:
                return handle
            self._string_handle = handle
        return self._string_handle


def _make_iterator_op(resource, dataset, name):
    captured = dataset._captured()
    return apply_op("MakeIterator", [resource] + captured, {"dataset": dataset},
                    name or "MakeIterator")


def make_one_shot_iterator(dataset):
    """An iterator initialized on first use; the dataset may not capture placeholders."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"make_one_shot_iterator: expected a Dataset, got {dataset!r}")
    _check_no_placeholders(dataset._captured())
    graph = get_default_graph()
    with graph.control_dependencies(None):
        attrs = {"dataset": dataset, "shared_name": "", "container": "",
                 **_structure_attrs(dataset.output_types, dataset.output_shapes)}
        handle = apply_op("OneShotIterator", [], attrs, "OneShotIterator")
    return Iterator(handle, None, dataset.output_types, dataset.output_shapes)


def make_initializable_iterator(dataset, shared_name=None):
    """An iterator started by running its `initializer` (again to restart, e.g. new feeds)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"make_initializable_iterator: expected a Dataset, got {dataset!r}")
    iterator = Iterator.from_structure(dataset.output_types, dataset.output_shapes, shared_name)
    iterator._initializer = _make_iterator_op(iterator._resource, dataset, None)
    return iterator


def _check_no_placeholders(tensors):
    seen = set()
    stack = [t.op for t in tensors]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type == "Placeholder":
            raise ValueError(f"Cannot capture a placeholder (name:{op.name}, type:{op.type}) by "
                             "value.")
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)


def get_output_types(dataset_or_iterator):
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator):
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator):
    return dataset_or_iterator.output_classes
