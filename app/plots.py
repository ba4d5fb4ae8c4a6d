"""Plotly figures from ``RetrievalResult`` objects (numpy and plotly only; no torch).

Every string that came from a user (query, tokens, labels) is HTML-escaped before it reaches Plotly, which
renders a subset of HTML in titles, ticks and hovers.

Timeline: every scored proposal is a horizontal bar over [start, end] seconds on its own lane, lanes ordered by
score (best at the top), coloured by score; the top moments and the ground truth are outlined rectangles spanning
all lanes, each its own named trace so the legend (and tests) can find them.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vlanet_core.results import AttentionStage, RetrievalResult

TOP_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")
GT_COLOUR = "#2ca02c"
SCORE_SCALE = "Viridis"
# Negative blue, 0 white, positive red: for maps whose values take both signs (see ``word_time_colours``).
SIGNED_SCALE = [[0.0, "#2166ac"], [0.5, "#f7f7f7"], [1.0, "#b2182b"]]
# Above this many tick labels, only every k-th is written, or the axis becomes unreadable.
MAX_TICKS = 30


def esc(text: object) -> str:
    """HTML-escaped text for Plotly."""
    return html.escape(str(text), quote=True)


def message_figure(message: str, height: int = 260) -> go.Figure:
    """An empty figure that says why there is nothing to plot."""
    fig = go.Figure()
    fig.add_annotation(text=esc(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(height=height, xaxis_visible=False, yaxis_visible=False, margin=dict(l=20, r=20, t=30, b=20))
    return fig


def _ticks(labels: list[str]) -> dict:
    step = max(1, int(np.ceil(len(labels) / MAX_TICKS)))
    idx = list(range(0, len(labels), step))
    return dict(tickmode="array", tickvals=idx, ticktext=[esc(labels[i]) for i in idx])


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _rectangle(start: float, end: float, lo: float, hi: float, name: str, colour: str, dash: str) -> go.Scatter:
    """An outlined, lightly filled rectangle over all lanes (the bars under it stay readable)."""
    return go.Scatter(
        x=[start, end, end, start, start],
        y=[lo, lo, hi, hi, lo],
        mode="lines",
        fill="toself",
        fillcolor=_rgba(colour, 0.08),
        line=dict(color=colour, width=3, dash=dash),
        name=name,
        hovertemplate=f"{esc(name)}<br>{start:.2f}-{end:.2f} s<extra></extra>",
    )


def _timeline_traces(
    result: RetrievalResult,
    ground_truth: tuple[float, float] | None,
    top_n: int,
    normalise: bool,
    show_scale: bool,
    legend: bool,
) -> list[go.BaseTraceType]:
    """Bars of all proposals (lane = score rank) + rectangles of the top moments and the ground truth."""
    props = sorted(result.proposals or result.moments, key=lambda m: -m.score)
    starts = np.array([m.start for m in props], dtype=float)
    ends = np.array([m.end for m in props], dtype=float)
    scores = np.array([m.score for m in props], dtype=float)
    colour = scores
    if normalise and scores.size:
        spread = float(scores.max() - scores.min())
        colour = (scores - scores.min()) / spread if spread > 0 else np.ones_like(scores)
    lanes = np.arange(len(props), dtype=float)
    traces: list[go.BaseTraceType] = [
        go.Bar(
            x=ends - starts,
            base=starts,
            y=lanes,
            orientation="h",
            width=0.9,
            marker=dict(
                color=colour,
                colorscale=SCORE_SCALE,
                showscale=show_scale,
                colorbar=dict(title="score" if not normalise else "score<br>(min-max)", thickness=12),
            ),
            customdata=np.stack([starts, ends, scores], axis=-1) if props else None,
            hovertemplate="%{customdata[0]:.2f}-%{customdata[1]:.2f} s<br>score %{customdata[2]:.4f}<extra></extra>",
            name=f"{len(props)} proposals",
            showlegend=legend,
        )
    ]
    lo, hi = -0.5, max(len(props), 1) - 0.5
    for rank, moment in enumerate(result.moments[:top_n]):
        name = f"Top {rank + 1} ({moment.score:.3f})"
        trace = _rectangle(moment.start, moment.end, lo, hi, name, TOP_COLOURS[rank % len(TOP_COLOURS)], "solid")
        trace.showlegend = legend
        traces.append(trace)
    if ground_truth is not None:
        trace = _rectangle(ground_truth[0], ground_truth[1], lo, hi, "Ground truth", GT_COLOUR, "dash")
        trace.showlegend = legend
        traces.append(trace)
    return traces


def timeline_figure(
    result: RetrievalResult, ground_truth: tuple[float, float] | None = None, top_n: int = 2
) -> go.Figure:
    """Every scored proposal over time, coloured by score, with the top ``top_n`` moments and the ground truth."""
    if not result.proposals and not result.moments:
        return message_figure("The model returned no proposal.")
    fig = go.Figure(_timeline_traces(result, ground_truth, top_n, normalise=False, show_scale=True, legend=True))
    fig.update_layout(
        title=dict(text=f"{esc(result.model)}: “{esc(result.query)}”", font=dict(size=14)),
        xaxis=dict(title="time (s)", range=[0, result.duration]),
        yaxis=dict(title="proposal (best at top)", autorange="reversed", showticklabels=False),
        height=380,
        bargap=0.05,
        legend=dict(orientation="h", y=-0.22),
        margin=dict(l=50, r=20, t=50, b=40),
    )
    return fig


def word_time_colours(weights: np.ndarray) -> dict:
    """Heatmap colour settings for a word x time map: ``Blues`` for non-negative weights (WSRA, SCN, CI-MHA: attention
    weights, 0 = none); for a map with negative values a diverging scale centred on 0 (``zmid``), so that the
    strength of a cell is its distance from white whatever its sign.

    VLANet's map is Fig. 5's outer product of the attended video and query features, whose sign no loss constrains
    (eq. 13 scores through W1, W2); its largest magnitudes sit where the cascade's attention weights concentrate, and
    there the products may well be negative. On a one-sided scale those cells would read as the weakest."""
    if weights.size and float(np.nanmin(weights)) < 0.0:
        return dict(colorscale=SIGNED_SCALE, zmid=0.0)
    return dict(colorscale="Blues")


def _word_time_heatmap(result: RetrievalResult, show_scale: bool = True) -> go.Heatmap:
    weights = np.asarray(result.word_time, dtype=float)
    tokens = [esc(t) for t in result.tokens][: weights.shape[0]]
    hover = np.array([[tok] * weights.shape[1] for tok in tokens], dtype=object)
    return go.Heatmap(
        z=weights,
        x=np.asarray(result.times, dtype=float),
        y=list(range(weights.shape[0])),
        text=hover,
        showscale=show_scale,
        colorbar=dict(tickformat=".3~g", thickness=12),
        hovertemplate="word %{text}<br>t = %{x:.2f} s<br>value %{z:.4g}<extra></extra>",
        **word_time_colours(weights),
    )


def word_time_figure(result: RetrievalResult) -> go.Figure:
    """The word x time attention heatmap (words on y, seconds on x), with the top moment outlined."""
    if result.word_time is None or np.asarray(result.word_time).size == 0:
        return message_figure(f"{result.model} has no word x time attention.")
    fig = go.Figure(_word_time_heatmap(result))
    if result.top is not None:
        fig.add_vrect(x0=result.top.start, x1=result.top.end, line=dict(color=TOP_COLOURS[0], width=2))
    fig.update_layout(
        title=dict(text="Which words look at which seconds", font=dict(size=14)),
        xaxis=dict(title="time (s)", range=[0, result.duration]),
        yaxis=dict(title="word", autorange="reversed", **_ticks(list(result.tokens))),
        height=max(220, 60 + 26 * len(result.tokens)),
        margin=dict(l=90, r=20, t=50, b=40),
    )
    return fig


def stage_figure(stage: AttentionStage) -> go.Figure:
    """One attention stage: a heatmap for 2-D weights, a bar chart for 1-D weights."""
    weights = np.asarray(stage.weights, dtype=float)
    axis = list(stage.axis) + ["", ""]
    if weights.ndim == 1:
        labels = list(stage.rows) if len(stage.rows) == weights.shape[0] else [str(i) for i in range(weights.size)]
        fig = go.Figure(
            go.Bar(
                x=list(range(weights.size)),
                y=weights,
                marker_color="#1f77b4",
                text=[esc(x) for x in labels],
                hovertemplate="%{text}<br>weight %{y:.4f}<extra></extra>",
                name=esc(stage.name),
            )
        )
        fig.update_layout(xaxis=dict(title=esc(axis[0]), **_ticks(labels)), yaxis_title="weight")
    elif weights.ndim == 2:
        rows = list(stage.rows) if len(stage.rows) == weights.shape[0] else [str(i) for i in range(weights.shape[0])]
        cols = stage.cols if stage.cols and len(stage.cols) == weights.shape[1] else None
        cols = list(cols) if cols else [str(i) for i in range(weights.shape[1])]
        hover = np.array([[f"{esc(r)} / {esc(c)}" for c in cols] for r in rows], dtype=object)
        fig = go.Figure(
            go.Heatmap(
                z=weights,
                x=list(range(len(cols))),
                y=list(range(len(rows))),
                text=hover,
                colorscale="Blues",
                colorbar=dict(tickformat=".3~g", thickness=12),
                hovertemplate="%{text}<br>weight %{z:.4g}<extra></extra>",
                name=esc(stage.name),
            )
        )
        fig.update_layout(
            xaxis=dict(title=esc(axis[1]), **_ticks(cols)),
            yaxis=dict(title=esc(axis[0]), autorange="reversed", **_ticks(rows)),
        )
    else:
        return message_figure(f"Stage {stage.name} has {weights.ndim}-D weights; only 1-D and 2-D can be drawn.")
    fig.update_layout(
        title=dict(text=esc(stage.name), font=dict(size=14)), height=380, margin=dict(l=90, r=20, t=50, b=60)
    )
    return fig


def compare_timelines_figure(
    results: dict[str, RetrievalResult], ground_truth: tuple[float, float] | None = None, top_n: int = 2
) -> go.Figure:
    """One timeline per model, stacked on a shared time axis; colours are min-max scaled per model."""
    names = list(results)
    if not names:
        return message_figure("No model to compare.")
    fig = make_subplots(
        rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=[esc(n) for n in names]
    )
    for row, name in enumerate(names, start=1):
        for trace in _timeline_traces(
            results[name], ground_truth, top_n, normalise=True, show_scale=row == 1, legend=False
        ):
            fig.add_trace(trace, row=row, col=1)
        fig.update_yaxes(autorange="reversed", showticklabels=False, row=row, col=1)
    duration = max(r.duration for r in results.values())
    fig.update_xaxes(range=[0, duration])
    fig.update_xaxes(title_text="time (s)", row=len(names), col=1)
    fig.update_layout(height=170 * len(names) + 80, bargap=0.05, margin=dict(l=30, r=20, t=40, b=40), showlegend=False)
    return fig


def compare_heatmaps_figure(results: dict[str, RetrievalResult]) -> go.Figure:
    """The word x time heatmaps of several models side by side (a note where a model has none)."""
    names = list(results)
    if not names:
        return message_figure("No model to compare.")
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[esc(n) for n in names], horizontal_spacing=0.06)
    for col, name in enumerate(names, start=1):
        result = results[name]
        if result.word_time is None or np.asarray(result.word_time).size == 0:
            # plotly.js drops axes without a trace, and the note would land on the first subplot: add an empty one
            fig.add_trace(go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip"), row=1, col=col)
            fig.update_xaxes(visible=False, row=1, col=col)
            fig.update_yaxes(visible=False, row=1, col=col)
            fig.add_annotation(
                text="no word x time attention",
                showarrow=False,
                row=1,
                col=col,
                x=0.5,
                y=0.5,
                xref="x domain",
                yref="y domain",
            )
            continue
        fig.add_trace(_word_time_heatmap(result, show_scale=False), row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col, **_ticks(list(result.tokens)))
        fig.update_xaxes(title_text="time (s)", row=1, col=col)
    tokens = max((len(r.tokens) for r in results.values()), default=1)
    fig.update_layout(height=max(260, 80 + 26 * tokens), margin=dict(l=60, r=20, t=50, b=40))
    return fig
