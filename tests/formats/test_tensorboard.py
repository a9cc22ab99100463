"""TensorBoard's own event reader loads what tensorflux writes (no TensorFlow needed)."""
import pytest

from . import samples

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def test_tensorboard_loads_our_event_file(tmp_path):
    samples.write_event_file(str(tmp_path / "run"))
    acc = event_accumulator.EventAccumulator(
        str(tmp_path / "run"), size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"] and tags["histograms"] == ["hist"]
    assert tags["images"] == ["img/image"] and tags["audio"] == ["snd/audio"]
    assert tags["graph"] and tags["run_metadata"] == ["step2"]
    assert [(s.step, s.value) for s in acc.Scalars("loss")] == [(1, 0.25), (2, 0.25)]
    assert acc.Histograms("hist")[0].histogram_value.num == 3
    assert acc.Images("img/image")[0].width == 1
    assert acc.Audio("snd/audio")[0].sample_rate == 8000
    assert {n.name for n in acc.Graph().node} == {"x", "w", "scope/mm", "y"}
    assert acc.RunMetadata("step2").step_stats.dev_stats[0].node_stats[0].node_name == "scope/mm"
    assert tags["tensors"] == ["acc"]
