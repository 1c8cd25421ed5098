"""Writing a gate report: ``gate.xml`` (JUnit), ``gate.md`` (Markdown), ``gate.json`` (everything)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.gate.junit import write_junit
from harness.gate.markdown import gate_markdown
from harness.gate.result import GateReport

GATE_XML = "gate.xml"
GATE_MD = "gate.md"
GATE_JSON = "gate.json"


def write_outputs(report: GateReport, out_dir: Path, step_summary: Path | None = None) -> list[Path]:
    """Write the three files into `out_dir`; append the Markdown to `step_summary` when given
    (GitHub Actions' ``$GITHUB_STEP_SUMMARY``). Returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = gate_markdown(report)
    md_path = out_dir / GATE_MD
    md_path.write_text(markdown, encoding="utf-8")
    json_path = out_dir / GATE_JSON
    json_path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written = [write_junit(report, out_dir / GATE_XML), md_path, json_path]
    if step_summary is not None:
        with step_summary.open("a", encoding="utf-8") as f:
            f.write(markdown + "\n")
    return written
