"""Tutorial data helpers, importable as in TF 1.x (`tensorflow.examples.tutorials`)."""
