"""VLANet with surrogate proposal selection (eqs. 3-6) against the same weights scoring all K x L proposals.

The twin model is rebuilt from the checkpoint's config with ``use_surrogate=False`` and given the same state dict
(the flag adds or removes no parameter), so the two differ only in how many proposals enter the cascade: K
surrogates, or all K x L windows.

Three figures, because they answer different questions:
- ``per_query``: ``Predictor.predict`` for one query on one clip (what the app does). On a 30-s clip the cascade
  is a small part of a query's time (text encoding, proposal features, NMS and the inspector's stages are shared),
  so the speed-up here is modest;
- ``per_query_by_length``: the same on longer clips, made by repeating the clip's own feature steps to each length
  (the models' cost depends on the number of steps, not on what they hold): the cascade's share of a query, and
  so the speed-up, grows with the clip;
- ``batch_scoring``: ``model.similarity`` of B videos x B queries (every pair, as the contrastive loss and a
  corpus search score them), where the cascade dominates and the K vs K x L difference shows in full.
- ``flops_per_query``: the floating-point operations of one ``predict`` (matrix products, linear layers and GRUs,
  as ``torch.utils.flop_counter`` counts them; element-wise work is not counted), averaged over the queries: the
  paper's "lower computation load" itself, free of the per-operator dispatch time that dominates a small query's
  wall clock on a CPU.
The speed-up is (all-proposal time) / (surrogate time) of the medians; calls of the two models alternate so that a
change in machine load touches both alike.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
import torch

from vlanet_core.bench.latency import summarise, timed
from vlanet_core.features.types import VideoFeatures
from vlanet_core.predictor import Predictor

SPEEDUP_TARGET = 2.0  # the bar for the surrogate selection


def all_proposals_twin(predictor: Predictor) -> Predictor:
    """A predictor with the same weights and ``use_surrogate=False``."""
    return predictor.with_model_settings({"use_surrogate": False}, name=predictor.name + "-all")


def _speedup(surrogate: float, every: float) -> float:
    return round(every / surrogate, 3) if surrogate > 0 else float("inf")


def per_query(
    surrogate: Predictor, every: Predictor, features: VideoFeatures, queries: Sequence[str]
) -> dict[str, Any]:
    """``predict`` latency of both predictors on ``features``, alternating per query."""
    surrogate.predict(queries[0], features)
    every.predict(queries[0], features)
    fast, slow = [], []
    for query in queries:
        fast.append(timed(partial(surrogate.predict, query, features)))
        slow.append(timed(partial(every.predict, query, features)))
    a, b = summarise(fast), summarise(slow)
    return {"surrogate": a, "all_proposals": b, "speedup_p50": _speedup(a["p50"], b["p50"])}


def repeated_to(features: VideoFeatures, seconds: float) -> VideoFeatures:
    """``features`` with its steps repeated in order until the clip lasts ``seconds`` (at the same step)."""
    steps = max(1, int(round(seconds / features.step)))
    tiled = np.resize(features.features, (steps, features.features.shape[1]))  # cycles through the rows
    return replace(features, features=np.ascontiguousarray(tiled, dtype=np.float32), duration=steps * features.step)


def per_query_by_length(
    surrogate: Predictor,
    every: Predictor,
    features: VideoFeatures,
    queries: Sequence[str],
    lengths_s: Sequence[float],
) -> list[dict[str, Any]]:
    """``per_query`` on the clip repeated to each of ``lengths_s`` seconds: one row per length, with the counted
    FLOP ratio (all proposals / surrogate) of its first query."""
    rows = []
    for seconds in lengths_s:
        longer = repeated_to(features, seconds)
        figures = per_query(surrogate, every, longer, queries)
        load = flops_per_query(surrogate, every, longer, list(queries)[:1])
        rows.append(
            {
                "seconds": round(longer.duration, 1),
                "feature_steps": int(longer.features.shape[0]),
                "surrogate_p50_s": figures["surrogate"]["p50"],
                "all_proposals_p50_s": figures["all_proposals"]["p50"],
                "speedup_p50": figures["speedup_p50"],
                "mflop_ratio": load["ratio"],
            }
        )
    return rows


def predict_flops(predictor: Predictor, features: VideoFeatures, query: str) -> int:
    """Floating-point operations of one ``predictor.predict(query, features)`` as ``FlopCounterMode`` counts them."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        predictor.predict(query, features)
    return int(counter.get_total_flops())


def flops_per_query(
    surrogate: Predictor, every: Predictor, features: VideoFeatures, queries: Sequence[str]
) -> dict[str, Any]:
    """Mean counted MFLOP of one query for both predictors, and their ratio (all proposals / surrogate)."""
    a = float(np.mean([predict_flops(surrogate, features, q) for q in queries]))
    b = float(np.mean([predict_flops(every, features, q) for q in queries]))
    return {"surrogate_mflop": round(a / 1e6, 3), "all_proposals_mflop": round(b / 1e6, 3), "ratio": _speedup(a, b)}


def batch_scoring(
    surrogate: Predictor, every: Predictor, features: VideoFeatures, queries: Sequence[str], batch: int, runs: int
) -> dict[str, Any]:
    """``model.similarity`` of ``batch`` copies of the clip x ``batch`` queries (padded), median of ``runs``."""
    texts = [surrogate.encode_query(q).vectors for q in (list(queries) * batch)[:batch]]
    width = max(len(t) for t in texts)
    words = np.zeros((batch, width, texts[0].shape[1]), dtype=np.float32)
    word_mask = np.zeros((batch, width), dtype=bool)
    for i, text in enumerate(texts):
        words[i, : len(text)] = text
        word_mask[i, : len(text)] = True
    device = surrogate.device
    video = torch.from_numpy(np.repeat(features.features[None].astype(np.float32), batch, axis=0)).to(device)
    video_mask = torch.ones(video.shape[:2], dtype=torch.bool, device=device)
    words_t, word_mask_t = torch.from_numpy(words).to(device), torch.from_numpy(word_mask).to(device)

    def score(model: Any) -> None:
        with torch.no_grad():
            model.similarity(model.prepare_video(video, video_mask), video_mask, words_t, word_mask_t)

    score(surrogate.model)
    score(every.model)
    fast, slow = [], []
    for _ in range(max(1, runs)):
        fast.append(timed(lambda: score(surrogate.model)))
        slow.append(timed(lambda: score(every.model)))
    a, b = statistics.median(fast), statistics.median(slow)
    return {
        "videos_x_queries": [batch, batch],
        "surrogate_s": round(a, 5),
        "all_proposals_s": round(b, 5),
        "speedup": _speedup(a, b),
        "runs": max(1, runs),
    }


def surrogate_comparison(
    predictor: Predictor,
    features: VideoFeatures,
    queries: Sequence[str],
    batch: int = 16,
    runs: int = 3,
    lengths_s: Sequence[float] = (),
    length_queries: int = 10,
) -> dict[str, Any]:
    """The figures of the module doc for a loaded VLANet predictor, with the proposal counts and the target.
    ``lengths_s``: the longer clips of ``per_query_by_length`` (each timed on the first ``length_queries``)."""
    if not bool(getattr(predictor.model.config, "use_surrogate", False)):
        raise ValueError(f"{predictor.name}: not a VLANet model with use_surrogate on")
    every = all_proposals_twin(predictor)
    surrogate_model: Any = predictor.model
    spans, _ = surrogate_model.proposal_grid([int(features.features.shape[0])], torch.device("cpu"))
    groups, scales = (int(v) for v in spans.shape[1:3])
    query = per_query(predictor, every, features, queries)
    scoring = batch_scoring(predictor, every, features, queries, batch, runs)
    load = flops_per_query(predictor, every, features, queries)
    by_length = per_query_by_length(predictor, every, features, list(queries)[: max(1, length_queries)], lengths_s)
    return {
        "model": predictor.name,
        "feature_steps": int(features.features.shape[0]),
        "groups_K": groups,
        "scales_L": scales,
        "cascade_inputs": {"surrogate": groups, "all_proposals": groups * scales},
        "per_query": query,
        "per_query_by_length": by_length,
        "batch_scoring": scoring,
        "flops_per_query": load,
        "target_speedup": SPEEDUP_TARGET,
        "per_query_target_met": query["speedup_p50"] >= SPEEDUP_TARGET,
        "batch_scoring_target_met": scoring["speedup"] >= SPEEDUP_TARGET,
    }
