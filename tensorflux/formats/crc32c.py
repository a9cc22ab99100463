"""CRC32C (Castagnoli), the checksum in every TF file, and TF's masking of stored CRCs.

A compiled package (`google_crc32c` or `crc32c`) is used when one is installed. Otherwise short
inputs go through a byte-table loop and long ones through a NumPy version that runs the same
loop on thousands of lanes at once and then folds the lane results together (FORMATS.md section 1).
"""
import numpy as np

_POLY = 0x82F63B78          # 0x1EDC6F41 bit-reflected
_MASK_DELTA = 0xA282EAD8


def _make_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_POLY if crc & 1 else 0)
        table.append(crc)
    return table


_TABLE = _make_table()
_TABLE_NP = np.array(_TABLE, dtype=np.uint32)


def _update_scalar(register, data):
    """Feeds bytes into a raw (non-inverted) CRC register, one table lookup per byte."""
    table = _TABLE
    for byte in data:
        register = table[(register ^ byte) & 0xFF] ^ (register >> 8)
    return register


# --- the NumPy multi-lane path -----------------------------------------------------------------
#
# The register update is linear over GF(2), so for two pieces A, B:
#   run(state, A + B) = zeros(run(state, A), len(B)) ^ run(0, B)
# where zeros(s, n) is the register after feeding n zero bytes from state s. zeros(., n) is a
# linear map on 32 bits; four 256-entry tables (one per byte of s) apply it with four lookups.

_LANE_BYTES = 256            # bytes per lane; every fold length is this times a power of two
_MAX_LANES = 4096
_MIN_NUMPY_BYTES = 64 * _LANE_BYTES
_zeros_tables = []           # _zeros_tables[t]: the map zeros(., _LANE_BYTES * 2**t)


def _apply_zeros(tables, states):
    return (tables[0][states & 0xFF] ^ tables[1][(states >> 8) & 0xFF]
            ^ tables[2][(states >> 16) & 0xFF] ^ tables[3][states >> 24])


def _tables_from_basis(images):
    """Four lookup tables for the linear map sending bit i to images[i]."""
    tables = np.zeros((4, 256), dtype=np.uint32)
    for part in range(4):
        for byte in range(1, 256):
            low = byte & -byte
            tables[part, byte] = tables[part, byte ^ low] ^ images[8 * part + low.bit_length() - 1]
    return tables


def _zeros_table(level):
    """Tables for feeding _LANE_BYTES * 2**level zero bytes, built by repeated squaring."""
    while len(_zeros_tables) <= level:
        basis = np.array([1 << bit for bit in range(32)], dtype=np.uint32)
        if not _zeros_tables:
            images = [_update_scalar(int(b), bytes(_LANE_BYTES)) for b in basis]
        else:
            previous = _zeros_tables[-1]
            images = _apply_zeros(previous, _apply_zeros(previous, basis))
        _zeros_tables.append(_tables_from_basis(np.asarray(images, dtype=np.uint32)))
    return _zeros_tables[level]


def _update_numpy(register, data):
    """Like _update_scalar, for long inputs: blocks of up to _MAX_LANES lanes of 256 bytes."""
    data = np.frombuffer(data, dtype=np.uint8)
    pos = 0
    while len(data) - pos >= _MIN_NUMPY_BYTES:
        lanes = min(_MAX_LANES, 1 << (((len(data) - pos) // _LANE_BYTES).bit_length() - 1))
        block = data[pos:pos + lanes * _LANE_BYTES].reshape(lanes, _LANE_BYTES)
        # Column-major copy so each step reads one contiguous row of lane bytes.
        columns = np.ascontiguousarray(block.T).astype(np.uint32)
        states = np.zeros(lanes, dtype=np.uint32)
        for column in columns:
            states = _TABLE_NP[(states ^ column) & 0xFF] ^ (states >> 8)
        level = 0
        while len(states) > 1:    # fold neighbours: left part is followed by the right part
            states = _apply_zeros(_zeros_table(level), states[0::2]) ^ states[1::2]
            level += 1
        register_np = np.array([register], dtype=np.uint32)
        register = int((_apply_zeros(_zeros_table(level), register_np) ^ states)[0])
        pos += lanes * _LANE_BYTES
    return _update_scalar(register, data[pos:].tobytes())


def _python_extend(crc, data):
    data = memoryview(data).cast("B")
    register = crc ^ 0xFFFFFFFF
    if len(data) >= _MIN_NUMPY_BYTES:
        register = _update_numpy(register, data)
    else:
        register = _update_scalar(register, data.tobytes())
    return register ^ 0xFFFFFFFF


def _pick_backend():
    try:
        import google_crc32c
        if google_crc32c.implementation == "c":     # its pure-Python fallback is slower than ours
            return lambda crc, data: google_crc32c.extend(crc, bytes(data))
    except ImportError:
        pass
    try:
        import crc32c as crc32c_package
        return lambda crc, data: crc32c_package.crc32c(bytes(data), crc)
    except ImportError:
        pass
    return _python_extend


_extend = _pick_backend()


def crc32c(data, crc=0):
    """CRC32C of `data` (bytes-like); pass a previous result as `crc` to continue it."""
    return _extend(crc, data)


def mask(crc):
    """TF stores CRCs rotated and offset, so a CRC over data that holds CRCs stays strong."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked):
    rotated = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rotated >> 17) | (rotated << 15)) & 0xFFFFFFFF


def masked_crc32c(data):
    return mask(crc32c(data))
