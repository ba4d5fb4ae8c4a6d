import numpy as np

from vlanet_core.text.tokenize import split_words as tokenize
from vlanet_core.training.negatives import NegativeSampler

CORPUS = [
    "the red circle moves to the left",
    "a blue square grows",
    "the green triangle spins",
    "a red circle shrinks",
    "the white square fades in",
    "a yellow triangle is moving upward",
]


def test_negatives_differ_from_every_positive_of_the_video():
    sampler = NegativeSampler(CORPUS)
    positives = ["the red circle moves to the left", "a red circle shrinks"]
    rng = np.random.default_rng(0)
    for _ in range(50):
        negs = sampler.sample(positives[0], positives, 3, rng)
        assert len(negs) == len(set(negs))
        for n in negs:
            assert tuple(tokenize(n)) not in {tuple(tokenize(p)) for p in positives}


def test_function_word_swaps_are_not_negatives():
    sampler = NegativeSampler(CORPUS)
    assert {"the", "a"} <= sampler.function_words
    rng = np.random.default_rng(1)
    for _ in range(100):
        for n in sampler.sample("the red circle moves to the left", [], 4, rng):
            assert tokenize(n)[1:] != tokenize("the red circle moves to the left")[1:]


def test_deterministic_for_a_seed():
    sampler = NegativeSampler(CORPUS)
    a = sampler.sample(CORPUS[0], [], 3, np.random.default_rng(5))
    b = sampler.sample(CORPUS[0], [], 3, np.random.default_rng(5))
    assert a == b and len(a) == 3
