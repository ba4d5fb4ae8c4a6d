"""Train a registered model and save the best epoch (chosen on val) as a checkpoint folder.

    python -m vlanet_core.training.train --model vlanet --data shapes-sta --out checkpoints/vlanet-shapes-sta
    python -m vlanet_core.training.train --model vlanet --data charades \\
        --train-annotations charades_sta_train.txt --val-annotations charades_sta_test.txt --features-dir i3d/
    torchrun --nproc_per_node=2 -m vlanet_core.training.train --model vlanet ...   (gloo on CPU)

Model settings are given as ``--set key=value`` (JSON values), e.g. ``--set cross_steps=2 --set hidden_dim=256``.
``--init-from DIR`` starts from a checkpoint's weights, settings and input standardisation (fine-tuning, e.g. at a
lower ``--lr``); ``--set`` may then change only settings that keep every weight's shape.
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

from vlanet_core.checkpoint import build_model, load_checkpoint, read_config, save_checkpoint
from vlanet_core.device import pick_device
from vlanet_core.features.default_backbone import DefaultBackboneConfig
from vlanet_core.features.variant_store import load_variant_store
from vlanet_core.key_values import parse_key_values
from vlanet_core.models.base import MomentModel
from vlanet_core.predictor import Predictor
from vlanet_core.registry import BACKBONES, MODELS, TEXT_ENCODERS
from vlanet_core.training.batching import Collator, TextCache
from vlanet_core.training.data import (
    SplitData,
    WeakView,
    annotated_split,
    shapes_sta_split,
    supervised_view,
    weak_view,
)
from vlanet_core.training.evaluate import evaluate_split
from vlanet_core.training.feature_stats import STD_POOLINGS, feature_statistics
from vlanet_core.training.negatives import NegativeSampler
from vlanet_core.training.trainer import (
    LR_SCHEDULES,
    TrainConfig,
    Trainer,
    check_input_noise,
    distributed_context,
    seed_everything,
)
from vlanet_core.training.weight_average import check_decay

# WSRA's paper averages GPT-2 blocks; our stand-in is MiniLM's layer average. The others use GloVe as their papers.
DEFAULT_TEXT_ENCODER = {"wsra": "minilm"}
TRAINED_ON = {"shapes-sta": "Shapes-STA train split (synthetic coloured shapes; {n} videos, seed {seed})"}


def shapes_backbone_params(items: list[str]) -> dict[str, Any]:
    """``--backbone-param`` values, checked against the ``default`` backbone's settings before any data is read."""
    params = parse_key_values(items, "--backbone-param")
    known = {f.name for f in fields(DefaultBackboneConfig)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise SystemExit(f"the default backbone has no settings {unknown}; it has {sorted(known)}")
    return params


def load_splits(args: argparse.Namespace) -> tuple[SplitData, SplitData]:
    if args.data == "shapes-sta":
        cache, params = args.cache_dir, shapes_backbone_params(args.backbone_param)
        train = shapes_sta_split("train", args.train_seed, args.train_videos, cache, backbone_params=params)
        val = shapes_sta_split("val", args.val_seed, args.val_videos, cache, backbone_params=params)
        return train, val
    if args.backbone_param:
        raise SystemExit(f"--backbone-param applies to --data shapes-sta only; {args.data} reads precomputed features")
    if args.feature_std_pooling == "type":
        raise SystemExit(
            f"--feature-std-pooling type needs named feature channels (the default backbone's, --data shapes-sta); "
            f"{args.data} reads precomputed features"
        )
    if not (args.train_annotations and args.val_annotations and args.features_dir):
        raise SystemExit(f"--data {args.data} needs --train-annotations, --val-annotations and --features-dir")
    train = annotated_split(args.data, args.train_annotations, args.features_dir, name=f"{args.data}/train")
    val = annotated_split(args.data, args.val_annotations, args.features_dir, name=f"{args.data}/val")
    return train, val


def feature_names_of(backbone: dict[str, Any]) -> list[str] | None:
    """The 'part:bin:value' channel names of the ``default`` backbone that made a split; None for any other."""
    if backbone.get("name") != "default":
        return None
    return list(BACKBONES.create("default", **(backbone.get("params") or {})).feature_names())


def reversal_signs_of(backbone: dict[str, Any]) -> np.ndarray | None:
    """The (C,) signs that play a split's features backwards (``features/time_reversal.py``), or None when its
    backbone cannot give them (precomputed files, CLIP)."""
    name = str(backbone.get("name"))
    if name not in BACKBONES or not hasattr(BACKBONES.get(name), "time_reversal_signs"):
        return None  # checked on the class: building a CLIP backbone would load its weights
    return np.asarray(BACKBONES.create(name, **(backbone.get("params") or {})).time_reversal_signs(), np.float32)


def feature_variants(
    paths: list[str], view: WeakView, train: SplitData
) -> tuple[dict[int, list[np.ndarray]], list[str]]:
    """Video index of ``view`` -> its features in each variant store of ``paths`` that holds it (``Collator``),
    and the stores' variant names (from their sidecars), in the order of ``paths``."""
    if paths and train.backbone.get("name") != "default":
        raise SystemExit("--feature-variants: variant stores hold default-backbone features of Shapes-STA videos")
    index = {vid: i for i, vid in enumerate(view.vids)}
    out: dict[int, list[np.ndarray]] = {}
    names: list[str] = []
    for path in paths:
        try:
            store = load_variant_store(path, train.backbone.get("params") or {})
        except (OSError, ValueError) as error:
            raise SystemExit(f"--feature-variants {path}: {error}") from None
        names.append(store.variant)
        for vid, features in store.features.items():
            if vid in index:
                out.setdefault(index[vid], []).append(features)
    if paths and not out:
        raise SystemExit(f"--feature-variants: none of the videos of {paths} is in the train split")
    return out, names


def model_settings(args: argparse.Namespace) -> dict[str, Any]:
    """``--set`` values, checked against the model's config fields (a misspelt name lists the valid ones)."""
    factory = MODELS.get(args.model)
    names = {f.name for f in fields(factory.config_class)}  # type: ignore[attr-defined]
    overrides = parse_key_values(args.set, "--set")
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise SystemExit(f"model {args.model!r} has no settings {unknown}; it has {sorted(names)}")
    return overrides


def build(args: argparse.Namespace, train: SplitData, text_encoder: Any) -> MomentModel:
    config = {"feature_dim": train.feature_dim, "word_dim": text_encoder.dim, **model_settings(args)}
    return build_model(args.model, config)


def warm_start(args: argparse.Namespace, train: SplitData, text_name: str) -> MomentModel:
    """The model of checkpoint ``args.init_from`` (weights and input statistics), with ``--set`` applied on top.

    Refused when the checkpoint was trained on other features (backbone or size) or with another text encoder: its
    weights would meet inputs they never saw. (Another model is refused in ``main``, before any data is read.)
    """
    source, config = load_checkpoint(args.init_from)
    if (config.get("backbone") or None) != (train.backbone or None):
        raise SystemExit(
            f"--init-from {args.init_from} was trained on backbone {config.get('backbone')}, these features come "
            f"from {train.backbone}"
        )
    if config["text_encoder"]["name"] != text_name:
        raise SystemExit(
            f"--init-from {args.init_from} was trained with text encoder {config['text_encoder']['name']!r}, "
            f"this run uses {text_name!r}"
        )
    overrides = model_settings(args)
    model = build_model(args.model, {**config["model_config"], **overrides})
    try:
        model.load_state_dict(source.state_dict())
    except RuntimeError as error:  # a --set that changes a weight's shape
        raise SystemExit(f"--init-from {args.init_from}: --set {overrides} changes the weights: {error}") from None
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=MODELS.names())
    parser.add_argument(
        "--data", default="shapes-sta", help="shapes-sta, or a reader name: charades, activitynet, tacos"
    )
    parser.add_argument("--out", required=True, help="checkpoint folder to write (config.json + model.safetensors)")
    parser.add_argument("--run-dir", help="logs and resumable state (default: runs/<out name>)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--init-from",
        metavar="DIR",
        help="start from this checkpoint folder's weights, settings and input standardisation (fine-tuning)",
    )
    parser.add_argument("--text-encoder", help="default: glove (minilm for wsra)")
    parser.add_argument("--set", action="append", default=[], help="model setting key=value (JSON value)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        default="constant",
        help="constant (default) or cosine: decayed to 0 over --epochs, step by step",
    )
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
    parser.add_argument(
        "--backbone-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="default backbone param for Shapes-STA features (JSON value), e.g. edge_floor=0.04",
    )
    parser.add_argument(
        "--feature-min-std",
        type=float,
        default=None,
        help="floor on the per-channel std of the input standardisation (default 0.02): a larger floor magnifies "
        "less the channels that barely vary in training, where a codec's small differences would count most; "
        "not with --init-from, which keeps the checkpoint's standardisation",
    )
    parser.add_argument(
        "--feature-std-pooling",
        choices=STD_POOLINGS,
        default=None,
        help="channel (default): each channel's own std; type: one std per kind of value pooled over the colour bins "
        "(default backbone only), so the slow, small signals (mass and spread rates) are not drowned "
        "(see vlanet_core/training/feature_stats.py); not with --init-from",
    )
    parser.add_argument(
        "--feature-gain",
        action="append",
        default=[],
        metavar="PART=GAIN",
        help="weigh a part of the default backbone's features more at the model's input, e.g. slope=4 (the signed "
        "rates: direction of motion, growth); see vlanet_core/training/feature_stats.py; not with --init-from",
    )
    parser.add_argument(
        "--feature-variants",
        nargs="+",
        default=[],
        metavar="NPZ",
        help="variant feature stores of train videos (python -m vlanet_core.features.variant_store): each batch "
        "draws a video's features from its original and its variants, e.g. the clip written as mp4v and decoded",
    )
    parser.add_argument(
        "--input-noise",
        type=float,
        default=0.0,
        metavar="SIGMA",
        help="Gaussian noise of this sigma added to the standardised video features of each training batch "
        "(augmentation toward answers that survive small input changes); 0 = off",
    )
    parser.add_argument(
        "--ema-decay",
        type=float,
        default=0.0,
        metavar="DECAY",
        help="validate and save an exponential moving average of the weights (per optimiser step, e.g. 0.998) "
        "instead of the raw weights; 0 = off",
    )
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    try:  # refused before any data is read
        check_decay(args.ema_decay)
    except ValueError:
        raise SystemExit(f"--ema-decay must be in [0, 1), got {args.ema_decay}") from None
    try:  # refused before any data is read
        check_input_noise(args.input_noise)
    except ValueError as err:
        raise SystemExit(f"--input-noise must be a sigma >= 0, got {args.input_noise}") from err
    try:  # refused before any data is read
        gains = {k: float(v) for k, v in parse_key_values(args.feature_gain, "--feature-gain").items()}
    except (TypeError, ValueError):
        raise SystemExit(f"--feature-gain expects PART=number, got {args.feature_gain}") from None
    standardisation = {
        "--feature-min-std": args.feature_min_std,
        "--feature-std-pooling": args.feature_std_pooling,
        "--feature-gain": args.feature_gain or None,
    }
    if args.init_from:  # left None, so the recorded train_config does not claim a standardisation it did not use
        given = [flag for flag, value in standardisation.items() if value is not None]
        if given:
            raise SystemExit(f"{', '.join(given)}: --init-from keeps the checkpoint's input standardisation")
    else:
        args.feature_min_std = 0.02 if args.feature_min_std is None else args.feature_min_std
        args.feature_std_pooling = args.feature_std_pooling or "channel"
    if args.threads:
        torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    rank, world = distributed_context()
    device = pick_device(args.device) if world == 1 else torch.device("cpu")

    default_text = DEFAULT_TEXT_ENCODER.get(args.model, "glove")
    if args.init_from:  # checked before any data is read
        source = read_config(args.init_from)
        if source["model"] != args.model:
            raise SystemExit(f"--init-from {args.init_from} holds a {source['model']!r} model, not {args.model!r}")
        default_text = source["text_encoder"]["name"]
    train, val = load_splits(args)
    text_name = args.text_encoder or default_text
    text_encoder = TEXT_ENCODERS.create(text_name)
    model = warm_start(args, train, text_name) if args.init_from else build(args, train, text_encoder)
    view = weak_view(train) if model.weak else supervised_view(train)
    if not args.init_from:  # a warm start keeps the checkpoint's input standardisation
        steps = np.concatenate(view.videos)  # (sum T, C): features only, no time reaches the statistics
        try:
            mean, scale = feature_statistics(
                steps, args.feature_min_std, args.feature_std_pooling, feature_names_of(train.backbone), gains
            )
        except ValueError as error:
            raise SystemExit(f"input standardisation: {error}") from None
        model.set_feature_stats(mean, scale)
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

    variants, variant_names = feature_variants(args.feature_variants, view, train)
    if variants:
        trained_on += f", with {len(variants)} of them also seen as " + ", ".join(variant_names)
    paired = float(getattr(model.config, "weight_consistency", 0.0)) > 0
    if paired and not variants:
        raise SystemExit("--set weight_consistency needs --feature-variants: it compares two forms of each video")
    signs = None
    if float(getattr(model.config, "weight_reversed_negatives", 0.0)) > 0:
        signs = reversal_signs_of(train.backbone)
        if signs is None:
            raise SystemExit(
                f"--set weight_reversed_negatives needs features that can be played backwards; the "
                f"{train.backbone.get('name')!r} backbone cannot say which of its channels change sign"
            )
    collate = Collator(
        view.videos,
        view.sentences,
        text,
        args.negatives,
        make_negatives=make_negatives,
        variants=variants,
        paired_variants=paired,
        reversal_signs=signs,
    )
    checkpoint_config = {"model": args.model, "model_config": model.config_dict(), "trained_on": trained_on, **meta}
    val_predictor = Predictor(model, checkpoint_config, device)
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        max_steps_per_epoch=args.max_steps_per_epoch,
        lr_schedule=args.lr_schedule,
        input_noise=args.input_noise,
        ema_decay=args.ema_decay,
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
