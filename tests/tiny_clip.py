"""A tiny randomly initialised CLIP (2 layers, 32 wide, 32 px images) written to disk, for offline tests.

``tiny_clip_folder(tmp_path_factory)`` builds it once per test session and returns the folder, which holds what
``CLIPModel`` / ``CLIPTokenizer`` / ``CLIPImageProcessor.from_pretrained`` read, like a real CLIP download.
The tokenizer is a real CLIP BPE tokenizer over a small hand-written vocabulary: every lowercase letter, digit and
a little punctuation (alone and word-final), plus merges spelling out ``TINY_WORDS`` as single tokens.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

TINY_WORDS = ["a", "person", "the", "door", "red", "circle", "moves", "left", "blue", "square", "then"]
PROJECTION_DIM = 16
MAX_POSITIONS = 32
_built: dict[str, Path] = {}


def _vocab_and_merges() -> tuple[dict[str, int], list[str]]:
    vocab: dict[str, int] = {}
    symbols = string.ascii_lowercase + string.digits + "!?.,'-"
    for ch in symbols:
        vocab[ch] = len(vocab)
    for ch in symbols:
        vocab[ch + "</w>"] = len(vocab)
    merges: list[str] = []
    for word in TINY_WORDS:
        merged = word[0]
        for i, ch in enumerate(word[1:]):
            piece = ch + ("</w>" if i == len(word) - 2 else "")
            merge = f"{merged} {piece}"
            merged += piece
            if merge not in merges:
                merges.append(merge)
            vocab.setdefault(merged, len(vocab))
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab[special] = len(vocab)
    return vocab, merges


def build_tiny_clip(folder: Path, seed: int = 0) -> Path:
    """Write a tiny CLIP model, tokenizer and image processor into ``folder``; returns it."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = _vocab_and_merges()
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    tokenizer = CLIPTokenizer(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"))
    end = vocab["<|endoftext|>"]
    text_config = {
        "vocab_size": len(vocab),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": MAX_POSITIONS,
        "bos_token_id": vocab["<|startoftext|>"],
        "eos_token_id": end,
        "pad_token_id": end,
    }
    vision_config = {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": 32,
        "patch_size": 8,
    }
    config = CLIPConfig(text_config=text_config, vision_config=vision_config, projection_dim=PROJECTION_DIM)
    torch.manual_seed(seed)
    CLIPModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def tiny_clip_folder(tmp_path_factory) -> Path:
    """The session's tiny CLIP folder, built on first use (shared by every test file that asks)."""
    if "folder" not in _built:
        _built["folder"] = build_tiny_clip(tmp_path_factory.mktemp("tiny_clip"))
    return _built["folder"]
