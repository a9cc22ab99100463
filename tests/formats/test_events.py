import glob
import os
import re
import struct

import pytest

from tensorflux.formats import events, protos, tfrecord
from tensorflux.framework import errors


def test_file_name():
    path = events.event_file_name("/logs/run1", wall_time=123.9, hostname="box")
    assert path == "/logs/run1/events.out.tfevents.0000000123.box"
    assert events.event_file_name("d", 1795312551, "vm", ".8043.0.v2").endswith(
        "events.out.tfevents.1795312551.vm.8043.0.v2")


def test_writer_round_trip(tmp_path):
    logdir = str(tmp_path / "run")
    with events.EventFileWriter(logdir, wall_time=1000.25) as writer:
        assert re.fullmatch(r"events\.out\.tfevents\.0000001000\..+",
                            os.path.basename(writer.path))
        assert writer.get_logdir() == logdir
        summary = protos.Summary(value=[protos.Summary.Value(tag="loss", simple_value=0.5)])
        writer.write_event(protos.Event(wall_time=1001, step=1, summary=summary))
        writer.write_event(protos.Event(wall_time=1002, step=2, graph_def=b"\x0a\x00")
                           .SerializeToString())
        path = writer.path
    assert writer.closed
    read = list(events.summary_iterator(path))
    assert [e.WhichOneof("what") for e in read] == ["file_version", "summary", "graph_def"]
    assert read[0].wall_time == 1000.25 and read[0].file_version == "brain.Event:2"
    assert read[1].summary.value[0].simple_value == 0.5 and read[1].step == 1
    first = next(tfrecord.tf_record_iterator(path))
    assert first == b"\x09" + struct.pack("<d", 1000.25) + b"\x1a\x0dbrain.Event:2"


def test_first_record_can_name_the_writer(tmp_path):
    writer = events.EventFileWriter(str(tmp_path), source_writer="tensorflux")
    writer.close()
    first = next(events.summary_iterator(writer.path))
    assert first.source_metadata.writer == "tensorflux"


def test_events_are_visible_after_flush(tmp_path):
    writer = events.EventFileWriter(str(tmp_path))
    writer.write_event(protos.Event(step=5))
    writer.flush()
    assert [e.step for e in events.summary_iterator(writer.path)] == [0, 5]
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write_event(protos.Event())


def test_two_writers_in_the_same_second_do_not_clobber(tmp_path):
    a = events.EventFileWriter(str(tmp_path), wall_time=5)
    b = events.EventFileWriter(str(tmp_path), wall_time=5)
    a.close()
    b.close()
    assert a.path != b.path and "tfevents" in os.path.basename(b.path)
    assert len(os.listdir(tmp_path)) == 2


def test_truncated_tail_is_tolerated_but_corruption_is_not(tmp_path):
    writer = events.EventFileWriter(str(tmp_path))
    writer.write_event(protos.Event(step=1))
    writer.close()
    data = open(writer.path, "rb").read()
    open(writer.path, "wb").write(data[:-3])
    assert [e.step for e in events.summary_iterator(writer.path)] == [0]
    with pytest.raises(errors.DataLossError):
        list(events.summary_iterator(writer.path, allow_truncated_tail=False))
    corrupt = bytearray(data)
    corrupt[-6] ^= 1
    open(writer.path, "wb").write(bytes(corrupt))
    with pytest.raises(errors.DataLossError):
        list(events.summary_iterator(writer.path))


def test_reads_tensorflow_event_file(fixtures):
    path = glob.glob(os.path.join(fixtures, "tf1_events", "*tfevents*"))[0]
    read = list(events.summary_iterator(path))
    assert read[0].file_version == "brain.Event:2"
    graph = next(e for e in read if e.WhichOneof("what") == "graph_def")
    names = {n.name for n in protos.GraphDef.FromString(graph.graph_def).node}
    assert {"x", "layer/w", "y"} <= names
    tags = [v.tag for e in read for v in e.summary.value]
    assert tags == ["loss", "w_hist", "img/image/0", "snd/audio/0"]
