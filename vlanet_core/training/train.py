"""Train a registered model and save the best epoch (chosen on val) as a checkpoint folder.

    python -m vlanet_core.training.train --model vlanet --data shapes-sta --out checkpoints/vlanet-shapes-sta
    python -m vlanet_core.training.train --model vlanet --data charades \\
        --train-annotations charades_sta_train.txt --val-annotations charades_sta_test.txt --features-dir i3d/
    torchrun --nproc_per_node=2 -m vlanet_core.training.train --model vlanet ...   (gloo on CPU)

Model settings are given as ``--set key=value`` (JSON values), e.g. ``--set cross_steps=2 --set hidden_dim=256``.
A weakly supervised model only ever receives (video, sentence) pairs; see ``trainer.py``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vlanet_core.checkpoint import build_model, save_checkpoint
from vlanet_core.device import pick_device
from vlanet_core.models.base import MomentModel
from vlanet_core.predictor import Predictor
from vlanet_core.registry import MODELS, TEXT_ENCODERS
from vlanet_core.training.batching import Collator, TextCache
from vlanet_core.training.data import SplitData, annotated_split, shapes_sta_split, supervised_view, weak_view
from vlanet_core.training.evaluate import evaluate_split
from vlanet_core.training.negatives import NegativeSampler
from vlanet_core.training.trainer import TrainConfig, Trainer, distributed_context, seed_everything

# WSRA's paper averages GPT-2 blocks; our stand-in is MiniLM's layer average. The others use GloVe as their papers.
DEFAULT_TEXT_ENCODER = {"wsra": "minilm"}
TRAINED_ON = {"shapes-sta": "Shapes-STA train split (synthetic coloured shapes; {n} videos, seed {seed})"}


def parse_sets(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key or not _:
            raise SystemExit(f"--set expects key=value, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def load_splits(args: argparse.Namespace) -> tuple[SplitData, SplitData]:
    if args.data == "shapes-sta":
        cache = args.cache_dir
        train = shapes_sta_split("train", seed=args.train_seed, n_videos=args.train_videos, cache_dir=cache)
        val = shapes_sta_split("val", seed=args.val_seed, n_videos=args.val_videos, cache_dir=cache)
        return train, val
    if not (args.train_annotations and args.val_annotations and args.features_dir):
        raise SystemExit(f"--data {args.data} needs --train-annotations, --val-annotations and --features-dir")
    train = annotated_split(args.data, args.train_annotations, args.features_dir, name=f"{args.data}/train")
    val = annotated_split(args.data, args.val_annotations, args.features_dir, name=f"{args.data}/val")
    return train, val


def build(args: argparse.Namespace, train: SplitData, text_encoder: Any) -> MomentModel:
    factory = MODELS.get(args.model)
    names = {f.name for f in fields(factory.config_class)}  # type: ignore[attr-defined]
    overrides = parse_sets(args.set)
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise SystemExit(f"model {args.model!r} has no settings {unknown}; it has {sorted(names)}")
    config = {"feature_dim": train.feature_dim, "word_dim": text_encoder.dim, **overrides}
    return build_model(args.model, config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=MODELS.names())
    parser.add_argument(
        "--data", default="shapes-sta", help="shapes-sta, or a reader name: charades, activitynet, tacos"
    )
    parser.add_argument("--out", required=True, help="checkpoint folder to write (config.json + model.safetensors)")
    parser.add_argument("--run-dir", help="logs and resumable state (default: runs/<out name>)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--text-encoder", help="default: glove (minilm for wsra)")
    parser.add_argument("--set", action="append", default=[], help="model setting key=value (JSON value)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--negatives", type=int, default=2, help="text-only hard negatives per pair")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-seed", type=int, default=None)
    parser.add_argument("--val-seed", type=int, default=None)
    parser.add_argument("--train-videos", type=int, default=None)
    parser.add_argument("--val-videos", type=int, default=None)
    parser.add_argument("--max-steps-per-epoch", type=int, default=None)
    parser.add_argument("--cache-dir", default="data_cache", help="Shapes-STA annotations and feature stores")
    parser.add_argument("--train-annotations")
    parser.add_argument("--val-annotations")
    parser.add_argument("--features-dir")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    rank, world = distributed_context()
    device = pick_device(args.device) if world == 1 else torch.device("cpu")

    train, val = load_splits(args)
    text_name = args.text_encoder or DEFAULT_TEXT_ENCODER.get(args.model, "glove")
    text_encoder = TEXT_ENCODERS.create(text_name)
    model = build(args, train, text_encoder)
    view = weak_view(train) if model.weak else supervised_view(train)
    steps = np.concatenate(view.videos)  # (sum T, C): features only, no time reaches the statistics
    model.set_feature_stats(steps.mean(axis=0), steps.std(axis=0))
    text = TextCache(text_encoder)
    text.warm(view.sentences)
    n_videos = len(view.videos)
    trained_on = TRAINED_ON.get(args.data, "{data} train annotations").format(
        n=n_videos, seed=args.train_seed if args.train_seed is not None else 0, data=args.data
    )
    meta = {"backbone": train.backbone, "text_encoder": {"name": text_name, "params": text_encoder.params()}}

    if not model.trainable:
        add_spans = getattr(model, "add_spans", None)
        if callable(add_spans):  # the prior-only baseline: a span prior from the train split's times
            add_spans(np.asarray([[p.start, p.end] for p in supervised_view(train).pairs]))  # type: ignore[attr-defined]
            trained_on = "a span prior fitted on the times of the " + trained_on
        else:
            trained_on = "no training: a fixed rule that ignores the video's content and the query"
        save_checkpoint(model, args.out, name=args.model, trained_on=trained_on, **meta)
        return 0

    sampler = NegativeSampler(view.sentences)

    def make_negatives(sentence: int, rng: np.random.Generator) -> list[str]:
        video = view.pairs[sentence].video  # pairs are built one per sentence, in order
        return sampler.sample(view.sentences[sentence], view.video_sentences[video], args.negatives, rng)

    collate = Collator(view.videos, view.sentences, text, negatives=args.negatives, make_negatives=make_negatives)
    checkpoint_config = {"model": args.model, "model_config": model.config_dict(), "trained_on": trained_on, **meta}
    val_predictor = Predictor(model, checkpoint_config, device)
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        max_steps_per_epoch=args.max_steps_per_epoch,
    )

    def validate(m: MomentModel) -> dict[str, float]:
        return evaluate_split(val_predictor, val)

    def on_best(m: MomentModel, metrics: dict[str, float]) -> None:
        extra = {"val": metrics, "train_config": vars(args)}
        save_checkpoint(m, args.out, name=args.model, trained_on=trained_on, extra=extra, **meta)

    run_dir = Path(args.run_dir or Path("runs") / Path(args.out).name)
    trainer = Trainer(model, view.pairs, collate, config, run_dir, validate=validate, on_best=on_best, device=device)
    trainer.fit(resume=args.resume)
    if rank == 0:
        print(json.dumps({"best_val": trainer.best, "epochs": [r.__dict__ for r in trainer.history]}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
