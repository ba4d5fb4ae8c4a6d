"""The training loop shared by every model: seeded, logged, resumable, and runnable under torchrun (gloo on CPU).

What reaches a model is decided here and in ``batching``: a weakly supervised model (``weak = True``) is given
``WeakPair`` objects and ``WeakBatch`` batches only; ``SupervisedPair`` (with times) only reaches a model whose
``weak`` is False.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from vlanet_core.models.base import MomentModel, WeakBatch
from vlanet_core.training.batching import WeakPair
from vlanet_core.training.weight_average import WeightAverage, check_decay

STATE_FILE = "train_state.pt"
LOG_FILE = "log.jsonl"


@dataclass
class TrainConfig:
    """Optimisation settings; each default is what the papers used or what fits a 2-core CPU."""

    epochs: int = 10
    batch_size: int = 64  # in-batch negatives need a batch of many videos
    lr: float = 1e-3  # WSRA's paper uses 1e-4 with Adam; set per model from the CLI
    weight_decay: float = 0.0
    grad_clip: float = 5.0  # GRU/attention stacks occasionally spike early in training
    seed: int = 0
    log_every: int = 50
    max_steps_per_epoch: int | None = None  # for smoke tests
    # "constant": ``lr`` throughout (what the shipped models used); "cosine": ``lr`` decayed along half a cosine to
    # 0 over all epochs, step by step (a function of epoch and step alone, so a resumed run continues the curve)
    lr_schedule: str = "constant"
    # sigma of Gaussian noise added to the standardised video features of every training batch (real steps only),
    # the same draw for every form of a video; 0 = off (what the shipped models used). A smoother function of its
    # input is one route to answers that survive small input changes (codecs, pixel noise): see the README's
    # robustness section for what it gave
    input_noise: float = 0.0
    # > 0: validate and save an exponential moving average of the weights (decay per optimiser step, e.g. 0.998)
    # instead of the raw weights; 0 = off (what every shipped model used). See ``weight_average``
    ema_decay: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


LR_SCHEDULES = ("constant", "cosine")


def scheduled_lr(config: TrainConfig, epoch: int, step: int, steps_per_epoch: int) -> float:
    """The learning rate of optimiser step ``step`` (0-based) of ``epoch`` under ``config.lr_schedule``.

    >>> c = TrainConfig(lr=1.0, epochs=2, lr_schedule="cosine")
    >>> [round(scheduled_lr(c, e, s, 2), 3) for e in (0, 1) for s in (0, 1)]
    [1.0, 0.854, 0.5, 0.146]
    """
    if config.lr_schedule == "constant":
        return config.lr
    if config.lr_schedule == "cosine":
        progress = (epoch + step / max(1, steps_per_epoch)) / max(1, config.epochs)
        return config.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {config.lr_schedule!r}")


@dataclass
class EpochResult:
    epoch: int
    mean_loss: float
    seconds: float
    val: dict[str, float] | None = None


def add_input_noise(batch: WeakBatch, sigma: float, rng: np.random.Generator) -> None:
    """Add N(0, sigma^2) to every standardised video form of ``batch`` in place, on real steps only (padding stays 0).

    One draw per batch, shared by the forms (``video``, ``video_alt``, ``video_reversed``: the reversed form gets
    the draw reversed in time), so the forms still differ only by what makes them different.
    """
    video = batch.video
    mask = batch.video_mask[..., None].to(video.dtype)
    noise = torch.from_numpy(rng.standard_normal(tuple(video.shape)).astype(np.float32)).to(video.device)
    noise = noise.to(video.dtype) * float(sigma) * mask
    batch.video = video + noise
    if batch.video_alt is not None:
        batch.video_alt = batch.video_alt + noise
    if batch.video_reversed is not None:
        lengths = batch.video_mask.sum(1)
        flipped = torch.zeros_like(noise)
        for i, n in enumerate(lengths.tolist()):
            flipped[i, :n] = noise[i, :n].flip(0)
        batch.video_reversed = batch.video_reversed + flipped


def check_input_noise(sigma: float) -> float:
    """``sigma`` when it is a valid ``TrainConfig.input_noise`` (a number >= 0), else ValueError (nan included)."""
    if not float(sigma) >= 0:
        raise ValueError(f"input_noise must be a sigma >= 0, got {sigma}")
    return float(sigma)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def distributed_context() -> tuple[int, int]:
    """(rank, world size); initialises gloo when launched by torchrun (WORLD_SIZE > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class Trainer:
    """Runs epochs over ``pairs`` with ``collate``; evaluates with ``validate`` after each epoch (rank 0).

    ``run_dir`` receives ``log.jsonl`` (one JSON object per log event) and ``train_state.pt`` (model, optimiser,
    epoch, RNG states) after every epoch, so ``resume=True`` continues where a run stopped.
    """

    def __init__(
        self,
        model: MomentModel,
        pairs: Sequence[WeakPair],
        collate: Callable[[Sequence[WeakPair], np.random.Generator], WeakBatch],
        config: TrainConfig,
        run_dir: str | Path,
        validate: Callable[[MomentModel], dict[str, float]] | None = None,
        on_best: Callable[[MomentModel, dict[str, float]], None] | None = None,
        select_metric: str = "R1@0.5",
        device: torch.device | None = None,
    ) -> None:
        if model.weak and any(type(p) is not WeakPair for p in pairs):
            raise TypeError("a weakly supervised model may only be trained on WeakPair (video, sentence) pairs")
        scheduled_lr(config, 0, 0, 1)  # an unknown schedule fails here, before any data is batched
        check_input_noise(config.input_noise)  # a negative or nan sigma would silently train without noise
        check_decay(config.ema_decay)  # a negative or nan decay would silently train without the average
        self.model = model
        self.pairs = list(pairs)
        self.collate = collate
        self.config = config
        self.run_dir = Path(run_dir)
        self.validate = validate
        self.on_best = on_best
        self.select_metric = select_metric
        self.device = device or torch.device("cpu")
        self.rank, self.world = distributed_context()
        self.model.to(self.device)
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
        self.wrapped: torch.nn.Module = model
        if self.world > 1:
            self.wrapped = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
        self.average = WeightAverage(model, config.ema_decay) if config.ema_decay > 0 else None
        self.start_epoch = 0
        self.best = -float("inf")
        self.history: list[EpochResult] = []

    # -- state -----------------------------------------------------------------------------------------------
    def save_state(self, epoch: int) -> None:
        if self.rank != 0:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": epoch,
            "best": self.best,
            "torch_rng": torch.get_rng_state(),
        }
        if self.average is not None:
            state["weight_average"] = self.average.state_dict()
        tmp = self.run_dir / (STATE_FILE + ".tmp")
        torch.save(state, tmp)
        tmp.replace(self.run_dir / STATE_FILE)

    def load_state(self) -> bool:
        path = self.run_dir / STATE_FILE
        if not path.is_file():
            return False
        state = torch.load(path, map_location="cpu", weights_only=True)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.start_epoch = int(state["epoch"]) + 1
        self.best = float(state["best"])
        torch.set_rng_state(state["torch_rng"])
        if self.average is not None:
            if "weight_average" not in state:
                raise ValueError(f"{path} was saved without ema_decay; resume it without --ema-decay")
            self.average.load_state_dict(state["weight_average"])
        return True

    def log(self, **event: Any) -> None:
        if self.rank != 0:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / LOG_FILE, "a") as f:
            f.write(json.dumps(event, sort_keys=True) + "\n")

    # -- loop ------------------------------------------------------------------------------------------------
    def epoch_batches(self, epoch: int) -> list[list[WeakPair]]:
        """This rank's batches for ``epoch``: a permutation seeded by (seed, epoch), sharded across ranks."""
        rng = np.random.default_rng([self.config.seed, epoch])
        order = rng.permutation(len(self.pairs))
        order = order[self.rank :: self.world]
        bs = self.config.batch_size
        batches = [[self.pairs[i] for i in order[s : s + bs]] for s in range(0, len(order), bs)]
        batches = [b for b in batches if len(b) > 1]  # in-batch negatives need two pairs
        if self.config.max_steps_per_epoch is not None:
            batches = batches[: self.config.max_steps_per_epoch]
        return batches

    def train_epoch(self, epoch: int) -> EpochResult:
        self.model.train()
        start = time.perf_counter()
        batches = self.epoch_batches(epoch)
        rng = np.random.default_rng([self.config.seed, epoch, self.rank, 7])
        losses: list[float] = []
        bar = tqdm(batches, desc=f"epoch {epoch}", disable=self.rank != 0, leave=False)
        for step, pairs in enumerate(bar):
            batch = self.collate(pairs, rng).to(self.device)
            for form in ("video", "video_alt", "video_reversed"):  # every form of the videos, standardised alike
                if getattr(batch, form) is not None:
                    setattr(batch, form, self.model.prepare_video(getattr(batch, form), batch.video_mask))
            if self.config.input_noise > 0:
                add_input_noise(batch, self.config.input_noise, rng)
            parts = self.wrapped(batch)
            loss = parts["loss"]
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            for group in self.optimizer.param_groups:
                group["lr"] = scheduled_lr(self.config, epoch, step, len(batches))
            if self.config.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            self.optimizer.step()
            after = getattr(self.model, "after_step", None)
            if callable(after):
                after()
            if self.average is not None:  # after the model's own hook, so the average follows the weights it keeps
                self.average.update(self.model)
            losses.append(float(loss.detach()))
            if step % self.config.log_every == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
                self.log(event="step", epoch=epoch, step=step, **{k: float(v.detach()) for k, v in parts.items()})
        return EpochResult(epoch, float(np.mean(losses)) if losses else float("nan"), time.perf_counter() - start)

    def fit(self, resume: bool = False) -> list[EpochResult]:
        if resume and self.load_state():
            self.log(event="resume", epoch=self.start_epoch)
        seed_everything(self.config.seed + self.start_epoch)
        for epoch in range(self.start_epoch, self.config.epochs):
            result = self.train_epoch(epoch)
            if self.rank == 0 and self.validate is not None:
                self.model.eval()
                with self.average.applied(self.model) if self.average is not None else nullcontext(self.model):
                    result.val = self.validate(self.model)
                    score = result.val.get(self.select_metric, -float("inf"))
                    if score > self.best:
                        self.best = score
                        if self.on_best is not None:
                            self.on_best(self.model, result.val)
            self.log(event="epoch", epoch=epoch, loss=result.mean_loss, seconds=result.seconds, val=result.val)
            if self.rank == 0:
                tqdm.write(f"epoch {epoch}: loss {result.mean_loss:.4f} ({result.seconds:.0f}s) val {result.val}")
            self.history.append(result)
            self.save_state(epoch)
        if dist.is_initialized():
            dist.barrier()
        return self.history
