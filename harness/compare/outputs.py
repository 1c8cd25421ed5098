"""Writing a comparison: ``compare.json``, ``compare.md`` and ``compare.html`` in one folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.compare.html import render_html
from harness.compare.markdown import render_markdown
from harness.compare.sides import Side

JSON_FILE, MARKDOWN_FILE, HTML_FILE = "compare.json", "compare.md", "compare.html"


def write_outputs(result: dict[str, Any], sides: list[Side], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / JSON_FILE, out_dir / MARKDOWN_FILE, out_dir / HTML_FILE]
    paths[0].write_text(json.dumps(result, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(result), encoding="utf-8")
    paths[2].write_text(render_html(result, sides), encoding="utf-8")
    return paths
