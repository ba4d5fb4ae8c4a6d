"""SCN's equations on small tensors: candidates, eq. 3's decay, selection with NMS, masking, rewards, eq. 8."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vlanet_core.models import scn_parts as parts
from vlanet_core.spans import iou


def test_candidates_end_at_each_step_and_never_start_before_zero():
    start, end, valid = parts.candidate_spans(torch.tensor([10, 4]), steps=12, ratios=[0.2, 0.5])
    assert start.shape == end.shape == valid.shape == (2, 12, 2)
    # video 0: 10 steps, spans of round(0.2*10)=2 and round(0.5*10)=5 steps ending at t
    assert end[0, 7].tolist() == [7, 7] and start[0, 7].tolist() == [6, 3]
    assert valid[0, 0].tolist() == [False, False]  # would start at -1 / -4
    assert valid[0, 1].tolist() == [True, False] and valid[0, 4].tolist() == [True, True]
    assert not valid[0, 10:].any()  # padding
    # video 1: 4 steps; round(0.8) = 1 and 2 steps
    assert valid[1, :4].sum().item() == 4 + 3 and not valid[1, 4:].any()
    ok = valid
    assert (start[ok] >= 0).all() and (start[ok] <= end[ok]).all()


def test_exploration_probability_decays_exponentially():
    assert parts.exploration_probability(0, 0.5, 2000) == pytest.approx(0.5)
    assert parts.exploration_probability(2000, 0.5, 2000) == pytest.approx(0.5 / math.e)
    values = [parts.exploration_probability(n, 0.5, 2000) for n in range(0, 20000, 1000)]
    assert all(a > b for a, b in zip(values, values[1:]))
    assert values[-1] < 0.5 * math.exp(-9)


def test_greedy_selection_is_nms_over_scores():
    spans = np.array([[0, 10], [1, 10], [20, 30], [0, 9], [40, 45]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.1])
    picks = parts.select_proposals(scores, spans, k=3, p=0.0, nms_threshold=0.5)
    assert picks == [0, 2, 4]  # 1 and 3 overlap 0 by IoU 0.9


def test_random_selection_still_respects_nms_and_is_reproducible():
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, 90, 60)
    spans = np.stack([starts, starts + rng.uniform(1, 10, 60)], axis=1)
    scores = rng.uniform(size=60)
    gen = torch.Generator().manual_seed(1)
    picks = parts.select_proposals(scores, spans, k=4, p=1.0, nms_threshold=0.3, generator=gen)
    assert len(set(picks)) == 4
    for i, a in enumerate(picks):
        for b in picks[i + 1 :]:
            assert iou(spans[a], spans[b]) <= 0.3
    again = parts.select_proposals(scores, spans, 4, 1.0, 0.3, torch.Generator().manual_seed(1))
    assert again == picks
    greedy = parts.select_proposals(scores, spans, 4, 0.0, 0.3)
    randoms = {tuple(parts.select_proposals(scores, spans, 4, 1.0, 0.3)) for _ in range(10)}
    assert len(randoms) > 1 and greedy[0] == int(np.argmax(scores))


def test_selection_with_few_candidates_repeats_instead_of_failing():
    picks = parts.select_proposals(np.array([0.2, 0.9]), np.array([[0.0, 1.0], [0.0, 1.0]]), 4, 0.0, 0.5)
    assert len(picks) == 4 and picks[0] == 1 and picks[1] == 0
    with pytest.raises(ValueError):
        parts.select_proposals(np.zeros(0), np.zeros((0, 2)), 4, 0.0, 0.5)


def test_batch_vocabulary_gives_equal_vectors_one_id():
    table = torch.randn(5, 3)
    ids = torch.tensor([[0, 1, 2, 0], [3, 1, 4, 4]])
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    vocab, got = parts.batch_vocabulary(table[ids], mask)
    assert vocab.shape == (5, 3)
    assert got[0, 3] == -1
    assert got[0, 1] == got[1, 1] and got[1, 2] == got[1, 3] and got[0, 0] != got[0, 2]
    assert torch.equal(vocab[got[mask]], table[ids][mask])


def _sentences(batch: int = 8):
    """ids: word 0 ("the") in every sentence, word 1 ("a") in most, content words 2.. unique per sentence."""
    rows = [[0, 2 + 3 * i, 1, 3 + 3 * i, 4 + 3 * i, 0] for i in range(batch)]
    ids = torch.tensor(rows)
    return ids, torch.ones_like(ids, dtype=torch.bool)


def test_function_words_are_the_frequent_ones():
    ids, mask = _sentences()
    weights = parts.content_word_weights(ids, mask, function_df=0.3, boost=3.0, min_batch=4)
    assert weights[:, [0, 2, 5]].eq(1.0).all() and weights[:, [1, 3, 4]].eq(3.0).all()
    small = parts.content_word_weights(ids[:2], mask[:2], 0.3, 3.0, min_batch=4)
    assert small.eq(1.0).all()  # too small a batch to count


def test_masking_rate_is_a_third_and_favours_content_words():
    ids, mask = _sentences()
    mask[0, 4:] = False  # a 4-word sentence: round(4/3) = 1 masked
    weights = parts.content_word_weights(ids, mask, 0.3, 3.0, 4)
    gen = torch.Generator().manual_seed(0)
    content, function = 0.0, 0.0
    for _ in range(300):
        masked = parts.choose_masked_words(weights, mask, 1 / 3, gen)
        assert masked.sum(1).tolist() == [1] + [2] * 7
        assert not (masked & ~mask).any()
        content += masked[1:, [1, 3, 4]].float().mean().item()
        function += masked[1:, [0, 2, 5]].float().mean().item()
    assert content / 300 > 2 * function / 300  # boost 3: content words are drawn far more often
    assert (content + function) / 600 == pytest.approx(1 / 3, abs=0.01)


def test_low_function_threshold_steers_masking_to_the_rare_words():
    """The Shapes-STA recipe (scn.py docstring): with function_word_df 0.15 a word in a fifth of the sentences (a
    colour) is a function word, and with boost 10 nearly every masked word is one of the rare ones (actions)."""
    batch = 10
    colour = [100 + (i % 5) for i in range(batch)]  # 5 colours, each in 2 of the 10 sentences (df 0.2)
    rows = [[0, colour[i], 1, 2 + 3 * i, 3 + 3 * i, 0] for i in range(batch)]  # the, colour, shape, action, dir, the
    ids = torch.tensor(rows)
    mask = torch.ones_like(ids, dtype=torch.bool)
    shipped = parts.content_word_weights(ids, mask, function_df=0.3, boost=3.0, min_batch=4)
    assert shipped[:, 1].eq(3.0).all()  # df 0.2 < 0.3: colours count as content words by default
    weights = parts.content_word_weights(ids, mask, function_df=0.15, boost=10.0, min_batch=4)
    assert weights[:, [0, 1, 2, 5]].eq(1.0).all() and weights[:, [3, 4]].eq(10.0).all()
    gen = torch.Generator().manual_seed(0)
    draws = [parts.choose_masked_words(weights, mask, 1 / 3, gen) for _ in range(200)]
    rare = sum(m[:, [3, 4]].float().mean().item() for m in draws)
    assert rare / 200 > 0.7  # 2 of 6 words masked: 1.57 of them rare on average (0.79 of the rare slots)


def test_rewards_step_down_from_one_to_zero_by_rank():
    rec = torch.tensor([[3.0, 1.0, 2.0, 4.0]])
    assert torch.allclose(parts.rank_rewards(rec), torch.tensor([[1 / 3, 1.0, 2 / 3, 0.0]]))
    assert parts.rank_rewards(rec, one_hot=True).tolist() == [[0.0, 1.0, 0.0, 0.0]]


def test_rank_loss_is_reward_weighted_log_softmax_and_pushes_the_best_up():
    scores = torch.tensor([[0.2, 0.5, 0.9]], requires_grad=True)
    rewards = torch.tensor([[1.0, 0.5, 0.0]])
    loss = parts.rank_loss(scores, rewards)
    soft = torch.softmax(scores.detach(), 1)
    assert torch.allclose(loss, -rewards * torch.log(soft))
    loss.sum().backward()
    assert scores.grad[0, 0] < 0 < scores.grad[0, 2]  # gradient descent raises the best, lowers the worst


def test_complement_hinge_acts_on_the_best_ranked_proposal_only_until_the_margin_holds():
    rec = torch.tensor([[2.0, 1.0, 3.0], [1.0, 2.0, 2.0]], requires_grad=True)
    rest = torch.tensor([[2.0, 1.2, 9.0], [5.0, 0.0, 0.0]], requires_grad=True)
    ranked_by = torch.tensor([[0.5, 0.1, 0.9], [0.0, 1.0, 2.0]])  # best: proposal 1, then proposal 0
    hinge = parts.complement_hinge(rec, rest, ranked_by, margin=0.5)
    # first sentence: 0.5 + 1.0 - 1.2 = 0.3 > 0; second: 0.5 + 1.0 - 5.0 < 0, the margin already holds
    assert torch.allclose(hinge, torch.tensor([0.3, 0.0]))
    hinge.sum().backward()
    assert rec.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]  # lower the best proposal's loss
    assert rest.grad.tolist() == [[0.0, -1.0, 0.0], [0.0, 0.0, 0.0]]  # raise its complement's


def test_inside_mask_marks_each_proposals_real_steps():
    video_mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    start, end = torch.tensor([[1, 0], [2, 0]]), torch.tensor([[2, 5], [5, 0]])  # inclusive
    inside = parts.inside_mask(video_mask, start, end)
    assert inside.shape == (2, 2, 6)
    assert inside[0, 0].tolist() == [False, True, True, False, False, False]
    assert inside[0, 1].all()
    assert inside[1, 0].tolist() == [False, False, True, True, False, False]  # padding is never inside
    assert inside[1, 1].tolist() == [True, False, False, False, False, False]
