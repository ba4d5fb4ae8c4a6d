"""The README and the pages under docs/ link to each other by relative paths: every such link must reach a file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def relative_links(page: Path) -> list[str]:
    """The link targets of ``page`` that are paths in this repository (no scheme, no pure anchors)."""
    return [t for t in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t and not t.startswith("mailto:")]


def test_relative_link_pattern():
    page = "see [a](docs/a.md), [b](b.md#part), [web](https://x.org/y), [c](#anchor)"
    assert [t for t in LINK.findall(page) if "://" not in t] == ["docs/a.md", "b.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_reaches_a_file(page):
    missing = [t for t in relative_links(page) if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"


def test_readme_links_every_docs_page():
    linked = {(ROOT / t).resolve() for t in relative_links(ROOT / "README.md")}
    assert {p.resolve() for p in PAGES[1:]} <= linked
