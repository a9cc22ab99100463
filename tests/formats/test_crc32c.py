import os
import struct

import pytest

from tensorflux.formats import crc32c as crc


@pytest.mark.parametrize("data,expected", [
    (b"", 0),
    (b"123456789", 0xE3069283),
    (bytes(range(32)), 0x46DD794E),
    (bytes(32), 0x8A9136AA),                   # RFC 3720 B.4 test vectors
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
])
def test_vectors(data, expected):
    assert crc.crc32c(data) == expected
    assert crc._python_extend(0, data) == expected


def test_masked_length_crc_from_formats_md():
    assert crc.masked_crc32c(struct.pack("<Q", 24)) == 0x224B7FA3


def test_mask_unmask_round_trip():
    for value in (0, 1, 0xFFFFFFFF, 0xE3069283, 0x12345678):
        assert crc.unmask(crc.mask(value)) == value
    assert crc.mask(0) == 0xA282EAD8


def test_continuation():
    data = os.urandom(1000)
    assert crc.crc32c(data[600:], crc.crc32c(data[:600])) == crc.crc32c(data)


@pytest.mark.parametrize("size", [1, 255, 16383, 16384, 16385, 65536 + 7, 3 * 2 ** 20 + 11])
def test_numpy_lanes_match_the_table_loop(size):
    data = os.urandom(size)
    expected = crc._update_scalar(0xFFFFFFFF, data) ^ 0xFFFFFFFF
    assert crc._python_extend(0, data) == expected
    start = crc._update_scalar(0x12345678 ^ 0xFFFFFFFF, data) ^ 0xFFFFFFFF
    assert crc._python_extend(0x12345678, data) == start
