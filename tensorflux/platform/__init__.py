"""TF1's program utilities: tf.app, tf.flags, tf.logging."""
