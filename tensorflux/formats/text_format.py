"""Protocol-buffer text format (.pbtxt, the `checkpoint` file) for formats.message classes.

The writer reproduces protobuf's `text_format.MessageToString` line for line: fields in number
order, `name: value` or `name {` ... `}` with two-space indents, map entries sorted by key, enums
by name, floats in the shortest form that reads back to the same float32. TensorBoard's
browser-side pbtxt reader works line by line, so the layout matters, not only the meaning.
The parser accepts the usual variations: `<...>` braces, `[a, b]` lists, `,`/`;` separators,
`#` comments, adjacent strings concatenated, enum numbers in place of names.
"""
import re

import numpy as np

# Bytes that need an escape in a quoted string; every other byte below 0x80 is written as is.
_ESCAPES = {i: "\\%03o" % i for i in range(32)}
_ESCAPES.update({0x7F: "\\177", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
                 ord('"'): '\\"', ord("'"): "\\'", ord("\\"): "\\\\"})
_BYTE_ESCAPES = {**_ESCAPES, **{i: "\\%03o" % i for i in range(128, 256)}}


class ParseError(ValueError):
    """Text that is not a valid text-format message of the expected type."""


# ----------------------------------------------------------------------------------------------
# Writing

def message_to_text(message):
    """The text format of `message`, as protobuf's MessageToString writes it."""
    lines = []
    _write_message(message, 0, lines)
    return "".join(lines)


def _write_message(message, indent, lines):
    pad = " " * indent
    for f in message._fields_in_order:
        if f.key is not None:
            mapping = getattr(message, f.name)
            for key in sorted(mapping):
                # An entry is a small message {key, value}; defaults are left out as usual.
                lines.append(f"{pad}{f.name} {{\n")
                if key:
                    lines.append(f"{pad}  key: {_format_scalar(f.key, None, key)}\n")
                if f.is_message or mapping[key] != f.default:
                    _write_field(f, "value", mapping[key], indent + 2, lines)
                lines.append(f"{pad}}}\n")
        elif f.repeated:
            for value in getattr(message, f.name):
                _write_field(f, f.name, value, indent, lines)
        elif f.is_message or f.oneof is not None:
            if message.HasField(f.name):
                _write_field(f, f.name, getattr(message, f.name), indent, lines)
        else:
            value = getattr(message, f.name)
            if value != f.default or (isinstance(value, float) and np.signbit(value)):
                _write_field(f, f.name, value, indent, lines)


def _write_field(f, name, value, indent, lines):
    pad = " " * indent
    if f.is_message:
        lines.append(f"{pad}{name} {{\n")
        _write_message(value, indent + 2, lines)
        lines.append(f"{pad}}}\n")
    else:
        lines.append(f"{pad}{name}: {_format_scalar(f.kind, f.enum, value)}\n")


def _format_scalar(kind, enum_names, value):
    if kind == "enum":
        return enum_names.get(value, str(value)) if enum_names else str(value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "string":
        return '"' + "".join(_ESCAPES.get(ord(c), c) if ord(c) < 128 else c for c in value) + '"'
    if kind == "bytes":
        return '"' + escape_bytes(value) + '"'
    if kind == "float":
        return _shortest_float32(value)
    return str(value)     # ints, and doubles via Python's shortest round-trip repr


def escape_bytes(value):
    """`value` as C-escaped text (octal escapes for non-printable bytes), as TF's error
    messages and the text format show bytes."""
    return "".join(_BYTE_ESCAPES.get(b, chr(b)) for b in value)


def _shortest_float32(value):
    """Fewest significant digits (at least 6) that read back as the same float32."""
    if value != value:
        return "nan"
    target = np.float32(value)
    for precision in range(6, 18):
        rounded = float(f"{value:.{precision}g}")
        if np.float32(rounded) == target:
            return str(rounded)
    return str(float(value))


# ----------------------------------------------------------------------------------------------
# Parsing

_TOKEN = re.compile(r"""
    (?P<skip>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>-?(?:inf(?:inity)?|nan)(?![\w.])
               |[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fF]?))
  | (?P<ident>[A-Za-z_][\w.]*)
  | (?P<punct>[{}<>:\[\],;])
""", re.VERBOSE | re.IGNORECASE)

_SIMPLE_UNESCAPES = {"n": 10, "t": 9, "r": 13, '"': 34, "'": 39, "\\": 92, "a": 7, "b": 8,
                     "f": 12, "v": 11, "?": 63}
_UNESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{4})"
                       r"|U([0-9a-fA-F]{8})|(.))", re.DOTALL)


def _tokenize(text):
    """(kind, text, offset) for each token; offsets give line numbers for error messages."""
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            line = text.count("\n", 0, pos) + 1
            raise ParseError(f"line {line}: unexpected character {text[pos]!r}")
        if match.lastgroup != "skip":
            tokens.append((match.lastgroup, match.group(), pos))
        pos = match.end()
    return tokens


def _unescape(quoted):
    """The bytes of a quoted text-format string, C escapes resolved."""
    body = quoted[1:-1]
    out, pos = bytearray(), 0
    for match in _UNESCAPE.finditer(body):
        out += body[pos:match.start()].encode("utf-8")
        octal, hex2, uni4, uni8, simple = match.groups()
        if octal or hex2:
            out.append(int(octal, 8) & 0xFF if octal else int(hex2, 16))
        elif uni4 or uni8:
            out += chr(int(uni4 or uni8, 16)).encode("utf-8")
        elif simple in _SIMPLE_UNESCAPES:
            out.append(_SIMPLE_UNESCAPES[simple])
        else:
            raise ParseError(f"invalid escape \\{simple} in {quoted}")
        pos = match.end()
    out += body[pos:].encode("utf-8")
    return bytes(out)


class _Parser:
    def __init__(self, text):
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def next(self, what="a token"):
        if self.pos >= len(self.tokens):
            raise ParseError(f"unexpected end of text; expected {what}")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def fail(self, message):
        offset = self.tokens[min(self.pos, len(self.tokens)) - 1][2] if self.tokens else 0
        raise ParseError(f"line {self.text.count(chr(10), 0, offset) + 1}: {message}")

    def accept(self, punct):
        if self.peek() == punct:
            self.pos += 1
            return True
        return False

    def parse_message(self, message, closing):
        while not (self.peek() == closing if closing else self.pos >= len(self.tokens)):
            kind, name, _ = self.next("a field name or " + (closing or "end of text"))
            f = type(message)._fields_by_name.get(name) if kind == "ident" else None
            if f is None:
                self.fail(f"{type(message).__qualname__} has no field named {name!r}")
            self.accept(":")
            if self.accept("["):
                while not self.accept("]"):
                    self.parse_field_value(message, f)
                    self.accept(",")
            else:
                self.parse_field_value(message, f)
            if not self.accept(","):
                self.accept(";")
        if closing:
            self.next(closing)
        return message

    def parse_field_value(self, message, f):
        if f.key is not None:
            entry = self.parse_map_entry(f)
            getattr(message, f.name)[entry[0]] = entry[1]
        elif f.is_message:
            opening = self.next("{")[1]
            if opening not in "{<":
                self.fail(f"expected '{{' after {f.name}")
            target = f.kind() if f.repeated else getattr(message, f.name)
            self.parse_message(target, "}" if opening == "{" else ">")
            if f.repeated:
                getattr(message, f.name).append(target)
            else:
                setattr(message, f.name, target)
        elif f.repeated:
            getattr(message, f.name).append(self.parse_scalar(f.kind, f.enum))
        else:
            setattr(message, f.name, self.parse_scalar(f.kind, f.enum))

    def parse_map_entry(self, f):
        opening = self.next("{")[1]
        closing = "}" if opening == "{" else ">"
        key = value = None
        while not self.accept(closing):
            name = self.next("key or value")[1]
            self.accept(":")
            if name == "key":
                key = self.parse_scalar(f.key, None)
            elif name == "value" and f.is_message:
                value = f.kind()
                brace = self.next("{")[1]
                self.parse_message(value, "}" if brace == "{" else ">")
            elif name == "value":
                value = self.parse_scalar(f.kind, f.enum)
            else:
                self.fail(f"map entry of {f.name} has no field {name!r}")
            self.accept(",") or self.accept(";")
        if key is None:
            key = "" if f.key == "string" else 0
        if value is None:
            value = f.kind() if f.is_message else f.default
        return key, value

    def parse_scalar(self, kind, enum_names):
        token_kind, text, _ = self.next("a value")
        if kind in ("string", "bytes"):
            if token_kind != "string":
                self.fail(f"expected a quoted string, got {text!r}")
            data = _unescape(text)
            while self.pos < len(self.tokens) and self.tokens[self.pos][0] == "string":
                data += _unescape(self.next()[1])     # "abc" "def" is one string
            try:
                return data.decode("utf-8") if kind == "string" else data
            except UnicodeDecodeError:
                self.fail(f"string {text} is not valid UTF-8")
        if kind == "enum" and token_kind == "ident":
            for number, name in (enum_names or {}).items():
                if name == text:
                    return number
            self.fail(f"unknown enum value {text!r}")
        if kind == "bool":
            if text in ("true", "True", "t", "1"):
                return True
            if text in ("false", "False", "f", "0"):
                return False
            self.fail(f"expected true or false, got {text!r}")
        try:
            if kind in ("float", "double"):
                if text[-1] in "fF" and "inf" not in text.lower():
                    text = text[:-1]          # C-style suffix: 1.5f
                return float(text)
            return int(text, 0)
        except ValueError:
            self.fail(f"expected a {kind}, got {text!r}")


def parse_text(text, message_class):
    """A new `message_class` message from its text format; raises ParseError."""
    return merge_text(text, message_class())


def merge_text(text, message):
    """Parses text-format `text` into `message` and returns it; raises ParseError."""
    return _Parser(text).parse_message(message, None)
