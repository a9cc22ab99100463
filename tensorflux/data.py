"""tf.data: Dataset and Iterator (public names only)."""
