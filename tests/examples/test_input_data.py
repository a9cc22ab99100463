"""tensorflux.examples.tutorials.mnist.input_data: idx reading, DataSet batching, digits set."""
import gzip
import os
import struct
import sys

import numpy as np
import pytest

from tensorflux.examples.tutorials.mnist import input_data
from tensorflux.framework import dtypes

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _idx_bytes(array, magic):
    """idx encoding written independently of the module: big-endian u4 magic and dims."""
    array = np.asarray(array, dtype=np.uint8)
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + (
        array.tobytes())


def _write(path, data, gz):
    if gz:
        with gzip.open(path + ".gz", "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def _make_mnist_dir(directory, n_train=8, n_test=3, gz=True, magics=(2051, 2049, 2051, 2049)):
    rng = np.random.RandomState(0)
    arrays = (rng.randint(0, 256, size=(n_train, 28, 28)), rng.randint(0, 10, size=n_train),
              rng.randint(0, 256, size=(n_test, 28, 28)), rng.randint(0, 10, size=n_test))
    for name, array, magic in zip(FILES, arrays, magics):
        _write(os.path.join(directory, name), _idx_bytes(array, magic), gz)
    return [np.asarray(a, dtype=np.uint8) for a in arrays]


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, gz):
    train_x, train_y, test_x, test_y = _make_mnist_dir(str(tmp_path), gz=gz)
    mnist = input_data.read_data_sets(str(tmp_path), validation_size=2)
    assert isinstance(mnist, input_data.Datasets)
    assert (mnist.train.num_examples, mnist.validation.num_examples,
            mnist.test.num_examples) == (6, 2, 3)
    assert mnist.train.images.shape == (6, 784) and mnist.train.images.dtype == np.float32
    np.testing.assert_allclose(mnist.train.images, train_x[2:].reshape(6, 784) / 255.0,
                               rtol=1e-6)
    np.testing.assert_array_equal(mnist.validation.labels, train_y[:2])
    np.testing.assert_array_equal(mnist.test.labels, test_y)
    np.testing.assert_allclose(mnist.test.images, test_x.reshape(3, 784) / 255.0, rtol=1e-6)
    assert 0.0 <= mnist.train.images.min() and mnist.train.images.max() <= 1.0


def test_mixed_gz_and_plain_files(tmp_path):
    train_x, _, _, _ = _make_mnist_dir(str(tmp_path), gz=True)
    os.rename(tmp_path / "t10k-labels-idx1-ubyte.gz", tmp_path / "labels.gz")
    with gzip.open(tmp_path / "labels.gz") as f:
        (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(f.read())
    mnist = input_data.read_data_sets(str(tmp_path), validation_size=0, dtype=np.uint8)
    np.testing.assert_array_equal(mnist.train.images, train_x.reshape(8, 784))
    assert mnist.test.num_examples == 3


def test_reshape_false_and_uint8(tmp_path):
    train_x, _, _, _ = _make_mnist_dir(str(tmp_path))
    mnist = input_data.read_data_sets(str(tmp_path), reshape=False, dtype=dtypes.uint8,
                                      validation_size=1)
    assert mnist.train.images.shape == (7, 28, 28, 1)
    assert mnist.train.images.dtype == np.uint8
    np.testing.assert_array_equal(mnist.train.images[..., 0], train_x[1:])
    floats = input_data.read_data_sets(str(tmp_path), reshape=False, dtype=dtypes.float32,
                                       validation_size=0)
    assert floats.test.images.shape == (3, 28, 28, 1) and floats.test.images.dtype == np.float32


def test_one_hot(tmp_path):
    _, train_y, _, test_y = _make_mnist_dir(str(tmp_path))
    mnist = input_data.read_data_sets(str(tmp_path), one_hot=True, validation_size=0)
    assert mnist.train.labels.shape == (8, 10)
    np.testing.assert_array_equal(mnist.train.labels.argmax(axis=1), train_y)
    np.testing.assert_array_equal(mnist.train.labels.sum(axis=1), np.ones(8))
    np.testing.assert_array_equal(mnist.test.labels.argmax(axis=1), test_y)
    np.testing.assert_array_equal(input_data.dense_to_one_hot(np.array([2, 0]), 3),
                                  [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize("dtype", [np.int32, "float64", dtypes.int64])
def test_invalid_dtype_raises(tmp_path, dtype):
    _make_mnist_dir(str(tmp_path))
    with pytest.raises(TypeError, match="expected uint8 or float32"):
        input_data.read_data_sets(str(tmp_path), dtype=dtype, validation_size=0)


def test_validation_size_out_of_range(tmp_path):
    _make_mnist_dir(str(tmp_path))
    with pytest.raises(ValueError, match="between 0 and 8. Received: 9"):
        input_data.read_data_sets(str(tmp_path), validation_size=9)


@pytest.mark.parametrize("magics, bad_file", [
    ((2049, 2049, 2051, 2049), "train-images-idx3-ubyte.gz"),
    ((2051, 2051, 2051, 2049), "train-labels-idx1-ubyte.gz"),
    ((2051, 2049, 2051, 1234), "t10k-labels-idx1-ubyte.gz"),
])
def test_wrong_magic_names_file(tmp_path, magics, bad_file):
    _make_mnist_dir(str(tmp_path), magics=magics)
    with pytest.raises(ValueError, match="Invalid magic number") as info:
        input_data.read_data_sets(str(tmp_path), validation_size=0)
    assert bad_file in str(info.value)


def test_truncated_file_names_file(tmp_path):
    _make_mnist_dir(str(tmp_path), gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte is truncated"):
        input_data.read_data_sets(str(tmp_path), validation_size=0)


def _labelled_dataset(n, seed=None):
    images = np.arange(n, dtype=np.uint8).reshape(n, 1, 1, 1)
    return input_data.DataSet(images, np.arange(n), dtype=np.uint8, seed=seed)


def test_next_batch_without_shuffle_wraps_epochs():
    ds = _labelled_dataset(5)
    expected = [([0, 1], 0), ([2, 3], 0), ([4, 0], 1), ([1, 2], 1), ([3, 4], 1), ([0, 1], 2)]
    for labels, epochs in expected:
        images, batch_labels = ds.next_batch(2, shuffle=False)
        np.testing.assert_array_equal(batch_labels, labels)
        np.testing.assert_array_equal(images[:, 0], labels)
        assert ds.epochs_completed == epochs


def test_next_batch_shuffles_first_and_at_each_epoch_end():
    ds = _labelled_dataset(5, seed=3)
    rng = np.random.RandomState(3)
    order0 = np.arange(5)
    rng.shuffle(order0)           # shuffled before the first batch
    perm1 = np.arange(5)
    rng.shuffle(perm1)            # shuffled again when epoch 0 runs out
    order1 = order0[perm1]
    batches = [ds.next_batch(2)[1] for _ in range(4)]
    np.testing.assert_array_equal(batches[0], order0[0:2])
    np.testing.assert_array_equal(batches[1], order0[2:4])
    # Crosses the boundary: the rest of epoch 0, then the start of the reshuffled epoch 1.
    np.testing.assert_array_equal(batches[2], [order0[4], order1[0]])
    np.testing.assert_array_equal(batches[3], order1[1:3])
    assert ds.epochs_completed == 1
    assert sorted(ds.labels) == list(range(5))
    # Images moved with their labels.
    np.testing.assert_array_equal(ds.images[:, 0], ds.labels)


def test_same_seed_repeats_batches(tmp_path):
    _make_mnist_dir(str(tmp_path))
    runs = [input_data.read_data_sets(str(tmp_path), validation_size=0, seed=7) for _ in "ab"]
    for _ in range(5):
        a, b = (run.train.next_batch(3) for run in runs)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_fake_data():
    mnist = input_data.read_data_sets("unused", fake_data=True, one_hot=True)
    images, labels = mnist.train.next_batch(4, fake_data=True)
    assert np.shape(images) == (4, 784) and np.shape(labels) == (4, 10)
    assert mnist.train.num_examples == 10000


@pytest.fixture
def no_proxy(monkeypatch):
    # The unreachable address must be tried directly, never through a configured proxy.
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


def test_download_failure_names_files_and_offline_option(tmp_path, no_proxy):
    missing_dir = tmp_path / "MNIST_data"
    with pytest.raises(input_data.MissingDataError) as info:
        input_data.read_data_sets(str(missing_dir), source_url="http://127.0.0.1:9/")
    assert isinstance(info.value, OSError)
    message = str(info.value)
    for name in FILES:
        assert name + ".gz" in message
    assert str(missing_dir) in message
    assert "http://127.0.0.1:9/" in message
    assert "storage.googleapis.com" in message
    assert "read_digits_data_sets" in message
    assert not missing_dir.exists()


def test_download_failure_names_only_missing_file(tmp_path, no_proxy):
    _make_mnist_dir(str(tmp_path))
    os.remove(tmp_path / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(OSError, match="t10k-images-idx3-ubyte.gz not found") as info:
        input_data.read_data_sets(str(tmp_path), source_url="http://127.0.0.1:9/")
    assert "train-images" not in str(info.value).split("\n")[0]
    assert sorted(os.listdir(tmp_path)) == sorted(
        n + ".gz" for n in FILES if n != "t10k-images-idx3-ubyte")


def test_digits_sets_shapes_ranges_labels():
    pytest.importorskip("sklearn")
    mnist = input_data.read_digits_data_sets()
    assert (mnist.train.num_examples, mnist.validation.num_examples,
            mnist.test.num_examples) == (1200, 300, 297)
    for ds in mnist:
        assert ds.images.shape == (ds.num_examples, 784) and ds.images.dtype == np.float32
        assert ds.images.min() == 0.0 and 0.5 < ds.images.max() <= 1.0
        assert set(np.unique(ds.labels)) == set(range(10))
    frames = input_data.read_digits_data_sets(dtype=np.uint8, reshape=False).test.images
    assert frames.shape == (297, 28, 28, 1) and frames.dtype == np.uint8
    # MNIST's layout: the digit lies in the central 20x20 box, a 4-pixel empty margin around it.
    inked = frames[..., 0].max(axis=0) > 0
    assert not inked[:4].any() and not inked[24:].any()
    assert not inked[:, :4].any() and not inked[:, 24:].any()
    assert inked[4:24, 4:24].any()
    # Class balance of the stratified test split.
    assert np.bincount(mnist.test.labels, minlength=10).min() >= 29


def test_digits_one_hot_augment_and_determinism():
    pytest.importorskip("sklearn")
    plain = input_data.read_digits_data_sets(one_hot=True, validation_size=100)
    again = input_data.read_digits_data_sets(one_hot=True, validation_size=100)
    np.testing.assert_array_equal(plain.test.images, again.test.images)
    np.testing.assert_array_equal(plain.train.next_batch(50)[1], again.train.next_batch(50)[1])
    assert plain.train.labels.shape == (1400, 10)
    augmented = input_data.read_digits_data_sets(one_hot=True, validation_size=100, augment=True)
    assert augmented.train.num_examples == 5 * 1400
    np.testing.assert_array_equal(augmented.validation.images, plain.validation.images)
    np.testing.assert_array_equal(augmented.test.images, plain.test.images)


def test_write_digits_as_mnist_reads_back_identically(tmp_path):
    pytest.importorskip("sklearn")
    paths = input_data.write_digits_as_mnist(str(tmp_path))
    assert sorted(os.path.basename(p) for p in paths) == sorted(n + ".gz" for n in FILES)
    from_files = input_data.read_data_sets(str(tmp_path), one_hot=True, validation_size=300,
                                           seed=5)
    direct = input_data.read_digits_data_sets(one_hot=True, validation_size=300, seed=5)
    for a, b in zip(from_files, direct):
        np.testing.assert_array_equal(a.images, b.images)
        np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(from_files.train.next_batch(10)[1],
                                  direct.train.next_batch(10)[1])


def test_digits_without_sklearn_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        input_data.read_digits_data_sets()
