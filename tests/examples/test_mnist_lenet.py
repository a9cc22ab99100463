import importlib.util
import os

import numpy as np

import tensorflux as tf
from tensorflux.examples.tutorials.mnist import input_data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load_example():
    spec = importlib.util.spec_from_file_location(
        "mnist_lenet", os.path.join(ROOT, "examples", "mnist_lenet.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lenet_loss_falls_on_digits():
    lenet = _load_example()
    mnist = input_data.read_digits_data_sets(one_hot=True, validation_size=0, seed=0)
    tf.set_random_seed(0)
    x, y_label, keep_prob, loss, train_step, accuracy = lenet.build_lenet()
    images, labels = mnist.test.images[:100], mnist.test.labels[:100]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(loss, {x: images, y_label: labels, keep_prob: 1.0})
        for _ in range(30):
            batch_x, batch_y = mnist.train.next_batch(50)
            sess.run(train_step, {x: batch_x, y_label: batch_y, keep_prob: 0.5})
        after, acc = sess.run([loss, accuracy], {x: images, y_label: labels, keep_prob: 1.0})
    assert np.isfinite(after) and after < before / 2
    assert acc > 0.5
