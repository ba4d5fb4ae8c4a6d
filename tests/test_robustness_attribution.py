"""``benchmarks/robustness_attribution.py``: channel groups, the repair of a decoded clip's columns, and the whole
attribution on one short video with the shipped VLANet (repairing every column must give every answer back)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.robustness import file_codecs
from benchmarks.robustness_attribution import channel_groups, repaired
from tests.shipped_vlanet import shipped_vlanet_for_codecs
from vlanet_core.features.types import VideoFeatures


def _features(values, duration: float | None = None) -> VideoFeatures:
    array = np.asarray(values, dtype=np.float32)
    return VideoFeatures(array, 0.5, duration or len(array) * 0.5, "default", {}, "a.mp4")


def test_channel_groups_by_part_and_by_value():
    names = ["mean:hue000:mass", "mean:hue000:grid0", "mean:grey1:grid11", "mean:hue000:h3_sin", "slope:hue030:h2_cos"]
    names += ["rate:grey0:sx", "slope:grey0:mass"]
    groups = {name: cols.tolist() for name, cols in channel_groups(names).items()}
    assert groups["all"] == list(range(7))
    assert groups["part=mean"] == [0, 1, 2, 3] and groups["part=slope"] == [4, 6] and groups["part=rate"] == [5]
    assert groups["value=grid"] == [1, 2] and groups["value=harmonics"] == [3, 4]
    assert groups["value=mass"] == [0, 6] and groups["value=sx"] == [5]
    assert set(groups) == {"all", "part=mean", "part=slope", "part=rate"} | {
        f"value={v}" for v in ("mass", "grid", "harmonics", "sx")
    }


def test_channel_groups_refuse_names_of_another_backbone():
    with pytest.raises(ValueError, match="part:bin:value"):
        channel_groups(["clip_0", "clip_1"])


def test_repaired_copies_the_columns_over_the_shared_steps_only():
    form = _features([[1, 2, 3], [4, 5, 6], [7, 8, 9]], duration=1.4)
    reference = _features([[0, 0, 0], [-1, -1, -1]])  # one step fewer than the decoded form
    out = repaired(form, reference, np.array([0, 2]))
    assert out.features.tolist() == [[0, 2, 0], [-1, 5, -1], [7, 8, 9]]
    assert out.duration == 1.4 and out.source == "a.mp4"  # the form's own time axis
    assert form.features[0, 0] == 1  # the form itself is untouched


@pytest.mark.slow  # one 15.5-s clip written as mp4v and webm, ~30 queries x 14 groups x 3 forms
def test_attribution_on_one_video(tmp_path):
    from benchmarks.robustness_attribution import attribute

    predictor = shipped_vlanet_for_codecs()
    report = attribute(predictor, [18], tmp_path, split="test")
    queries = report["queries"]
    assert queries >= 2 and report["videos"] == ["test_00018"]
    assert set(report["top1_same"]) == set(file_codecs()) | {"noise reseed"}
    for label, counts in report["top1_same"].items():
        assert counts["all"] == queries, (label, counts)  # the reference's own columns: every answer comes back
        assert all(0 <= n <= queries for n in counts.values()), (label, counts)
        assert {"none", "part=mean", "part=slope", "part=rate", "value=harmonics", "only part=rate"} <= set(counts)
        assert "only all" not in counts
    assert report["columns_per_group"]["all"] == predictor.backbone.dim
