"""The benchmark workloads, written once against the TF1 API.

Every builder takes the framework module `tf` (tensorflux, or TF's `compat.v1` in graph mode),
builds its graph in the default graph and returns a `Step`: what `sess.run` fetches and the
feed it is given each time. The same function therefore runs unchanged under both, which is
the point of the comparison. Input batches come from `make_*` functions of NumPy alone, shared
with the PyTorch eager programs in `torch_models.py` so that all backends see the same data.

The networks follow the course's programs (see /work/shared/seeds): the slides' MNIST LeNet,
the AlexNet and VGG16 timing scripts built around `time_tensorflow_run`, and the CIFAR-10
tutorial's network.
"""
import collections

import numpy as np

Step = collections.namedtuple("Step", "fetches feed")

# name, what it measures, the builder's keyword arguments, the display unit (ms or us),
# session runs per timed sample (many for the latency probe, whose single run is too short to
# time alone), and whether --quick leaves it out.
Workload = collections.namedtuple("Workload", "name title builder kwargs unit inner skip_quick")

IMAGE_SIZE = 224
LRN = dict(bias=1.0, alpha=0.001 / 9.0, beta=0.75)  # the seeds' tf.nn.lrn(x, 4, ...) settings
LRN_RADIUS = 4


# ---- data ----
def make_mnist_batch(batch, seed=0):
    """A random MNIST-shaped batch: images [batch, 784] in [0, 1), one-hot labels [batch, 10]."""
    rng = np.random.RandomState(seed)
    images = rng.uniform(0.0, 1.0, size=(batch, 784)).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.randint(0, 10, size=batch)]
    return images, labels


def make_cifar_batch(batch, seed=0):
    """A random CIFAR-tutorial batch: distorted 24x24x3 crops [batch, 24, 24, 3], int labels."""
    rng = np.random.RandomState(seed)
    images = rng.standard_normal((batch, 24, 24, 3)).astype(np.float32)
    labels = rng.randint(0, 10, size=batch).astype(np.int32)
    return images, labels


def make_chain_input(size, seed=0):
    return np.random.RandomState(seed).uniform(-1.0, 1.0, size=size).astype(np.float32)


# ---- tiny latency probe ----
def scalar_add(tf):
    """`sess.run(a + b)` on two fed scalars: the per-run overhead of the session."""
    a = tf.placeholder(tf.float32, [], name="a")
    b = tf.placeholder(tf.float32, [], name="b")
    return Step(a + b, {a: 1.0, b: 2.0})


# ---- elementwise chain ----
CHAIN_CYCLE = ("mul", "add", "tanh", "sub", "abs")


def elementwise_chain(tf, size=1 << 20, length=50):
    """`length` elementwise ops in a row on a float32 vector of `size` elements.

    The input is a variable (not a constant, so no pass can fold the chain away); the ops cycle
    through multiply, add, tanh, subtract and abs, each by a scalar where it takes one.
    """
    x = tf.Variable(make_chain_input(size), name="x")
    y = x
    for i in range(length):
        kind = CHAIN_CYCLE[i % len(CHAIN_CYCLE)]
        if kind == "mul":
            y = y * 1.0001
        elif kind == "add":
            y = y + 0.001
        elif kind == "tanh":
            y = tf.tanh(y)
        elif kind == "sub":
            y = y - 0.002
        else:
            y = tf.abs(y)
    return Step(y, None)


# ---- LeNet (the slides' MNIST network) ----
def _lenet(tf):
    def weight(shape):
        return tf.Variable(tf.truncated_normal(shape, stddev=0.1))

    def bias(shape):
        return tf.Variable(tf.constant(0.1, shape=shape))

    def conv2d(x, w):
        return tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")

    def max_pool_2(x):
        return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")

    x = tf.placeholder(tf.float32, [None, 784], name="x")
    y_label = tf.placeholder(tf.float32, [None, 10], name="y_label")
    keep_prob = tf.placeholder(tf.float32, name="keep_prob")
    x_image = tf.reshape(x, [-1, 28, 28, 1])
    h_pool1 = max_pool_2(tf.nn.relu(conv2d(x_image, weight([5, 5, 1, 32])) + bias([32])))
    h_pool2 = max_pool_2(tf.nn.relu(conv2d(h_pool1, weight([5, 5, 32, 64])) + bias([64])))
    flat = tf.reshape(h_pool2, [-1, 7 * 7 * 64])
    h_fc1 = tf.nn.relu(tf.matmul(flat, weight([7 * 7 * 64, 1024])) + bias([1024]))
    drop_fc1 = tf.nn.dropout(h_fc1, keep_prob)
    logits = tf.matmul(drop_fc1, weight([1024, 10])) + bias([10])
    return x, y_label, keep_prob, logits


def lenet_train(tf, batch):
    """One Adam(1e-3) training step of the slides' LeNet on a fed batch, keep_prob 0.5."""
    x, y_label, keep_prob, logits = _lenet(tf)
    loss = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_label, logits=logits))
    train_step = tf.train.AdamOptimizer(1e-3).minimize(loss)
    images, labels = make_mnist_batch(batch)
    return Step(train_step, {x: images, y_label: labels, keep_prob: 0.5})


def lenet_forward(tf, batch):
    """The slides' LeNet predicting a fed batch (softmax output, keep_prob 1.0)."""
    x, y_label, keep_prob, logits = _lenet(tf)
    images, _ = make_mnist_batch(batch)
    return Step(tf.nn.softmax(logits), {x: images, keep_prob: 1.0})


# ---- AlexNet (the seed's timing script: five conv layers, lrn after the first two) ----
def _alexnet(tf, batch):
    images = tf.Variable(tf.random_normal([batch, IMAGE_SIZE, IMAGE_SIZE, 3], stddev=1e-1))
    parameters = []

    def conv_relu(x, shape, stride):
        kernel = tf.Variable(tf.truncated_normal(shape, stddev=1e-1), name="weights")
        biases = tf.Variable(tf.constant(0.0, shape=[shape[-1]]), name="biases")
        parameters.extend([kernel, biases])
        conv = tf.nn.conv2d(x, kernel, [1, stride, stride, 1], padding="SAME")
        return tf.nn.relu(tf.nn.bias_add(conv, biases))

    def pool(x):
        return tf.nn.max_pool(x, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="VALID")

    conv1 = conv_relu(images, [11, 11, 3, 64], 4)
    pool1 = pool(tf.nn.lrn(conv1, LRN_RADIUS, **LRN))
    conv2 = conv_relu(pool1, [5, 5, 64, 192], 1)
    pool2 = pool(tf.nn.lrn(conv2, LRN_RADIUS, **LRN))
    conv3 = conv_relu(pool2, [3, 3, 192, 384], 1)
    conv4 = conv_relu(conv3, [3, 3, 384, 256], 1)
    conv5 = conv_relu(conv4, [3, 3, 256, 256], 1)
    return pool(conv5), parameters


def alexnet_forward(tf, batch):
    """The seed's AlexNet forward pass to pool5 on a variable batch of 224x224 images."""
    pool5, _ = _alexnet(tf, batch)
    return Step(pool5, None)


def alexnet_forward_backward(tf, batch):
    """The seed's `tf.gradients(tf.nn.l2_loss(pool5), parameters)` for AlexNet."""
    pool5, parameters = _alexnet(tf, batch)
    return Step(tf.gradients(tf.nn.l2_loss(pool5), parameters), None)


# ---- VGG16 (the seed's timing script) ----
VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


def vgg16_forward_backward(tf, batch):
    """The seed's VGG16 forward-backward: gradients of l2_loss(fc8) for all 32 parameters.

    Weights are He-scaled truncated normals rather than the seed's contrib xavier initializer
    (tf.contrib is gone from TF 2); the amount of work is the same.
    """
    images = tf.Variable(tf.random_normal([batch, IMAGE_SIZE, IMAGE_SIZE, 3], stddev=1e-1))
    keep_prob = tf.placeholder(tf.float32)
    parameters = []

    def weight(shape, fan_in):
        kernel = tf.Variable(tf.truncated_normal(shape, stddev=(2.0 / fan_in) ** 0.5))
        parameters.append(kernel)
        return kernel

    def bias(n, value):
        biases = tf.Variable(tf.constant(value, shape=[n]))
        parameters.append(biases)
        return biases

    x, n_in = images, 3
    for n_out, convs in VGG16_BLOCKS:
        for _ in range(convs):
            kernel = weight([3, 3, n_in, n_out], 9 * n_in)
            conv = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], padding="SAME")
            x, n_in = tf.nn.relu(tf.nn.bias_add(conv, bias(n_out, 0.0))), n_out
        x = tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
    flat_size = 7 * 7 * 512
    x = tf.reshape(x, [-1, flat_size])
    for n_out, drop in ((4096, True), (4096, True), (1000, False)):
        x = tf.nn.relu_layer(x, weight([int(x.shape[-1]), n_out], int(x.shape[-1])),
                             bias(n_out, 0.1))
        if drop:
            x = tf.nn.dropout(x, keep_prob)
    return Step(tf.gradients(tf.nn.l2_loss(x), parameters), {keep_prob: 0.5})


# ---- CIFAR-10 tutorial network ----
def _cifar_step(tf, x, y, batch):
    """One SGD(0.1) step of the CIFAR-10 tutorial's CNN on images x [batch, 24, 24, 3], labels y.

    conv5x5x64 → pool → lrn → conv5x5x64 → lrn → pool → fc384 → fc192 → fc10, with the
    tutorial's 0.004 L2 weight decay on the two hidden fully connected layers.
    """
    decays = []

    def weight(shape, stddev, decay=None):
        var = tf.Variable(tf.truncated_normal(shape, stddev=stddev))
        if decay:
            decays.append(tf.multiply(tf.nn.l2_loss(var), decay))
        return var

    def conv_relu(inputs, shape, bias_value):
        conv = tf.nn.conv2d(inputs, weight(shape, 5e-2), [1, 1, 1, 1], padding="SAME")
        return tf.nn.relu(tf.nn.bias_add(conv, tf.Variable(tf.constant(bias_value, shape=[64]))))

    def pool(inputs):
        return tf.nn.max_pool(inputs, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")

    norm1 = tf.nn.lrn(pool(conv_relu(x, [5, 5, 3, 64], 0.0)), LRN_RADIUS, **LRN)
    pool2 = pool(tf.nn.lrn(conv_relu(norm1, [5, 5, 64, 64], 0.1), LRN_RADIUS, **LRN))
    flat = tf.reshape(pool2, [batch, -1])
    dim = 6 * 6 * 64
    local3 = tf.nn.relu(tf.matmul(flat, weight([dim, 384], 0.04, 0.004))
                        + tf.Variable(tf.constant(0.1, shape=[384])))
    local4 = tf.nn.relu(tf.matmul(local3, weight([384, 192], 0.04, 0.004))
                        + tf.Variable(tf.constant(0.1, shape=[192])))
    logits = tf.matmul(local4, weight([192, 10], 1 / 192.0)) + tf.Variable(tf.zeros([10]))
    cross_entropy = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(y, tf.int64), logits=logits))
    loss = tf.add_n([cross_entropy] + decays)
    return tf.train.GradientDescentOptimizer(0.1).minimize(loss)


def cifar_train(tf, batch):
    """The CIFAR CNN step on a batch already in memory (fed)."""
    x = tf.placeholder(tf.float32, [batch, 24, 24, 3])
    y = tf.placeholder(tf.int32, [batch])
    images, labels = make_cifar_batch(batch)
    return Step(_cifar_step(tf, x, y, batch), {x: images, y: labels})


def cifar_train_queue(tf, batch):
    """The same step fed by a queue pipeline: slice_input_producer over 8 batches of
    examples → shuffle_batch with two queue-runner threads."""
    images, labels = make_cifar_batch(batch * 8, seed=1)
    image, label = tf.train.slice_input_producer([tf.constant(images), tf.constant(labels)],
                                                 shuffle=True, seed=0)
    x, y = tf.train.shuffle_batch([image, label], batch_size=batch, capacity=batch * 4,
                                  min_after_dequeue=batch * 2, num_threads=2, seed=0)
    return Step(_cifar_step(tf, x, y, batch), None)


def cifar_train_dataset(tf, batch):
    """The same step fed by tf.data: from_tensor_slices → shuffle → repeat → batch → prefetch."""
    images, labels = make_cifar_batch(batch * 8, seed=1)
    dataset = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(batch * 4, seed=0).repeat().batch(batch, drop_remainder=True)
               .prefetch(2))
    x, y = tf.data.make_one_shot_iterator(dataset).get_next()
    return Step(_cifar_step(tf, x, y, batch), None)


WORKLOADS = (
    Workload("scalar_latency", "sess.run(a + b), fed scalars", scalar_add, {}, "us", 200, False),
    Workload("elementwise_chain", "50 elementwise ops, 1M float32", elementwise_chain,
             {"size": 1 << 20, "length": 50}, "ms", 1, False),
    Workload("lenet_forward", "LeNet forward, batch 50", lenet_forward, {"batch": 50},
             "ms", 1, False),
    Workload("lenet_train_b50", "LeNet Adam step, batch 50", lenet_train, {"batch": 50},
             "ms", 1, False),
    Workload("lenet_train_b256", "LeNet Adam step, batch 256", lenet_train, {"batch": 256},
             "ms", 1, False),
    Workload("cifar_train", "CIFAR CNN SGD step, batch 128", cifar_train, {"batch": 128},
             "ms", 1, False),
    Workload("cifar_train_queue", "CIFAR CNN step fed by a queue pipeline", cifar_train_queue,
             {"batch": 128}, "ms", 1, False),
    Workload("cifar_train_dataset", "CIFAR CNN step fed by tf.data", cifar_train_dataset,
             {"batch": 128}, "ms", 1, False),
    Workload("alexnet_forward", "AlexNet forward, batch 8", alexnet_forward, {"batch": 8},
             "ms", 1, False),
    Workload("alexnet_fwd_bwd", "AlexNet forward-backward, batch 8", alexnet_forward_backward,
             {"batch": 8}, "ms", 1, False),
    Workload("vgg16_fwd_bwd", "VGG16 forward-backward, batch 2", vgg16_forward_backward,
             {"batch": 2}, "ms", 1, True),
)

BY_NAME = {w.name: w for w in WORKLOADS}
