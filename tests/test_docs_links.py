"""Links and images in the README and the docs point at files that exist, and images stay small."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("*/README.md")])
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
MAX_IMAGE_BYTES = 100_000


def local_links(doc: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    return [t for t in LINK.findall(text) if not t.startswith(("http://", "https://", "mailto:", "#"))]


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_local_links_resolve(doc: Path) -> None:
    missing = [t for t in local_links(doc) if not (doc.parent / t.split("#")[0]).exists()]
    assert missing == []


def test_quickstart_screenshots_exist_and_are_small() -> None:
    images = [t for t in local_links(ROOT / "docs" / "quickstart.md") if t.endswith(".png")]
    assert len(images) >= 3
    for target in images:
        size = (ROOT / "docs" / target).stat().st_size
        assert 1_000 < size < MAX_IMAGE_BYTES, (target, size)
