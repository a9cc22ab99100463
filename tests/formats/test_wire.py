import struct

import pytest

from tensorflux.formats import wire


@pytest.mark.parametrize("value,encoded", [
    (0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"), (16384, "808001"),
    (2 ** 63 - 1, "ffffffffffffffff7f"), (2 ** 64 - 1, "ffffffffffffffffff01"),
    (-1, "ffffffffffffffffff01"), (-2, "feffffffffffffffff01"),
    (-(2 ** 63), "80808080808080808001"),
])
def test_varint(value, encoded):
    assert wire.encode_varint(value).hex() == encoded
    decoded, pos = wire.decode_varint(bytes.fromhex(encoded), 0)
    assert pos == len(encoded) // 2
    assert wire.to_signed64(decoded) == value or decoded == value


def test_signed_conversions():
    assert wire.to_signed64(2 ** 64 - 1) == -1
    assert wire.to_signed32(2 ** 64 - 1) == -1
    assert wire.to_signed32(2 ** 31) == -(2 ** 31)
    assert wire.to_signed32(5) == 5


def test_field_encoders():
    assert wire.encode_key(1, wire.VARINT) == b"\x08"
    assert wire.encode_key(16, wire.LENGTH_DELIMITED) == b"\x82\x01"
    assert wire.encode_varint_field(2, 150) == bytes.fromhex("109601")
    assert wire.encode_bytes_field(2, b"testing") == bytes.fromhex("120774657374696e67")
    assert wire.encode_fixed32_field(6, 0xA1B2C3D4) == b"\x35" + struct.pack("<I", 0xA1B2C3D4)
    assert wire.encode_fixed64_field(1, 1) == b"\x09" + struct.pack("<Q", 1)
    assert wire.encode_float_field(2, 1.0) == bytes.fromhex("150000803f")
    assert wire.encode_double_field(1, 1.0) == bytes.fromhex("09000000000000f03f")
    assert wire.encode_packed_varints(4, [3, 270, 86942]) == bytes.fromhex("2206038e029ea705")
    assert wire.encode_packed_fixed(5, [1.0, 2.0], "<f4") == bytes.fromhex("2a080000803f00000040")


def test_iter_fields_yields_every_wire_type():
    data = (wire.encode_varint_field(1, 2 ** 64 - 1) + wire.encode_double_field(2, 0.5)
            + wire.encode_bytes_field(3, b"abc") + wire.encode_float_field(4, 2.0)
            + wire.encode_varint_field(1000, 7))
    fields = list(wire.iter_fields(data))
    assert [(n, t) for n, t, _ in fields] == [(1, 0), (2, 1), (3, 2), (4, 5), (1000, 0)]
    assert fields[0][2] == 2 ** 64 - 1
    assert struct.unpack("<d", fields[1][2])[0] == 0.5
    assert bytes(fields[2][2]) == b"abc"
    assert struct.unpack("<f", fields[3][2])[0] == 2.0
    assert b"".join(wire.reencode_field(*f) for f in fields) == data


@pytest.mark.parametrize("data", [
    b"\x08",                 # key without its value
    b"\x08\xff",             # unterminated varint
    b"\x12\x05ab",           # length past the end
    b"\x0d\x01\x02",         # fixed32 cut short
    b"\x0b",                 # group wire type
    b"\x00\x01",             # field number 0
    b"\x08" + b"\xff" * 11,  # varint over 10 bytes
])
def test_malformed_input_raises_decode_error(data):
    with pytest.raises(wire.DecodeError):
        list(wire.iter_fields(data))


def test_packed_decoders():
    assert wire.decode_packed_varints(bytes.fromhex("038e029ea705")) == [3, 270, 86942]
    assert wire.decode_packed_fixed(bytes.fromhex("0000803f00000040"), "<f4") == [1.0, 2.0]
    with pytest.raises(wire.DecodeError):
        wire.decode_packed_fixed(b"\x00\x00\x00", "<f4")
