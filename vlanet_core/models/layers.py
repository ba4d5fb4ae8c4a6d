"""Attention layers of VLANet (paper Sec. 3.4): the VLA alignment function E and Dense Attention A.

Shapes: ``X`` (B, N, D) is the attended set, ``Y`` (B, M, D) the set that attends it; masks are (B, N) / (B, M)
bool, True on real elements. Every masked row must hold at least one real element.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None, dim: int = -1) -> torch.Tensor:
    """Softmax over ``dim`` with masked-out entries given exactly zero weight."""
    if mask is None:
        return torch.softmax(scores, dim=dim)
    scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    return torch.softmax(scores, dim=dim) * mask.to(scores.dtype)


class AlignmentEnergy(nn.Module):
    """The VLA function, eq. 7: ``E(x_n, Y) = sum_m tanh(W1 x_n . W2 y_m)`` for every ``x_n`` at once.

    ``W1``, ``W2`` are bias-free linear maps D -> ``proj_dim`` (the paper calls them learnable parameters, with
    no bias). ``reduce="mean"`` divides the sum by the number of real ``y_m``: the same ranking over ``n`` for a
    fixed ``Y``, but a score that does not grow with the sentence's length, which VLANet's contrastive margin
    needs when it compares sentences of different lengths (an option; eq. 7 is ``"sum"``).

    ``normalize_inputs=True`` L2-normalises every ``x_n`` and ``y_m`` first (zero rows stay zero). VLANet's inputs
    are unit vectors (eqs. 1-2), but each Dense Attention scales the rows it returns by their weights, so later
    energies would see rows shrunk (or, rescaled, blown up) by every earlier step and their tanh would go flat or
    saturate. Normalising makes each step's energy depend on directions only; the weights still compound in
    ``v_comp``. An option (eq. 7 alone is ``False``).
    """

    def __init__(
        self, dim: int, proj_dim: int | None = None, reduce: str = "sum", normalize_inputs: bool = False
    ) -> None:
        super().__init__()
        self.normalize_inputs = normalize_inputs
        if reduce not in ("sum", "mean"):
            raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")
        proj_dim = proj_dim or dim
        self.w1 = nn.Linear(dim, proj_dim, bias=False)
        self.w2 = nn.Linear(dim, proj_dim, bias=False)
        self.reduce = reduce

    def pairwise(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``tanh(W1 x_n . W2 y_m)``: (B, N, M)."""
        if self.normalize_inputs:
            x, y = F.normalize(x, dim=-1), F.normalize(y, dim=-1)
        return torch.tanh(torch.einsum("bnp,bmp->bnm", self.w1(x), self.w2(y)))

    def forward(self, x: torch.Tensor, y: torch.Tensor, y_mask: torch.Tensor | None = None) -> torch.Tensor:
        """E for every row of ``x`` (B, N, D) against ``y`` (B, M, D): (B, N)."""
        terms = self.pairwise(x, y)  # (B, N, M)
        if y_mask is not None:
            terms = terms * y_mask[:, None, :].to(terms.dtype)
        energy = terms.sum(dim=-1)  # (B, N)
        if self.reduce == "mean":
            count = y_mask.sum(-1, keepdim=True).clamp(min=1) if y_mask is not None else terms.shape[-1]
            energy = energy / count
        return energy


class DenseAttention(nn.Module):
    """Dense Attention, eq. 8: ``A(X, Y) = Softmax_n([E(x_1, Y) ... E(x_N, Y)]) X`` with E from eq. 7.

    The paper types A as R^{N x D} x R^{M x D} -> R^{N x D}, and the softmax gives one weight per row of X, so the
    product is read as ``diag(softmax) X``: row ``x_n`` is scaled by its weight ``a_n`` (a weighted sum would give
    a single D-vector and break the signature, and VLANet's later ``v_comp = sum of V`` is that sum).

    ``rescale=True`` multiplies the weights by the number of real rows (uniform attention then leaves X unchanged).
    Literal eq. 8 shrinks rows by ~1/N at every step, so after a cascade of several attentions the next energy
    sees near-zero inputs and its softmax goes flat; rescaling keeps the scale. Off by default (the paper's form).

    ``learn_temperature=True`` multiplies the energies by a learned positive scale (initially 1, eq. 8 exactly)
    before the softmax. Each energy is a sum of M tanh terms, so it lies in [-M, M] and the weight ratio between two
    rows can never exceed exp(2M) whatever W1, W2 learn: with a 5-word query attending 40 proposals the softmax
    cannot become sharp. The scale lifts that cap. Off by default (the paper's form). ``temperature_init`` is its
    starting value: at 1 the learned scale hardly moves in a few thousand Adam steps (seen on Shapes-STA: 1.0 ->
    1.1 in 400 steps), so a sharper start lets the attention single out proposals from the first epoch.

    ``forward`` returns ``(attended X (B, N, D), weights (B, N))``; weights sum to 1 over real rows, 0 on padding.
    """

    def __init__(
        self,
        dim: int,
        proj_dim: int | None = None,
        reduce: str = "sum",
        rescale: bool = False,
        learn_temperature: bool = False,
        normalize_inputs: bool = False,
        temperature_init: float = 1.0,
    ) -> None:
        super().__init__()
        self.energy = AlignmentEnergy(dim, proj_dim, reduce, normalize_inputs)
        self.rescale = rescale
        init = torch.tensor(float(temperature_init)).log()
        self.log_scale = nn.Parameter(init) if learn_temperature else None

    def forward(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        x_mask: torch.Tensor | None = None,
        y_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        energy = self.energy(x, y, y_mask)  # (B, N)
        if self.log_scale is not None:
            energy = energy * self.log_scale.exp()
        weights = masked_softmax(energy, x_mask, dim=-1)  # (B, N)
        scale = weights
        if self.rescale:
            count = x_mask.sum(-1, keepdim=True).to(x.dtype) if x_mask is not None else x.shape[1]
            scale = weights * count
        return x * scale.unsqueeze(-1), weights
