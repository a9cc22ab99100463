"""tf.train: optimizers, savers, queue runners, input producers (public names only)."""
