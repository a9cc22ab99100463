"""The CIFAR-10 input pipeline of the course's CNN: the binary files read through queues.

`distorted_inputs` feeds training with randomly cropped, flipped and colour-jittered 24x24
crops in shuffled batches; `inputs` feeds evaluation with centre crops in file order. Both
read the standard `cifar-10-batches-bin` layout: data_batch_1.bin .. data_batch_5.bin and
test_batch.bin, each a run of records of one label byte and 32x32x3 image bytes (all of the
red plane, then green, then blue).

The pipelines start filling when `tf.train.start_queue_runners` is called.
"""
import os

import tensorflux as tf

# Images are cropped to this size (from 32x32) before training and evaluation.
IMAGE_SIZE = 24

NUM_CLASSES = 10
NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN = 50000
NUM_EXAMPLES_PER_EPOCH_FOR_EVAL = 10000

# How many threads preprocess examples for a batching queue.
NUM_PREPROCESS_THREADS = 16

# Batching queues hold at least this fraction of an epoch, so shuffled batches mix well.
MIN_FRACTION_OF_EXAMPLES_IN_QUEUE = 0.4

LABEL_BYTES = 1
HEIGHT, WIDTH, DEPTH = 32, 32, 3


class CIFAR10Record:
    """One example read from a CIFAR-10 file: `key` (file:index), `label` (int32 [1]) and
    `uint8image` ([32, 32, 3] uint8), with `height`, `width` and `depth`."""

    height = HEIGHT
    width = WIDTH
    depth = DEPTH


def read_cifar10(filename_queue):
    """Reads the next record of the files named by `filename_queue` (a string queue)."""
    result = CIFAR10Record()
    image_bytes = HEIGHT * WIDTH * DEPTH
    reader = tf.FixedLengthRecordReader(record_bytes=LABEL_BYTES + image_bytes)
    result.key, value = reader.read(filename_queue)
    record = tf.decode_raw(value, tf.uint8)
    result.label = tf.cast(tf.strided_slice(record, [0], [LABEL_BYTES]), tf.int32)
    # The image bytes are channel-major [depth, height, width]; images are used height-major.
    depth_major = tf.reshape(tf.strided_slice(record, [LABEL_BYTES], [LABEL_BYTES + image_bytes]),
                             [DEPTH, HEIGHT, WIDTH])
    result.uint8image = tf.transpose(depth_major, [1, 2, 0])
    return result


def _generate_image_and_label_batch(image, label, min_queue_examples, batch_size, shuffle):
    """Batches of (images [batch, 24, 24, 3], labels [batch]) from a queue of examples."""
    capacity = min_queue_examples + 3 * batch_size
    if shuffle:
        images, label_batch = tf.train.shuffle_batch(
            [image, label], batch_size=batch_size, num_threads=NUM_PREPROCESS_THREADS,
            capacity=capacity, min_after_dequeue=min_queue_examples)
    else:
        images, label_batch = tf.train.batch(
            [image, label], batch_size=batch_size, num_threads=NUM_PREPROCESS_THREADS,
            capacity=capacity)
    summary_image = getattr(getattr(tf, "summary", None), "image", None)
    if summary_image is not None:
        summary_image("images", images)
    return images, tf.reshape(label_batch, [batch_size])


def _filenames(data_dir, eval_data):
    if eval_data:
        names = [os.path.join(data_dir, "test_batch.bin")]
    else:
        names = [os.path.join(data_dir, f"data_batch_{i}.bin") for i in range(1, 6)]
    for name in names:
        if not os.path.exists(name):
            raise ValueError("Failed to find file: " + name)
    return names


def distorted_inputs(data_dir, batch_size):
    """Shuffled training batches of randomly distorted 24x24 crops.

    Returns images [batch_size, 24, 24, 3] float32 and labels [batch_size] int32.
    """
    filename_queue = tf.train.string_input_producer(_filenames(data_dir, eval_data=False))
    with tf.name_scope("data_augmentation"):
        read_input = read_cifar10(filename_queue)
        image = tf.cast(read_input.uint8image, tf.float32)
        image = tf.random_crop(image, [IMAGE_SIZE, IMAGE_SIZE, 3])
        image = tf.image.random_flip_left_right(image)
        image = tf.image.random_brightness(image, max_delta=63)
        image = tf.image.random_contrast(image, lower=0.2, upper=1.8)
        float_image = tf.image.per_image_standardization(image)
        float_image.set_shape([IMAGE_SIZE, IMAGE_SIZE, 3])
        read_input.label.set_shape([1])
        min_queue_examples = int(NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN *
                                 MIN_FRACTION_OF_EXAMPLES_IN_QUEUE)
        print(f"Filling queue with {min_queue_examples} CIFAR images before starting to "
              "train. This will take a few minutes.")
    return _generate_image_and_label_batch(float_image, read_input.label, min_queue_examples,
                                           batch_size, shuffle=True)


def inputs(eval_data, data_dir, batch_size):
    """Batches of centre-cropped 24x24 images in file order, from the test file when
    `eval_data`, else from the training files.

    Returns images [batch_size, 24, 24, 3] float32 and labels [batch_size] int32.
    """
    if eval_data:
        examples_per_epoch = NUM_EXAMPLES_PER_EPOCH_FOR_EVAL
    else:
        examples_per_epoch = NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN
    filenames = _filenames(data_dir, eval_data)
    with tf.name_scope("input"):
        filename_queue = tf.train.string_input_producer(filenames)
        read_input = read_cifar10(filename_queue)
        image = tf.cast(read_input.uint8image, tf.float32)
        image = tf.image.resize_image_with_crop_or_pad(image, IMAGE_SIZE, IMAGE_SIZE)
        float_image = tf.image.per_image_standardization(image)
        float_image.set_shape([IMAGE_SIZE, IMAGE_SIZE, 3])
        read_input.label.set_shape([1])
        min_queue_examples = int(examples_per_epoch * MIN_FRACTION_OF_EXAMPLES_IN_QUEUE)
    return _generate_image_and_label_batch(float_image, read_input.label, min_queue_examples,
                                           batch_size, shuffle=False)
