"""TensorFlow's file formats over NumPy arrays and plain Python values (no graph code).

wire         protobuf wire encoding          crc32c      CRC32C and TF's CRC masking
message      declarative protobuf messages   protos      TF's messages, TensorProto <-> NumPy
text_format  .pbtxt writer and parser        tfrecord    TFRecord files (optionally compressed)
bundle       V2 checkpoints, `checkpoint`    events      tfevents files
weights      .npy/.npz/.h5/.mat weight files
"""
