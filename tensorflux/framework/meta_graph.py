"""MetaGraphDef: a GraphDef plus the graph's collections and a Saver's SaverDef (`.meta` files).

Collections are stored as TF stores them: variables as serialized VariableDef messages (so
a program that imports the meta graph gets Variable objects back in tf.global_variables()),
the objects of collections with registered proto functions (queue runners) as their
serialized messages, tensors and operations as node names, and plain strings and numbers as
lists. Objects that have no such form (cond contexts, Python callables) are left out, with a
log message.
"""
import logging
import os
import sys

from tensorflux.formats import protos
from tensorflux.framework import graph_io
from tensorflux.framework.graph import Operation, Tensor, get_default_graph

_logger = logging.getLogger("tensorflux")

# Collections TF fills with VariableDef messages.
VARIABLE_COLLECTIONS = frozenset((
    "variables", "trainable_variables", "local_variables", "model_variables",
    "moving_average_variables", "global_step", "metric_variables"))
# Collections of other serialized messages tensorflux cannot rebuild objects from.
_UNSUPPORTED_PROTO_COLLECTIONS = frozenset((
    "cond_context", "while_context", "savers", "saveable_objects"))

# collection name -> (message class, to_proto(item, export_scope), from_proto(message,
# import_scope)): how the objects of a collection travel in a MetaGraphDef's bytes_list.
_proto_functions = {}
_registered_at = {}


def register_proto_function(collection_name, proto_type=None, to_proto=None, from_proto=None):
    """Registers how the items of `collection_name` are written to and read back from a
    MetaGraphDef (TF's ops.register_proto_function): `to_proto(item, export_scope=...)` gives a
    `proto_type` message or None to leave the item out; `from_proto(message,
    import_scope=...)` rebuilds the item in the default graph. A collection is registered
    once."""
    frame = sys._getframe(1)
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    if collection_name in _proto_functions:
        raise KeyError(f"Proto functions of collection {collection_name!r} registered twice: "
                       f"at {_registered_at[collection_name]} and {where}")
    _proto_functions[collection_name] = (proto_type, to_proto, from_proto)
    _registered_at[collection_name] = where


def get_collection_proto_type(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[0]


def get_to_proto_function(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[1]


def get_from_proto_function(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[2]


def _is_variable(item):
    return hasattr(item, "_variable") and hasattr(item, "initializer")


def in_name_scope(name, scope):
    """Whether `name` ("^" allowed) lies under `scope` (every name does when scope is empty)."""
    return not scope or name.lstrip("^").startswith(scope + "/")


def strip_name_scope(name, scope):
    """A name relative to `scope` ("^" kept); names outside it are returned unchanged."""
    if not scope:
        return name
    control = name.startswith("^")
    bare = name[1:] if control else name
    if bare.startswith(scope + "/"):
        bare = bare[len(scope) + 1:]
    return ("^" if control else "") + bare


def prepend_name_scope(name, scope):
    """`name` under `scope` ("^" kept); the inverse of strip_name_scope."""
    if not scope or not name:
        return name
    return ("^" + scope + "/" + name[1:]) if name.startswith("^") else f"{scope}/{name}"


def variable_def(variable, export_scope=None):
    """The VariableDef of a tf.Variable (names relative to export_scope)."""
    def rel(item):
        return strip_name_scope(item.name, export_scope) if item is not None else ""
    return protos.VariableDef(
        variable_name=rel(variable._variable), initializer_name=rel(variable.initializer),
        snapshot_name=rel(variable.value()), initial_value_name=rel(variable.initial_value),
        trainable=bool(variable.trainable), is_resource=False)


def _collection_def(key, items, export_scope):
    """The CollectionDef of one collection, or None when its items have no serialized form."""
    items = [item for item in items
             if not hasattr(item, "name") or in_name_scope(item.name, export_scope)]
    if not items:
        return None
    to_proto = get_to_proto_function(key)
    if to_proto is not None:
        messages = [to_proto(item, export_scope=export_scope) for item in items]
        values = [m.SerializeToString() for m in messages if m is not None]
        return protos.CollectionDef(bytes_list=protos.CollectionDef.BytesList(
            value=values)) if values else None
    if all(_is_variable(item) for item in items):
        return protos.CollectionDef(bytes_list=protos.CollectionDef.BytesList(
            value=[variable_def(v, export_scope).SerializeToString() for v in items]))
    if all(isinstance(item, (Tensor, Operation)) for item in items):
        return protos.CollectionDef(node_list=protos.CollectionDef.NodeList(
            value=[strip_name_scope(item.name, export_scope) for item in items]))
    if all(isinstance(item, (str, bytes)) for item in items):
        return protos.CollectionDef(bytes_list=protos.CollectionDef.BytesList(
            value=[item.encode("utf-8") if isinstance(item, str) else item for item in items]))
    if all(isinstance(item, int) and not isinstance(item, bool) for item in items):
        return protos.CollectionDef(int64_list=protos.CollectionDef.Int64List(value=items))
    if all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in items):
        return protos.CollectionDef(float_list=protos.CollectionDef.FloatList(value=items))
    _logger.info("Collection %r holds %s objects, which a MetaGraphDef cannot store; left out",
                 key, type(items[0]).__name__)
    return None


def _scoped_graph_def(graph_def, export_scope, clear_devices):
    if not export_scope and not clear_devices:
        return graph_def
    out = protos.GraphDef.FromString(graph_def.SerializeToString())
    del out.node[:]
    for node in graph_def.node:
        if not in_name_scope(node.name, export_scope):
            continue
        node = protos.NodeDef.FromString(node.SerializeToString())
        node.name = strip_name_scope(node.name, export_scope)
        node.input = [strip_name_scope(name, export_scope) for name in node.input]
        if clear_devices:
            node.device = ""
        if "_class" in node.attr:
            values = node.attr["_class"].list.s
            node.attr["_class"].list.s = [
                b"loc:@" + strip_name_scope(v[5:].decode("utf-8"), export_scope).encode("utf-8")
                for v in values]
        out.node.append(node)
    return out


def create_meta_graph_def(meta_info_def=None, graph_def=None, saver_def=None,
                          collection_list=None, graph=None, export_scope=None,
                          clear_devices=False, clear_extraneous_savers=False,
                          strip_default_attrs=False):
    """A MetaGraphDef of `graph` (default graph): its GraphDef (with shapes), `saver_def`, and
    the collections named in collection_list (all of them when None)."""
    del clear_extraneous_savers, strip_default_attrs   # tensorflux adds no savers or defaults
    graph = graph if graph is not None else get_default_graph()
    if graph_def is None:
        graph_def = graph.as_graph_def(add_shapes=True)
    else:
        graph_def = graph_io.as_graph_def_proto(graph_def)
    meta = protos.MetaGraphDef()
    if meta_info_def is not None:
        meta.meta_info_def = meta_info_def
    else:
        from tensorflux import __version__
        meta.meta_info_def = protos.MetaGraphDef.MetaInfoDef(
            meta_graph_version=f"v{__version__}", tensorflow_version=__version__,
            tensorflow_git_version="tensorflux")
    meta.graph_def = _scoped_graph_def(graph_def, export_scope, clear_devices)
    if saver_def is not None:
        meta.saver_def = saver_def
    keys = graph.get_all_collection_keys() if collection_list is None else collection_list
    for key in keys:
        collection = _collection_def(key, graph.get_collection(key), export_scope)
        if collection is not None:
            meta.collection_def[key] = collection
    return meta


def export_scoped_meta_graph(filename=None, graph_def=None, graph=None, export_scope=None,
                             as_text=False, unbound_inputs_col_name=None, clear_devices=False,
                             saver_def=None, clear_extraneous_savers=False,
                             strip_default_attrs=False, save_debug_info=False, **kwargs):
    """create_meta_graph_def, written to `filename` when given; returns (meta graph, {})."""
    del unbound_inputs_col_name, save_debug_info
    meta = create_meta_graph_def(meta_info_def=kwargs.get("meta_info_def"), graph_def=graph_def,
                                 saver_def=saver_def,
                                 collection_list=kwargs.get("collection_list"), graph=graph,
                                 export_scope=export_scope, clear_devices=clear_devices,
                                 clear_extraneous_savers=clear_extraneous_savers,
                                 strip_default_attrs=strip_default_attrs)
    if filename:
        graph_io.write_graph(meta, os.path.dirname(filename), os.path.basename(filename),
                             as_text=as_text)
    return meta, {}


def read_meta_graph_file(filename):
    """The MetaGraphDef in a binary or text `.meta` file; OSError if there is no such file."""
    if not os.path.exists(filename):
        raise IOError(f"File {filename} does not exist.")
    with open(filename, "rb") as f:
        data = f.read()
    return graph_io.parse_message(data, protos.MetaGraphDef, filename)


def as_meta_graph_def(meta_graph_or_file):
    if isinstance(meta_graph_or_file, protos.MetaGraphDef):
        return meta_graph_or_file
    if isinstance(meta_graph_or_file, (str, os.PathLike)):
        return read_meta_graph_file(os.fspath(meta_graph_or_file))
    serialize = getattr(meta_graph_or_file, "SerializeToString", None)
    if serialize is not None:
        return protos.MetaGraphDef.FromString(serialize())
    raise TypeError(f"expected a MetaGraphDef or a file name, got "
                    f"{type(meta_graph_or_file).__name__}")


def _variable_from_def(graph, definition, scope):
    """A tf.Variable over the imported ops a VariableDef names."""
    from tensorflux.ops.state import Variable

    def element(name):
        return graph.as_graph_element(prepend_name_scope(name, scope)) if name else None
    variable = Variable.__new__(Variable)
    variable._variable = element(definition.variable_name)
    variable._initializer_op = element(definition.initializer_name)
    snapshot = element(definition.snapshot_name)
    if snapshot is None:
        from tensorflux.ops import array
        snapshot = array.identity(variable._variable, name=variable._variable.op.name + "/read")
    variable._snapshot = snapshot
    variable._initial_value = element(definition.initial_value_name)
    variable._trainable = definition.trainable
    variable._constraint = None
    variable._save_slice_info = None
    return variable


def import_scoped_meta_graph(meta_graph_or_file, clear_devices=False, graph=None,
                             import_scope=None, input_map=None, return_elements=None):
    """Imports a MetaGraphDef's graph into `graph` (default graph) under `import_scope` and
    restores its collections. Returns (the MetaGraphDef, {variable name: Variable}, the
    imported return_elements or None)."""
    meta = as_meta_graph_def(meta_graph_or_file)
    graph = graph if graph is not None else get_default_graph()
    graph_def = meta.graph_def
    if clear_devices:
        graph_def = _scoped_graph_def(graph_def, None, True)
    with graph.as_default():
        elements = graph_io.import_graph_def(graph_def, input_map=input_map,
                                             return_elements=return_elements,
                                             name=import_scope or "")
    scope = import_scope or ""
    variables = {}
    for key in sorted(meta.collection_def):
        collection = meta.collection_def[key]
        kind = collection.WhichOneof("kind")
        if kind == "node_list":
            for name in collection.node_list.value:
                try:
                    element = graph.as_graph_element(prepend_name_scope(name, scope))
                except (KeyError, ValueError):
                    _logger.info("Collection %r names %s, which is not in the graph; left out",
                                 key, name)
                    continue
                graph.add_to_collection(key, element)
        elif kind == "bytes_list" and key in VARIABLE_COLLECTIONS:
            for data in collection.bytes_list.value:
                definition = protos.VariableDef.FromString(data)
                name = prepend_name_scope(definition.variable_name, scope)
                if name not in variables:
                    variables[name] = _variable_from_def(graph, definition, scope)
                if key == "trainable_variables":
                    variables[name]._trainable = True
                graph.add_to_collection(key, variables[name])
        elif kind == "bytes_list" and get_from_proto_function(key) is not None:
            _restore_proto_collection(graph, key, collection.bytes_list.value, scope)
        elif kind == "bytes_list" and key in _UNSUPPORTED_PROTO_COLLECTIONS:
            _logger.info("Collection %r of the meta graph holds serialized objects tensorflux "
                         "does not rebuild; left out", key)
        elif kind is not None:
            for value in getattr(collection, kind).value:
                graph.add_to_collection(key, value)
    return meta, variables, elements


def _restore_proto_collection(graph, key, values, scope):
    """Rebuilds the items of a collection with registered proto functions from their bytes."""
    proto_type = get_collection_proto_type(key)
    from_proto = get_from_proto_function(key)
    with graph.as_default():
        for data in values:
            try:
                item = from_proto(proto_type.FromString(data), import_scope=scope)
            except (KeyError, ValueError) as e:
                # As for node lists: an item naming nodes the graph lacks is left out.
                _logger.info("Collection %r holds an item tensorflux cannot rebuild (%s); "
                             "left out", key, e)
                continue
            graph.add_to_collection(key, item)
