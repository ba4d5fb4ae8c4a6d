"""Event handlers: check inputs, call the core's public API (``Predictor`` via ``ModelCache``), build outputs.

Each handler takes the session (from ``gr.State``) and returns it, so per-user data never lives in a module
global, and so a handler run in another process (ZeroGPU) hands its changes back. No tensor maths here: spans
are compared with ``vlanet_core.spans`` and figures come from ``app.plots``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from app import plots
from app.clips import write_segment
from app.examples import Example, find_ground_truth
from app.model_cache import ModelCache
from app.session import LastRun, Session, ensure_session, file_sha256
from app.settings import AppSettings
from app.validation import check_query, check_video, esc, guarded, user_error
from vlanet_core.results import RetrievalResult
from vlanet_core.spans import iou, pairwise_iou

MAX_COMPARE = 4
TOP_SHOWN = 2


@dataclass
class AppContext:
    """What every handler needs and nothing user-specific: settings, the shared model cache, the examples."""

    settings: AppSettings
    cache: ModelCache
    examples: list[Example] = field(default_factory=list)

    def session(self, value: Any) -> Session:
        return ensure_session(value, self.settings.temp_root, self.settings.session_ttl_s)


def _progress_adapter(progress: Any):
    """A ``progress(fraction, message)`` callable for the core, forwarding to ``gr.Progress`` when given."""

    def report(fraction: float = 0.0, message: str | None = None, *args: Any, **kwargs: Any) -> None:
        if progress is None:
            return
        try:
            progress(min(max(float(fraction), 0.0), 1.0), desc=message or kwargs.get("desc") or "Reading the clip")
        except Exception:  # noqa: BLE001 - a progress bar must never break a request
            pass

    return report


def _backbone_key(predictor: Any) -> str:
    """Models whose backbone (name and params) is the same share features."""
    backbone = (getattr(predictor, "config", None) or {}).get("backbone")
    return json.dumps(backbone, sort_keys=True) if backbone else f"model:{predictor.name}"


def _features(
    ctx: AppContext, predictor: Any, path: Path, progress: Any, request_memo: dict[str, Any] | None = None
) -> tuple[Any, bool]:
    """The clip's features for this predictor's backbone, and whether no decoding was needed.

    The predictor's process-wide feature cache (bounded in bytes, keyed by the file's content and the backbone) is
    the only copy: sessions keep none, so many users with long clips cannot hold more than its bound, and an example
    clip that one user ran is free for the next. ``request_memo`` (backbone key -> features) lets the models of one
    request share them without hashing the file again for each (0.2 s per 200 MB)."""
    key = _backbone_key(predictor)
    if request_memo is not None and key in request_memo:
        return request_memo[key], True
    report = _progress_adapter(progress)
    report(0.0, "Decoding the clip and extracting features")
    with guarded("reading the video"):
        features, reused = predictor.encode_video_noting_reuse(str(path), progress=report)
    duration = float(getattr(features, "duration", 0.0))
    if duration > ctx.settings.max_video_seconds:
        raise user_error(
            f"The clip is {duration:.0f} s long; the limit is {ctx.settings.max_video_seconds:.0f} s. Trim it first."
        )
    if request_memo is not None:
        request_memo[key] = features
    return features, reused


def _vid(ctx: AppContext, sha: str) -> str:
    for example in ctx.examples:
        if example.sha256 == sha:
            return example.name
    return f"upload-{sha[:10]}"


def _run(
    ctx: AppContext,
    model: str,
    path: Path,
    sha: str,
    query: str,
    top_k: int,
    progress: Any,
    request_memo: dict[str, Any] | None = None,
) -> tuple[RetrievalResult, bool]:
    """One model on one clip: the result, and whether the clip's features were already there."""
    with guarded("loading the model"):
        predictor = ctx.cache.get(model)
    features, reused = _features(ctx, predictor, path, progress, request_memo)
    with guarded("running the model"):
        return predictor.predict(query, features, top_k=int(top_k), vid=_vid(ctx, sha)), reused


def _check_model(ctx: AppContext, model: Any) -> str:
    with guarded("choosing the model"):
        ctx.cache.resolve(model)
    return str(model)


def _warn_unknown(result: RetrievalResult) -> None:
    if result.unknown_words:
        words = ", ".join(f"“{esc(w)}”" for w in result.unknown_words[:20])
        gr.Warning(f"{len(result.unknown_words)} word(s) unknown to {esc(result.model)} were ignored: {words}.")


def moments_table(result: RetrievalResult) -> pd.DataFrame:
    rows = [[i + 1, round(m.start, 2), round(m.end, 2), round(m.score, 4)] for i, m in enumerate(result.moments)]
    return pd.DataFrame(rows, columns=["rank", "start (s)", "end (s)", "score"])


def result_summary(result: RetrievalResult, trained_on: str, cached: bool) -> str:
    """Markdown about a run; the query is escaped so markup shows as text."""
    top = result.top
    lines = [
        f"**Query:** {esc(result.query)}",
        f"**Model:** `{esc(result.model)}` (trained on: {esc(trained_on)})",
        f"**Top moment:** {top.start:.2f}–{top.end:.2f} s (score {top.score:.3f})" if top else "**No moment found.**",
        f"**Latency:** {result.latency_s:.3f} s" + (" (features reused: clip seen before)" if cached else ""),
    ]
    if result.unknown_words:
        lines.append("**Ignored unknown words:** " + ", ".join(esc(w) for w in result.unknown_words))
    return "  \n".join(lines)


def result_payload(result: RetrievalResult, trained_on: str) -> dict[str, Any]:
    """The prediction row plus what a reader needs to judge it."""
    return {
        **result.to_json(),
        "model": result.model,
        "trained_on": trained_on,
        "duration": round(result.duration, 3),
        "unknown_words": list(result.unknown_words),
        "latency_s": round(result.latency_s, 4),
    }


def model_info(ctx: AppContext, model: Any) -> str:
    """Markdown naming what the chosen model was trained on."""
    if not isinstance(model, str) or model not in ctx.cache.available():
        return "Choose a model."
    return f"**{esc(model)}** — trained on: {esc(ctx.cache.trained_on(model))}"


def refresh_models(ctx: AppContext, current: Any) -> tuple[Any, Any]:
    """Dropdown and checkbox choices (clip-zeroshot appears once its background probe succeeded)."""
    names = ctx.cache.available()
    value = current if current in names else (names[0] if names else None)
    return gr.update(choices=names, value=value), gr.update(choices=names)


# ---- Retrieve --------------------------------------------------------------------------------------------------
def retrieve(
    ctx: AppContext, video: Any, query: Any, model: Any, top_k: Any, state: Any, progress: Any = None
) -> tuple[Any, ...]:
    """Run one model on one clip and query.

    Returns (timeline figure, moments table, heatmap figure, result dict, JSON file path, summary markdown,
    stage dropdown update, drop-word dropdown update, session).
    """
    session = ctx.session(state)
    query = check_query(query, ctx.settings.max_query_words)
    model = _check_model(ctx, model)
    path = check_video(video, ctx.settings.max_upload_bytes)
    top_k = int(min(max(int(top_k or 5), 1), 20))
    with guarded("reading the upload"):
        sha = file_sha256(path)
    result, cached = _run(ctx, model, path, sha, query, top_k, progress)
    _warn_unknown(result)
    truth = find_ground_truth(ctx.examples, sha, query)
    session.last = LastRun(str(path), sha, query, model, top_k, result, truth)
    trained_on = ctx.cache.trained_on(model)
    payload = result_payload(result, trained_on)
    json_path = session.folder / f"{re.sub(r'[^A-Za-z0-9_-]+', '_', result.vid)[:40]}-{model}.json"
    json_path.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    stage_names = [s.name for s in result.stages]
    words = list(dict.fromkeys(result.tokens))
    return (
        plots.timeline_figure(result, truth, top_n=TOP_SHOWN),
        moments_table(result),
        plots.word_time_figure(result),
        payload,
        str(json_path),
        result_summary(result, trained_on, cached),
        gr.update(choices=stage_names, value=stage_names[0] if stage_names else None),
        gr.update(choices=words, value=words[0] if words else None),
        session,
    )


def moment_clips(ctx: AppContext, state: Any) -> tuple[Any, ...]:
    """Playable clips of the last run's top-2 moments (None where a clip cannot be written)."""
    session = ctx.session(state)
    last = session.last
    outputs: list[Any] = []
    for rank in range(TOP_SHOWN):
        if last is None or rank >= len(last.result.moments):
            outputs.append(gr.update(value=None, label=f"Top {rank + 1}"))
            continue
        moment = last.result.moments[rank]
        label = f"Top {rank + 1}: {moment.start:.2f}–{moment.end:.2f} s (score {moment.score:.3f})"
        target = session.folder / f"top{rank + 1}-{last.video_sha[:10]}-{time.time_ns()}.webm"
        s = ctx.settings
        with guarded("cutting the moment clip"):
            written = write_segment(
                last.video_path, moment.start, moment.end, target, s.clip_max_side, s.clip_max_fps, s.clip_max_seconds
            )
        if written is None:
            gr.Warning(f"Could not cut a playable clip for top {rank + 1}.")
        outputs.append(gr.update(value=str(written) if written else None, label=label))
    return (*outputs, session)


# ---- Attention inspector ---------------------------------------------------------------------------------------
def show_stage(ctx: AppContext, stage_name: Any, state: Any) -> tuple[Any, str, Any]:
    """The selected attention stage of the last run, as a figure, with its description."""
    session = ctx.session(state)
    if session.last is None:
        return plots.message_figure("Run a query in the Retrieve tab first."), "", session
    stages = {s.name: s for s in session.last.result.stages}
    if not stages:
        return plots.message_figure(f"{session.last.model} exposes no attention stage."), "", session
    stage = stages.get(stage_name) if isinstance(stage_name, str) else None
    if stage is None:
        stage = next(iter(stages.values()))
    axes = " × ".join(esc(a) for a in stage.axis) or "—"
    return plots.stage_figure(stage), f"**{esc(stage.name)}** ({axes}): {esc(stage.description)}", session


def query_without(query: str, word: str, tokens: list[str]) -> str:
    """The query with the first occurrence of ``word`` removed (matched ignoring case and punctuation)."""
    parts = query.split()
    for i, part in enumerate(parts):
        if re.sub(r"[^\w']+", "", part).lower() == word.lower():
            return " ".join(parts[:i] + parts[i + 1 :])
    remaining = list(tokens)  # the tokeniser changed the word: rebuild the query from its tokens
    if word in remaining:
        remaining.remove(word)
    return " ".join(remaining)


def drop_word(ctx: AppContext, word: Any, state: Any, progress: Any = None) -> tuple[str, Any, Any]:
    """Re-run the last query without one word; report how the top moment moved (IoU and shift)."""
    session = ctx.session(state)
    last = session.last
    if last is None:
        raise user_error("Run a query in the Retrieve tab first.")
    if not isinstance(word, str) or word not in last.result.tokens:
        raise user_error("Choose one of the query's words to drop.")
    reduced = query_without(last.query, word, last.result.tokens)
    if not reduced.strip():
        raise user_error(f"Without “{esc(word)}” the query is empty; there is nothing to compare.")
    path = Path(last.video_path)
    if not path.is_file():
        raise user_error("The clip of the last run is gone (session expired); run the query again.")
    result, _ = _run(ctx, last.model, path, last.video_sha, reduced, last.top_k, progress)
    before, after = last.result.top, result.top
    if before is None or after is None:
        text = "One of the two runs found no moment."
    else:
        overlap = float(iou([before.start, before.end], [after.start, after.end]))
        shift = (after.start + after.end) / 2 - (before.start + before.end) / 2
        text = (
            f"**Without “{esc(word)}”** the query is “{esc(reduced)}”.  \n"
            f"Top moment: {before.start:.2f}–{before.end:.2f} s → {after.start:.2f}–{after.end:.2f} s  \n"
            f"**IoU with the full query's moment:** {overlap:.3f} · **centre shift:** {shift:+.2f} s · "
            f"**score:** {before.score:.3f} → {after.score:.3f}"
        )
    figure = plots.compare_timelines_figure(
        {"full query": last.result, f"without “{word}”": result}, last.ground_truth, top_n=1
    )
    return text, figure, session


# ---- Compare models --------------------------------------------------------------------------------------------
def compare(ctx: AppContext, video: Any, query: Any, models: Any, state: Any, progress: Any = None) -> tuple[Any, ...]:
    """Run 2-4 models on the same clip and query.

    Returns (stacked timelines, heatmaps side by side, top-1 IoU table, latency table, session).
    """
    session = ctx.session(state)
    query = check_query(query, ctx.settings.max_query_words)
    # A request may send anything here: a name that is not a string is kept as its repr, and refused below.
    raw = models if isinstance(models, (list, tuple)) else []
    chosen = list(dict.fromkeys(m if isinstance(m, str) else repr(m) for m in raw))
    if not 2 <= len(chosen) <= MAX_COMPARE:
        raise user_error(f"Tick between 2 and {MAX_COMPARE} models to compare (you ticked {len(chosen)}).")
    for name in chosen:
        _check_model(ctx, name)
    path = check_video(video, ctx.settings.max_upload_bytes)
    with guarded("reading the upload"):
        sha = file_sha256(path)
    results: dict[str, RetrievalResult] = {}
    latency_rows = []
    shared: dict[str, Any] = {}  # features by backbone, for the models of this request
    for i, name in enumerate(chosen):
        if progress is not None:
            _progress_adapter(progress)(i / len(chosen), f"Running {name}")
        started = time.perf_counter()
        result, _ = _run(ctx, name, path, sha, query, 5, progress, shared)
        total = time.perf_counter() - started
        results[name] = result
        top = result.top
        latency_rows.append(
            [
                name,
                ctx.cache.trained_on(name),
                f"{top.start:.2f}–{top.end:.2f}" if top else "—",
                round(result.latency_s, 4),
                round(total, 4),
            ]
        )
        _warn_unknown(result)
    truth = find_ground_truth(ctx.examples, sha, query)
    tops = [[r.top.start, r.top.end] if r.top else [0.0, 0.0] for r in results.values()]
    matrix = pairwise_iou(tops, tops).round(3)
    iou_table = pd.DataFrame(matrix, columns=chosen)
    iou_table.insert(0, "top-1 IoU", chosen)
    latency = pd.DataFrame(
        latency_rows, columns=["model", "trained on", "top-1 (s)", "predict latency (s)", "total incl. features (s)"]
    )
    return (
        plots.compare_timelines_figure(results, truth, top_n=1),
        plots.compare_heatmaps_figure(results),
        iou_table,
        latency,
        session,
    )


def example_choice(ctx: AppContext, name: Any) -> tuple[Any, Any]:
    """The clip and query of the example called ``name`` (for an examples dropdown or the API)."""
    for example in ctx.examples:
        if example.name == name:
            return str(example.video), example.query
    raise user_error("Unknown example.")
