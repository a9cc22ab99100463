"""A small declarative base for protocol-buffer messages, serialized with formats.wire.

A message class lists its fields; the base class gives it a protobuf-like Python API (attribute
access, `SerializeToString`, `FromString`, `HasField`, `WhichOneof`, `CopyFrom`, repeated
message fields with `.add()`, message-valued maps that create entries on first access) and the
binary codec. Proto3 rules apply: a scalar equal to its default is not written, a sub-message
that was set is written even when empty, a oneof member is written whenever it is the one set.
Fields are written in field-number order and map entries in the order Python protobuf's
deterministic serialization uses (see _map_order). Unknown fields read from bytes are kept
and written back unchanged.
"""
import math

import numpy as np

from tensorflux.formats import wire

# Scalar kinds, by how they travel on the wire.
_VARINT_KINDS = frozenset(("int32", "int64", "uint32", "uint64", "bool", "enum"))
_FIXED_FORMATS = {"float": "<f4", "double": "<f8", "fixed32": "<u4", "fixed64": "<u8"}
_FIXED_WIRE = {"float": wire.FIXED32, "fixed32": wire.FIXED32,
               "double": wire.FIXED64, "fixed64": wire.FIXED64}
_DEFAULTS = {"string": "", "bytes": b"", "bool": False, "float": 0.0, "double": 0.0}

_MESSAGE_CLASSES = {}   # qualified class name -> class, to resolve forward references


class Field:
    """One field of a message.

    kind: a scalar kind ("int32", "int64", "uint32", "uint64", "bool", "enum", "float",
    "double", "fixed32", "fixed64", "string", "bytes") or a Message class or its qualified name
    (a string, so messages can refer to ones defined later). `key` makes it a map with that
    scalar key kind. `enum` maps numbers to names for the text format.
    """

    __slots__ = ("number", "name", "_kind", "repeated", "oneof", "key", "enum")

    def __init__(self, number, name, kind, repeated=False, oneof=None, key=None, enum=None):
        self.number, self.name, self._kind = number, name, kind
        self.repeated, self.oneof, self.key, self.enum = repeated, oneof, key, enum

    @property
    def kind(self):
        if isinstance(self._kind, str) and self._kind in _MESSAGE_CLASSES:
            self._kind = _MESSAGE_CLASSES[self._kind]
        return self._kind

    @property
    def is_message(self):
        return isinstance(self.kind, type)

    @property
    def default(self):
        return _DEFAULTS.get(self.kind, 0)


class RepeatedMessages(list):
    """A repeated message field: a list with protobuf's `add(**fields)`."""

    def __init__(self, cls, items=()):
        super().__init__(cls._coerce(item) for item in items)
        self._cls = cls

    def add(self, **fields):
        item = self._cls(**fields)
        self.append(item)
        return item


class MessageMap(dict):
    """A map with message values: reading a missing key creates it, as in protobuf."""

    def __init__(self, cls, items=()):
        super().__init__((key, cls._coerce(value)) for key, value in dict(items).items())
        self._cls = cls

    def __missing__(self, key):
        value = self[key] = self._cls()
        return value

    def __setitem__(self, key, value):
        super().__setitem__(key, self._cls._coerce(value))


class Message:
    FIELDS = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields_by_name = {f.name: f for f in cls.FIELDS}
        cls._fields_by_number = {f.number: f for f in cls.FIELDS}
        cls._fields_in_order = sorted(cls.FIELDS, key=lambda f: f.number)
        _MESSAGE_CLASSES[cls.__qualname__] = cls

    def __init__(self, **fields):
        state = self.__dict__
        state["_present"] = set()    # singular message / oneof fields explicitly set
        state["_unknown"] = []       # (field number, encoded bytes) of fields we do not know
        for f in self.FIELDS:
            if f.key is not None or f.repeated or (not f.is_message and f.oneof is None):
                state[f.name] = _empty_value(f)
        for name, value in fields.items():
            setattr(self, name, value)

    @classmethod
    def _coerce(cls, value):
        """Accept a dict of fields wherever a message is expected."""
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls(**value)
        raise TypeError(f"expected {cls.__qualname__} or a dict, got {type(value).__name__}")

    # --- attribute access ----------------------------------------------------------------------

    def __getattr__(self, name):
        f = type(self)._fields_by_name.get(name)
        if f is None:
            raise AttributeError(f"{type(self).__qualname__} has no field {name!r}")
        if f.is_message:    # an unset sub-message reads as an empty one, as in protobuf
            value = self.__dict__[name] = f.kind()
            return value
        return f.default    # an unset oneof scalar

    def __setattr__(self, name, value):
        f = type(self)._fields_by_name.get(name)
        if f is None:
            raise AttributeError(f"{type(self).__qualname__} has no field {name!r}")
        state = self.__dict__
        if f.key is not None:
            value = MessageMap(f.kind, value) if f.is_message else dict(value)
        elif f.repeated:
            value = RepeatedMessages(f.kind, value) if f.is_message else _check_list(f, value)
        elif value is None and (f.is_message or f.oneof):
            self.ClearField(name)
            return
        else:
            value = f.kind._coerce(value) if f.is_message else _check_scalar(f, value)
            if f.oneof is not None:
                for other in self.FIELDS:
                    if other.oneof == f.oneof and other is not f:
                        self.ClearField(other.name)
            if f.is_message or f.oneof is not None:
                state["_present"].add(name)
        state[name] = value

    def HasField(self, name):
        f = type(self)._fields_by_name[name]
        if f.is_message:
            return name in self._present or (name in self.__dict__
                                             and self.__dict__[name].ByteSize() > 0)
        if f.oneof is None:
            raise ValueError(f"proto3 scalar field {name!r} has no presence")
        return name in self._present

    def ClearField(self, name):
        f = type(self)._fields_by_name[name]
        self._present.discard(name)
        if f.repeated or f.key is not None or (not f.is_message and f.oneof is None):
            self.__dict__[name] = _empty_value(f)
        else:
            self.__dict__.pop(name, None)

    def WhichOneof(self, group):
        for f in self._fields_in_order:
            if f.oneof == group and self.HasField(f.name):
                return f.name
        return None

    def CopyFrom(self, other):
        self.ParseFromString(other.SerializeToString())

    def __eq__(self, other):
        return type(other) is type(self) and other.SerializeToString() == self.SerializeToString()

    def __repr__(self):
        from tensorflux.formats import text_format   # text_format builds on this module
        return f"{type(self).__qualname__}<{text_format.message_to_text(self).strip()}>"

    # --- binary encoding -----------------------------------------------------------------------

    def SerializeToString(self, deterministic=True):
        """The wire bytes. Output is always deterministic; the argument is protobuf's."""
        parts = []
        unknown = sorted(self._unknown, key=lambda item: item[0])
        for f in self._fields_in_order:
            while unknown and unknown[0][0] < f.number:
                parts.append(unknown.pop(0)[1])
            if f.key is not None:
                for key in _map_order(f.key, self.__dict__[f.name]):
                    entry = (_encode_value(1, f.key, key)
                             + _encode_value(2, f.kind, self.__dict__[f.name][key]))
                    parts.append(wire.encode_bytes_field(f.number, entry))
            elif f.repeated:
                parts.append(_encode_repeated(f, self.__dict__[f.name]))
            elif f.is_message:
                if f.name in self.__dict__:
                    encoded = self.__dict__[f.name].SerializeToString()
                    if encoded or f.name in self._present:
                        parts.append(wire.encode_bytes_field(f.number, encoded))
            elif f.oneof is not None:
                if f.name in self._present:
                    parts.append(_encode_value(f.number, f.kind, self.__dict__[f.name]))
            else:
                value = self.__dict__[f.name]
                if value != f.default or (f.kind in _FIXED_FORMATS and math.copysign(1, value) < 0):
                    parts.append(_encode_value(f.number, f.kind, value))
        parts.extend(item[1] for item in unknown)
        return b"".join(parts)

    def ByteSize(self):
        return len(self.SerializeToString())

    @classmethod
    def FromString(cls, data):
        message = cls()
        message.MergeFromString(data)
        return message

    def ParseFromString(self, data):
        self.__init__()
        self.MergeFromString(data)

    def MergeFromString(self, data):
        """Parses `data` into this message: repeated fields append, scalars overwrite, singular
        sub-messages merge (the protobuf rules for a field that occurs more than once)."""
        for number, wire_type, value in wire.iter_fields(data):
            f = type(self)._fields_by_number.get(number)
            if f is None:
                self._unknown.append((number, wire.reencode_field(number, wire_type, value)))
            elif f.key is not None:
                key, item = _DEFAULTS.get(f.key, 0), None
                for entry_number, entry_type, entry_value in wire.iter_fields(value):
                    if entry_number == 1:
                        key = _decode_value(f.key, entry_type, entry_value)
                    elif entry_number == 2:
                        item = _decode_value(f.kind, entry_type, entry_value)
                if item is None:
                    item = f.kind() if f.is_message else f.default
                self.__dict__[f.name][key] = item
            elif f.repeated:
                items = self.__dict__[f.name]
                if wire_type == wire.LENGTH_DELIMITED and not f.is_message and f.kind not in (
                        "string", "bytes"):
                    items.extend(_decode_packed(f.kind, value))
                else:
                    items.append(_decode_value(f.kind, wire_type, value))
            elif f.is_message:
                sub = getattr(self, f.name)
                _expect(f.kind, wire_type, wire.LENGTH_DELIMITED)
                sub.MergeFromString(value)
                setattr(self, f.name, sub)   # marks it present and clears its oneof siblings
            else:
                setattr(self, f.name, _decode_value(f.kind, wire_type, value))
        return self


def _map_order(key_kind, keys):
    """Map entries in the order Python protobuf (upb) writes them with deterministic=True, so
    GraphDefs match TF's write_graph byte for byte: string keys ascending, except that a key
    comes before its own prefixes ("Tidx" before "T"); integer keys descending."""
    if key_kind == "string":
        return sorted(keys, key=lambda k: (*k.encode("utf-8"), 256))
    return sorted(keys, key=lambda k: k & 0xFFFFFFFFFFFFFFFF, reverse=True)


def _empty_value(f):
    """What an unset map, repeated field or plain proto3 scalar holds."""
    if f.key is not None:
        return MessageMap(f.kind) if f.is_message else {}
    if f.repeated:
        return RepeatedMessages(f.kind) if f.is_message else []
    return f.default


def _check_list(f, values):
    """_check_scalar for a whole list; numbers go through NumPy at once (lists can be long)."""
    if f.kind in ("float", "double"):
        with np.errstate(over="ignore"):
            return np.asarray(values, dtype=np.float32 if f.kind == "float" else np.float64) \
                .ravel().tolist()
    return [_check_scalar(f, v) for v in values]


def _check_scalar(f, value):
    """Light type normalisation, so `tag=b"x"` and `tag="x"` store the same thing."""
    kind = f.kind
    if kind == "string":
        return value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else str(value)
    if kind == "bytes":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if kind == "bool":
        return bool(value)
    if kind == "float":    # stored as float32, so read back what will be written
        with np.errstate(over="ignore"):
            return float(np.float32(value))
    if kind == "double":
        return float(value)
    return int(value)


def _encode_value(number, kind, value):
    if isinstance(kind, type):
        return wire.encode_bytes_field(number, value.SerializeToString())
    if kind in _VARINT_KINDS:
        return wire.encode_varint_field(number, int(value))
    if kind == "float":
        return wire.encode_float_field(number, value)
    if kind == "double":
        return wire.encode_double_field(number, value)
    if kind == "fixed32":
        return wire.encode_fixed32_field(number, value)
    if kind == "fixed64":
        return wire.encode_fixed64_field(number, value)
    if kind == "string":
        return wire.encode_bytes_field(number, value.encode("utf-8"))
    return wire.encode_bytes_field(number, value)


def _encode_repeated(f, values):
    if not values:
        return b""
    if f.is_message or f.kind in ("string", "bytes"):
        return b"".join(_encode_value(f.number, f.kind, v) for v in values)
    if f.kind in _FIXED_FORMATS:    # proto3 packs repeated numbers
        return wire.encode_packed_fixed(f.number, values, _FIXED_FORMATS[f.kind])
    return wire.encode_packed_varints(f.number, values)


def _expect(kind, wire_type, expected):
    if wire_type != expected:
        name = kind.__qualname__ if isinstance(kind, type) else kind
        raise wire.DecodeError(f"wire type {wire_type} cannot hold a {name} field")


def _decode_value(kind, wire_type, value):
    if isinstance(kind, type):
        _expect(kind, wire_type, wire.LENGTH_DELIMITED)
        return kind.FromString(value)
    if kind in _VARINT_KINDS:
        _expect(kind, wire_type, wire.VARINT)
        return _convert_varint(kind, value)
    if kind in _FIXED_FORMATS:
        _expect(kind, wire_type, _FIXED_WIRE[kind])
        return wire.decode_packed_fixed(value, _FIXED_FORMATS[kind])[0]
    _expect(kind, wire_type, wire.LENGTH_DELIMITED)
    if kind == "string":
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as e:
            raise wire.DecodeError(f"string field is not valid UTF-8: {e}") from None
    return bytes(value)


def _convert_varint(kind, value):
    if kind == "bool":
        return value != 0
    if kind in ("int32", "enum"):
        return wire.to_signed32(value)
    if kind == "int64":
        return wire.to_signed64(value)
    if kind == "uint32":
        return value & 0xFFFFFFFF
    return value


def _decode_packed(kind, data):
    if kind in _FIXED_FORMATS:
        return wire.decode_packed_fixed(data, _FIXED_FORMATS[kind])
    return [_convert_varint(kind, v) for v in wire.decode_packed_varints(data)]
