"""The course's MNIST LeNet: conv5x5x32 → pool → conv5x5x64 → pool → fc1024 → dropout → fc10,
trained with Adam(1e-3) on batches of 50, then evaluated on the test set.

    python examples/mnist_lenet.py                # real MNIST from MNIST_data/ (downloads if absent)
    python examples/mnist_lenet.py --digits       # offline: scikit-learn's digits in MNIST layout

This is the program of the course's slides; the only change is the loss, written with
softmax_cross_entropy_with_logits_v2 (the same value as -sum(y_label * log(softmax)) without
the log(0) that makes the slides' form NaN once a prediction saturates).
"""
import argparse
import sys

import tensorflux as tf
from tensorflux.examples.tutorials.mnist import input_data

try:
    from tqdm import trange
except ImportError:  # the progress bar is optional
    trange = None


def weight_variable(shape):
    return tf.Variable(tf.truncated_normal(shape, stddev=0.1))


def bias_variable(shape):
    return tf.Variable(tf.constant(0.1, shape=shape))


def conv2d(x, w):
    return tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")


def max_pool_2(x):
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def build_lenet():
    x = tf.placeholder(tf.float32, [None, 784], name="x")
    y_label = tf.placeholder(tf.float32, [None, 10], name="y_label")
    keep_prob = tf.placeholder(tf.float32, name="keep_prob")
    x_input = tf.reshape(x, [-1, 28, 28, 1])

    w_conv1, b_conv1 = weight_variable([5, 5, 1, 32]), bias_variable([32])
    h_pool1 = max_pool_2(tf.nn.relu(conv2d(x_input, w_conv1) + b_conv1))
    w_conv2, b_conv2 = weight_variable([5, 5, 32, 64]), bias_variable([64])
    h_pool2 = max_pool_2(tf.nn.relu(conv2d(h_pool1, w_conv2) + b_conv2))

    w_fc1, b_fc1 = weight_variable([7 * 7 * 64, 1024]), bias_variable([1024])
    h_fc1 = tf.nn.relu(tf.matmul(tf.reshape(h_pool2, [-1, 7 * 7 * 64]), w_fc1) + b_fc1)
    drop_fc1 = tf.nn.dropout(h_fc1, keep_prob)
    w_fc2, b_fc2 = weight_variable([1024, 10]), bias_variable([10])
    logits = tf.matmul(drop_fc1, w_fc2) + b_fc2

    cross_entropy = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_label, logits=logits))
    train_step = tf.train.AdamOptimizer(0.001).minimize(cross_entropy)
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(y_label, 1))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    return x, y_label, keep_prob, cross_entropy, train_step, accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", action="store_true",
                        help="train on the offline digits set instead of MNIST")
    parser.add_argument("--data-dir", default="MNIST_data/")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps (default: 20000 on MNIST, 600 on digits)")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.digits:
        mnist = input_data.read_digits_data_sets(one_hot=True, validation_size=0, seed=args.seed)
    else:
        mnist = input_data.read_data_sets(args.data_dir, one_hot=True, seed=args.seed)
    steps = args.steps or (600 if args.digits else 20000)

    tf.set_random_seed(args.seed)
    x, y_label, keep_prob, loss, train_step, accuracy = build_lenet()
    progress = trange(steps, desc="training", file=sys.stdout) if trange else range(steps)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in progress:
            images, labels = mnist.train.next_batch(args.batch_size)
            _, batch_loss = sess.run([train_step, loss],
                                     {x: images, y_label: labels, keep_prob: 0.5})
            if trange and i % 20 == 0:
                progress.set_postfix(loss=f"{batch_loss:.4f}")
            elif not trange and i % 100 == 0:
                print(f"step {i}, loss {batch_loss:.4f}")
        # The test set goes through in chunks so the conv layers' buffers stay small.
        images, labels = mnist.test.images, mnist.test.labels
        correct = 0.0
        for start in range(0, len(images), 1000):
            chunk = slice(start, start + 1000)
            correct += sess.run(accuracy, {x: images[chunk], y_label: labels[chunk],
                                           keep_prob: 1.0}) * len(images[chunk])
        test_accuracy = correct / len(images)
    print(f"test accuracy {test_accuracy:g}")
    return test_accuracy


if __name__ == "__main__":
    main()
