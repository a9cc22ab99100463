import os
import struct

import numpy as np
import pytest

from tensorflux.formats import bundle, protos
from tensorflux.formats.crc32c import crc32c, mask
from tensorflux.framework import errors

from .fixture_values import ALL_DTYPES


def _same(got, expected):
    expected = np.asarray(expected)
    if expected.dtype == object:
        return got.shape == expected.shape and got.tolist() == expected.tolist()
    if expected.dtype == np.uint16 and got.dtype != np.uint16:    # bfloat16 given as bits
        got = got.view(np.uint16)
    return got.dtype == expected.dtype and got.shape == expected.shape and \
        np.array_equal(got, expected)


def test_files_are_byte_identical_to_tensorflow(tmp_path, fixtures):
    # fixtures/all_dtypes.*: tf.raw_ops.SaveV2 on ALL_DTYPES, in that order.
    prefix = str(tmp_path / "mine")
    bundle.write_bundle(prefix, ALL_DTYPES)
    for suffix in (".index", ".data-00000-of-00001"):
        with open(prefix + suffix, "rb") as mine, \
                open(os.path.join(fixtures, "all_dtypes" + suffix), "rb") as theirs:
            assert mine.read() == theirs.read(), suffix


def test_formats_md_annotated_example(tmp_path):
    prefix = str(tmp_path / "v")
    bundle.write_bundle(prefix, {"v": (protos.DT_FLOAT, np.array([1, 2], np.float32))})
    index = open(prefix + ".index", "rb").read()
    assert open(prefix + ".data-00000-of-00001", "rb").read() == bytes.fromhex("0000803f00000040")
    assert len(index) == 121
    assert index[:9] == bytes.fromhex("000006080" "11a020801")
    assert index[-8:] == bytes.fromhex("57fb808b247547db")


def test_reads_tensorflow_bundle(fixtures):
    reader = bundle.BundleReader(os.path.join(fixtures, "all_dtypes"))
    assert reader.keys() == sorted(ALL_DTYPES)
    for name, (dtype, value) in ALL_DTYPES.items():
        assert reader.has_tensor(name)
        assert reader.variable_to_dtype_map()[name] == dtype
        assert reader.variable_to_shape_map()[name] == list(np.shape(value))
        assert _same(reader.get_tensor(name), value), name


def test_reads_tf1_saver_checkpoint(fixtures):
    directory = os.path.join(fixtures, "tf1_saver")
    state = bundle.read_checkpoint_state(directory)
    assert state.model_checkpoint_path == os.path.join(directory, "model.ckpt-2")
    assert state.all_model_checkpoint_paths == [os.path.join(directory, "model.ckpt-1"),
                                                state.model_checkpoint_path]
    raw = bundle.read_checkpoint_state(directory, resolve_relative=False)
    assert raw.model_checkpoint_path == "model.ckpt-2"
    with bundle.BundleReader(state.model_checkpoint_path) as reader:
        assert reader.keys() == ["global_step", "layer/b", "layer/w"]
        assert reader.get_tensor("global_step") == 2
        assert reader.get_tensor("global_step").dtype == np.int64
        assert reader.get_tensor("layer/w").tolist() == [[0, 1], [2, 3], [4, 5]]
        assert reader.variable_to_shape_map() == {"global_step": [], "layer/b": [2],
                                                  "layer/w": [3, 2]}


def test_round_trip_many_keys_spanning_blocks(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {}
    for i in range(3000):   # ~200 KiB of keys plus values: several 256 KiB index blocks
        tensors["scope_%04d/" % (2999 - i) + "v" * 60] = (
            protos.DT_DOUBLE, rng.standard_normal(i % 4))
    tensors["k" * 600000] = (protos.DT_INT32, np.int32(5))   # bigger than two blocks
    prefix = str(tmp_path / "big")
    bundle.write_bundle(prefix, tensors)
    assert os.path.getsize(prefix + ".index") > 2 * 262144
    reader = bundle.BundleReader(prefix)
    assert reader.keys() == sorted(tensors)
    for name, (_, value) in tensors.items():
        assert _same(reader.get_tensor(name), value)


def test_data_order_follows_insertion_order(tmp_path):
    prefix = str(tmp_path / "o")
    bundle.write_bundle(prefix, {"b": (protos.DT_INT8, np.int8(1)),
                                 "a": (protos.DT_INT8, np.int8(2))})
    assert open(prefix + ".data-00000-of-00001", "rb").read() == b"\x01\x02"
    assert bundle.BundleReader(prefix).get_entry("a").offset == 1


def test_failed_write_leaves_previous_files_untouched(tmp_path):
    prefix = str(tmp_path / "ckpt")
    bundle.write_bundle(prefix, {"v": (protos.DT_FLOAT, np.float32(1))})
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    bad = {"v": (protos.DT_FLOAT, np.float32(2)), "r": (protos.DT_RESOURCE, np.zeros(1))}
    with pytest.raises(errors.InvalidArgumentError, match="DT_RESOURCE"):
        bundle.write_bundle(prefix, bad)
    with pytest.raises(errors.InvalidArgumentError):
        bundle.write_bundle(prefix, {"": (protos.DT_FLOAT, np.float32(2))})
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before   # no temporaries left


def test_creates_missing_directories(tmp_path):
    prefix = str(tmp_path / "a" / "b" / "model")
    bundle.write_bundle(prefix, {"v": (protos.DT_BOOL, np.array([True]))})
    assert bundle.BundleReader(prefix).get_tensor("v").tolist() == [True]


def _flip(path, offset):
    data = bytearray(open(path, "rb").read())
    data[offset] ^= 0x40
    open(path, "wb").write(bytes(data))


def _small(tmp_path):
    prefix = str(tmp_path / "m")
    bundle.write_bundle(prefix, {"s": (protos.DT_STRING, np.array([b"ab", b"c"], object)),
                                 "w": (protos.DT_FLOAT, np.arange(4, dtype=np.float32))})
    return prefix


def test_corrupt_data_names_the_data_file(tmp_path):
    prefix = _small(tmp_path)
    data = prefix + ".data-00000-of-00001"
    _flip(data, os.path.getsize(data) - 1)          # in "w"
    with pytest.raises(errors.DataLossError, match="data-00000-of-00001"):
        bundle.BundleReader(prefix).get_tensor("w")
    _flip(data, 4)                                   # in the strings of "s"
    with pytest.raises(errors.DataLossError, match="data-00000-of-00001"):
        bundle.BundleReader(prefix).get_tensor("s")


def test_truncated_data(tmp_path):
    prefix = _small(tmp_path)
    data = prefix + ".data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) - 3)
    with pytest.raises(errors.DataLossError, match="truncated"):
        bundle.BundleReader(prefix).get_tensor("w")


@pytest.mark.parametrize("where", ["block", "footer", "truncate"])
def test_corrupt_index_names_the_index_file(tmp_path, where):
    prefix = _small(tmp_path)
    index = prefix + ".index"
    if where == "block":
        _flip(index, 10)
    elif where == "footer":
        _flip(index, os.path.getsize(index) - 3)
    else:
        with open(index, "r+b") as f:
            f.truncate(os.path.getsize(index) - 10)
    with pytest.raises(errors.DataLossError, match=r"m\.index"):
        bundle.BundleReader(prefix)


def test_missing_files_and_keys(tmp_path):
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files"):
        bundle.BundleReader(str(tmp_path / "nothing"))
    prefix = _small(tmp_path)
    with pytest.raises(errors.NotFoundError, match="Key nope not found in checkpoint"):
        bundle.BundleReader(prefix).get_tensor("nope")
    os.remove(prefix + ".data-00000-of-00001")
    with pytest.raises(errors.NotFoundError, match="data-00000-of-00001"):
        bundle.BundleReader(prefix).get_tensor("w")


def test_reads_several_shards_and_refuses_slices(tmp_path):
    # Two data files and one index, laid out as TF's MergeBundles leaves a sharded save.
    prefix = str(tmp_path / "sharded")
    entries = {}
    for shard, (name, value) in enumerate([("a", np.float32([1, 2])), ("b", np.int64([3]))]):
        data = value.tobytes()
        with open(bundle.data_filename(prefix, shard, 2), "wb") as f:
            f.write(data)
        entry = protos.BundleEntryProto(dtype=protos.dtype_enum_for_numpy(value.dtype),
                                        shape=protos.as_shape_proto(value.shape),
                                        shard_id=shard, size=len(data), crc32c=mask(crc32c(data)))
        entries[name.encode()] = entry
    entries[b"c"] = protos.BundleEntryProto(dtype=1, shape=protos.as_shape_proto([2]),
                                            slices=[protos.TensorSliceProto()])
    with open(prefix + ".index", "wb") as f:
        table = bundle._TableWriter(f)
        table.add(b"", protos.BundleHeaderProto(num_shards=2).SerializeToString())
        for key in sorted(entries):
            table.add(key, entries[key].SerializeToString())
        table.finish()
    reader = bundle.BundleReader(prefix)
    assert reader.get_tensor("a").tolist() == [1, 2] and reader.get_tensor("b").tolist() == [3]
    with pytest.raises(errors.UnimplementedError, match="partitioned"):
        reader.get_tensor("c")


def test_big_endian_bundle_is_byte_swapped(tmp_path):
    prefix = str(tmp_path / "be")
    data = np.array([1.5, -2], ">f4").tobytes()
    with open(bundle.data_filename(prefix), "wb") as f:
        f.write(data)
    entry = protos.BundleEntryProto(dtype=1, shape=protos.as_shape_proto([2]), size=8,
                                    crc32c=mask(crc32c(data)))
    with open(prefix + ".index", "wb") as f:
        table = bundle._TableWriter(f)
        table.add(b"", protos.BundleHeaderProto(num_shards=1, endianness=1).SerializeToString())
        table.add(b"x", entry.SerializeToString())
        table.finish()
    assert bundle.BundleReader(prefix).get_tensor("x").tolist() == [1.5, -2]


def test_checkpoint_state_file(tmp_path):
    directory = str(tmp_path)
    bundle.write_checkpoint_state(directory, "model.ckpt-2", ["model.ckpt-1"])
    text = open(os.path.join(directory, "checkpoint")).read()
    assert text == ('model_checkpoint_path: "model.ckpt-2"\n'
                    'all_model_checkpoint_paths: "model.ckpt-1"\n'
                    'all_model_checkpoint_paths: "model.ckpt-2"\n')
    assert os.listdir(directory) == ["checkpoint"]      # no temporary file left behind
    bundle.write_checkpoint_state(directory, "/abs/m-3", ["/abs/m-3"], [1.5, 2.0], 1.0)
    state = bundle.read_checkpoint_state(directory)
    assert state.model_checkpoint_path == "/abs/m-3"
    assert state.all_model_checkpoint_paths == ["/abs/m-3"]
    assert state.all_model_checkpoint_timestamps == [1.5, 2.0]
    assert state.last_preserved_timestamp == 1.0
    assert bundle.read_checkpoint_state(str(tmp_path / "missing")) is None
    open(os.path.join(directory, "checkpoint"), "w").write("garbage {")
    assert bundle.read_checkpoint_state(directory) is None
    open(os.path.join(directory, "checkpoint"), "w").write("")
    with pytest.raises(ValueError, match="Invalid checkpoint state"):
        bundle.read_checkpoint_state(directory)


def test_string_lengths_crc_uses_fixed_width_lengths():
    data, crc = bundle._string_tensor_bytes(np.array([b"ab", b""], object))
    lengths_crc = crc32c(struct.pack("<I", 0), crc32c(struct.pack("<I", 2)))
    assert data == b"\x02\x00" + struct.pack("<I", mask(lengths_crc)) + b"ab"
    assert crc == crc32c(b"ab", crc32c(struct.pack("<I", mask(lengths_crc)), lengths_crc))
