"""Protocol-buffer wire encoding, written by hand so tensorflux needs no `protobuf` package.

Only what TF's messages use: varints, fixed 32/64-bit values, length-delimited fields and packed
repeated numbers (FORMATS.md section 0). The decoder is generic: it yields every field as
(number, wire_type, value) and leaves the meaning to the caller, so unknown fields are easy to skip.
"""
import struct

import numpy as np

VARINT = 0
FIXED64 = 1
LENGTH_DELIMITED = 2
FIXED32 = 5

_MASK64 = (1 << 64) - 1


class DecodeError(ValueError):
    """The bytes are not a well-formed protocol buffer."""


# ----------------------------------------------------------------------------------------------
# Encoding

def encode_varint(value):
    """Varint bytes of an integer; negatives are sign-extended to 64 bits (always 10 bytes)."""
    value = int(value)
    if value < 0:
        value &= _MASK64
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_key(field_number, wire_type):
    return encode_varint((field_number << 3) | wire_type)


def encode_varint_field(field_number, value):
    return encode_key(field_number, VARINT) + encode_varint(value)


def encode_bytes_field(field_number, data):
    """A length-delimited field: strings (pass bytes), sub-messages, packed arrays."""
    return encode_key(field_number, LENGTH_DELIMITED) + encode_varint(len(data)) + bytes(data)


def encode_fixed32_field(field_number, value):
    return encode_key(field_number, FIXED32) + struct.pack("<I", value & 0xFFFFFFFF)


def encode_fixed64_field(field_number, value):
    return encode_key(field_number, FIXED64) + struct.pack("<Q", value & _MASK64)


def encode_float_field(field_number, value):
    return encode_key(field_number, FIXED32) + struct.pack("<f", value)


def encode_double_field(field_number, value):
    return encode_key(field_number, FIXED64) + struct.pack("<d", value)


def encode_packed_varints(field_number, values):
    return encode_bytes_field(field_number, b"".join(encode_varint(v) for v in values))


def encode_packed_fixed(field_number, values, numpy_format):
    """Packed floats/doubles/fixed ints; `numpy_format` is e.g. '<f4', '<f8', '<u4'."""
    return encode_bytes_field(field_number, np.asarray(values, dtype=numpy_format).tobytes())


# ----------------------------------------------------------------------------------------------
# Decoding

def decode_varint(buf, pos):
    """Returns (unsigned value, position after it). `buf` is bytes or a memoryview."""
    result = 0
    shift = 0
    try:
        while True:
            byte = buf[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result & _MASK64, pos
            shift += 7
            if shift >= 70:
                raise DecodeError("varint is longer than 10 bytes")
    except IndexError:
        raise DecodeError("truncated varint") from None


def to_signed64(value):
    return value - (1 << 64) if value >= (1 << 63) else value


def to_signed32(value):
    """int32 fields travel as 64-bit varints; the low 32 bits hold the two's-complement value."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value


def iter_fields(buf):
    """Yields (field_number, wire_type, value) for every field in a serialized message.

    value is an unsigned int for VARINT, 4 or 8 raw bytes for FIXED32/FIXED64, and a memoryview
    (no copy: tensor_content can be hundreds of MB) for LENGTH_DELIMITED.
    """
    buf = memoryview(buf)
    if buf.ndim != 1 or buf.itemsize != 1:
        buf = buf.cast("B")
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = decode_varint(buf, pos)
        field_number, wire_type = key >> 3, key & 7
        if field_number == 0:
            raise DecodeError("field number 0 is invalid")
        if wire_type == VARINT:
            value, pos = decode_varint(buf, pos)
        elif wire_type == FIXED64:
            value, pos = bytes(buf[pos:pos + 8]), pos + 8
        elif wire_type == LENGTH_DELIMITED:
            length, pos = decode_varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        elif wire_type == FIXED32:
            value, pos = bytes(buf[pos:pos + 4]), pos + 4
        else:
            # Groups (3, 4) are a proto2 relic that none of TF's messages use.
            raise DecodeError(f"unsupported wire type {wire_type} for field {field_number}")
        if pos > end:
            raise DecodeError(f"field {field_number} runs past the end of the message")
        yield field_number, wire_type, value


def decode_packed_varints(data):
    """The unsigned values of a packed varint field."""
    data = memoryview(data)
    values, pos, end = [], 0, len(data)
    while pos < end:
        value, pos = decode_varint(data, pos)
        values.append(value)
    return values


def decode_packed_fixed(data, numpy_format):
    """The values of a packed fixed-width field ('<f4', '<f8', '<u4', '<u8') as a Python list."""
    itemsize = np.dtype(numpy_format).itemsize
    if len(data) % itemsize:
        raise DecodeError(f"packed field of {len(data)} bytes is not a multiple of {itemsize}")
    return np.frombuffer(data, dtype=numpy_format).tolist()


def reencode_field(field_number, wire_type, value):
    """The bytes of one field as iter_fields returned it; used to keep unknown fields intact."""
    if wire_type == VARINT:
        return encode_varint_field(field_number, value)
    if wire_type == LENGTH_DELIMITED:
        return encode_bytes_field(field_number, value)
    return encode_key(field_number, wire_type) + value
