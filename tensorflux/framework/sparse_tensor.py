"""tf.SparseTensor: a sparse value as three dense tensors (indices, values, dense_shape)."""
import collections

from tensorflux.framework import dtypes
from tensorflux.framework.graph import Tensor, convert_to_tensor
from tensorflux.framework.shapes import unknown_shape

SparseTensorValue = collections.namedtuple("SparseTensorValue",
                                           ["indices", "values", "dense_shape"])


class SparseTensor:
    """`indices` (int64 [N, rank]) of the non-default entries, their `values` ([N]), and the
    `dense_shape` (int64 [rank]). Session.run fetches it as a SparseTensorValue."""

    def __init__(self, indices, values, dense_shape):
        self._indices = convert_to_tensor(indices, dtype=dtypes.int64, name="indices")
        self._values = convert_to_tensor(values, name="values")
        self._dense_shape = convert_to_tensor(dense_shape, dtype=dtypes.int64,
                                              name="dense_shape")

    @classmethod
    def from_value(cls, value):
        if isinstance(value, SparseTensor):
            return value
        return cls(value.indices, value.values, value.dense_shape)

    @property
    def indices(self):
        return self._indices

    @property
    def values(self):
        return self._values

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def op(self):
        return self._values.op

    @property
    def graph(self):
        return self._values.graph

    @property
    def shape(self):
        from tensorflux.ops.op_util import shape_from_tensor
        if not isinstance(self._dense_shape, Tensor):
            return unknown_shape()
        return shape_from_tensor(self._dense_shape)

    def get_shape(self):
        return self.shape

    def _fetch_components(self):
        """What Session.run fetches for it, and how it builds the fetched value."""
        return [self._indices, self._values, self._dense_shape], SparseTensorValue

    def eval(self, feed_dict=None, session=None):
        from tensorflux.runtime.session import _session_for
        return _session_for(self.graph, session, "eval()").run(self, feed_dict)

    def __repr__(self):
        return (f"SparseTensor(indices={self._indices}, values={self._values}, "
                f"dense_shape={self._dense_shape})")


__all__ = ["SparseTensor", "SparseTensorValue"]
