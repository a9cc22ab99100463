"""MNIST tutorial helpers: `from tensorflux.examples.tutorials.mnist import input_data`."""
