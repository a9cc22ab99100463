"""tf.losses: loss functions and the losses collections (public names only)."""
