"""Does a VLANet checkpoint know which way an event goes? Each sentence scored on its clip and on the same clip
played backwards.

    python benchmarks/direction_probe.py --model checkpoints/vlanet-shapes-sta --split val --videos 100

Played backwards (``features/time_reversal.py``), a clip keeps every state it passes through and each event
becomes its opposite: "moves to the left" becomes a move to the right, "grows" a shrink, "appears" a disappearance.
A model that reads the action and not only the object and the states it leaves behind scores the sentence
clearly higher on the clip as it is. For each of the first ``--videos`` Shapes-STA videos of the split (rendered
in memory at 320x240), every sentence of every event gets ``gap = c(clip, sentence) - c(clip backwards,
sentence)`` (eq. 13's score); the report gives, per action of the annotation, the number of sentences, the mean
gap, the share with a positive gap and the share with a gap above the training margin of eq. 14. Actions that
read the same backwards (spin, blink) are expected near 0. Only VLANet has a single clip-sentence score to probe.

Beside it, per action, what the model answers on the clip as it is (``Predictor.predict``, scored against the
event's annotated times): R@1 at IoU 0.5 and where the top-1 moment's centre falls: before, inside or after the
event. A model that reads an action off the state it leaves behind answers "after" for grow and appear.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the package lives beside this folder
    sys.path.insert(0, str(REPO))

from benchmarks.checkpoint_args import add_probe_arguments, parse_and_load, report_header  # noqa: E402
from benchmarks.report_output import emit_report  # noqa: E402
from vlanet_core.data.shapes import render_video, video_spec  # noqa: E402
from vlanet_core.features.time_reversal import reverse_in_time  # noqa: E402
from vlanet_core.predictor import Predictor  # noqa: E402
from vlanet_core.spans import iou  # noqa: E402
from vlanet_core.training.batching import pad_sequences  # noqa: E402

SIZE = (320, 240)


def summarise_gaps(gaps: Mapping[str, Sequence[float]], margin: float) -> dict[str, dict[str, float]]:
    """Per action: n, mean gap, share of gaps > 0 and share > ``margin``, rounded to 3 decimals.

    >>> summarise_gaps({"grow": [0.5, -0.1]}, 0.3)
    {'grow': {'n': 2, 'mean_gap': 0.2, 'positive': 0.5, 'above_margin': 0.5}}
    """
    out = {}
    for action in sorted(gaps):
        values = np.asarray(gaps[action], dtype=np.float64)
        out[action] = {
            "n": len(values),
            "mean_gap": round(float(values.mean()), 3),
            "positive": round(float(np.mean(values > 0)), 3),
            "above_margin": round(float(np.mean(values > margin)), 3),
        }
    return out


def top1_placement(start: float, end: float, moment: tuple[float, float]) -> tuple[str, float]:
    """Where the top-1 ``moment`` (seconds) falls against the event [start, end]: its centre "before", "inside" or
    "after", and its IoU.

    >>> top1_placement(10.0, 20.0, (14.0, 30.0))
    ('after', 0.3)
    >>> top1_placement(10.0, 20.0, (20.0, 26.0))[0]
    'after'
    """
    centre = 0.5 * (moment[0] + moment[1])
    where = "before" if centre < start else "after" if centre > end else "inside"
    return where, round(float(iou((start, end), moment)), 6)


def summarise_answers(answers: Mapping[str, Sequence[tuple[str, float]]]) -> dict[str, dict[str, float]]:
    """Per action: n, R1@0.5 and the shares of top-1 centres before / inside / after the event.

    >>> summarise_answers({"grow": [("after", 0.2), ("inside", 0.6)]})["grow"]["after"]
    0.5
    """
    out = {}
    for action in sorted(answers):
        rows = answers[action]
        places = [where for where, _ in rows]
        out[action] = {
            "n": len(rows),
            "R1@0.5": round(sum(v >= 0.5 for _, v in rows) / len(rows), 3),
            **{where: round(places.count(where) / len(rows), 3) for where in ("before", "inside", "after")},
        }
    return out


def direction_gaps(
    predictor: Predictor, split: str, indices: Sequence[int]
) -> tuple[dict[str, list[float]], dict[str, list[tuple[str, float]]]]:
    """Action -> the gaps of its sentences over the videos ``indices`` of ``split``, and action -> the
    (placement, IoU) of each sentence's top-1 moment on the clip as it is (module doc)."""
    import torch

    model: Any = predictor.model
    signs_of = getattr(predictor.backbone, "time_reversal_signs", None)
    if not callable(getattr(model, "similarity", None)) or not callable(signs_of):
        raise ValueError(f"{predictor.name}: needs a VLANet model on a backbone whose features can be reversed")
    signs = signs_of()
    gaps: dict[str, list[float]] = defaultdict(list)
    answers: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for index in indices:
        spec = video_spec(split, index)
        clip = predictor.encode_video(render_video(spec, size=SIZE))
        features = clip.features.astype(np.float32)
        both = torch.from_numpy(np.stack([features, reverse_in_time(features, signs)]))
        mask = torch.ones(both.shape[:2], dtype=torch.bool)
        asked = [(event, sentence) for event in spec.events for sentence in event.sentences]
        words, word_mask = pad_sequences([np.asarray(predictor.encode_query(s).vectors, np.float32) for _, s in asked])
        with torch.no_grad():  # (2, S): the clip and its reversal against every sentence of the clip at once
            scores = model.similarity(model.prepare_video(both, mask), mask, words, word_mask)
        for (event, sentence), gap in zip(asked, (scores[0] - scores[1]).tolist()):
            gaps[event.action].append(gap)
            top = predictor.predict(sentence, clip, top_k=1).moments[0]
            answers[event.action].append(top1_placement(event.start, event.end, (top.start, top.end)))
    return gaps, answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_probe_arguments(parser, split="val", videos=100)
    started = time.perf_counter()
    args, predictor = parse_and_load(parser, argv)
    try:
        gaps, answers = direction_gaps(predictor, args.split, range(args.first, args.first + args.videos))
    except ValueError as error:
        parser.error(str(error))
    margin = float(getattr(predictor.model.config, "margin", 0.0))
    report = {
        **report_header(args),
        "split": args.split,
        "videos": args.videos,
        "margin": margin,
        "by_action": summarise_gaps(gaps, margin),
        "answers_by_action": summarise_answers(answers),
        "seconds": round(time.perf_counter() - started, 1),
    }
    emit_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
