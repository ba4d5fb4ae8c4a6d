"""The app's handlers with the shipped checkpoints on the shipped example clips: every model, every tab."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import handlers
from app.examples import load_examples
from app.handlers import AppContext
from app.model_cache import ModelCache, default_loader
from app.settings import AppSettings

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [
    "vlanet-shapes-sta",
    "wsra-shapes-sta",
    "scn-shapes-sta",
    "cimha-shapes-sta",
    "prior-only-shapes-sta",
    "vlanet-all-proposals-shapes-sta",
    "vlanet-3scale-shapes-sta",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> AppContext:
    import torch

    torch.set_num_threads(1)
    root = ROOT / "checkpoints"
    missing = [name for name in SHIPPED if not (root / name / "config.json").is_file()]
    if missing:
        pytest.skip(f"shipped checkpoints missing: {missing}")
    settings = AppSettings(
        checkpoint_root=root,
        examples_dir=ROOT / "assets" / "examples",
        temp_root=tmp_path_factory.mktemp("sessions"),
    )
    return AppContext(settings, ModelCache(root, default_loader), load_examples(settings.examples_dir))


@pytest.mark.parametrize("model", SHIPPED)
def test_every_shipped_model_on_an_example_clip(ctx, model):
    example = ctx.examples[0]
    out = handlers.retrieve(ctx, str(example.video), example.query, model, 5, None)
    timeline, table, heatmap, payload, json_path, summary, stages, words, session = out
    result = session.last.result
    assert result.moments and all(0 <= m.start <= m.end <= result.duration + 1e-6 for m in result.moments)
    assert payload["query"] == example.query and Path(json_path).is_file()
    assert any(t.type == "bar" for t in timeline.data)
    assert ctx.cache.trained_on(model)


def test_compare_shipped_models(ctx):
    example = ctx.examples[0]
    out = handlers.compare(ctx, str(example.video), example.query, SHIPPED[:4], None)
    assert out[0].data and out[1].data
