"""The trained VLANet gives the same top-1 moment on in-memory frames and on the same video written as mp4v / webm
and decoded again (``benchmarks/robustness.py`` on two videos)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.robustness import AGREEMENT_TARGET, compare_codecs, overlap_shares, step_cosines
from tests.shipped_vlanet import shipped_vlanet_for_codecs
from vlanet_core.features.types import VideoFeatures

SHORT_VIDEOS = [18, 7]  # the two shortest of the first 40 test videos (15.5 s and 18 s; 6 queries): a quick test


def _features(values) -> VideoFeatures:
    array = np.asarray(values, dtype=np.float32)
    return VideoFeatures(array, step=0.5, duration=len(array) * 0.5, backbone="default", backbone_params={}, source="")


def test_step_cosines():
    a = _features([[1, 0], [0, 2], [0, 0], [3, 4]])
    b = _features([[2, 0], [1, 0], [0, 0]])  # one step shorter: only the shared steps count
    assert step_cosines(a, b) == pytest.approx([1.0, 0.0, 1.0])
    assert step_cosines(a, _features([[0, 0], [0, 0], [1, 1], [-3, -4]])) == pytest.approx([0.0, 0.0, 0.0, -1.0])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """``compare_codecs`` of the shipped VLANet on two short test videos, computed once for the tests below."""
    predictor = shipped_vlanet_for_codecs()
    return compare_codecs(predictor, SHORT_VIDEOS, tmp_path_factory.mktemp("codecs"), noise_control=True)


@pytest.mark.slow  # VP8 encoding of two 15-18 s clips dominates: about 10 s on a busy two-core machine
def test_features_and_answers_survive_compression(report):
    """What is met: the features (target cosine 0.95), the model's standardised input (0.965 / 0.976 before the
    edge floor; 0.982 / 0.990 on 20 videos with the shipped per-kind standardisation) and answers that overlap the
    in-memory ones."""
    assert report["queries"] >= 4
    for label, figures in report["codecs"].items():
        assert figures["mean_step_cosine"] >= 0.95, (label, figures)
        assert figures["mean_model_input_cosine"] >= 0.98, (label, figures)
        assert figures["mean_top1_iou"] >= 0.6, (label, figures["disagreements"])
        shares = figures["top1_iou_at_least"]  # looser overlaps can only hold for more queries than the exact one
        assert shares["0.5"] >= shares["0.7"] >= shares["0.9"] >= figures["top1_agreement"], (label, shares)


@pytest.mark.slow
def test_the_noise_control_is_reported_beside_the_codecs(report):
    """The re-render with other pixel noise: no file, not a codec, the same figures, and no target of its own."""
    control = report["noise_control"]
    assert control["codec"] is None and "target_met" not in control and "noise reseed" not in report["codecs"]
    assert control["queries"] == report["queries"] and 0 <= control["top1_same"] <= control["queries"]
    assert control["mean_step_cosine"] >= 0.95 and control["mean_top1_iou"] >= 0.6, control


@pytest.mark.xfail(
    strict=False,
    reason="known gap (README, 'Robustness to codecs'): the shipped VLANet moves its exact top-1 on 18-27% of "
    "decoded-file queries (webm / mp4v, 66 test queries), and on 12% when only the pixel noise is redrawn "
    "(--noise-control); augmentation with and consistency on codec variants did not raise it",
)
@pytest.mark.slow
def test_exact_top1_survives_compression(report):
    for label, figures in report["codecs"].items():
        assert figures["top1_agreement"] >= AGREEMENT_TARGET, (label, figures["disagreements"])


def test_overlap_shares():
    assert overlap_shares([1.0, 0.95, 0.6, 0.0]) == {"0.5": 0.75, "0.7": 0.5, "0.9": 0.5}
    assert overlap_shares([]) == {"0.5": 0.0, "0.7": 0.0, "0.9": 0.0}


def test_h264_is_reported_beside_the_targets_codecs(tmp_path):
    """``--h264``'s form: each video written as H.264 through imageio-ffmpeg and decoded, with the same figures, but
    no target of its own (the target is about mp4v and webm)."""
    pytest.importorskip("imageio_ffmpeg", reason="imageio-ffmpeg (requirements-dev.txt) writes H.264")
    from benchmarks.robustness import H264

    report = compare_codecs(shipped_vlanet_for_codecs(), SHORT_VIDEOS[:1], tmp_path, codecs={H264: H264})
    figures = report["codecs"][H264]
    assert figures["target_met"] is None and figures["queries"] == report["queries"] >= 2
    assert figures["mean_step_cosine"] >= 0.95 and figures["mean_top1_iou"] >= 0.5, figures
