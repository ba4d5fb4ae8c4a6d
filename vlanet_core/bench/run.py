"""Assemble every figure of ``python -m vlanet_core.bench`` into one JSON-ready dict (see the package doc)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vlanet_core.bench import app_memory, latency, surrogate, training_speed
from vlanet_core.checkpoint import list_checkpoints, read_config
from vlanet_core.features import bench as feature_bench

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFERRED_MODEL = "vlanet-shapes-sta"  # the paper's model: the end-to-end and surrogate figures use it
SECTIONS = ("features", "model_latency", "end_to_end", "app_memory", "training", "surrogate")


@dataclass
class BenchOptions:
    """How much to measure; ``quick()`` trades precision for a run under a minute."""

    checkpoints: Path = field(default_factory=lambda: REPO_ROOT / "checkpoints")
    feature_runs: int = 9  # timed rounds of the decode / feature figures (interleaved), after one warm-up
    queries: int = 30  # queries per model for p50 / p95
    end_to_end_runs: int = 9  # first requests (cache emptied each time), interleaved with the fastest decode
    repeat_runs: int = 10  # repeat queries on the cached clip
    app_memory: str = "server"  # "server" (real app + gradio_client), "preload" (demo + preload), "skip"
    train_videos: int = 64  # Shapes-STA train subset; its features come from the store in data_cache/features
    train_steps: int = 3  # timed optimiser steps per model, after one warm-up step
    train_batch: int = 32  # the batch size the shipped models were trained with
    train_models: tuple[str, ...] = ()  # empty: every trainable model
    surrogate_batch: int = 16  # B videos x B queries for the batch-scoring comparison
    surrogate_runs: int = 3
    surrogate_model: str | None = None  # checkpoint name for the surrogate figures; None: the end-to-end model
    surrogate_lengths_s: tuple[float, ...] = (120.0, 600.0)  # longer clips for the per-query speed-up by length
    skip: tuple[str, ...] = ()
    threads: int = 1  # torch threads: 1 keeps figures comparable on a shared machine

    @classmethod
    def quick(cls, **overrides: Any) -> BenchOptions:
        fast = dict(feature_runs=3, queries=10, end_to_end_runs=3, repeat_runs=5, app_memory="preload")
        fast.update(train_steps=1, train_batch=16, surrogate_batch=8, surrogate_runs=1, surrogate_lengths_s=(60.0,))
        return cls(**{**fast, **overrides})


def machine_info(threads: int) -> dict[str, Any]:
    """The features bench's machine description plus torch's version and thread count."""
    return {
        **feature_bench.machine(),
        "torch": torch.__version__,
        "torch_threads": threads,
        "two_thread_speedup_now": feature_bench.two_thread_speedup(),
        "python_implementation": platform.python_implementation(),
    }


def pick_model(checkpoints: dict[str, Path]) -> str | None:
    """The preferred model when shipped, else the first checkpoint of a VLANet, else the first one."""
    if PREFERRED_MODEL in checkpoints:
        return PREFERRED_MODEL
    vlanets = [name for name, folder in checkpoints.items() if read_config(folder)["model"] == "vlanet"]
    candidates = vlanets or list(checkpoints)
    return candidates[0] if candidates else None


def clip_query(clip_video: int = 30) -> str:
    """The first sentence of the benchmark clip (Shapes-STA test video 30)."""
    from vlanet_core.data.shapes import annotation_rows, video_spec

    return annotation_rows(video_spec("test", clip_video))[0].sentence


def _section(report: dict[str, Any], name: str, options: BenchOptions, work: Callable[[], Any]) -> None:
    """Run one section unless skipped; its time goes to ``section_seconds`` and a failure to its ``error``."""
    if name in options.skip or (name == "app_memory" and options.app_memory == "skip"):
        report[name] = {"skipped": True}
        return
    start = time.perf_counter()
    try:
        report[name] = work()
    except Exception as err:  # noqa: BLE001 - one failed section must not lose the others' figures
        report[name] = {"error": f"{type(err).__name__}: {err}"[:500]}
    report["section_seconds"][name] = round(time.perf_counter() - start, 2)


def run_bench(options: BenchOptions, clip: Path | None = None, train_split: Any = None) -> dict[str, Any]:
    """Every figure of the package doc. ``clip`` defaults to Shapes-STA test video 30 written as mp4v;
    ``train_split`` (a ``SplitData``) defaults to ``shapes_sta_split("train", n_videos=options.train_videos)``."""
    from vlanet_core.predictor import Predictor

    torch.set_num_threads(options.threads)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vmr-bench-") as folder:
        clip = clip or feature_bench.write_default_clip(Path(folder))
        checkpoints = list_checkpoints(options.checkpoints)
        queries = latency.benchmark_queries(options.queries)
        report: dict[str, Any] = {
            "machine": machine_info(options.threads),
            "options": json.loads(json.dumps(dataclasses.asdict(options), default=str)),
            "clip": str(clip),
            "checkpoints": list(checkpoints),
            "section_seconds": {},
        }
        chosen = pick_model(checkpoints)
        predictor = Predictor.from_pretrained(checkpoints[chosen]) if chosen else None
        _section(report, "features", options, lambda: _features(clip, options, predictor))
        _section(report, "model_latency", options, lambda: latency.model_latencies(checkpoints, clip, queries))

        def end_to_end() -> dict[str, Any]:
            if predictor is None:
                raise ValueError(f"no checkpoint in {options.checkpoints}")
            fastest = report.get("features", {}).get("fastest_decode", {}).get("name")
            reference = _decode_action(clip, predictor, fastest)
            return latency.end_to_end(
                predictor, clip, clip_query(), options.end_to_end_runs, options.repeat_runs, reference
            )

        _section(report, "end_to_end", options, end_to_end)
        _section(report, "app_memory", options, lambda: _app_memory(options, clip))
        _section(report, "training", options, lambda: _training(options, checkpoints, train_split))

        def surrogate_figures() -> dict[str, Any]:
            chosen = surrogate_predictor(options, checkpoints, predictor)
            features = chosen.encode_video(clip)
            return surrogate.surrogate_comparison(
                chosen, features, queries, options.surrogate_batch, options.surrogate_runs, options.surrogate_lengths_s
            )

        _section(report, "surrogate", options, surrogate_figures)
    report["targets"] = targets(report)
    report["wall_s"] = round(time.perf_counter() - started, 2)
    return report


def surrogate_predictor(options: BenchOptions, checkpoints: dict[str, Path], default: Any) -> Any:
    """The predictor the surrogate figures use: ``options.surrogate_model`` (a name among ``checkpoints``, never a
    path) or ``default``; a VLANet either way."""
    from vlanet_core.predictor import Predictor

    name = options.surrogate_model
    if name is not None and name not in checkpoints:
        raise ValueError(f"no checkpoint named {name!r} in {options.checkpoints}; shipped: {sorted(checkpoints)}")
    chosen = Predictor.from_pretrained(checkpoints[name]) if name is not None else default
    if chosen is None or chosen.config["model"] != "vlanet":
        raise ValueError(f"{name or 'the end-to-end model'}: not a VLANet checkpoint in {options.checkpoints}")
    return chosen


def _features(clip: Path, options: BenchOptions, predictor: Any = None) -> dict[str, Any]:
    """The feature bench with the end-to-end model's ``default`` backbone (its settings, e.g. the edge floor),
    or the backbone's defaults when that model uses another backbone."""
    backbone = getattr(predictor, "backbone", None)
    backbone = backbone if isinstance(backbone, feature_bench.DefaultBackbone) else None
    figures = feature_bench.run_bench(clip, runs=options.feature_runs, backbone=backbone)
    figures.pop("machine", None)  # the report's own ``machine`` describes it once
    return figures


def _decode_action(clip: Path, predictor: Any, name: str | None) -> tuple[str, Callable[[], Any]] | None:
    """The decode-only action the features section found fastest, at the predictor's backbone's rate and size,
    to be timed in the same rounds as the end-to-end requests (None if there is none)."""
    backbone = predictor.backbone
    size = getattr(backbone, "input_size", None)
    if name is None or size is None:
        return None
    actions = feature_bench.decode_actions(clip, backbone.sample_fps, size)
    return (name, actions[name]) if name in actions else None


def _app_memory(options: BenchOptions, clip: Path) -> dict[str, Any]:
    if options.app_memory == "server":
        return app_memory.served_app_memory(options.checkpoints, clip, clip_query())
    if options.app_memory == "preload":
        return app_memory.preloaded_app_memory(options.checkpoints)
    raise ValueError(f"app_memory must be 'server', 'preload' or 'skip', got {options.app_memory!r}")


def _training(options: BenchOptions, checkpoints: dict[str, Path], split: Any) -> dict[str, Any]:
    if split is None:
        from vlanet_core.training.data import shapes_sta_split

        start = time.perf_counter()
        split = shapes_sta_split("train", n_videos=options.train_videos, cache_dir=REPO_ROOT / "data_cache")
        load_s = time.perf_counter() - start
    else:
        load_s = 0.0
    configs = {name: read_config(folder) for name, folder in checkpoints.items()}
    models = training_speed.all_training_throughputs(
        split, configs, options.train_batch, options.train_steps, list(options.train_models) or None
    )
    videos = len({a.vid for a in split.annotations})
    return {"data": split.name, "videos": videos, "pairs": len(split.annotations), "load_s": round(load_s, 2), **models}


def targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each measured figure beside its bar: ``{"value", "target", "met"}`` (absent when not measured)."""
    out: dict[str, dict[str, Any]] = {}

    def add(name: str, value: Any, target: float, relation: str = "<=") -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            met = {"<=": value <= target, "<": value < target, ">=": value >= target}[relation]
            out[name] = {"value": value, "target": f"{relation} {target}", "met": bool(met)}

    e2e = report.get("end_to_end", {})
    add("end_to_end_ratio_to_fastest_decode", e2e.get("ratio_to_fastest_decode"), 1.5)
    add("end_to_end_first_request_s", e2e.get("first_request_s"), 1.0)
    add("repeat_query_s", e2e.get("repeat_query_s"), 0.1)
    add("features_ratio_to_fastest_decode", report.get("features", {}).get("ratio_to_fastest_decode"), 1.5)
    memory = report.get("app_memory", {})
    add("app_peak_rss_mb", memory.get("peak_rss_mb"), app_memory.MEMORY_TARGET_MB, "<")
    sur = report.get("surrogate", {})
    add("surrogate_speedup_per_query", sur.get("per_query", {}).get("speedup_p50"), surrogate.SPEEDUP_TARGET, ">=")
    add("surrogate_speedup_batch_scoring", sur.get("batch_scoring", {}).get("speedup"), surrogate.SPEEDUP_TARGET, ">=")
    for row in sur.get("per_query_by_length", []):  # the same bar one query at a time on longer clips
        seconds = int(round(row["seconds"]))
        add(f"surrogate_speedup_per_query_{seconds}s", row.get("speedup_p50"), surrogate.SPEEDUP_TARGET, ">=")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vlanet_core.bench", description="Speed and memory figures.")
    parser.add_argument("--checkpoints", type=Path, default=REPO_ROOT / "checkpoints", help="folder of checkpoints")
    parser.add_argument("--quick", action="store_true", help="fewer runs, app memory by preload: under a minute")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--skip", default="", help=f"comma-separated sections to leave out: {', '.join(SECTIONS)}")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument(
        "--surrogate-model", help=f"checkpoint name for the surrogate figures (default: {PREFERRED_MODEL})"
    )
    args = parser.parse_args(argv)
    skip = tuple(s.strip() for s in args.skip.split(",") if s.strip())
    unknown = sorted(set(skip) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    if not args.checkpoints.is_dir():
        parser.error(f"no such folder: {args.checkpoints}")
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    overrides = {
        "checkpoints": args.checkpoints,
        "skip": skip,
        "threads": args.threads,
        "surrogate_model": args.surrogate_model,
    }
    options = BenchOptions.quick(**overrides) if args.quick else BenchOptions(**overrides)
    report = run_bench(options)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
