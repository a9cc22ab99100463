"""The course's CIFAR-10 input pipeline over small files in the cifar-10-batches-bin format."""

import numpy as np
import pytest

import tensorflux as tf
from queue_session import BOUNDED, running
from tensorflux.examples import cifar10_input

# Sessions of these tests end any blocked op with DeadlineExceededError instead of hanging.
TIMEOUT = tf.RunOptions(timeout_in_ms=20000)
RECORDS_PER_FILE = 6


def _write_batches(directory):
    """Writes data_batch_1..5.bin and test_batch.bin; returns {file: [(label, image)]}."""
    rng = np.random.RandomState(1)
    written = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        rows, parts = [], []
        for _ in range(RECORDS_PER_FILE):
            label = rng.randint(10)
            image = rng.randint(0, 256, size=(32, 32, 3)).astype(np.uint8)
            # stored channel-major: the whole red plane, then green, then blue
            parts.append(bytes([label]) + image.transpose(2, 0, 1).tobytes())
            rows.append((label, image))
        (directory / name).write_bytes(b"".join(parts))
        written[name] = rows
    return written


@pytest.fixture
def small_epochs(monkeypatch):
    # A queue holding 40% of 50,000 examples would take minutes to fill here.
    monkeypatch.setattr(cifar10_input, "NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN", 25)
    monkeypatch.setattr(cifar10_input, "NUM_EXAMPLES_PER_EPOCH_FOR_EVAL", 10)
    monkeypatch.setattr(cifar10_input, "NUM_PREPROCESS_THREADS", 4)


def test_read_cifar10_decodes_label_and_image(tmp_path, no_thread_leak):
    written = _write_batches(tmp_path)
    queue = tf.train.string_input_producer([str(tmp_path / "test_batch.bin")], shuffle=False,
                                           num_epochs=1)
    record = cifar10_input.read_cifar10(queue)
    assert (record.height, record.width, record.depth) == (32, 32, 3)
    assert record.uint8image.shape.as_list() == [32, 32, 3]
    with tf.Session(config=BOUNDED) as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        for index, (label, image) in enumerate(written["test_batch.bin"]):
            key, got_label, got_image = sess.run([record.key, record.label, record.uint8image],
                                                 options=TIMEOUT)
            assert key.decode().endswith(f"test_batch.bin:{index}")
            assert got_label.tolist() == [label]
            np.testing.assert_array_equal(got_image, image)
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(record.label, options=TIMEOUT)
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)


def test_distorted_inputs_give_standardized_shuffled_crops(tmp_path, small_epochs,
                                                         no_thread_leak):
    written = _write_batches(tmp_path)
    images, labels = cifar10_input.distorted_inputs(str(tmp_path), batch_size=4)
    assert images.shape.as_list() == [4, 24, 24, 3] and images.dtype == tf.float32
    assert labels.shape.as_list() == [4] and labels.dtype == tf.int32
    all_labels = {label for rows in written.values() for label, _ in rows}
    with running(init_locals=False, grace_secs=10) as sess:
        for _ in range(3):
            image_batch, label_batch = sess.run([images, labels], options=TIMEOUT)
            assert set(label_batch.tolist()) <= all_labels
            per_image = image_batch.reshape(4, -1)
            np.testing.assert_allclose(per_image.mean(axis=1), 0, atol=1e-4)
            np.testing.assert_allclose(per_image.std(axis=1), 1, atol=1e-3)


def test_inputs_give_centre_crops_of_the_eval_file(tmp_path, small_epochs, no_thread_leak):
    written = _write_batches(tmp_path)
    images, labels = cifar10_input.inputs(True, str(tmp_path), batch_size=3)
    assert images.shape.as_list() == [3, 24, 24, 3]
    centre = {}
    for label, image in written["test_batch.bin"]:
        crop = image[4:28, 4:28].astype(np.float64)
        centre[label, round(float(crop.mean()), 2)] = crop
    with running(init_locals=False, grace_secs=10) as sess:
        image_batch, label_batch = sess.run([images, labels], options=TIMEOUT)
    for image, label in zip(image_batch, label_batch):
        # standardization is affine per image: undo it through any matching centre crop
        matches = [crop for (lab, _), crop in centre.items() if lab == label and np.allclose(
            image, (crop - crop.mean()) / crop.std(), atol=1e-3)]
        assert matches


def test_missing_files_are_reported(tmp_path):
    with pytest.raises(ValueError, match="Failed to find file"):
        cifar10_input.inputs(False, str(tmp_path), batch_size=2)
    with pytest.raises(ValueError, match="Failed to find file"):
        cifar10_input.distorted_inputs(str(tmp_path), batch_size=2)
