"""The TensorFlow protocol-buffer messages tensorflux reads and writes, plus Tensor <-> NumPy.

Field numbers and types follow TF's .proto files (graph.proto, node_def.proto, attr_value.proto,
tensor.proto, summary.proto, event.proto, meta_graph.proto, saver.proto, step_stats.proto,
config.proto, feature.proto, tensor_bundle.proto, checkpoint_state.proto). Fields tensorflux has
no use for are left out; when read they are kept as unknown fields and written back unchanged.
"""
import numpy as np

from tensorflux.formats.message import Field as F, Message
from tensorflux.framework import errors

try:   # bfloat16 values need ml_dtypes; without it their raw bits travel as uint16
    import ml_dtypes as _ml_dtypes
except ImportError:
    _ml_dtypes = None

# --- enums -------------------------------------------------------------------------------------

_DATA_TYPE_NAMES = (
    "INVALID", "FLOAT", "DOUBLE", "INT32", "UINT8", "INT16", "INT8", "STRING", "COMPLEX64",
    "INT64", "BOOL", "QINT8", "QUINT8", "QINT32", "BFLOAT16", "QINT16", "QUINT16", "UINT16",
    "COMPLEX128", "HALF", "RESOURCE", "VARIANT", "UINT32", "UINT64", "FLOAT8_E5M2",
    "FLOAT8_E4M3FN", "FLOAT8_E4M3FNUZ", "FLOAT8_E4M3B11FNUZ", "FLOAT8_E5M2FNUZ", "INT4", "UINT4",
    "INT2", "UINT2", "FLOAT4_E2M1FN")
DATA_TYPE = {number: "DT_" + name for number, name in enumerate(_DATA_TYPE_NAMES)}
DATA_TYPE.update({number + 100: name + "_REF" for number, name in DATA_TYPE.items() if number})

(DT_INVALID, DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING, DT_COMPLEX64,
 DT_INT64, DT_BOOL, DT_QINT8, DT_QUINT8, DT_QINT32, DT_BFLOAT16, DT_QINT16, DT_QUINT16, DT_UINT16,
 DT_COMPLEX128, DT_HALF, DT_RESOURCE, DT_VARIANT, DT_UINT32, DT_UINT64) = range(24)

DATA_CLASS = {0: "DATA_CLASS_UNKNOWN", 1: "DATA_CLASS_SCALAR", 2: "DATA_CLASS_TENSOR",
              3: "DATA_CLASS_BLOB_SEQUENCE"}
LOG_LEVEL = {0: "UNKNOWN", 10: "DEBUGGING", 20: "INFO", 30: "WARN", 40: "ERROR", 50: "FATAL"}
SESSION_STATUS = {0: "STATUS_UNSPECIFIED", 1: "START", 2: "STOP", 3: "CHECKPOINT"}
CHECKPOINT_FORMAT_VERSION = {0: "LEGACY", 1: "V1", 2: "V2"}
ENDIANNESS = {0: "LITTLE", 1: "BIG"}
# error_codes.proto: the codes of the tf.errors classes, named in QueueRunnerDef.
ERROR_CODE = dict(enumerate((
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED")))


def _enum(number, name, names, **kwargs):
    return F(number, name, "enum", enum=names, **kwargs)


# --- tensors, shapes, attributes, graphs ---------------------------------------------------------

class VersionDef(Message):
    FIELDS = (F(1, "producer", "int32"), F(2, "min_consumer", "int32"),
              F(3, "bad_consumers", "int32", repeated=True))


class TensorShapeProto(Message):
    class Dim(Message):
        FIELDS = (F(1, "size", "int64"), F(2, "name", "string"))

    FIELDS = (F(2, "dim", "TensorShapeProto.Dim", repeated=True), F(3, "unknown_rank", "bool"))


class TensorProto(Message):
    FIELDS = (
        _enum(1, "dtype", DATA_TYPE), F(2, "tensor_shape", TensorShapeProto),
        F(3, "version_number", "int32"), F(4, "tensor_content", "bytes"),
        F(5, "float_val", "float", repeated=True), F(6, "double_val", "double", repeated=True),
        F(7, "int_val", "int32", repeated=True), F(8, "string_val", "bytes", repeated=True),
        F(9, "scomplex_val", "float", repeated=True), F(10, "int64_val", "int64", repeated=True),
        F(11, "bool_val", "bool", repeated=True), F(12, "dcomplex_val", "double", repeated=True),
        F(13, "half_val", "int32", repeated=True), F(16, "uint32_val", "uint32", repeated=True),
        F(17, "uint64_val", "uint64", repeated=True), F(18, "float8_val", "bytes"))


class NameAttrList(Message):
    FIELDS = (F(1, "name", "string"), F(2, "attr", "AttrValue", key="string"))


class AttrValue(Message):
    class ListValue(Message):
        FIELDS = (F(2, "s", "bytes", repeated=True), F(3, "i", "int64", repeated=True),
                  F(4, "f", "float", repeated=True), F(5, "b", "bool", repeated=True),
                  _enum(6, "type", DATA_TYPE, repeated=True),
                  F(7, "shape", TensorShapeProto, repeated=True),
                  F(8, "tensor", TensorProto, repeated=True),
                  F(9, "func", NameAttrList, repeated=True))

    FIELDS = (F(1, "list", "AttrValue.ListValue", oneof="value"),
              F(2, "s", "bytes", oneof="value"), F(3, "i", "int64", oneof="value"),
              F(4, "f", "float", oneof="value"), F(5, "b", "bool", oneof="value"),
              _enum(6, "type", DATA_TYPE, oneof="value"),
              F(7, "shape", TensorShapeProto, oneof="value"),
              F(8, "tensor", TensorProto, oneof="value"),
              F(9, "placeholder", "string", oneof="value"),
              F(10, "func", NameAttrList, oneof="value"))


# FullTypeId (full_type.proto): TF 2 writes NodeDef.experimental_type on some nodes (Shape);
# the names are needed to read such .pbtxt files.
FULL_TYPE_ID = {0: "TFT_UNSET", 1: "TFT_VAR", 2: "TFT_ANY", 3: "TFT_PRODUCT", 4: "TFT_NAMED",
                20: "TFT_FOR_EACH", 100: "TFT_CALLABLE", 1000: "TFT_TENSOR", 1001: "TFT_ARRAY",
                1002: "TFT_OPTIONAL", 1003: "TFT_LITERAL", 1004: "TFT_ENCODED",
                1005: "TFT_SHAPE_TENSOR", 10102: "TFT_DATASET", 10103: "TFT_RAGGED",
                10104: "TFT_ITERATOR", 10202: "TFT_MUTEX_LOCK", 10203: "TFT_LEGACY_VARIANT"}
FULL_TYPE_ID.update(enumerate(
    ("TFT_BOOL", "TFT_UINT8", "TFT_UINT16", "TFT_UINT32", "TFT_UINT64", "TFT_INT8", "TFT_INT16",
     "TFT_INT32", "TFT_INT64", "TFT_HALF", "TFT_FLOAT", "TFT_DOUBLE", "TFT_COMPLEX64",
     "TFT_COMPLEX128", "TFT_STRING", "TFT_BFLOAT16"), start=200))


class FullTypeDef(Message):
    FIELDS = (_enum(1, "type_id", FULL_TYPE_ID), F(2, "args", "FullTypeDef", repeated=True),
              F(3, "s", "string", oneof="attr"), F(4, "i", "int64", oneof="attr"))


class NodeDef(Message):
    class ExperimentalDebugInfo(Message):
        FIELDS = (F(1, "original_node_names", "string", repeated=True),
                  F(2, "original_func_names", "string", repeated=True))

    FIELDS = (F(1, "name", "string"), F(2, "op", "string"), F(3, "input", "string", repeated=True),
              F(4, "device", "string"), F(5, "attr", AttrValue, key="string"),
              F(6, "experimental_debug_info", "NodeDef.ExperimentalDebugInfo"),
              F(7, "experimental_type", FullTypeDef))


class GraphDef(Message):
    # Field 2 (library: functions) is not modelled; it survives a read/write round trip.
    FIELDS = (F(1, "node", NodeDef, repeated=True), F(3, "version", "int32"),
              F(4, "versions", VersionDef))


class OpDef(Message):
    """Op signatures, for MetaGraphDef.meta_info_def.stripped_op_list."""

    class ArgDef(Message):
        FIELDS = (F(1, "name", "string"), F(2, "description", "string"),
                  _enum(3, "type", DATA_TYPE), F(4, "type_attr", "string"),
                  F(5, "number_attr", "string"), F(6, "type_list_attr", "string"),
                  F(16, "is_ref", "bool"))

    class AttrDef(Message):
        FIELDS = (F(1, "name", "string"), F(2, "type", "string"),
                  F(3, "default_value", AttrValue), F(4, "description", "string"),
                  F(5, "has_minimum", "bool"), F(6, "minimum", "int64"),
                  F(7, "allowed_values", AttrValue))

    class Deprecation(Message):
        FIELDS = (F(1, "version", "int32"), F(2, "explanation", "string"))

    FIELDS = (F(1, "name", "string"), F(2, "input_arg", "OpDef.ArgDef", repeated=True),
              F(3, "output_arg", "OpDef.ArgDef", repeated=True),
              F(4, "attr", "OpDef.AttrDef", repeated=True),
              F(5, "summary", "string"), F(6, "description", "string"),
              F(8, "deprecation", "OpDef.Deprecation"), F(16, "is_aggregate", "bool"),
              F(17, "is_stateful", "bool"), F(18, "is_commutative", "bool"),
              F(19, "allows_uninitialized_input", "bool"),
              F(20, "control_output", "string", repeated=True),
              F(21, "is_distributed_communication", "bool"))


class OpList(Message):
    FIELDS = (F(1, "op", OpDef, repeated=True),)


# --- meta graphs and savers --------------------------------------------------------------------

class SaverDef(Message):
    FIELDS = (F(1, "filename_tensor_name", "string"), F(2, "save_tensor_name", "string"),
              F(3, "restore_op_name", "string"), F(4, "max_to_keep", "int32"),
              F(5, "sharded", "bool"), F(6, "keep_checkpoint_every_n_hours", "float"),
              _enum(7, "version", CHECKPOINT_FORMAT_VERSION))


class CollectionDef(Message):
    class NodeList(Message):
        FIELDS = (F(1, "value", "string", repeated=True),)

    class BytesList(Message):
        FIELDS = (F(1, "value", "bytes", repeated=True),)

    class Int64List(Message):
        FIELDS = (F(1, "value", "int64", repeated=True),)

    class FloatList(Message):
        FIELDS = (F(1, "value", "float", repeated=True),)

    FIELDS = (F(1, "node_list", "CollectionDef.NodeList", oneof="kind"),
              F(2, "bytes_list", "CollectionDef.BytesList", oneof="kind"),
              F(3, "int64_list", "CollectionDef.Int64List", oneof="kind"),
              F(4, "float_list", "CollectionDef.FloatList", oneof="kind"))


class VariableDef(Message):
    """One variable in a MetaGraphDef's variable collections (variable.proto). Field 4
    (save_slice_info_def, partitioned variables), 8 and 9 are kept as unknown fields."""
    FIELDS = (F(1, "variable_name", "string"), F(2, "initializer_name", "string"),
              F(3, "snapshot_name", "string"), F(5, "is_resource", "bool"),
              F(6, "initial_value_name", "string"), F(7, "trainable", "bool"))


class MetaGraphDef(Message):
    class MetaInfoDef(Message):
        FIELDS = (F(1, "meta_graph_version", "string"), F(2, "stripped_op_list", OpList),
                  F(4, "tags", "string", repeated=True), F(5, "tensorflow_version", "string"),
                  F(6, "tensorflow_git_version", "string"),
                  F(7, "stripped_default_attrs", "bool"))

    # signature_def (5) and later fields are kept as unknown fields.
    FIELDS = (F(1, "meta_info_def", "MetaGraphDef.MetaInfoDef"), F(2, "graph_def", GraphDef),
              F(3, "saver_def", SaverDef), F(4, "collection_def", CollectionDef, key="string"))


class QueueRunnerDef(Message):
    """One tf.train.QueueRunner in a MetaGraphDef's `queue_runners` collection
    (queue_runner.proto): the names of its queue and ops, and the error codes that end a thread."""
    FIELDS = (F(1, "queue_name", "string"), F(2, "enqueue_op_name", "string", repeated=True),
              F(3, "close_op_name", "string"), F(4, "cancel_op_name", "string"),
              _enum(5, "queue_closed_exception_types", ERROR_CODE, repeated=True))


class CheckpointState(Message):
    """The `checkpoint` file next to checkpoints (stored in text format)."""
    FIELDS = (F(1, "model_checkpoint_path", "string"),
              F(2, "all_model_checkpoint_paths", "string", repeated=True),
              F(3, "all_model_checkpoint_timestamps", "double", repeated=True),
              F(4, "last_preserved_timestamp", "double"))


class TensorSliceProto(Message):
    class Extent(Message):
        FIELDS = (F(1, "start", "int64"), F(2, "length", "int64", oneof="has_length"))

    FIELDS = (F(1, "extent", "TensorSliceProto.Extent", repeated=True),)


class BundleHeaderProto(Message):
    FIELDS = (F(1, "num_shards", "int32"), _enum(2, "endianness", ENDIANNESS),
              F(3, "version", VersionDef))


class BundleEntryProto(Message):
    FIELDS = (_enum(1, "dtype", DATA_TYPE), F(2, "shape", TensorShapeProto),
              F(3, "shard_id", "int32"), F(4, "offset", "int64"), F(5, "size", "int64"),
              F(6, "crc32c", "fixed32"), F(7, "slices", TensorSliceProto, repeated=True))


# --- summaries and events ----------------------------------------------------------------------

class HistogramProto(Message):
    FIELDS = (F(1, "min", "double"), F(2, "max", "double"), F(3, "num", "double"),
              F(4, "sum", "double"), F(5, "sum_squares", "double"),
              F(6, "bucket_limit", "double", repeated=True),
              F(7, "bucket", "double", repeated=True))


class SummaryMetadata(Message):
    class PluginData(Message):
        FIELDS = (F(1, "plugin_name", "string"), F(2, "content", "bytes"))

    FIELDS = (F(1, "plugin_data", "SummaryMetadata.PluginData"), F(2, "display_name", "string"),
              F(3, "summary_description", "string"), _enum(4, "data_class", DATA_CLASS))


class Summary(Message):
    class Image(Message):
        FIELDS = (F(1, "height", "int32"), F(2, "width", "int32"), F(3, "colorspace", "int32"),
                  F(4, "encoded_image_string", "bytes"))

    class Audio(Message):
        FIELDS = (F(1, "sample_rate", "float"), F(2, "num_channels", "int64"),
                  F(3, "length_frames", "int64"), F(4, "encoded_audio_string", "bytes"),
                  F(5, "content_type", "string"))

    class Value(Message):
        FIELDS = (F(1, "tag", "string"), F(2, "simple_value", "float", oneof="value"),
                  F(3, "obsolete_old_style_histogram", "bytes", oneof="value"),
                  F(4, "image", "Summary.Image", oneof="value"),
                  F(5, "histo", HistogramProto, oneof="value"),
                  F(6, "audio", "Summary.Audio", oneof="value"),
                  F(7, "node_name", "string"),
                  F(8, "tensor", TensorProto, oneof="value"),
                  F(9, "metadata", SummaryMetadata))

    FIELDS = (F(1, "value", "Summary.Value", repeated=True),)


class LogMessage(Message):
    FIELDS = (_enum(1, "level", LOG_LEVEL), F(2, "message", "string"))


class SessionLog(Message):
    STATUS_UNSPECIFIED, START, STOP, CHECKPOINT = 0, 1, 2, 3
    FIELDS = (_enum(1, "status", SESSION_STATUS), F(2, "checkpoint_path", "string"),
              F(3, "msg", "string"))


class TaggedRunMetadata(Message):
    FIELDS = (F(1, "tag", "string"), F(2, "run_metadata", "bytes"))


class SourceMetadata(Message):
    FIELDS = (F(1, "writer", "string"),)


class Event(Message):
    FIELDS = (F(1, "wall_time", "double"), F(2, "step", "int64"),
              F(3, "file_version", "string", oneof="what"),
              F(4, "graph_def", "bytes", oneof="what"),
              F(5, "summary", Summary, oneof="what"),
              F(6, "log_message", LogMessage, oneof="what"),
              F(7, "session_log", SessionLog, oneof="what"),
              F(8, "tagged_run_metadata", TaggedRunMetadata, oneof="what"),
              F(9, "meta_graph_def", "bytes", oneof="what"),
              F(10, "source_metadata", SourceMetadata))


# --- run metadata (profiling) -----------------------------------------------------------------

class AllocationDescription(Message):
    FIELDS = (F(1, "requested_bytes", "int64"), F(2, "allocated_bytes", "int64"),
              F(3, "allocator_name", "string"), F(4, "allocation_id", "int64"),
              F(5, "has_single_reference", "bool"), F(6, "ptr", "uint64"))


class TensorDescription(Message):
    FIELDS = (_enum(1, "dtype", DATA_TYPE), F(2, "shape", TensorShapeProto),
              F(4, "allocation_description", AllocationDescription))


class AllocatorMemoryUsed(Message):
    FIELDS = (F(1, "allocator_name", "string"), F(2, "total_bytes", "int64"),
              F(3, "peak_bytes", "int64"), F(4, "live_bytes", "int64"),
              F(5, "allocator_bytes_in_use", "int64"))


class NodeOutput(Message):
    FIELDS = (F(1, "slot", "int32"), F(3, "tensor_description", TensorDescription))


class NodeExecStats(Message):
    FIELDS = (F(1, "node_name", "string"), F(2, "all_start_micros", "int64"),
              F(3, "op_start_rel_micros", "int64"), F(4, "op_end_rel_micros", "int64"),
              F(5, "all_end_rel_micros", "int64"),
              F(6, "memory", AllocatorMemoryUsed, repeated=True),
              F(7, "output", NodeOutput, repeated=True), F(8, "timeline_label", "string"),
              F(9, "scheduled_micros", "int64"), F(10, "thread_id", "uint32"),
              F(11, "referenced_tensor", AllocationDescription, repeated=True),
              F(13, "all_start_nanos", "int64"), F(14, "op_start_rel_nanos", "int64"),
              F(15, "op_end_rel_nanos", "int64"), F(16, "all_end_rel_nanos", "int64"),
              F(17, "scheduled_nanos", "int64"))


class DeviceStepStats(Message):
    FIELDS = (F(1, "device", "string"), F(2, "node_stats", NodeExecStats, repeated=True),
              F(3, "thread_names", "string", key="uint32"))


class StepStats(Message):
    FIELDS = (F(1, "dev_stats", DeviceStepStats, repeated=True),)


class RunMetadata(Message):
    # cost_graph (2), function_graphs (4) and session_metadata (5) are kept as unknown fields.
    FIELDS = (F(1, "step_stats", StepStats), F(3, "partition_graphs", GraphDef, repeated=True))


# --- tf.train.Example --------------------------------------------------------------------------

class BytesList(Message):
    FIELDS = (F(1, "value", "bytes", repeated=True),)


class FloatList(Message):
    FIELDS = (F(1, "value", "float", repeated=True),)


class Int64List(Message):
    FIELDS = (F(1, "value", "int64", repeated=True),)


class Feature(Message):
    FIELDS = (F(1, "bytes_list", BytesList, oneof="kind"),
              F(2, "float_list", FloatList, oneof="kind"),
              F(3, "int64_list", Int64List, oneof="kind"))


class Features(Message):
    FIELDS = (F(1, "feature", Feature, key="string"),)


class Example(Message):
    FIELDS = (F(1, "features", Features),)


class FeatureList(Message):
    """The values of one feature at each step of a sequence."""
    FIELDS = (F(1, "feature", Feature, repeated=True),)


class FeatureLists(Message):
    FIELDS = (F(1, "feature_list", FeatureList, key="string"),)


class SequenceExample(Message):
    """Per-sequence `context` features plus per-step `feature_lists` (example.proto)."""
    FIELDS = (F(1, "context", Features), F(2, "feature_lists", FeatureLists))


class ReaderBaseState(Message):
    """What ReaderSerializeState gives for a reader that supports it (reader_base.proto)."""
    FIELDS = (F(1, "work_started", "int64"), F(2, "work_finished", "int64"),
              F(3, "num_records_produced", "int64"), F(4, "current_work", "bytes"))


# --- TensorProto <-> NumPy ---------------------------------------------------------------------

# How each dtype's elements are laid out in tensor_content and in checkpoints.
_STORAGE = {DT_FLOAT: "<f4", DT_DOUBLE: "<f8", DT_INT32: "<i4", DT_UINT8: "u1", DT_INT16: "<i2",
            DT_INT8: "i1", DT_COMPLEX64: "<c8", DT_INT64: "<i8", DT_BOOL: "?", DT_QINT8: "i1",
            DT_QUINT8: "u1", DT_QINT32: "<i4", DT_QINT16: "<i2", DT_QUINT16: "<u2",
            DT_UINT16: "<u2", DT_COMPLEX128: "<c16", DT_HALF: "<f2", DT_UINT32: "<u4",
            DT_UINT64: "<u8", DT_BFLOAT16: _ml_dtypes.bfloat16 if _ml_dtypes else "<u2"}
_STORAGE = {enum: np.dtype(dt) for enum, dt in _STORAGE.items()}
_FROM_NUMPY = {np.dtype(dt).newbyteorder("="): enum for enum, dt in _STORAGE.items()
               if enum not in (DT_QINT8, DT_QUINT8, DT_QINT32, DT_QINT16, DT_QUINT16)
               and not (enum == DT_BFLOAT16 and _ml_dtypes is None)}

# TF writes these dtypes as tensor_content when a tensor has more than one element; other
# tensors, and every one-element tensor, go into the typed *_val list.
_CONTENT_TYPES = frozenset(_STORAGE) - {DT_BOOL, DT_COMPLEX64, DT_COMPLEX128, DT_UINT16}
_VAL_FIELD = {DT_FLOAT: "float_val", DT_DOUBLE: "double_val", DT_INT64: "int64_val",
              DT_BOOL: "bool_val", DT_COMPLEX64: "scomplex_val", DT_COMPLEX128: "dcomplex_val",
              DT_HALF: "half_val", DT_BFLOAT16: "half_val", DT_UINT32: "uint32_val",
              DT_UINT64: "uint64_val", DT_STRING: "string_val"}


def numpy_storage_dtype(dtype_enum):
    """The little-endian NumPy dtype holding a TF dtype's elements (object for strings)."""
    if dtype_enum == DT_STRING:
        return np.dtype(object)
    if dtype_enum not in _STORAGE:
        raise errors.UnimplementedError(
            None, None, f"dtype {DATA_TYPE.get(dtype_enum, dtype_enum)} has no NumPy layout")
    return _STORAGE[dtype_enum]


def dtype_enum_for_numpy(np_dtype):
    """TF's DataType number for a NumPy dtype; bytes, str and object arrays are DT_STRING."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind in "SUO":
        return DT_STRING
    enum = _FROM_NUMPY.get(np_dtype.newbyteorder("="))
    if enum is None:
        raise TypeError(f"NumPy dtype {np_dtype} has no TensorFlow equivalent")
    return enum


def as_shape_proto(shape):
    """TensorShapeProto for a shape: None (unknown rank) or a sequence of ints / None (-1)."""
    if shape is None:
        return TensorShapeProto(unknown_rank=True)
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=-1 if d is None else int(d))
                                 for d in shape])


def shape_from_proto(proto):
    """The inverse of as_shape_proto: None for unknown rank, else a list with None for -1."""
    if proto.unknown_rank:
        return None
    return [None if d.size < 0 else d.size for d in proto.dim]


def string_array(values):
    """An object array of bytes; str elements are UTF-8 encoded."""
    values = np.asarray(values, dtype=object)
    flat = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in values.flat]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(values.shape)


def make_tensor_proto(values, dtype=None, shape=None):
    """A TensorProto holding `values` (array-like), laid out the way TF's make_tensor_proto does.

    dtype: a DataType number; inferred from the NumPy dtype when None.
    shape: the tensor's shape when it differs from the values' own. Fewer values than the
    shape needs are stored as they are and stand for the full tensor, the last one repeated
    (`make_tensor_proto(0.0, shape=[3, 3])` stores one float), as TF does.
    """
    if dtype is None:
        dtype = dtype_enum_for_numpy(np.asarray(values).dtype)
    if dtype == DT_STRING:
        array = string_array(values)
    else:
        array = np.asarray(values)
        if dtype == DT_BFLOAT16 and array.dtype == np.uint16:
            array = array.view(_STORAGE[DT_BFLOAT16])      # raw bits given
        array = array.astype(numpy_storage_dtype(dtype), copy=False)
    shape = array.shape if shape is None else tuple(int(d) for d in shape)
    size = int(np.prod(shape, dtype=np.int64))
    if array.size > size or (array.size == 0 and size > 0):
        raise errors.InvalidArgumentError(
            None, None, f"{array.size} values cannot fill a tensor of shape {list(shape)}")
    proto = TensorProto(dtype=dtype, tensor_shape=as_shape_proto(shape))
    if size == 0:
        return proto
    if dtype in _CONTENT_TYPES and size > 1 and array.size == size:
        proto.tensor_content = array.tobytes()
        return proto
    field = _VAL_FIELD.get(dtype, "int_val")
    if dtype == DT_STRING:
        values = list(array.flat)
    elif dtype in (DT_HALF, DT_BFLOAT16):
        values = array.view("<u2").ravel().tolist()
    elif dtype in (DT_COMPLEX64, DT_COMPLEX128):
        values = array.ravel().view(array.real.dtype).tolist()
    else:
        values = array.ravel().tolist()
    setattr(proto, field, values)
    return proto


def make_ndarray(proto):
    """The NumPy array a TensorProto holds (object array of bytes for DT_STRING).

    Reads tensor_content or the typed *_val list; a list shorter than the shape is padded with
    its last value (TF's rule for constants like `float_val: 0` of shape [3, 3]).
    """
    shape = shape_from_proto(proto.tensor_shape)
    if shape is None or None in shape:
        raise errors.InvalidArgumentError(None, None, "a TensorProto needs a fully known shape")
    count = int(np.prod(shape, dtype=np.int64))
    dtype = proto.dtype
    storage = numpy_storage_dtype(dtype)
    if proto.tensor_content:
        content = proto.tensor_content
        if len(content) != count * storage.itemsize:
            raise errors.InvalidArgumentError(
                None, None, f"tensor_content holds {len(content)} bytes; shape {shape} of "
                f"{DATA_TYPE[dtype]} needs {count * storage.itemsize}")
        return np.frombuffer(content, dtype=storage).reshape(shape).copy()
    if dtype == DT_STRING:
        values = string_array(proto.string_val)
    else:
        values = getattr(proto, _VAL_FIELD.get(dtype, "int_val"))
        if dtype in (DT_HALF, DT_BFLOAT16):
            values = np.asarray(values, dtype=np.int64).astype("<u2").view(storage)
        elif dtype in (DT_COMPLEX64, DT_COMPLEX128):
            if len(values) % 2:
                raise errors.InvalidArgumentError(
                    None, None, f"{DATA_TYPE[dtype]} values come in (real, imag) pairs")
            part = "<f4" if dtype == DT_COMPLEX64 else "<f8"
            values = np.asarray(values, dtype=part).view(storage)
        else:
            values = np.asarray(values).astype(storage)
    if len(values) > count:
        raise errors.InvalidArgumentError(
            None, None, f"TensorProto holds {len(values)} values for shape {shape}")
    if len(values) == count:
        return values.reshape(shape)
    out = np.zeros(count, dtype=storage) if dtype != DT_STRING else np.full(count, b"", object)
    if len(values):
        out[:len(values)] = values
        out[len(values):] = values[-1]
    return out.reshape(shape)
