"""tf.data: Dataset and its iterators (public names only).

This package replaces the former tensorflux/data.py: a module and a package of one name
cannot both be imported, and the implementation lives in this package's modules.
"""
from tensorflux.data import experimental
from tensorflux.data.dataset import Dataset, DatasetV1, Options
from tensorflux.data.iterator import (Iterator, get_output_classes, get_output_shapes,
                                      get_output_types, make_initializable_iterator,
                                      make_one_shot_iterator)
from tensorflux.data.readers import FixedLengthRecordDataset, TextLineDataset, TFRecordDataset

__all__ = ["Dataset", "DatasetV1", "FixedLengthRecordDataset", "Iterator", "Options",
           "TFRecordDataset", "TextLineDataset", "experimental", "get_output_classes",
           "get_output_shapes", "get_output_types", "make_initializable_iterator",
           "make_one_shot_iterator"]
