"""Atomic writes (vlanet_core/atomic_write.py): readers see the old file or the whole new one, never a part."""

import pytest

from vlanet_core.atomic_write import write_atomically, write_text_atomically


def test_the_new_content_replaces_the_old_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "store.json"
    target.write_text("old")
    assert write_text_atomically(target, "new ✓") == target
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["store.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary(tmp_path):
    target = tmp_path / "store.npz"
    target.write_bytes(b"complete old store")

    def half_then_fail(out):
        out.write(b"half of a ne")
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError, match="disk went away"):
        write_atomically(target, half_then_fail)
    assert target.read_bytes() == b"complete old store"
    assert [p.name for p in tmp_path.iterdir()] == ["store.npz"]


def test_while_writing_the_target_still_holds_the_old_content(tmp_path):
    """The partial bytes go to a temporary file: a reader during the write (another torchrun rank) reads the old
    file, whole."""
    target = tmp_path / "a.txt"
    target.write_text("old, complete")
    seen = []
    write_atomically(target, lambda out: (out.write(b"new"), seen.append(target.read_text())))
    assert seen == ["old, complete"] and target.read_text() == "new"
