import pytest

from vlanet_core.registry import BACKBONES, MODELS, TEXT_ENCODERS, Registry, UnknownNameError


def test_unknown_name_lists_known_ones():
    reg: Registry[object] = Registry("thing")
    reg.register("a")(lambda: 1)
    with pytest.raises(UnknownNameError, match="unknown thing 'b'; registered: a"):
        reg.create("b")


def test_duplicate_registration_is_refused():
    reg: Registry[object] = Registry("thing")
    reg.register("a")(lambda: 1)
    with pytest.raises(ValueError, match="twice"):
        reg.register("a")(lambda: 2)


def test_paths_are_not_names():
    with pytest.raises(UnknownNameError):
        MODELS.get("../../etc/passwd")


@pytest.mark.parametrize(
    "registry, expected",
    [
        (MODELS, {"vlanet", "wsra", "scn", "cimha", "random", "whole-video", "prior-only", "clip-zeroshot"}),
        (BACKBONES, {"default", "clip", "precomputed"}),
        (TEXT_ENCODERS, {"glove", "minilm", "clip-text"}),
    ],
)
def test_builtin_entries_are_registered(registry, expected):
    assert expected <= set(registry.names())
