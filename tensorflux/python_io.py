"""tf.python_io and tf.io: TFRecord files, plus the io ops under their tf.io names
(public names only)."""
from tensorflux.formats.tfrecord import (TFRecordCompressionType, TFRecordOptions,  # noqa: F401
                                         TFRecordWriter, tf_record_iterator)
from tensorflux.ops.image import decode_image, decode_jpeg, decode_png, encode_jpeg, encode_png  # noqa: F401
from tensorflux.ops.io import (FixedLenFeature, VarLenFeature, decode_csv, decode_raw,  # noqa: F401
                               matching_files, parse_example, parse_single_example, read_file,
                               write_file)
