"""Training throughput (pairs per second) of each trainable model, through the real trainer code.

The set-up mirrors ``vlanet_core.training.train``: the same views (``weak_view`` for a weakly supervised model,
``supervised_view`` otherwise), feature statistics, ``TextCache``, ``NegativeSampler`` and ``Collator``, and
``Trainer.train_epoch`` does the steps (collate, forward, backward, clipping, Adam). One step is run first as a
warm-up (torch's first backward allocates its buffers), then ``steps`` timed steps; encoding the split's sentences
once (``TextCache.warm``) is set-up, not counted, as in a real run where it happens once before the first epoch.
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

import numpy as np

from vlanet_core.checkpoint import build_model
from vlanet_core.registry import MODELS, TEXT_ENCODERS
from vlanet_core.training.batching import Collator, TextCache
from vlanet_core.training.data import SplitData, supervised_view, weak_view
from vlanet_core.training.feature_stats import feature_statistics
from vlanet_core.training.negatives import NegativeSampler
from vlanet_core.training.trainer import TrainConfig, Trainer, seed_everything


def trainable_models() -> list[str]:
    """Registered models with ``trainable = True`` (the baselines and clip-zeroshot are not trained)."""
    import vlanet_core.models  # noqa: F401 - registers the built-in models

    return [name for name in MODELS.names() if getattr(MODELS.get(name), "trainable", False)]


def default_text_encoder(model: str) -> str:
    """The encoder ``train.py`` uses for ``model`` when none is given (MiniLM for WSRA, else GloVe)."""
    from vlanet_core.training.train import DEFAULT_TEXT_ENCODER

    return DEFAULT_TEXT_ENCODER.get(model, "glove")


def training_throughput(
    model_name: str,
    split: SplitData,
    model_config: dict[str, Any] | None = None,
    text_encoder: dict[str, Any] | None = None,
    batch_size: int = 32,
    steps: int = 3,
    negatives: int = 2,
    seed: int = 0,
) -> dict[str, Any]:
    """Pairs per second over ``steps`` optimiser steps of ``model_name`` on ``split`` (after one warm-up step).

    ``model_config`` defaults to the model's defaults with ``feature_dim`` / ``word_dim`` from the data and the
    text encoder; ``text_encoder`` is ``{"name", "params"}`` (default as ``train.py``). Batches of ``batch_size``
    pairs, ``negatives`` text-only hard negatives per pair (``train.py``'s default is 2).
    """
    if steps < 1 or batch_size < 2:
        raise ValueError(f"need steps >= 1 and batch_size >= 2 (in-batch negatives), got {steps} and {batch_size}")
    seed_everything(seed)
    text_cfg = text_encoder or {"name": default_text_encoder(model_name), "params": {}}
    encoder = TEXT_ENCODERS.create(text_cfg["name"], **text_cfg.get("params", {}))
    config = {"feature_dim": split.feature_dim, "word_dim": encoder.dim, **(model_config or {})}
    model = build_model(model_name, config)
    view = weak_view(split) if model.weak else supervised_view(split)
    all_steps = np.concatenate(view.videos)
    model.set_feature_stats(*feature_statistics(all_steps, min_std=0.02))  # the train CLI's default
    setup_start = time.perf_counter()
    text = TextCache(encoder)
    text.warm(view.sentences)
    setup_s = time.perf_counter() - setup_start
    sampler = NegativeSampler(view.sentences)

    def make_negatives(sentence: int, rng: np.random.Generator) -> list[str]:
        video = view.pairs[sentence].video
        return sampler.sample(view.sentences[sentence], view.video_sentences[video], negatives, rng)

    collate = Collator(view.videos, view.sentences, text, negatives=negatives, make_negatives=make_negatives)
    config_train = TrainConfig(batch_size=batch_size, seed=seed, max_steps_per_epoch=1, log_every=10**9)
    with tempfile.TemporaryDirectory(prefix="vmr-bench-train-") as run_dir:
        trainer = Trainer(model, view.pairs, collate, config_train, run_dir)
        trainer.train_epoch(0)  # warm-up step
        config_train.max_steps_per_epoch = steps
        pairs = sum(len(batch) for batch in trainer.epoch_batches(1))
        result = trainer.train_epoch(1)
    return {
        "model": model_name,
        "weak": bool(model.weak),
        "text_encoder": text_cfg["name"],
        "batch_size": batch_size,
        "steps": len(trainer.epoch_batches(1)),
        "pairs": pairs,
        "seconds": round(result.seconds, 4),
        "pairs_per_s": round(pairs / result.seconds, 2) if result.seconds > 0 else None,
        "seconds_per_step": round(result.seconds / max(1, len(trainer.epoch_batches(1))), 4),
        "text_warm_s": round(setup_s, 3),
        "loss_finite": bool(np.isfinite(result.mean_loss)),
    }


def all_training_throughputs(
    split: SplitData,
    checkpoint_configs: dict[str, dict[str, Any]],
    batch_size: int = 32,
    steps: int = 3,
    models: list[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """``training_throughput`` of every trainable model; the model config and text encoder come from a shipped
    checkpoint of that model when ``checkpoint_configs`` (checkpoint config.json dicts) has one, so the figure is
    for the shipped size. A model that fails gets ``{"error": ...}``."""
    by_model = {cfg["model"]: cfg for cfg in checkpoint_configs.values()}
    out: dict[str, dict[str, Any]] = {}
    for name in models or trainable_models():
        shipped = by_model.get(name)
        try:
            out[name] = training_throughput(
                name,
                split,
                model_config=None if shipped is None else shipped["model_config"],
                text_encoder=None if shipped is None else shipped["text_encoder"],
                batch_size=batch_size,
                steps=steps,
            )
            out[name]["config_from"] = "shipped checkpoint" if shipped else "model defaults"
        except Exception as err:  # noqa: BLE001 - reported in the JSON, the other models still run
            out[name] = {"error": f"{type(err).__name__}: {err}"[:300]}
    return out
