"""Dependency optimization: identities and NoOps that only pass values or order along.

An Identity (StopGradient, Snapshot, PreventGradient) returns its input as is, so its readers
may read the input instead; a NoOp only orders ops, which the Plan's op list already does once
it is fixed. Both are dropped outside conditionals, where they also carry liveness.
"""
_IDENTITIES = frozenset({"Identity", "StopGradient", "Snapshot", "PreventGradient"})


def remove_identities_and_noops(rewrite):
    kept = []
    for op in rewrite.ops:
        if op in rewrite.region:
            kept.append(op)
        elif op.type in _IDENTITIES:
            rewrite.alias[op._outputs[0]] = rewrite.resolve(op._inputs[0])
        elif op.type != "NoOp":
            kept.append(op)
    rewrite.ops = kept
