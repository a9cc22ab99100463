"""Dependency optimization: identities and NoOps that only pass values or order along.

An Identity (StopGradient, Snapshot, PreventGradient) returns its input as is, so its readers
may read the input instead; a NoOp only orders ops, which the Plan's op list already does once
it is fixed. Both are dropped outside conditionals, where they also carry liveness. What a
dropped op waited for (its control inputs) still runs: it becomes a target of the Plan, which
no later pass may prune as unread. `sess.run(tf.group(*grads))` computes the gradients.
"""
_IDENTITIES = frozenset({"Identity", "StopGradient", "Snapshot", "PreventGradient"})


def remove_identities_and_noops(rewrite):
    kept = []
    for op in rewrite.ops:
        if op in rewrite.region or (op.type not in _IDENTITIES and op.type != "NoOp"):
            kept.append(op)
            continue
        if op.type in _IDENTITIES:
            rewrite.alias[op._outputs[0]] = rewrite.resolve(op._inputs[0])
        rewrite.targets.update(op._control_inputs)
    rewrite.ops = kept
