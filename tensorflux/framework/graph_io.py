"""Graphs as GraphDef protocol buffers: export (`Graph.as_graph_def`, `write_graph`) and import
(`import_graph_def`), with TF's node, input and attr encodings (FORMATS.md section 6).

In the graph, op attrs hold Python values (DType, TensorShape, NumPy arrays for a Const's
`value`, str, int, float, bool and lists of them); in a GraphDef they are AttrValue messages.
Import decodes them back and builds every node through the op registry, so each op's shape
function recomputes its outputs exactly as if the program had built it.
"""
import heapq
import logging
import os
import uuid

import numpy as np

from tensorflux.formats import protos, text_format, wire
from tensorflux.framework import dtypes, errors, registry
from tensorflux.framework.graph import Operation, Tensor, get_default_graph
from tensorflux.framework.shapes import TensorShape

# The producer version written into GraphDef.versions: TF 1.15's graph version.
GRAPH_DEF_VERSION = 134

# Attrs the graph keeps elsewhere (colocation) or recomputes (shapes) instead of in op.attrs.
_OUTPUT_SHAPES = "_output_shapes"
_COLOCATION = "_class"
_COLOCATION_PREFIX = "loc:@"

_logger = logging.getLogger("tensorflux")


class UnknownOpError(errors.NotFoundError, ValueError):
    """A GraphDef names an op type tensorflux does not have: NotFoundError, as TF's runtime,
    and ValueError, as TF1's import_graph_def."""


# ----------------------------------------------------------------------------------------------
# Attr values: Python <-> AttrValue

def shape_proto(shape):
    """TensorShapeProto of a TensorShape (unknown rank and unknown dimensions included)."""
    shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
    return protos.as_shape_proto(None if shape.ndims is None else shape.as_list())


def shape_from_proto(proto):
    return TensorShape(protos.shape_from_proto(proto))


def tensor_proto(value, dtype=None):
    """TensorProto of an array; `dtype` (a DType) overrides the one NumPy's dtype implies,
    which matters for quantized types stored as plain integers."""
    array = np.asarray(value)
    enum = dtype.base_dtype.as_datatype_enum if dtype is not None else \
        protos.dtype_enum_for_numpy(array.dtype)
    return protos.make_tensor_proto(array, enum)


def _list_value(values):
    """AttrValue.ListValue of a homogeneous Python list (empty lists stay empty)."""
    out = protos.AttrValue.ListValue()
    if not values:
        return out
    first = values[0]
    if isinstance(first, dtypes.DType):
        out.type = [v.as_datatype_enum for v in values]
    elif isinstance(first, TensorShape):
        out.shape = [shape_proto(v) for v in values]
    elif isinstance(first, np.ndarray):
        out.tensor = [tensor_proto(v) for v in values]
    elif isinstance(first, (str, bytes)):
        out.s = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in values]
    elif isinstance(first, (bool, np.bool_)):
        out.b = [bool(v) for v in values]
    elif all(isinstance(v, (int, np.integer)) for v in values):
        out.i = [int(v) for v in values]
    elif all(isinstance(v, (int, float, np.integer, np.floating)) for v in values):
        out.f = [float(v) for v in values]
    else:
        return None
    return out


def attr_value(value, key=None):
    """The AttrValue of one Python attr value, or None for values a GraphDef cannot hold
    (Python objects such as a tf.data pipeline's datasets)."""
    if isinstance(value, protos.AttrValue):
        return value
    if isinstance(value, dtypes.DType):
        return protos.AttrValue(type=value.as_datatype_enum)
    if isinstance(value, TensorShape):
        return protos.AttrValue(shape=shape_proto(value))
    if isinstance(value, np.ndarray):
        return protos.AttrValue(tensor=tensor_proto(value))
    if isinstance(value, (bool, np.bool_)):
        return protos.AttrValue(b=bool(value))
    if isinstance(value, (int, np.integer)):
        return protos.AttrValue(i=int(value))
    if isinstance(value, (float, np.floating)):
        return protos.AttrValue(f=float(value))
    if isinstance(value, str):
        return protos.AttrValue(s=value.encode("utf-8"))
    if isinstance(value, bytes):
        return protos.AttrValue(s=value)
    if isinstance(value, (list, tuple)):
        items = _list_value(list(value))
        return None if items is None else protos.AttrValue(list=items)
    if value is None and key == "shape":     # a placeholder of unknown shape
        return protos.AttrValue(shape=protos.TensorShapeProto(unknown_rank=True))
    return None


def _python_string(data):
    """Attr strings are text in the graph (padding, data_format, names); other bytes stay bytes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def attr_python_value(value):
    """The Python value an AttrValue stands for (the inverse of attr_value)."""
    kind = value.WhichOneof("value")
    if kind == "list":
        items = value.list
        if items.type:
            return [dtypes.as_dtype(t) for t in items.type]
        if items.shape:
            return [shape_from_proto(s) for s in items.shape]
        if items.tensor:
            return [protos.make_ndarray(t) for t in items.tensor]
        if items.s:
            return [_python_string(s) for s in items.s]
        if items.f:
            return list(items.f)
        if items.b:
            return list(items.b)
        if items.func:
            return [f.name for f in items.func]
        return list(items.i)
    if kind == "s":
        return _python_string(value.s)
    if kind == "type":
        return dtypes.as_dtype(value.type)
    if kind == "shape":
        return shape_from_proto(value.shape)
    if kind == "tensor":
        return protos.make_ndarray(value.tensor)
    if kind == "func":
        return value.func.name
    if kind is None:
        return None
    return getattr(value, kind)


# ----------------------------------------------------------------------------------------------
# Export

def node_def(op, add_shapes=False):
    """The NodeDef of one operation."""
    node = protos.NodeDef(name=op.name, op=op.type, device=op.device or "")
    node.input = [t._as_node_def_input() for t in op.inputs] + \
        ["^" + c.name for c in op.control_inputs]
    for key, value in op._attrs.items():
        if key == "value" and op.type == "Const":
            encoded = protos.AttrValue(tensor=tensor_proto(value, op._attrs["dtype"]))
        else:
            encoded = attr_value(value, key)
        if encoded is None:
            _logger.debug("attr %s of %s (%s) has no GraphDef encoding; left out",
                          key, op.name, type(value).__name__)
            continue
        node.attr[key] = encoded
    if op._colocation and op._colocation != [op.name]:
        node.attr[_COLOCATION] = protos.AttrValue(list=protos.AttrValue.ListValue(
            s=[(_COLOCATION_PREFIX + name).encode("utf-8") for name in op._colocation]))
    if add_shapes and op.outputs:
        node.attr[_OUTPUT_SHAPES] = protos.AttrValue(list=protos.AttrValue.ListValue(
            shape=[shape_proto(t.shape) for t in op.outputs]))
    return node


def graph_to_graph_def(graph, from_version=None, add_shapes=False):
    """The GraphDef of `graph`: its nodes in creation order (Graph.as_graph_def).

    from_version: only the operations created after the graph had that many operations.
    add_shapes: also write each node's static output shapes as the `_output_shapes` attr,
    which TensorBoard draws on the graph's edges.
    """
    graph_def = protos.GraphDef(versions=protos.VersionDef(producer=GRAPH_DEF_VERSION))
    for op in graph.get_operations():
        if from_version is not None and op._id < from_version:
            continue
        graph_def.node.append(node_def(op, add_shapes))
    return graph_def


def as_graph_def_proto(graph_def, what="graph_def"):
    """A protos.GraphDef from ours, its bytes, or another protobuf GraphDef (real TF's)."""
    if isinstance(graph_def, protos.GraphDef):
        return graph_def
    if isinstance(graph_def, (bytes, bytearray)):
        return protos.GraphDef.FromString(graph_def)
    serialize = getattr(graph_def, "SerializeToString", None)
    if serialize is not None and type(graph_def).__name__ == "GraphDef":
        return protos.GraphDef.FromString(serialize())
    raise TypeError(f"{what} must be a GraphDef proto, got {type(graph_def).__name__}")


def atomic_write(path, data):
    """Writes `data` to `path` through a temporary file renamed into place."""
    temp = f"{path}.tmp{uuid.uuid4().hex}"
    try:
        with open(temp, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.remove(temp)
        except OSError:
            pass
        raise


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """Writes a graph (or a GraphDef, or any message such as a MetaGraphDef) to logdir/name.

    as_text: protobuf text format (.pbtxt) when True, binary (.pb) otherwise. The directory is
    created if needed and the file is replaced atomically. Returns the file's path.
    """
    from tensorflux.framework.graph import Graph
    if isinstance(graph_or_graph_def, Graph):
        message = graph_or_graph_def.as_graph_def()
    elif hasattr(graph_or_graph_def, "_fields_in_order"):
        message = graph_or_graph_def
    else:
        message = as_graph_def_proto(graph_or_graph_def, "graph_or_graph_def")
    logdir = os.fspath(logdir)
    if logdir:
        os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    data = text_format.message_to_text(message).encode("utf-8") if as_text \
        else message.SerializeToString()
    atomic_write(path, data)
    return path


# ----------------------------------------------------------------------------------------------
# Import

def _split_input(name):
    """(op name, output index, is_control) of a NodeDef input string."""
    if name.startswith("^"):
        return name[1:], -1, True
    op_name, sep, index = name.rpartition(":")
    if sep and index.isdigit():
        return op_name, int(index), False
    return name, 0, False


def _tensor_key(name):
    """The canonical input_map key: "x" and "x:0" are the same tensor; "^x" stays itself."""
    if name.startswith("^"):
        return name
    op_name, index, _ = _split_input(name)
    return f"{op_name}:{index}"


def _import_order(nodes, mapped):
    """Node indices with every node after the nodes its inputs come from (file order kept
    where free); ValueError for unknown inputs and cycles."""
    index_of = {}
    for i, node in enumerate(nodes):
        if node.name in index_of:
            raise ValueError(f"GraphDef has two nodes named '{node.name}'")
        index_of[node.name] = i
    waiting = [0] * len(nodes)
    users = [[] for _ in nodes]
    for i, node in enumerate(nodes):
        for name in node.input:
            if _tensor_key(name) in mapped:
                continue
            source, _, _ = _split_input(name)
            if source not in index_of:
                raise ValueError(f"Node '{node.name}': Unknown input node '{name}'")
            waiting[i] += 1
            users[index_of[source]].append(i)
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for user in users[i]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    if len(order) != len(nodes):
        stuck = [nodes[i].name for i, n in enumerate(waiting) if n > 0]
        raise ValueError("GraphDef is not a DAG (tensorflux has no while loops); nodes in a "
                         f"cycle or after one: {', '.join(stuck[:5])}")
    return order


def _check_input_map(input_map):
    mapped = {}
    for key, value in (input_map or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"input_map keys must be strings, got {key!r}")
        key = _tensor_key(key)
        value = getattr(value, "_as_graph_element", lambda: value)()
        if key.startswith("^"):
            if not isinstance(value, Operation):
                raise ValueError(f"input_map entry {key} must map to an Operation")
        elif not isinstance(value, Tensor):
            raise ValueError(f"input_map entry {key} must map to a Tensor, got {value!r}")
        mapped[key] = value
    return mapped


def _decoded_attrs(node):
    attrs = {}
    for key, value in node.attr.items():
        if key in (_OUTPUT_SHAPES, _COLOCATION):
            continue
        attrs[key] = attr_python_value(value)
    return attrs


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None,
                     producer_op_list=None):
    """Adds the nodes of `graph_def` to the default graph (tf.import_graph_def).

    Names get the prefix `name` ("import" when None, none when ""), made unique like a name
    scope. input_map: {"name:k" or "^name": Tensor or Operation} replaces those inputs with
    tensors of this graph. return_elements: names of tensors ("x:0") or operations ("x") of
    the GraphDef to return. Raises ValueError (and NotFoundError) naming an op type tensorflux
    does not have, ValueError for inputs that do not exist and input_map keys not used.
    """
    del op_dict, producer_op_list   # TF's hooks for op definitions; ours come from the registry
    graph_def = as_graph_def_proto(graph_def)
    graph = get_default_graph()
    mapped = _check_input_map(input_map)
    for node in graph_def.node:
        try:
            registry.get_op_def(node.op)
        except LookupError:
            raise UnknownOpError(None, None, f"Node '{node.name}' uses op type '{node.op}', "
                                 "which tensorflux does not have (Op type not registered "
                                 f"'{node.op}')") from None
    nodes = list(graph_def.node)
    order = _import_order(nodes, mapped)
    used = set()
    created = {}
    with graph.name_scope("import" if name is None else name) as scope:
        for i in order:
            node = nodes[i]
            inputs, controls = [], []
            for text in node.input:
                key = _tensor_key(text)
                if key in mapped:
                    used.add(key)
                    (controls if key.startswith("^") else inputs).append(mapped[key])
                    continue
                source, index, control = _split_input(text)
                op = created[source]
                if control:
                    controls.append(op)
                elif index >= len(op.outputs):
                    raise ValueError(f"Node '{node.name}': input '{text}' names output {index} "
                                     f"of '{source}', which has {len(op.outputs)} outputs")
                else:
                    inputs.append(op.outputs[index])
            try:
                op = graph.create_op(node.op, inputs, _decoded_attrs(node),
                                     scope + node.name + "/", controls)
            except KeyError as e:
                raise ValueError(f"Node '{node.name}' ({node.op}) lacks attr {e}, which "
                                 "tensorflux needs to build it") from None
            if node.device:
                op._set_device(node.device)
            if _COLOCATION in node.attr:
                op._colocation = [scope + s[len(_COLOCATION_PREFIX):]
                                  for s in attr_python_value(node.attr[_COLOCATION])
                                  if isinstance(s, str) and s.startswith(_COLOCATION_PREFIX)]
            created[node.name] = op
    unused = sorted(set(mapped) - used)
    if unused:
        raise ValueError("Attempted to map inputs that were not found in graph_def: "
                         f"[{', '.join(unused)}]")
    if return_elements is None:
        return None
    results = []
    for element in return_elements:
        source, index, _ = _split_input(element)
        if source not in created:
            raise ValueError(f"Requested return_element '{element}' not found in graph_def.")
        op = created[source]
        if ":" in element:
            if index >= len(op.outputs):
                raise ValueError(f"Requested return_element '{element}' not found in graph_def.")
            results.append(op.outputs[index])
        else:
            results.append(op)
    return results


def parse_graph_def_file(path):
    """A GraphDef from a .pb (binary) or .pbtxt (text) file."""
    with open(path, "rb") as f:
        data = f.read()
    return parse_message(data, protos.GraphDef, path)


def parse_message(data, message_class, what="data"):
    """A message from binary or text-format bytes. Text is tried first when the data starts
    like text (a letter or '#'; a binary message starts with a field key such as 0x0a)."""
    head = bytes(data[:1])
    textual_first = head.isalpha() or head == b"#"
    attempts = ("text", "binary") if textual_first else ("binary", "text")
    failures = []
    for kind in attempts:
        try:
            if kind == "binary":
                return message_class.FromString(data)
            return text_format.parse_text(data.decode("utf-8"), message_class)
        except (wire.DecodeError, UnicodeDecodeError, text_format.ParseError) as e:
            failures.append(f"as {kind}: {e}")
    raise errors.DataLossError(None, None, f"{what} is not a valid {message_class.__name__} "
                               f"({'; '.join(failures)})")
