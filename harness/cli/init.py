"""``slm-harness init DIR``: start a project from what ships with the harness."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def init(
    dest: Annotated[Path, typer.Argument(metavar="DIR", help="Folder for the project (created if needed).")],
) -> None:
    """Start a project in DIR: scenarios, golden sets, dashboards, Prometheus, docker-compose, CI.

    Writes the shipped scenarios and golden sets, the dashboards with Grafana provisioning, the
    Prometheus config, rules and alert tests, docker-compose and the CI workflows; never
    overwrites a file. Prints DIR on the last line."""
    from harness.shipped import init_project

    written = init_project(dest)
    counts = {
        folder: sum(1 for p in written if p.relative_to(dest).parts[0] == folder)
        for folder in ("scenarios", "golden", "dashboards", "examples", ".github")
    }
    summary = ", ".join(f"{n} in {folder}/" for folder, n in counts.items())
    print(f"wrote {len(written)} files: {summary}", file=sys.stderr)
    print(
        "next, in that folder:\n"
        "  slm-harness run scenarios/smoke.yaml                   # load test, built-in simulator\n"
        "  slm-harness golden run golden/support_intents.jsonl    # golden-set check\n"
        "  docker compose -f dashboards/docker-compose.yml up -d  # Prometheus, Grafana, dashboards\n"
        "The CI workflow (.github/workflows/slm-gate.yml) and the simulator image install "
        "slm-harness from your package index: edit their install lines if it comes from elsewhere.",
        file=sys.stderr,
    )
    print(dest, flush=True)
