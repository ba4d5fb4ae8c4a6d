"""Checkpoint folders: ``config.json`` (everything that rebuilds the model and its inputs) + ``model.safetensors``.

Loading never unpickles code: weights come from safetensors, and every key and shape is checked against the
model that ``config.json`` rebuilds.

config.json keys:
- ``model``: registered model name; ``model_config``: the model's config dataclass as a dict;
- ``backbone``: ``{"name", "params"}`` of the visual backbone; ``text_encoder``: ``{"name", "params"}``;
- ``trained_on``: a sentence for the app ("Shapes-STA train split (synthetic)"); ``extra``: free-form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from vlanet_core.errors import CheckpointError
from vlanet_core.models.base import MomentModel
from vlanet_core.registry import MODELS

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def build_model(name: str, model_config: dict[str, Any]) -> MomentModel:
    """Rebuild a registered model from its name and config dict (unknown config keys are an error)."""
    factory = MODELS.get(name)
    config_class = getattr(factory, "config_class", None)
    if config_class is None:
        raise CheckpointError(f"model {name!r} has no config_class")
    try:
        config = config_class(**model_config)
    except TypeError as err:
        raise CheckpointError(f"config of model {name!r} does not fit its config class: {err}") from err
    return factory(config)


def save_checkpoint(
    model: MomentModel,
    folder: str | Path,
    *,
    name: str,
    backbone: dict[str, Any],
    text_encoder: dict[str, Any],
    trained_on: str,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``folder/config.json`` and ``folder/model.safetensors``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "model": name,
        "model_config": model.config_dict(),
        "backbone": backbone,
        "text_encoder": text_encoder,
        "trained_on": trained_on,
        "extra": extra or {},
    }
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE))
    return folder


def read_config(folder: str | Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a checkpoint folder, with a clear error when it is missing or broken."""
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(
            f"{folder}: no {CONFIG_FILE}; a checkpoint is a folder with config.json + model.safetensors"
        )
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: not valid JSON ({err})") from err
    for key in ("model", "model_config", "backbone", "text_encoder"):
        if key not in config:
            raise CheckpointError(f"{path}: missing key {key!r}")
    return config


def load_checkpoint(folder: str | Path, device: torch.device | str = "cpu") -> tuple[MomentModel, dict[str, Any]]:
    """Rebuild the model of a checkpoint folder and load its weights, checking every key and shape."""
    config = read_config(folder)
    model = build_model(config["model"], config["model_config"])
    weights_path = Path(folder) / WEIGHTS_FILE
    if not weights_path.is_file():
        raise CheckpointError(f"{folder}: no {WEIGHTS_FILE}")
    state = load_file(str(weights_path), device="cpu")
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"{weights_path}: missing keys {missing[:5]}, unexpected keys {unexpected[:5]}")
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"{weights_path}: {key} has shape {tuple(state[key].shape)}, the config builds {tuple(tensor.shape)}"
            )
    model.load_state_dict(state)
    model.to(device)
    model.eval()
    return model, config


def list_checkpoints(root: str | Path = "checkpoints") -> dict[str, Path]:
    """Folder name -> path of every checkpoint folder under ``root`` (those holding a config.json)."""
    root = Path(root)
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if (p / CONFIG_FILE).is_file()}
