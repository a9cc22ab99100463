"""Loading pretrained weight files in the formats course material ships them in.

- `.npy` holding a pickled dict, e.g. VGG19's `{layer: [W, b]}` (written by Python 2, hence
  the latin1 encoding);
- `.npz` archives;
- Keras/HDF5 `.h5` files (needs h5py);
- MatConvNet `.mat` files such as imagenet-vgg-verydeep-19.mat (needs scipy).
"""
import os

import numpy as np

from tensorflux.framework import errors


def _require(module, package):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise ImportError(f"reading this weight file needs the {package} package: "
                          f"pip install {package}") from None


def _check_exists(path):
    if not os.path.exists(path):
        raise errors.NotFoundError(None, None, f"{path}: no such weight file")


def load_npy(path):
    """The object in a .npy file: a pickled dict comes back as that dict, arrays as arrays."""
    _check_exists(path)
    value = np.load(path, allow_pickle=True, encoding="latin1")
    if value.dtype == object and value.shape == ():
        return value.item()
    return value


def load_npz(path):
    """{name: array} from a .npz archive."""
    _check_exists(path)
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def load_h5(path):
    """{"group/dataset": array} for every dataset in an HDF5 file."""
    _check_exists(path)
    h5py = _require("h5py", "h5py")
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
    return out


def load_mat(path):
    """scipy.io.loadmat's dict for a MATLAB file, without its __header__-style entries."""
    _check_exists(path)
    scipy_io = _require("scipy.io", "scipy")
    return {k: v for k, v in scipy_io.loadmat(path).items() if not k.startswith("__")}


_LOADERS = {".npy": load_npy, ".npz": load_npz, ".h5": load_h5, ".hdf5": load_h5,
            ".mat": load_mat}


def load_weights(path):
    """Loads a weight file, choosing the reader by extension (.npy .npz .h5 .hdf5 .mat)."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in _LOADERS:
        raise errors.InvalidArgumentError(
            None, None, f"{path}: unknown weight file type {extension!r}; expected one of "
            f"{', '.join(sorted(_LOADERS))}")
    return _LOADERS[extension](path)
