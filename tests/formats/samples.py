"""Sample files written with tensorflux, which the TF and TensorBoard tests read back."""
import numpy as np

from tensorflux.formats import events, protos as P


def graph():
    """Placeholder x [?, 2], Const w, MatMul scope/mm, Identity y with a control input."""
    graph = P.GraphDef(versions=P.VersionDef(producer=27))
    x = graph.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = P.DT_FLOAT
    x.attr["shape"].shape.CopyFrom(P.as_shape_proto([None, 2]))
    w = graph.node.add(name="w", op="Const")
    w.attr["dtype"].type = P.DT_FLOAT
    w.attr["value"].tensor.CopyFrom(P.make_tensor_proto(np.float32([[1, 2], [3, 4]])))
    mm = graph.node.add(name="scope/mm", op="MatMul", input=["x", "w"])
    mm.attr["T"].type = P.DT_FLOAT
    mm.attr["transpose_a"].b = False
    y = graph.node.add(name="y", op="Identity", input=["scope/mm:0", "^w"])
    y.attr["T"].type = P.DT_FLOAT
    return graph


def _summary_values():
    histo = P.HistogramProto(min=-1, max=2, num=3, sum=1.5, sum_squares=5.25,
                             bucket_limit=[0.0, 1.0, 2.5], bucket=[1, 1, 1])
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a0e8b5"
                        "640000000049454e44ae426082")
    wav = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>" \
          b"\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
    meta = P.SummaryMetadata(plugin_data=P.SummaryMetadata.PluginData(plugin_name="scalars"))
    return [
        P.Summary.Value(tag="loss", simple_value=0.25),
        P.Summary.Value(tag="hist", histo=histo),
        P.Summary.Value(tag="img/image", image=P.Summary.Image(
            height=1, width=1, colorspace=4, encoded_image_string=png)),
        P.Summary.Value(tag="snd/audio", audio=P.Summary.Audio(
            sample_rate=8000, num_channels=1, length_frames=0, encoded_audio_string=wav,
            content_type="audio/wav")),
        P.Summary.Value(tag="acc", metadata=meta, tensor=P.make_tensor_proto(np.float32(0.75))),
    ]


def write_event_file(logdir):
    """An event file with a graph, a session log, two steps of summaries and run metadata."""
    writer = events.EventFileWriter(logdir)
    writer.write_event(P.Event(wall_time=1.0, graph_def=graph().SerializeToString()))
    writer.write_event(P.Event(wall_time=2.0, step=1,
                               session_log=P.SessionLog(status=P.SessionLog.START)))
    for step in (1, 2):
        writer.write_event(P.Event(wall_time=2.0 + step, step=step,
                                   summary=P.Summary(value=_summary_values())))
    node = P.NodeExecStats(node_name="scope/mm", all_start_micros=1000, all_end_rel_micros=5,
                           op_start_rel_micros=1, op_end_rel_micros=4,
                           timeline_label="scope/mm = MatMul(x, w)")
    node.output.add(slot=0, tensor_description=P.TensorDescription(
        dtype=P.DT_FLOAT, shape=P.as_shape_proto([1, 2])))
    node.memory.add(allocator_name="cpu", total_bytes=8)
    run_metadata = P.RunMetadata(step_stats=P.StepStats(dev_stats=[P.DeviceStepStats(
        device="/job:localhost/replica:0/task:0/device:CPU:0", node_stats=[node])]))
    writer.write_event(P.Event(wall_time=5.0, step=2, tagged_run_metadata=P.TaggedRunMetadata(
        tag="step2", run_metadata=run_metadata.SerializeToString())))
    writer.close()
    return writer.path, run_metadata
