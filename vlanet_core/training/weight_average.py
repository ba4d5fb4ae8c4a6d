"""An exponential moving average of a model's parameters, validated and saved in place of the raw weights.

Weakly supervised training that learns from its own ranking (SCN's rewards, eq. 8) moves the raw weights a lot from
one epoch to the next (the shipped SCN's val R1@0.5 went 38.5, 35.8, 37.1, 37.1, 30.9 over five epochs), so the
epoch a run keeps is partly luck; averaging the recent weights (Polyak averaging) is the usual remedy, and
``TrainConfig.ema_decay`` turns it on. Measured on SCN (shipped command, decay 0.998, README's SCN bullet) it did
not help: the average's val R1@0.5 lagged the raw run's from the second of eight epochs on (28.3 against 34.3 at the
eighth), so no shipped model uses it. The average starts from the initial weights with no bias correction, so
early on it still holds a share of them (0.998^800 = 20% after 800 updates): judge it on long runs only.
Only parameters are averaged: buffers (the input standardisation, SCN's ``n_update``) are the model's own and
stay as they are. Hand-written rather than ``torch.optim.swa_utils.AveragedModel``: that keeps a deep copy of the
model to evaluate, while here the average is swapped into the model the validation and saving closures already
hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


def check_decay(decay: float) -> float:
    """``decay`` when it is a valid ``TrainConfig.ema_decay`` (in [0, 1)), else ValueError (nan included)."""
    if not 0.0 <= float(decay) < 1.0:
        raise ValueError(f"ema_decay must be in [0, 1), got {decay}")
    return float(decay)


class WeightAverage:
    """``average <- decay * average + (1 - decay) * weights`` after every optimiser step.

    - ``decay`` in [0, 1): 0.998 averages over about the last 500 updates.
    - ``applied(model)``: a context in which ``model`` holds the average (for validation and saving); the raw
      weights are put back on exit, so training continues from them.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = check_decay(decay)
        self.average = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for name, p in model.named_parameters():
            if name in self.average:
                self.average[name].lerp_(p.detach(), 1.0 - self.decay)

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[nn.Module]:
        params = dict(model.named_parameters())
        raw = {name: params[name].detach().clone() for name in self.average}
        with torch.no_grad():
            for name, value in self.average.items():
                params[name].copy_(value)
        try:
            yield model
        finally:
            with torch.no_grad():
                for name, value in raw.items():
                    params[name].copy_(value)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return dict(self.average)

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        missing = set(self.average) - set(state)
        if missing:
            raise KeyError(f"weight average state lacks {sorted(missing)[:3]}")
        for name in self.average:
            self.average[name].copy_(state[name])
