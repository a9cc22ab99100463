import numpy as np
import pytest

from tensorflux.formats import weights
from tensorflux.framework import errors


def test_pickled_dict_npy(tmp_path):
    # The layout of VGG19's vgg19.npy: {layer: [W, b]}.
    path = str(tmp_path / "vgg.npy")
    params = {"conv1_1": [np.ones((3, 3, 3, 64), np.float32), np.zeros(64, np.float32)]}
    np.save(path, params, allow_pickle=True)
    loaded = weights.load_weights(path)
    assert set(loaded) == {"conv1_1"}
    assert loaded["conv1_1"][0].shape == (3, 3, 3, 64)


def test_plain_npy_and_npz(tmp_path):
    np.save(str(tmp_path / "a.npy"), np.arange(4))
    assert weights.load_weights(str(tmp_path / "a.npy")).tolist() == [0, 1, 2, 3]
    np.savez(str(tmp_path / "w.npz"), w=np.ones(2), b=np.zeros(1))
    loaded = weights.load_weights(str(tmp_path / "w.npz"))
    assert sorted(loaded) == ["b", "w"] and loaded["w"].tolist() == [1.0, 1.0]


def test_h5(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = str(tmp_path / "model.h5")
    with h5py.File(path, "w") as f:
        f.create_dataset("dense/kernel", data=np.eye(2))
        f.create_dataset("dense/bias", data=np.zeros(2))
    loaded = weights.load_weights(path)
    assert sorted(loaded) == ["dense/bias", "dense/kernel"]
    assert loaded["dense/kernel"].tolist() == [[1, 0], [0, 1]]


def test_mat(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    path = str(tmp_path / "net.mat")
    scipy_io.savemat(path, {"layers": np.arange(3.0), "meta": np.ones(1)})
    loaded = weights.load_weights(path)
    assert sorted(loaded) == ["layers", "meta"]


def test_missing_optional_package_names_the_pip_command(monkeypatch, tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(b"")
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("no h5py")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match="pip install h5py"):
        weights.load_weights(str(path))


def test_errors(tmp_path):
    with pytest.raises(errors.NotFoundError):
        weights.load_weights(str(tmp_path / "none.npy"))
    with pytest.raises(errors.InvalidArgumentError, match="unknown weight file type"):
        weights.load_weights(str(tmp_path / "w.pt"))
