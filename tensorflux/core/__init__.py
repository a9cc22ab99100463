"""TF's `tensorflow.core` paths that TF1 programs import protos from."""
