"""Reading VLANet's attention out at inference: proposal scores, the word x time map, inspector stages.

numpy only; inputs are one (video, query) pair's tensors already moved to numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from vlanet_core.results import AttentionStage

Weights = TypeVar("Weights")  # a (N,) or (P, N) array of attention weights: numpy or torch

_TINY = 1e-12


def localisation_inputs(video_weights: Sequence[tuple[str, Weights]], mode: str) -> list[Weights]:
    """The V attention weights whose product ``mode`` reads as localisation (numpy at inference, torch in training):
    "all" (every V attention: the weight the row really carries into v_comp), "cross" (only the query-dependent
    ones, eqs. 11 and the final Q2V), "last" (the last V attention only)."""
    chosen = [w for name, w in video_weights if mode == "all" or not name.startswith("V2V")]
    return chosen[-1:] if mode == "last" else chosen


def localisation_weights(video_weights: list[tuple[str, np.ndarray]], mode: str) -> np.ndarray | None:
    """Each proposal's share of ``v_comp``: the normalised product of its V attention weights (those
    ``localisation_inputs`` picks for ``mode``), (N,), or None when it picks none."""
    chosen = localisation_inputs(video_weights, mode)
    if not chosen:
        return None
    log_w = np.sum([np.log(np.maximum(w, _TINY)) for w in chosen], axis=0)
    log_w = log_w - log_w.max()
    share = np.exp(log_w)
    return share / share.sum()


def spread_surrogate_scores(cosine: np.ndarray, chosen: np.ndarray, group_score: np.ndarray) -> np.ndarray:
    """Scores for every proposal of the (K, L) grid from the K surrogates' scores.

    The surrogate keeps its group's score; a sibling gets ``group_score * (1 + cos) / (1 + cos_surrogate)``, in
    [0, group_score], so it ranks below its surrogate, by its cosine to w_M (the selection criterion, eq. 3) and
    in proportion to how strongly the cascade attended its group.
    """
    k = np.arange(cosine.shape[0])
    ratio = (1.0 + cosine) / np.maximum(1.0 + cosine[k, chosen], _TINY)[:, None]
    scores = group_score[:, None] * np.clip(ratio, 0.0, 1.0)
    scores[k, chosen] = group_score
    return scores


def word_time_map(video_query: np.ndarray, spans: np.ndarray, num_steps: int) -> np.ndarray:
    """Fig. 5's map on the time axis: (M, T) from ``video_query`` (N, M) = V Q^T over N proposals.

    Each proposal's row is spread over the steps it covers ``[start, end)``; where proposals overlap the rows are
    averaged; steps covered by none get 0. Computed with running sums over the proposals' starts and ends, so time
    and memory grow with N + T, not N x T (a 10-min clip has 1,200 steps and, with all proposals of the three-scale
    model, 1,785 rows). Step s is covered iff ceil(start) <= s < ceil(end).
    """
    values = np.asarray(video_query, dtype=np.float64)
    bounds = np.clip(np.ceil(np.asarray(spans, dtype=np.float64)), 0, num_steps).astype(np.int64)
    start, end = bounds[:, 0], np.maximum(bounds[:, 1], bounds[:, 0])  # an empty or reversed span covers nothing
    change = np.zeros((num_steps + 1, values.shape[1]), dtype=np.float64)
    np.add.at(change, start, values)
    np.add.at(change, end, -values)
    covering = np.bincount(start, minlength=num_steps + 1) - np.bincount(end, minlength=num_steps + 1)
    total = np.cumsum(change, axis=0)[:num_steps]  # (T, M)
    count = np.cumsum(covering)[:num_steps, None]  # proposals covering each step
    return (total / np.maximum(count, 1.0)).T.astype(np.float32)


def time_stage(share: np.ndarray, spans: np.ndarray, num_steps: int) -> AttentionStage:
    """The localisation weights (N,) of the attended proposals spread over the T steps (axis "time", so the
    predictor relabels it in seconds): each step gets the mean share of the proposals covering it."""
    per_step = word_time_map(share[:, None], spans, num_steps)[0]
    return AttentionStage(
        "localisation over time",
        per_step.astype(np.float32),
        [str(t) for t in range(num_steps)],
        None,
        ("time",),
        "Each proposal's share of v_comp (product of its V attention weights), averaged over the steps it covers.",
    )


def span_labels(spans: np.ndarray) -> list[str]:
    """``"start-end"`` in feature steps (end exclusive); the predictor relabels them in seconds."""
    return [f"{int(s)}-{int(e)}" for s, e in spans]


def build_stages(
    cosine: np.ndarray,
    chosen: np.ndarray | None,
    group_starts: np.ndarray,
    window_lengths: np.ndarray,
    attended_spans: np.ndarray,
    tokens: list[str],
    video_weights: list[tuple[str, np.ndarray]],
    query_weights: list[tuple[str, np.ndarray]],
) -> list[AttentionStage]:
    """Inspector stages: eq. 3's cosines, the surrogate chosen per group, then every attention in cascade order.

    Labels are feature steps: groups by their start step, windows by their length in steps, proposals
    ``"start-end"``. ``attended_spans`` (N, 2) are the spans the V attentions weigh (surrogates, or all proposals).
    """
    groups = [str(int(s)) for s in group_starts]
    windows = [str(int(w)) for w in window_lengths]
    stages = [
        AttentionStage(
            "proposal-query cosine",
            cosine.astype(np.float32),
            groups,
            windows,
            ("group start (step)", "window (steps)"),
            "Cosine between each proposal and the query's last GRU state (eq. 3).",
        )
    ]
    if chosen is not None:
        onehot = np.zeros_like(cosine, dtype=np.float32)
        onehot[np.arange(len(chosen)), chosen] = 1.0
        stages.append(
            AttentionStage(
                "surrogate selection",
                onehot,
                groups,
                windows,
                ("group start (step)", "window (steps)"),
                "1 on the window kept as each group's surrogate: the highest cosine (eqs. 4-5).",
            )
        )
    labels = span_labels(attended_spans)
    ordered = [(name, w, "video") for name, w in video_weights] + [(name, w, "query") for name, w in query_weights]
    ordered.sort(key=lambda item: _stage_order(item[0]))
    for name, weights, kind in ordered:
        rows, axis = (labels, ("proposal",)) if kind == "video" else (list(tokens), ("word",))
        stages.append(AttentionStage(name, weights.astype(np.float32), rows, None, axis, _describe(name)))
    return stages


def _stage_order(name: str) -> tuple[int, int, str]:
    if "self-attention" in name:
        return (0, 0, name)
    if name.startswith("cross"):
        step = int(name.split()[1].rstrip(":"))
        return (1, step, "0" if "video attended" in name else "1")
    return (2, 0, name)


def _describe(name: str) -> str:
    if name.startswith("V2V"):
        return "Video self-attention over the surrogate proposals (eq. 9)."
    if name.startswith("Q2Q"):
        return "Query self-attention over the words (eq. 10)."
    if "video attended" in name:
        return "Proposals weighted by the query (eq. 11)."
    return "Words weighted by the attended video (eq. 12)."
