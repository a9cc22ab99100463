"""tf.graph_util: GraphDef surgery for deployment — extracting the part of a graph some
outputs need, and freezing variables into constants."""
import numpy as np

from tensorflux.formats import protos
from tensorflux.framework import graph_io

_VARIABLE_OPS = ("VariableV2", "Variable")


def _node_name(name):
    """The node name of an input or tensor name: "^x", "x:1" and "x" are all "x"."""
    name = name[1:] if name.startswith("^") else name
    op_name, sep, index = name.rpartition(":")
    return op_name if sep and index.isdigit() else name


def _copy(graph_def):
    return protos.GraphDef.FromString(graph_io.as_graph_def_proto(graph_def).SerializeToString())


def extract_sub_graph(graph_def, dest_nodes):
    """The nodes `dest_nodes` (names) need, with their data and control inputs, in the
    GraphDef's order. TypeError if graph_def is not a GraphDef; AssertionError naming a
    destination that is not in it (as TF)."""
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be a list of node names.")
    graph_def = graph_io.as_graph_def_proto(graph_def)
    by_name = {node.name: node for node in graph_def.node}
    for name in dest_nodes:
        assert _node_name(name) in by_name, f"{name} is not in graph"
    keep = set()
    stack = [_node_name(name) for name in dest_nodes]
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        stack.extend(_node_name(i) for i in by_name[name].input if _node_name(i) in by_name)
    out = _copy(graph_def)
    del out.node[:]
    for node in graph_def.node:
        if node.name in keep:
            out.node.append(protos.NodeDef.FromString(node.SerializeToString()))
    return out


def remove_training_nodes(input_graph, protected_nodes=None):
    """The GraphDef without Identity and CheckNumerics nodes (their consumers read the
    nodes' inputs instead), except protected ones and those with control inputs."""
    protected = set(protected_nodes or [])
    graph_def = graph_io.as_graph_def_proto(input_graph)
    removable = {}
    for node in graph_def.node:
        if node.op in ("Identity", "CheckNumerics") and node.name not in protected and \
                not any(i.startswith("^") for i in node.input) and node.input:
            removable[node.name] = node.input[0]

    def resolve(name):
        control = name.startswith("^")
        seen = set()
        while _node_name(name) in removable and _node_name(name) not in seen:
            seen.add(_node_name(name))
            name = removable[_node_name(name)]
        return ("^" + _node_name(name)) if control else name
    out = _copy(graph_def)
    del out.node[:]
    for node in graph_def.node:
        if node.name in removable:
            continue
        node = protos.NodeDef.FromString(node.SerializeToString())
        node.input = [resolve(name) for name in node.input]
        out.node.append(node)
    return out


def convert_variables_to_constants(sess, input_graph_def, output_node_names,
                                   variable_names_whitelist=None,
                                   variable_names_blacklist=None):
    """A GraphDef computing `output_node_names` with every variable they use replaced by a
    Const holding its current value in `sess` ("freezing" a model for deployment).

    Nodes the outputs do not need (initializers, savers, training ops) are dropped.
    whitelist / blacklist: only / all but these variable names are converted.
    """
    graph = extract_sub_graph(input_graph_def, output_node_names)
    variables = [node.name for node in graph.node if node.op in _VARIABLE_OPS
                 and (variable_names_whitelist is None or node.name in variable_names_whitelist)
                 and (variable_names_blacklist is None
                      or node.name not in variable_names_blacklist)]
    values = dict(zip(variables, sess.run([f"{name}:0" for name in variables]))) \
        if variables else {}
    out = _copy(graph)
    del out.node[:]
    for node in graph.node:
        if node.name in values:
            dtype = node.attr["dtype"]
            value = np.asarray(values[node.name])
            const = protos.NodeDef(name=node.name, op="Const", device=node.device)
            const.attr["dtype"] = protos.AttrValue(type=dtype.type)
            const.attr["value"] = protos.AttrValue(
                tensor=protos.make_tensor_proto(value, dtype.type))
            out.node.append(const)
        else:
            out.node.append(protos.NodeDef.FromString(node.SerializeToString()))
    return out


def must_run_on_cpu(node, pin_variables_on_cpu=False):
    """Whether a node has to be on the CPU: string ops, and variables when asked."""
    if isinstance(node, protos.NodeDef):
        op_type, attrs = node.op, {k: v for k, v in node.attr.items()}
        dtype = attrs.get("T") or attrs.get("dtype")
        is_string = dtype is not None and dtype.type == protos.DT_STRING
    else:
        op_type = node.type
        is_string = any(t.dtype.base_dtype.name == "string" for t in node.outputs)
    return is_string or (pin_variables_on_cpu and op_type in _VARIABLE_OPS)


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of the tensor `input_name` ("x" means "x:0") of `graph`."""
    if ":" not in input_name:
        input_name += ":0"
    return graph.get_tensor_by_name(input_name).get_shape()


__all__ = ["convert_variables_to_constants", "extract_sub_graph", "remove_training_nodes",
           "must_run_on_cpu", "tensor_shape_from_node_def_name"]
