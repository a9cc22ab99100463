"""tf.summary: summary ops and FileWriter (public names only)."""
