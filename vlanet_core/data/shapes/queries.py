"""Query sentences of Shapes-STA: ``<det> <colour> <shape> <phrase>``, and their exact inverse.

Every phrase belongs to one action only, so a sentence parses back to its (colour, shape, action) without doubt.
"""

from __future__ import annotations

import numpy as np

from vlanet_core.data.shapes.spec import COLOURS, SHAPES

DETERMINERS: tuple[str, ...] = ("the", "a")

PHRASES: dict[str, tuple[str, ...]] = {
    "move_left": ("moves to the left", "moves left", "slides to the left", "is moving to the left"),
    "move_right": ("moves to the right", "moves right", "slides to the right", "is moving to the right"),
    "move_up": ("moves up", "rises", "goes up", "is moving upward"),
    "move_down": ("moves down", "falls", "goes down", "is moving downward"),
    "appear": ("appears", "fades in", "shows up", "comes into view"),
    "disappear": ("disappears", "fades out", "vanishes", "goes out of view"),
    "grow": ("grows", "gets bigger", "expands", "is growing larger"),
    "shrink": ("shrinks", "gets smaller", "contracts", "is shrinking"),
    "spin": ("spins", "rotates", "turns around", "is spinning"),
    "blink": ("blinks", "flashes", "flickers", "is blinking"),
}

_ACTION_OF_PHRASE: dict[str, str] = {phrase: action for action, phrases in PHRASES.items() for phrase in phrases}


def sentence(det: str, colour: str, shape: str, phrase: str) -> str:
    return f"{det} {colour} {shape} {phrase}"


def draw_sentences(rng: np.random.Generator, colour: str, shape: str, action: str, count: int) -> tuple[str, ...]:
    """``count`` (1 or 2) sentences of one event with different phrases.

    The generator always consumes the same draws whatever ``count`` is, so a video's first sentence does not depend
    on its split (train keeps up to two, val/test one).
    """
    phrase_order = rng.permutation(len(PHRASES[action]))
    dets = rng.integers(0, len(DETERMINERS), size=2)
    return tuple(sentence(DETERMINERS[dets[i]], colour, shape, PHRASES[action][phrase_order[i]]) for i in range(count))


def parse_sentence(text: str) -> tuple[str, str, str]:
    """The (colour, shape, action) a Shapes-STA sentence names; ValueError for any other text.

    >>> parse_sentence("a red circle slides to the left")
    ('red', 'circle', 'move_left')
    """
    words = text.strip().lower().split()
    if len(words) < 4 or words[0] not in DETERMINERS or words[1] not in COLOURS or words[2] not in SHAPES:
        raise ValueError(f"not a Shapes-STA sentence: {text!r}")
    phrase = " ".join(words[3:])
    if phrase not in _ACTION_OF_PHRASE:
        raise ValueError(f"unknown phrase {phrase!r} in {text!r}")
    return words[1], words[2], _ACTION_OF_PHRASE[phrase]
