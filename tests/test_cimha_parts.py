"""CI-MHA's equations on small tensors: span targets, start/end NLL (eq. 14), segmentation BCE (eqs. 15-16), pairs."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from vlanet_core.models import cimha_parts as parts


def test_span_targets_on_the_feature_grid():
    spans = torch.tensor([[0.0, 1.0], [0.25, 0.5], [0.26, 0.51], [0.9, 0.9], [-0.1, 1.3]])
    lengths = torch.tensor([4, 4, 4, 10, 5])
    start, end = parts.span_targets(spans, lengths)
    assert start.tolist() == [0, 1, 1, 9, 0]
    assert end.tolist() == [3, 1, 2, 9, 4]  # an end on a cell border belongs to the cell before it


def test_inside_labels_cover_start_to_end_inclusive():
    labels = parts.inside_labels(torch.tensor([1, 0]), torch.tensor([2, 0]), steps=4)
    assert labels.tolist() == [[0, 1, 1, 0], [1, 0, 0, 0]]


def test_start_end_nll_matches_the_formula_and_ignores_padding():
    start_logits = torch.tensor([[1.0, 2.0, 0.5, 9.0], [0.0, 0.0, 0.0, 0.0]])
    end_logits = torch.tensor([[0.0, 1.0, 3.0, 9.0], [1.0, 2.0, 3.0, 4.0]])
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    start, end = torch.tensor([1, 0]), torch.tensor([2, 3])
    got = parts.start_end_nll(start_logits, end_logits, mask, start, end)

    def nll(row, target):
        return -(row[target] - torch.logsumexp(row, 0))

    first = nll(start_logits[0, :3], 1) + nll(end_logits[0, :3], 2)  # padded step 3 takes no probability
    second = nll(start_logits[1], 0) + nll(end_logits[1], 3)
    want = (first + second) / 2
    assert got.item() == pytest.approx(want.item(), rel=1e-6)


def test_segmentation_bce_is_the_mean_over_real_steps():
    logits = torch.tensor([[2.0, -1.0, 5.0]])
    labels = torch.tensor([[1.0, 0.0, 0.0]])
    mask = torch.tensor([[True, True, False]])
    p0, p1 = torch.sigmoid(torch.tensor(2.0)), torch.sigmoid(torch.tensor(-1.0))
    want = -(math.log(p0) + math.log(1 - p1)) / 2
    assert parts.segmentation_bce(logits, labels, mask).item() == pytest.approx(want, rel=1e-6)


def test_best_pairs_match_brute_force_with_start_before_end():
    gen = torch.Generator().manual_seed(0)
    p_start = torch.softmax(torch.randn(7, generator=gen), 0)
    p_end = torch.softmax(torch.randn(7, generator=gen), 0)
    for max_steps in (None, 3):
        pairs, scores = parts.best_pairs(p_start, p_end, top=5, max_steps=max_steps)
        allowed = [
            (i, j)
            for i, j in itertools.product(range(7), repeat=2)
            if i <= j and (max_steps is None or j - i + 1 <= max_steps)
        ]
        brute = sorted(allowed, key=lambda ij: -float(p_start[ij[0]] * p_end[ij[1]]))[:5]
        assert [tuple(p) for p in pairs.tolist()] == brute
        assert torch.allclose(scores, p_start[pairs[:, 0]] * p_end[pairs[:, 1]])
        assert (pairs[:, 0] <= pairs[:, 1]).all()


def test_best_pair_never_crosses_even_when_end_peaks_first():
    p_start = torch.tensor([0.0, 0.0, 0.1, 0.9])
    p_end = torch.tensor([0.9, 0.1, 0.0, 0.0])
    pairs, _ = parts.best_pairs(p_start, p_end, top=100)
    assert (pairs[:, 0] <= pairs[:, 1]).all() and len(pairs) == 10  # all 4*5/2 pairs with start <= end


def test_steps_to_fractions_cover_whole_cells():
    fractions = parts.steps_to_fractions(torch.tensor([[0, 3], [1, 1]]), steps=4)
    assert fractions.tolist() == [[0.0, 1.0], [0.25, 0.5]]
