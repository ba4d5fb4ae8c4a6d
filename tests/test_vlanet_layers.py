"""Dense Attention and the VLA function (VLANet eqs. 7-8) against a hand computation."""

from __future__ import annotations

import numpy as np
import torch

from vlanet_core.models.layers import AlignmentEnergy, DenseAttention, masked_softmax


def _manual_energy(x, y, w1, w2):
    """E(x_n, Y) = sum_m tanh(W1 x_n . W2 y_m), one loop per term."""
    return np.array([sum(np.tanh((w1 @ xn) @ (w2 @ ym)) for ym in y) for xn in x])


def _fixed_attention(**kwargs) -> tuple[DenseAttention, np.ndarray, np.ndarray]:
    layer = DenseAttention(2, 2, **kwargs)
    w1 = np.array([[1.0, 0.5], [0.0, -1.0]])
    w2 = np.array([[0.3, 0.0], [0.2, 0.7]])
    with torch.no_grad():
        layer.energy.w1.weight.copy_(torch.tensor(w1))
        layer.energy.w2.weight.copy_(torch.tensor(w2))
    return layer, w1, w2


X = np.array([[1.0, 0.0], [0.5, 0.5], [-1.0, 2.0]])  # N = 3
Y = np.array([[0.0, 1.0], [2.0, -1.0]])  # M = 2


def test_energy_matches_eq7():
    energy = AlignmentEnergy(2, 2)
    layer, w1, w2 = _fixed_attention()
    energy.load_state_dict(layer.energy.state_dict())
    got = energy(torch.tensor(X[None]).float(), torch.tensor(Y[None]).float())[0].detach().numpy()
    np.testing.assert_allclose(got, _manual_energy(X, Y, w1, w2), rtol=1e-5)


def test_energy_mean_divides_by_real_words():
    layer, w1, w2 = _fixed_attention()
    energy = AlignmentEnergy(2, 2, reduce="mean")
    energy.load_state_dict(layer.energy.state_dict())
    y_pad = np.concatenate([Y, np.ones((1, 2))])[None]
    mask = torch.tensor([[True, True, False]])
    got = energy(torch.tensor(X[None]).float(), torch.tensor(y_pad).float(), mask)[0].detach().numpy()
    np.testing.assert_allclose(got, _manual_energy(X, Y, w1, w2) / 2, rtol=1e-5)


def test_dense_attention_matches_eq8():
    layer, w1, w2 = _fixed_attention()
    out, weights = layer(torch.tensor(X[None]).float(), torch.tensor(Y[None]).float())
    e = _manual_energy(X, Y, w1, w2)
    soft = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    np.testing.assert_allclose(weights[0].detach().numpy(), soft, rtol=1e-5)
    np.testing.assert_allclose(out[0].detach().numpy(), soft[:, None] * X, rtol=1e-5, atol=1e-7)  # diag(a) X
    assert out.shape == (1, 3, 2)


def test_rescale_multiplies_by_the_number_of_real_rows():
    plain, _, _ = _fixed_attention()
    scaled, _, _ = _fixed_attention(rescale=True)
    x, y = torch.tensor(X[None]).float(), torch.tensor(Y[None]).float()
    torch.testing.assert_close(scaled(x, y)[0], 3 * plain(x, y)[0])


def test_learned_temperature_starts_at_eq8():
    plain, _, _ = _fixed_attention()
    tempered, _, _ = _fixed_attention(learn_temperature=True)
    x, y = torch.tensor(X[None]).float(), torch.tensor(Y[None]).float()
    torch.testing.assert_close(tempered(x, y)[1], plain(x, y)[1])
    with torch.no_grad():
        tempered.log_scale.fill_(np.log(2.0))
    e = _manual_energy(X, Y, *_fixed_attention()[1:]) * 2
    np.testing.assert_allclose(tempered(x, y)[1][0].detach().numpy(), np.exp(e) / np.exp(e).sum(), rtol=1e-5)


def test_masks_equal_running_without_the_padding():
    layer, _, _ = _fixed_attention()
    x_pad = torch.tensor(np.concatenate([X, 5 * np.ones((2, 2))])[None]).float()
    y_pad = torch.tensor(np.concatenate([Y, -3 * np.ones((1, 2))])[None]).float()
    x_mask = torch.tensor([[True, True, True, False, False]])
    y_mask = torch.tensor([[True, True, False]])
    out, weights = layer(x_pad, y_pad, x_mask, y_mask)
    ref_out, ref_weights = layer(torch.tensor(X[None]).float(), torch.tensor(Y[None]).float())
    torch.testing.assert_close(weights[:, :3], ref_weights)
    assert torch.all(weights[:, 3:] == 0)
    torch.testing.assert_close(out[:, :3], ref_out)
    assert torch.all(out[:, 3:] == 0)


def test_masked_softmax_rows_sum_to_one():
    scores = torch.randn(4, 6)
    mask = torch.rand(4, 6) > 0.4
    mask[:, 0] = True
    weights = masked_softmax(scores, mask)
    torch.testing.assert_close(weights.sum(-1), torch.ones(4))
    assert torch.all(weights[~mask] == 0)
