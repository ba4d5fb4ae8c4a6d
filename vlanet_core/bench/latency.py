"""Per-query latency of loaded predictors, and the time of a whole request (decode + features + predict).

Every figure is wall-clock seconds measured with ``time.perf_counter`` in this process, after one warm-up call
(the first call of a model pays for lazy imports and torch's first-call set-up, which a served app pays once).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from vlanet_core.features.bench import interleaved_medians
from vlanet_core.features.types import VideoFeatures
from vlanet_core.predictor import Predictor, shared_feature_cache


def summarise(seconds: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / mean / max of ``seconds`` (linear interpolation between order statistics), and the count."""
    values = np.asarray(seconds, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no timings to summarise")
    return {
        "p50": round(float(np.percentile(values, 50)), 5),
        "p95": round(float(np.percentile(values, 95)), 5),
        "mean": round(float(values.mean()), 5),
        "max": round(float(values.max()), 5),
        "n": int(values.size),
    }


def timed(action: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call of ``action``."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def benchmark_queries(count: int) -> list[str]:
    """``count`` distinct Shapes-STA test sentences, in file order (every word is in GloVe's vocabulary, so every
    text encoder accepts them)."""
    from vlanet_core.data.shapes import annotation_rows, video_spec

    if count < 1:
        raise ValueError(f"need at least one query, got {count}")
    queries: list[str] = []
    index = 0
    while len(queries) < count:
        for row in annotation_rows(video_spec("test", index)):
            if row.sentence not in queries:
                queries.append(row.sentence)
        index += 1
    return queries[:count]


def query_latency(predictor: Predictor, features: VideoFeatures, queries: Sequence[str]) -> dict[str, Any]:
    """``predictor.predict`` on features already computed (the cached-features path of the app): text encoding,
    the model, NMS and top-5, per query."""
    predictor.predict(queries[0], features)  # warm-up
    times = [timed(partial(predictor.predict, query, features)) for query in queries]
    result = predictor.predict(queries[0], features)
    return {**summarise(times), "proposals": len(result.proposals)}


def model_latencies(
    checkpoints: dict[str, Path], clip: Path, queries: Sequence[str], device: str | None = None
) -> dict[str, dict[str, Any]]:
    """``query_latency`` for every checkpoint folder, on ``clip``'s features; a checkpoint that cannot be loaded or
    run gets ``{"error": ...}`` instead of figures (one broken folder must not hide the others)."""
    out: dict[str, dict[str, Any]] = {}
    for name, folder in checkpoints.items():
        try:
            start = time.perf_counter()
            predictor = Predictor.from_pretrained(folder, device=device)
            load_s = time.perf_counter() - start
            features = predictor.encode_video(clip)
            out[name] = {
                "model": predictor.config["model"],
                "load_s": round(load_s, 4),
                **query_latency(predictor, features, queries),
            }
        except Exception as err:  # noqa: BLE001 - reported in the JSON, the other models still run
            out[name] = {"error": f"{type(err).__name__}: {err}"[:300]}
    return out


def end_to_end(
    predictor: Predictor,
    clip: Path,
    query: str,
    runs: int = 3,
    repeats: int = 10,
    decode_reference: tuple[str, Callable[[], Any]] | None = None,
) -> dict[str, Any]:
    """A request on a new clip, and the same clip asked again.

    ``first_request_s``: ``encode_video`` with the shared feature cache emptied first (hash, decode, features) +
    ``predict``; median of ``runs`` after a warm-up. ``repeat_query_s``: the same two calls with the clip's
    features already cached (hash + look-up + predict); median of ``repeats``. ``decode_reference``: (name,
    decode-only action), timed in the same rounds as the first requests (one of each per round), giving
    ``fastest_decode_s`` and ``ratio_to_fastest_decode`` measured under the same load.
    """
    cache = shared_feature_cache()

    def first_request() -> None:
        cache.clear()
        predictor.predict(query, predictor.encode_video(clip))

    def repeat_query() -> None:
        predictor.predict(query, predictor.encode_video(clip))

    actions: dict[str, Callable[[], Any]] = {"first_request": first_request}
    if decode_reference is not None:
        actions["decode_reference"] = decode_reference[1]
    medians = interleaved_medians(actions, max(1, runs))
    first = medians["first_request"]
    repeat_query()
    repeat = statistics.median(timed(repeat_query) for _ in range(max(1, repeats)))
    out: dict[str, Any] = {
        "model": predictor.name,
        "query": query,
        "first_request_s": round(first, 5),
        "repeat_query_s": round(repeat, 5),
        "runs": max(1, runs),
        "repeats": max(1, repeats),
        "statistic": "median seconds after 1 warm-up call; first requests interleaved with the decode reference",
    }
    if decode_reference is not None:
        out["fastest_decode"] = decode_reference[0]
        out["fastest_decode_s"] = round(medians["decode_reference"], 5)
        out["ratio_to_fastest_decode"] = round(first / medians["decode_reference"], 3)
    return out
