"""tf.train.Saver: saves variables to TF's V2 checkpoints and restores them, through graph ops.

A Saver adds to the graph, in a name scope `save`, the ops TF1 adds (so its SaverDef and a
`.meta` file work in real TF as in tensorflux):
  save/filename/input, save/filename, save/Const  the checkpoint prefix (fed at run time)
  save/SaveV2, save/control_dependency            write every variable; yields the prefix
  save/RestoreV2, save/Assign*, save/restore_all  read every variable and assign it
Variables are saved under their op names (`layer/w`), or the names of a var_list dict.

Saving writes the bundle under temporary names and renames it into place, then rewrites the
`checkpoint` state file, then deletes checkpoints beyond max_to_keep; a failure at any point
leaves the previous checkpoint complete and named by the state file.
"""
import logging
import numbers
import os
import time

import numpy as np

from tensorflux.formats import protos
from tensorflux.framework import dtypes, errors
from tensorflux.framework.graph import Operation, Tensor, get_default_graph
from tensorflux.framework.meta_graph import export_scoped_meta_graph, import_scoped_meta_graph
from tensorflux.ops import array, control_flow, io_ops, state
from tensorflux.ops.constant import constant
from tensorflux.ops.op_util import apply_op
from tensorflux.training import checkpoint_management as cm

_logger = logging.getLogger("tensorflux")

V1, V2 = 1, 2


def _variable_op(item):
    """The VariableV2 op a var_list entry stands for (a Variable, its ref tensor or its op)."""
    if isinstance(item, state.Variable):
        return item.op
    if isinstance(item, Tensor):
        item = item.op
    if isinstance(item, Operation) and item.type in ("VariableV2", "Variable"):
        return item
    raise TypeError(f"Saver: cannot save {item!r}; var_list holds tf.Variables (or the ref "
                    "tensors of variable ops)")


def _names_to_variables(var_list):
    """{checkpoint name: VariableV2 op} of a Saver's var_list (a list or a dict)."""
    if isinstance(var_list, dict):
        result = {}
        for name, item in var_list.items():
            if not isinstance(name, str):
                raise TypeError(f"Saver: var_list keys are checkpoint names (str), got {name!r}")
            result[name] = _variable_op(item)
        return result
    result = {}
    for item in var_list:
        op = _variable_op(item)
        if op.name in result:
            if result[op.name] is op:
                continue
            raise ValueError(f"At least two variables have the same name: {op.name}")
        result[op.name] = op
    return result


def _as_text(value):
    if isinstance(value, np.ndarray):
        value = value.item()
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class Saver:
    """Saves and restores variables (tf.train.Saver).

    var_list: None (all saveable global variables), a list of variables, or a dict
    {checkpoint name: variable}. max_to_keep: how many recent checkpoints to keep (None or
    0 keeps all); keep_checkpoint_every_n_hours: also keep one checkpoint per that many
    hours. `sharded` is accepted and ignored: tensorflux always writes one data file, which
    TF reads whatever its SaverDef says. restore_sequentially only orders restores in TF and
    is ignored. defer_build: build the ops later, with build(). save_relative_paths: write
    paths relative to the checkpoint directory into the state file.
    """

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=V2, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        if defer_build and var_list:
            raise ValueError("If `var_list` is provided then build cannot be deferred. Either "
                             "set defer_build=False or var_list=None.")
        if write_version != V2:
            _logger.warning("tensorflux writes V2 checkpoints only; write_version=%s ignored",
                            write_version)
        if builder is not None:
            raise NotImplementedError("Saver(builder=...) is not supported by tensorflux")
        del sharded, restore_sequentially
        self._var_list = var_list
        self._reshape = reshape
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._name = name
        self._allow_empty = allow_empty
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._filename = filename
        self._last_checkpoints = []            # [(prefix, time)], oldest first
        self._checkpoints_to_be_deleted = []
        self._next_checkpoint_time = time.time() + keep_checkpoint_every_n_hours * 3600
        self._is_empty = False
        self.saver_def = saver_def
        self._is_built = False
        if saver_def is not None:
            self._check_saver_def()
            self._is_built = True
            if name:     # a SaverDef imported under a scope names tensors inside it
                for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
                    setattr(self.saver_def, field, f"{name}/{getattr(self.saver_def, field)}")
        elif not defer_build:
            self.build()

    # ---- building the graph ops ----
    def build(self):
        if self._is_built:
            return
        self._is_built = True
        graph = get_default_graph()
        var_list = self._var_list
        if var_list is None:
            var_list = state.global_variables() + \
                graph.get_collection("saveable_objects")
        names = _names_to_variables(var_list)
        if not names:
            if self._allow_empty:
                self._is_empty = True
                return
            raise ValueError("No variables to save")
        with graph.name_scope(self._name or "save"):
            self.saver_def = self._build_ops(graph, names)

    def _build_ops(self, graph, names):
        ordered = sorted(names.items())
        with graph.name_scope("filename") as filename_scope:
            default = constant(self._filename or "model", name="input")
            filename = apply_op("PlaceholderWithDefault", [default],
                                {"dtype": dtypes.string, "shape": _scalar()},
                                filename_scope[:-1] + "/")
        filename = apply_op("PlaceholderWithDefault", [filename],
                            {"dtype": dtypes.string, "shape": _scalar()}, "Const")
        tensor_names = [name for name, _ in ordered]
        slices = [""] * len(ordered)
        variables = [op.outputs[0] for _, op in ordered]
        save = io_ops.save_v2(filename, tensor_names, slices, variables)
        with graph.control_dependencies([save]):
            save_tensor = array.identity(filename, name="control_dependency")
        restored = io_ops.restore_v2(filename, tensor_names, slices,
                                     [v.dtype.base_dtype for v in variables])
        assigns = []
        for variable, value in zip(variables, restored):
            shape = variable.shape
            if self._reshape and shape.is_fully_defined():
                value = array.reshape(value, shape.as_list())
            assigns.append(state.assign(variable, value, name="Assign",
                                        validate_shape=shape.is_fully_defined()
                                        and not self._reshape))
        restore_all = control_flow.group(*assigns, name="restore_all")
        return protos.SaverDef(
            filename_tensor_name=filename.name, save_tensor_name=save_tensor.name,
            restore_op_name=restore_all.name, max_to_keep=self._max_to_keep or 0,
            sharded=False, keep_checkpoint_every_n_hours=self._keep_checkpoint_every_n_hours,
            version=V2)

    def _check_saver_def(self):
        if not isinstance(self.saver_def, protos.SaverDef):
            serialize = getattr(self.saver_def, "SerializeToString", None)
            if serialize is None:
                raise ValueError(f"saver_def must be a SaverDef, got {self.saver_def!r}")
            self.saver_def = protos.SaverDef.FromString(serialize())
        else:
            self.saver_def = protos.SaverDef.FromString(self.saver_def.SerializeToString())
        for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
            if not getattr(self.saver_def, field):
                raise ValueError(f"saver_def must specify the {field}: {self.saver_def}")
        self._max_to_keep = self.saver_def.max_to_keep
        self._keep_checkpoint_every_n_hours = self.saver_def.keep_checkpoint_every_n_hours

    def as_saver_def(self):
        return self.saver_def

    def to_proto(self, export_scope=None):
        if export_scope is None or self.saver_def is None:
            return self.saver_def
        out = protos.SaverDef.FromString(self.saver_def.SerializeToString())
        for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
            value = getattr(out, field)
            if value.startswith(export_scope + "/"):
                setattr(out, field, value[len(export_scope) + 1:])
        return out

    @staticmethod
    def from_proto(saver_def, import_scope=None):
        return Saver(saver_def=saver_def, name=import_scope)

    # ---- the list of recent checkpoints ----
    @property
    def last_checkpoints(self):
        """The prefixes of the checkpoints not yet deleted, oldest first."""
        return [path for path, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints):
        if not isinstance(last_checkpoints, list):
            raise TypeError(f"last_checkpoints must be a list, got {last_checkpoints!r}")
        self._last_checkpoints = [(path, np.inf) for path in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        """[(prefix, timestamp)], oldest first: the checkpoints max_to_keep counts."""
        if not isinstance(last_checkpoints_with_time, list):
            raise TypeError(f"last_checkpoints_with_time must be a list, got "
                            f"{last_checkpoints_with_time!r}")
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths):
        """Takes over checkpoints of an earlier run (e.g. a CheckpointState's
        all_model_checkpoint_paths), dated by their files, so max_to_keep deletes them."""
        times = cm.get_checkpoint_mtimes(checkpoint_paths)
        existing = [path for path in checkpoint_paths if cm.checkpoint_exists(path)]
        self.set_last_checkpoints_with_time(list(zip(existing, times)))

    def _record_last_checkpoint(self, path):
        if not self.saver_def.max_to_keep:
            return
        self._last_checkpoints = [(p, t) for p, t in self._last_checkpoints if p != path]
        self._last_checkpoints.append((path, time.time()))
        if len(self._last_checkpoints) > self.saver_def.max_to_keep:
            self._checkpoints_to_be_deleted.append(self._last_checkpoints.pop(0))

    def _delete_old_checkpoints(self, meta_graph_suffix):
        """Deletes checkpoints that fell out of max_to_keep, except one per
        keep_checkpoint_every_n_hours. Runs only after a new checkpoint is complete."""
        while self._checkpoints_to_be_deleted:
            path, stamp = self._checkpoints_to_be_deleted.pop(0)
            if stamp > self._next_checkpoint_time:
                self._next_checkpoint_time += self.saver_def.keep_checkpoint_every_n_hours * 3600
                continue
            try:
                cm.remove_checkpoint(path, V2, meta_graph_suffix)
            except OSError as exc:
                _logger.warning("Could not delete old checkpoint %s: %s", path, exc)

    # ---- save and restore ----
    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        """Saves the variables' values in `sess` to checkpoint `save_path` (a prefix;
        `save_path-<global_step>` with global_step) and returns that prefix.

        Also writes `<prefix>.meta` (write_meta_graph) and updates the `checkpoint` state file
        of the prefix's directory (write_state). The directory must exist: ValueError if it
        does not, PermissionDeniedError if it cannot be written; either way no file changes.
        """
        if not self._is_built:
            raise RuntimeError("`build()` should be called before save if defer_build==True")
        from tensorflux.runtime.session import BaseSession
        if not isinstance(sess, BaseSession):
            raise TypeError(f"'sess' must be a Session; {sess}")
        latest_filename = latest_filename or "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fspath(save_path)
        if global_step is not None:
            if not isinstance(global_step, (numbers.Integral, np.integer)):
                global_step = int(sess.run(global_step))
            checkpoint_file = ("%s-%08d" if self._pad_step_number else "%s-%d") % (
                save_path, int(global_step))
        else:
            checkpoint_file = save_path
            if os.path.basename(save_path) == latest_filename:
                raise RuntimeError(f"'latest_filename' collides with 'save_path': "
                                   f"'{latest_filename}' and '{save_path}'")
        save_dir = os.path.dirname(save_path)
        if self._is_empty:
            return None
        if save_dir and not os.path.isdir(save_dir):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        try:
            result = sess.run(self.saver_def.save_tensor_name,
                              {self.saver_def.filename_tensor_name: checkpoint_file})
        except (errors.FailedPreconditionError, errors.NotFoundError) as exc:
            if save_dir and not os.path.isdir(save_dir):
                raise ValueError(f"Parent directory of {save_path} doesn't exist, "
                                 "can't save.") from exc
            raise
        model_checkpoint_path = _as_text(result)
        if write_state:
            self._record_last_checkpoint(model_checkpoint_path)
            cm.update_checkpoint_state_internal(
                save_dir=save_dir, model_checkpoint_path=model_checkpoint_path,
                all_model_checkpoint_paths=self.last_checkpoints,
                latest_filename=latest_filename, save_relative_paths=self._save_relative_paths)
            self._delete_old_checkpoints(meta_graph_suffix)
        if write_meta_graph:
            self.export_meta_graph(cm.meta_graph_filename(checkpoint_file, meta_graph_suffix),
                                   graph=sess.graph, strip_default_attrs=strip_default_attrs)
        return model_checkpoint_path

    def restore(self, sess, save_path):
        """Assigns the values stored in checkpoint `save_path` to the variables, in `sess`
        (no initializer needed). A variable missing from the checkpoint raises NotFoundError;
        a different shape or dtype InvalidArgumentError, both naming the variable."""
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = os.fspath(save_path)
        if not cm.checkpoint_exists(save_path):
            raise ValueError("The passed save_path is not a valid checkpoint: " + save_path)
        _logger.info("Restoring parameters from %s", save_path)
        try:
            sess.run(self.saver_def.restore_op_name,
                     {self.saver_def.filename_tensor_name: save_path})
        except errors.NotFoundError as exc:
            raise type(exc)(exc.node_def, exc.op, (
                f"Restoring from checkpoint {save_path} failed: a variable of the graph is "
                f"missing from the checkpoint. {exc.message}")) from exc
        except errors.InvalidArgumentError as exc:
            op = exc.op
            if op is not None and op.type == "Assign":
                target = op.inputs[0].op.name
                raise type(exc)(exc.node_def, op, (
                    f"Restoring from checkpoint {save_path} failed for variable {target}: the "
                    f"checkpoint's value does not fit the variable "
                    f"(shape {op.inputs[0].shape} in the graph). {exc.message}")) from exc
            raise

    def export_meta_graph(self, filename=None, collection_list=None, as_text=False,
                          export_scope=None, clear_devices=False,
                          clear_extraneous_savers=False, strip_default_attrs=False,
                          save_debug_info=False, graph=None):
        """The MetaGraphDef of the graph with this Saver's SaverDef, written to `filename`."""
        return export_meta_graph(filename=filename, graph=graph,
                                 saver_def=self.to_proto(export_scope),
                                 collection_list=collection_list, as_text=as_text,
                                 export_scope=export_scope, clear_devices=clear_devices,
                                 clear_extraneous_savers=clear_extraneous_savers,
                                 strip_default_attrs=strip_default_attrs)


def _scalar():
    from tensorflux.framework.shapes import TensorShape
    return TensorShape([])


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None,
                      collection_list=None, as_text=False, graph=None, export_scope=None,
                      clear_devices=False, clear_extraneous_savers=False,
                      strip_default_attrs=False, save_debug_info=False, **kwargs):
    """The MetaGraphDef of `graph` (default graph): GraphDef, collections, SaverDef; written
    to `filename` (binary, or text with as_text) when given (tf.train.export_meta_graph)."""
    del kwargs
    meta, _ = export_scoped_meta_graph(
        filename=filename, graph_def=graph_def, graph=graph, export_scope=export_scope,
        as_text=as_text, clear_devices=clear_devices, saver_def=saver_def,
        clear_extraneous_savers=clear_extraneous_savers,
        strip_default_attrs=strip_default_attrs, save_debug_info=save_debug_info,
        meta_info_def=meta_info_def, collection_list=collection_list)
    return meta


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **kwargs):
    """Recreates a saved graph and its collections in the default graph; returns a Saver
    built from its SaverDef (or over its variables), or None when it has no variables.

    `tf.train.import_meta_graph("model.ckpt.meta").restore(sess, "model.ckpt")` brings back
    the variables, which are then in tf.global_variables() as in the saving program.
    """
    meta, _, _ = import_scoped_meta_graph(meta_graph_or_file, clear_devices=clear_devices,
                                          import_scope=import_scope,
                                          input_map=kwargs.get("input_map"))
    if meta.HasField("saver_def"):
        return Saver(saver_def=meta.saver_def, name=import_scope)
    if state.global_variables():
        return Saver()
    _logger.info("Saver not created because there are no variables in the graph to restore")
    return None


__all__ = ["Saver", "export_meta_graph", "import_meta_graph"]
