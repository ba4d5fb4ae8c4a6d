"""SCN's Transformer: one stack that is an encoder when given no memory and a decoder when given one.

The paper shares parameters between encoder and decoder ("an encoder can be also regarded as a decoder without
computing attention from another input"), so each layer holds self-attention, cross-attention and a feed-forward
net, and skips the cross-attention when there is no memory. Post-norm residual blocks, as in Vaswani et al.

Shapes: ``x`` (B, L, D), ``x_mask`` (B, L) bool True on real positions; ``memory`` (B, S, D), ``memory_mask``
(B, S) bool. Every row of a mask must hold at least one True.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_positions(steps: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """(steps, dim) fixed sinusoidal position codes; fixed so any length works (proposals, long videos)."""
    position = torch.arange(steps, dtype=torch.float32, device=device)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / dim))
    table = torch.zeros(steps, dim, device=device)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)[:, : dim // 2]
    return table


class EncoderDecoderLayer(nn.Module):
    """Self-attention, optional cross-attention, feed-forward; each with residual + LayerNorm."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(4 * dim, dim))
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        x_mask: torch.Tensor,
        memory: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
        causal: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Returns ``(x, self_weights (B, L, L), cross_weights (B, L, S) or None)``, weights averaged over heads."""
        length = x.shape[1]
        attn_mask = None
        if causal:  # True = not allowed: position i sees positions <= i only
            attn_mask = torch.triu(torch.ones(length, length, dtype=torch.bool, device=x.device), diagonal=1)
        out, self_w = self.self_attn(x, x, x, key_padding_mask=~x_mask, attn_mask=attn_mask)
        x = self.norm1(x + self.drop(out))
        cross_w = None
        if memory is not None:
            if memory_mask is None:
                raise ValueError("a memory needs its memory_mask")
            out, cross_w = self.cross_attn(x, memory, memory, key_padding_mask=~memory_mask)
            x = self.norm2(x + self.drop(out))
        x = self.norm3(x + self.drop(self.ff(x)))
        return x, self_w, cross_w


class EncoderDecoderStack(nn.Module):
    """``num_layers`` EncoderDecoderLayers; ``forward`` returns the output and the last layer's attention weights."""

    def __init__(self, dim: int, heads: int, num_layers: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.ModuleList(EncoderDecoderLayer(dim, heads, dropout) for _ in range(num_layers))

    def forward(
        self,
        x: torch.Tensor,
        x_mask: torch.Tensor,
        memory: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
        causal: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(B, L, D) -> (B, L, D), self weights (B, L, L), cross weights (B, L, S) or None (last layer)."""
        self_w = cross_w = None
        for layer in self.layers:
            x, self_w, cross_w = layer(x, x_mask, memory, memory_mask, causal)
        assert self_w is not None
        return x, self_w, cross_w
