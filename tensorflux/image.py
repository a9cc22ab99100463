"""tf.image: image decoding and transforms (public names only)."""
