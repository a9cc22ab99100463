"""DeviceSpec: parse and merge TF device strings ('/job:worker/task:1/device:GPU:0', '/gpu:0')."""
import re

_FIELD = re.compile(r"^(job|replica|task|device|cpu|gpu|mlu|xla_cpu|xla_gpu|tpu)(?::(.*))?$", re.I)


class DeviceSpec:
    __slots__ = ("job", "replica", "task", "device_type", "device_index")

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = None if replica is None else int(replica)
        self.task = None if task is None else int(task)
        self.device_type = None if device_type is None else device_type.upper()
        self.device_index = device_index

    @classmethod
    def from_string(cls, spec):
        spec = spec or ""
        parsed = cls()
        for part in spec.split("/"):
            if not part:
                continue
            match = _FIELD.match(part)
            if not match:
                raise ValueError(f"Unknown attribute: '{part}' in '{spec}'")
            key, value = match.group(1).lower(), match.group(2)
            if key == "job":
                parsed.job = value
            elif key in ("replica", "task"):
                setattr(parsed, key, int(value))
            elif key == "device":
                kind, _, index = (value or "").partition(":")
                parsed.device_type = kind.upper() or None
                parsed.device_index = _index(index, spec)
            else:
                parsed.device_type = key.upper()
                parsed.device_index = _index(value or "", spec)
        return parsed

    def merge_from(self, other):
        """Fields set in `other` override this spec's."""
        for field in self.__slots__:
            value = getattr(other, field)
            if value is not None:
                setattr(self, field, value)

    def make_merged(self, inner):
        merged = DeviceSpec(self.job, self.replica, self.task, self.device_type, self.device_index)
        merged.merge_from(inner)
        return merged

    def to_string(self):
        parts = []
        if self.job is not None:
            parts.append(f"/job:{self.job}")
        if self.replica is not None:
            parts.append(f"/replica:{self.replica}")
        if self.task is not None:
            parts.append(f"/task:{self.task}")
        if self.device_type is not None:
            index = "*" if self.device_index is None else self.device_index
            parts.append(f"/device:{self.device_type}:{index}")
        return "".join(parts)

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())

    def __repr__(self):
        return f"DeviceSpec({self.to_string()!r})"


def _index(text, spec):
    if text in ("", "*"):
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"Invalid device index '{text}' in '{spec}'") from None


def canonical(spec):
    """The canonical string of a device spec string, e.g. '/cpu:0' -> '/device:CPU:0'."""
    if not spec:
        return ""
    return DeviceSpec.from_string(spec).to_string()
