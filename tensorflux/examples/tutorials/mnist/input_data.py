"""MNIST loading as TF 1.x tutorials use it: `mnist = input_data.read_data_sets("MNIST_data/")`.

NumPy only. `read_data_sets` reads the four idx files (gzipped or not) from a directory and
downloads the missing ones from `source_url`; `DataSet.next_batch` keeps TF1's exact epoch
handling. Without network access, `read_digits_data_sets` gives an offline stand-in built from
scikit-learn's 8x8 handwritten digits in MNIST's 28x28 layout, and `write_digits_as_mnist` writes
it as idx files so the `read_data_sets` path itself can run offline. The stand-in is never used
unless asked for by name: it is a different, much smaller data set.
"""
import collections
import gzip
import os

import numpy as np

DEFAULT_SOURCE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"

IMAGE_MAGIC = 2051  # idx header: unsigned bytes, 3 dimensions (count, rows, cols)
LABEL_MAGIC = 2049  # idx header: unsigned bytes, 1 dimension (count)

_DOWNLOAD_TIMEOUT_S = 10

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


class MissingDataError(IOError):
    """MNIST files are not in the directory and could not be downloaded."""


# ---------------------------------------------------------------------------------------------
# idx files


def _read_idx_bytes(f):
    """All bytes of an idx stream, gunzipped when they start with gzip's magic."""
    data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _idx_header(data, expected_magic, ndim, kind, name):
    header_len = 4 * (1 + ndim)
    if len(data) < header_len:
        raise ValueError(f"MNIST {kind} file {name} is too short for an idx header "
                         f"({len(data)} bytes)")
    header = np.frombuffer(data[:header_len], dtype=">u4")
    if header[0] != expected_magic:
        raise ValueError(f"Invalid magic number {header[0]} in MNIST {kind} file: {name} "
                         f"(expected {expected_magic})")
    dims = [int(d) for d in header[1:]]
    needed = header_len + int(np.prod(dims))
    if len(data) < needed:
        raise ValueError(f"MNIST {kind} file {name} is truncated: header promises {dims}, "
                         f"which needs {needed} bytes, but it has {len(data)}")
    return dims, data[header_len:needed]


def extract_images(f):
    """Reads an idx3 image file object (gzipped or not) into uint8 [count, rows, cols, 1].

    Raises ValueError naming the file when the magic number is not 2051 or the file is short.
    """
    name = getattr(f, "name", "<stream>")
    print("Extracting", name)
    (count, rows, cols), body = _idx_header(_read_idx_bytes(f), IMAGE_MAGIC, 3, "image", name)
    return np.frombuffer(body, dtype=np.uint8).reshape(count, rows, cols, 1)


def dense_to_one_hot(labels_dense, num_classes):
    """Class indices [N] to float64 one-hot rows [N, num_classes], as TF1 returns them."""
    labels_dense = np.asarray(labels_dense)
    one_hot = np.zeros((labels_dense.shape[0], num_classes))
    one_hot[np.arange(labels_dense.shape[0]), labels_dense.ravel()] = 1
    return one_hot


def extract_labels(f, one_hot=False, num_classes=10):
    """Reads an idx1 label file object (gzipped or not) into uint8 [count], or one-hot rows.

    Raises ValueError naming the file when the magic number is not 2049 or the file is short.
    """
    name = getattr(f, "name", "<stream>")
    print("Extracting", name)
    _, body = _idx_header(_read_idx_bytes(f), LABEL_MAGIC, 1, "label", name)
    labels = np.frombuffer(body, dtype=np.uint8)
    return dense_to_one_hot(labels, num_classes) if one_hot else labels


def _write_idx(path, array):
    """Writes a uint8 array as a gzipped idx file (magic 0x08 type byte, one u4 per dimension)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = np.array([0x800 + array.ndim] + list(array.shape), dtype=">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


# ---------------------------------------------------------------------------------------------
# DataSet


def _image_numpy_dtype(dtype):
    """np.float32 or np.uint8 from a NumPy type, a name, or a tensorflux/TF DType."""
    candidate = getattr(dtype, "as_numpy_dtype", dtype)
    try:
        np_dtype = np.dtype(candidate)
    except TypeError:
        try:
            np_dtype = np.dtype(getattr(dtype, "name", None))
        except TypeError:
            np_dtype = None
    if np_dtype not in (np.dtype(np.float32), np.dtype(np.uint8)):
        raise TypeError(f"Invalid image dtype {dtype!r}, expected uint8 or float32")
    return np_dtype


class DataSet:
    """Images and labels with TF1's `next_batch` epoch handling.

    `images` arrive as uint8 [N, rows, cols, 1]. With `reshape` they become [N, rows*cols]; with
    dtype float32 they are scaled from [0, 255] to [0.0, 1.0]; with uint8 they stay raw.
    Each DataSet owns a NumPy RandomState seeded with `seed` (None: fresh entropy). TF1 reseeded
    NumPy's global generator with `seed` instead, so while only one DataSet draws batches its
    permutations are TF1's; here, batches drawn from one set no longer change another's order.
    """

    def __init__(self, images, labels, fake_data=False, one_hot=False, dtype=np.float32,
                 reshape=True, seed=None):
        np_dtype = _image_numpy_dtype(dtype)
        self._rng = np.random.RandomState(seed)
        self.one_hot = one_hot
        if fake_data:
            self._num_examples = 10000
        else:
            if images.shape[0] != labels.shape[0]:
                raise ValueError(f"images and labels differ in count: images.shape: "
                                 f"{images.shape} labels.shape: {labels.shape}")
            self._num_examples = images.shape[0]
            if reshape:
                if images.shape[3] != 1:
                    raise ValueError(f"reshape=True needs images of depth 1, got shape "
                                     f"{images.shape}")
                images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
            if np_dtype == np.float32:
                images = images.astype(np.float32) * np.float32(1.0 / 255.0)
        self._images = images
        self._labels = labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    @property
    def epochs_completed(self):
        return self._epochs_completed

    def _shuffle(self):
        perm = np.arange(self._num_examples)
        self._rng.shuffle(perm)
        self._images = self._images[perm]
        self._labels = self._labels[perm]

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        """The next `batch_size` examples as (images, labels).

        The data is shuffled before the first batch and at every epoch end. A batch that crosses
        the end of an epoch is the rest of the old epoch followed by the start of the new one.
        """
        if fake_data:
            fake_image = [1] * 784
            fake_label = [1] + [0] * 9 if self.one_hot else 0
            return ([fake_image for _ in range(batch_size)],
                    [fake_label for _ in range(batch_size)])
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            self._shuffle()
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            images_rest = self._images[start:self._num_examples]
            labels_rest = self._labels[start:self._num_examples]
            if shuffle:
                self._shuffle()
            self._index_in_epoch = batch_size - (self._num_examples - start)
            end = self._index_in_epoch
            return (np.concatenate((images_rest, self._images[:end]), axis=0),
                    np.concatenate((labels_rest, self._labels[:end]), axis=0))
        self._index_in_epoch += batch_size
        return self._images[start:self._index_in_epoch], self._labels[start:self._index_in_epoch]


def _split_validation(images, labels, validation_size):
    """(validation, train) pairs: the first `validation_size` training examples, as TF1 does."""
    if not 0 <= validation_size <= len(images):
        raise ValueError(f"Validation size should be between 0 and {len(images)}. "
                         f"Received: {validation_size}.")
    return ((images[:validation_size], labels[:validation_size]),
            (images[validation_size:], labels[validation_size:]))


def _build_datasets(train, validation, test, dtype, reshape, seed):
    """Datasets of three DataSets from (images, labels) pairs, sharing dtype/reshape/seed."""
    options = dict(dtype=dtype, reshape=reshape, seed=seed)
    return Datasets(train=DataSet(*train, **options), validation=DataSet(*validation, **options),
                    test=DataSet(*test, **options))


# ---------------------------------------------------------------------------------------------
# Finding and downloading the files


def _local_path(directory, gz_name):
    """The existing file for `gz_name` in `directory`, gzipped or not; None when neither is."""
    for name in (gz_name, gz_name[:-len(".gz")]):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def maybe_download(filename, work_directory, source_url):
    """Downloads `source_url` to `work_directory/filename` unless that file exists; its path.

    The file is written under a temporary name and renamed, so an interrupted download leaves
    nothing that a later run would take for data. Network failures propagate as OSError.
    """
    import urllib.request

    filepath = os.path.join(work_directory, filename)
    if os.path.isfile(filepath):
        return filepath
    with urllib.request.urlopen(source_url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
        data = response.read()
    os.makedirs(work_directory, exist_ok=True)
    partial = filepath + ".part"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, filepath)
    print("Successfully downloaded", filename, len(data), "bytes.")
    return filepath


def _missing_data_message(missing, directory, source_url, reason):
    names = ", ".join(missing)
    return (
        f"MNIST data is missing and could not be downloaded: {names} not found in "
        f"{os.path.abspath(directory)!r}, and downloading them from {source_url} failed "
        f"({reason}).\n"
        f"To get them, download the four files {TRAIN_IMAGES}, {TRAIN_LABELS}, {TEST_IMAGES}, "
        f"{TEST_LABELS} from {DEFAULT_SOURCE_URL} (e.g. with curl -O) into that directory; "
        f"gzipped or not, both are read.\n"
        f"Without network access, input_data.read_digits_data_sets() gives an offline "
        f"stand-in built from scikit-learn's 8x8 digits (write_digits_as_mnist(directory) "
        f"writes it as idx files); it is a different, smaller data set, so results will not "
        f"match MNIST's.")


def _find_or_download(directory, source_url):
    """Paths of the four files, downloading the missing ones; MissingDataError on failure."""
    names = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
    paths = {name: _local_path(directory, name) for name in names}
    for name in names:
        if paths[name] is not None:
            continue
        try:
            paths[name] = maybe_download(name, directory, source_url + name)
        except (OSError, ValueError) as exc:
            missing = [n for n in names if paths[n] is None]
            raise MissingDataError(
                _missing_data_message(missing, directory, source_url, exc)) from exc
    return [paths[name] for name in names]


def read_data_sets(train_dir, fake_data=False, one_hot=False, dtype=np.float32, reshape=True,
                   validation_size=5000, seed=None, source_url=DEFAULT_SOURCE_URL):
    """MNIST as Datasets(train, validation, test) of DataSet, read from `train_dir`.

    Reads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
    t10k-labels-idx1-ubyte, each with or without `.gz`. Missing files are downloaded from
    `source_url`; when that fails, raises MissingDataError (an IOError) naming the files.
    The first `validation_size` training examples become the validation set (ValueError when
    it exceeds the training count). dtype float32 scales images to [0, 1]; uint8 keeps them
    raw (TypeError for anything else). Labels are uint8 class indices, or float64 one-hot rows
    with `one_hot`. `seed` fixes the shuffling of `next_batch`.
    """
    if fake_data:
        def fake():
            return DataSet([], [], fake_data=True, one_hot=one_hot, dtype=dtype, seed=seed)
        return Datasets(train=fake(), validation=fake(), test=fake())
    source_url = source_url or DEFAULT_SOURCE_URL
    if not source_url.endswith("/"):
        source_url += "/"
    train_images_path, train_labels_path, test_images_path, test_labels_path = (
        _find_or_download(train_dir, source_url))
    with open(train_images_path, "rb") as f:
        train_images = extract_images(f)
    with open(train_labels_path, "rb") as f:
        train_labels = extract_labels(f, one_hot=one_hot)
    with open(test_images_path, "rb") as f:
        test_images = extract_images(f)
    with open(test_labels_path, "rb") as f:
        test_labels = extract_labels(f, one_hot=one_hot)
    validation, train = _split_validation(train_images, train_labels, validation_size)
    return _build_datasets(train, validation, (test_images, test_labels), dtype, reshape, seed)


def load_mnist(train_dir="MNIST-data"):
    """`read_data_sets(train_dir)` with its defaults, as TF1 offers it."""
    return read_data_sets(train_dir)


# ---------------------------------------------------------------------------------------------
# The offline stand-in: scikit-learn's 8x8 digits in MNIST's layout

_DIGIT_BOX = 20      # MNIST fits each digit into a 20x20 box ...
_FRAME = 28          # ... centred in a 28x28 frame
_DIGITS_TEST_COUNT = 297
_DIGITS_SPLIT_SEED = 1234   # fixes the train/test split; `seed` only drives batch shuffling
_AUGMENT_SHIFTS = ((0, 2), (0, -2), (2, 0), (-2, 0))


def _bilinear_matrix(n_in, n_out):
    """[n_out, n_in] weights resampling a line of n_in pixels to n_out, pixel centres aligned."""
    src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0, n_in - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.arange(n_out), lo), 1 - frac)
    np.add.at(weights, (np.arange(n_out), hi), frac)
    return weights


def _digits_as_mnist_images(images_8x8):
    """[N, 8, 8] values 0..16 to uint8 [N, 28, 28, 1]: bilinear 20x20 centred in 28x28."""
    weights = _bilinear_matrix(images_8x8.shape[1], _DIGIT_BOX)
    box = np.einsum("ij,njk,lk->nil", weights, images_8x8, weights)
    margin = (_FRAME - _DIGIT_BOX) // 2
    frame = np.zeros((len(images_8x8), _FRAME, _FRAME))
    frame[:, margin:margin + _DIGIT_BOX, margin:margin + _DIGIT_BOX] = box
    scaled = np.clip(np.rint(frame * (255.0 / 16.0)), 0, 255)
    return scaled.astype(np.uint8)[..., np.newaxis]


def _stratified_test_indices(labels, test_count, seed):
    """Indices of a test split with each class in proportion, chosen by a fixed permutation."""
    rng = np.random.RandomState(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * (test_count / len(labels))
    per_class = np.floor(quota).astype(int)
    # Largest remainders get the leftover places so the total is exactly test_count.
    leftover = test_count - per_class.sum()
    per_class[np.argsort(-(quota - per_class), kind="stable")[:leftover]] += 1
    picked = [rng.permutation(np.flatnonzero(labels == c))[:k]
              for c, k in zip(classes, per_class)]
    return np.sort(np.concatenate(picked))


def _load_digits_split():
    """uint8 MNIST-layout images and labels of the fixed digits train/test split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError("read_digits_data_sets needs scikit-learn, which ships the 8x8 "
                          "digits it is built from: pip install scikit-learn") from exc
    digits = load_digits()
    images = _digits_as_mnist_images(digits.images)
    labels = digits.target.astype(np.uint8)
    test_idx = _stratified_test_indices(labels, _DIGITS_TEST_COUNT, _DIGITS_SPLIT_SEED)
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)
    # A fixed order of the training split so validation (its head) mixes all classes.
    train_idx = np.random.RandomState(_DIGITS_SPLIT_SEED).permutation(train_idx)
    return images[train_idx], labels[train_idx], images[test_idx], labels[test_idx]


def _shift(images, dy, dx):
    """[N, H, W, 1] images moved by (dy, dx) pixels, zero-filled where they leave the frame."""
    out = np.zeros_like(images)
    h, w = images.shape[1:3]
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = (
        images[:, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)])
    return out


def read_digits_data_sets(one_hot=False, dtype=np.float32, reshape=True, validation_size=300,
                          seed=0, augment=False):
    """An offline MNIST stand-in: scikit-learn's 1,797 8x8 digits in MNIST's 28x28 layout.

    Each 8x8 digit (values 0..16) is upscaled bilinearly to 20x20, centred in a 28x28 frame and
    scaled to 0..255 uint8, as MNIST's digits are. A fixed stratified split gives 1,500 training
    and 297 test images; the first `validation_size` training images become validation, so the
    defaults give 1,200 / 300 / 297. With `augment`, every remaining training image is added again
    shifted by 2 pixels up, down, left and right (5x the training set); validation and test stay
    unaugmented. The shifts lift non-linear models (a small NumPy MLP went from about 96.6% to
    98% test accuracy) but cost softmax regression a few points, so they are off by default.
    Returns Datasets(train, validation, test) like `read_data_sets`, with the same
    dtype, reshape and one_hot handling; `seed` fixes `next_batch` shuffling. Needs
    scikit-learn (ImportError naming it otherwise). This is not MNIST: it is far smaller and
    easier, and it is only used when asked for.
    """
    train_images, train_labels, test_images, test_labels = _load_digits_split()
    if one_hot:
        train_labels = dense_to_one_hot(train_labels, 10)
        test_labels = dense_to_one_hot(test_labels, 10)
    validation, (train_images, train_labels) = _split_validation(train_images, train_labels,
                                                                 validation_size)
    if augment:
        shifted = [_shift(train_images, dy, dx) for dy, dx in _AUGMENT_SHIFTS]
        train_images = np.concatenate([train_images] + shifted)
        train_labels = np.concatenate([train_labels] * (1 + len(shifted)))
    return _build_datasets((train_images, train_labels), validation, (test_images, test_labels),
                           dtype, reshape, seed)


def write_digits_as_mnist(directory):
    """Writes the digits stand-in (unaugmented) as MNIST's four gzipped idx files; the paths.

    `read_data_sets(directory, validation_size=v, seed=s)` then returns the same arrays as
    `read_digits_data_sets(validation_size=v, seed=s)`. The training file holds 1,500 images,
    so read_data_sets needs validation_size <= 1500 (its default 5000 raises ValueError).
    """
    train_images, train_labels, test_images, test_labels = _load_digits_split()
    os.makedirs(directory, exist_ok=True)
    contents = ((TRAIN_IMAGES, train_images[..., 0]), (TRAIN_LABELS, train_labels),
                (TEST_IMAGES, test_images[..., 0]), (TEST_LABELS, test_labels))
    paths = []
    for name, array in contents:
        path = os.path.join(directory, name)
        _write_idx(path, array)
        paths.append(path)
    return paths
