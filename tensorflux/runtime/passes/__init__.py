"""Graph passes run when a Plan is compiled, as TF's graph optimizer and grappler run when a
session first runs a subgraph: identity and NoOp removal, common-subexpression elimination,
constant folding, the fusion of Conv2D / MatMul with their bias and activation, and the
workspaces MaxPool and LRN hand their gradients.

They rewrite the Plan's pruned op list, never the user's graph (rewrite.py). Each is switched
by the session's ConfigProto.graph_options the way TF switches its counterpart, and runs only
when neither of TF's two optimizers has it turned off:

  pass                               OptimizerOptions (classic)       RewriterConfig (grappler)
  remove_identities_and_noops        -                                dependency_optimization
  eliminate_common_subexpressions    do_common_subexpression_elim.    arithmetic_optimization
  fold_constants                     do_constant_folding              constant_folding
  fuse_contractions                  -                                remapping
  hand_workspaces                    -                                layout_optimizer

A classic pass is on at opt_level L1 (the default), or at L0 when its flag is set; a grappler
switch turns its pass off when OFF, as disable_meta_optimizer turns off all of them. (TF's
oneDNN rewrite, which adds the workspaces there, has no switch in ConfigProto; here it goes
with the layout optimizer, grappler's other pass that changes how kernels hand data along.)
"""
from tensorflux.runtime.config import OptimizerOptions, RewriterConfig
from tensorflux.runtime.passes.constant_folding import fold_constants
from tensorflux.runtime.passes.cse import eliminate_common_subexpressions
from tensorflux.runtime.passes.dependency import remove_identities_and_noops
from tensorflux.runtime.passes.remapper import fuse_contractions
from tensorflux.runtime.passes.rewrite import Rewrite
from tensorflux.runtime.passes.workspace import hand_workspaces


def enabled_passes(graph_options):
    classic = graph_options.optimizer_options
    grappler = graph_options.rewrite_options

    def on(classic_flag, grappler_switch):
        classic_on = classic_flag is None or classic.opt_level >= OptimizerOptions.L1 or \
            getattr(classic, classic_flag)
        grappler_on = grappler_switch is None or (
            not grappler.disable_meta_optimizer and
            getattr(grappler, grappler_switch) != RewriterConfig.OFF)
        return classic_on and grappler_on

    table = ((remove_identities_and_noops, None, "dependency_optimization"),
             (eliminate_common_subexpressions, "do_common_subexpression_elimination",
              "arithmetic_optimization"),
             (fold_constants, "do_constant_folding", "constant_folding"),
             (fuse_contractions, None, "remapping"),
             (hand_workspaces, None, "layout_optimizer"))
    return [fn for fn, classic_flag, grappler_switch in table if on(classic_flag, grappler_switch)]


def optimize(ops, fetches, targets, devices, graph_options):
    """The rewritten op list and tensor aliases a Plan runs (see rewrite.Rewrite)."""
    for op in ops:  # as TF places the graph before optimizing it: placement errors stay
        devices.place(op)
    rewrite = Rewrite(ops, fetches, targets, devices)
    for run_pass in enabled_passes(graph_options):
        run_pass(rewrite)
    return rewrite
