"""Shared helpers for end-to-end load tests: write a scenario, run the real CLI, read the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def write_scenario(tmp_path: Path, spec: dict[str, Any], name: str = "scenario") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``slm-harness`` as a user would, in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=full_env,
    )


def run_scenario(
    tmp_path: Path,
    spec: dict[str, Any],
    *extra: str,
    env: dict[str, str] | None = None,
    exit_code: int = 0,
) -> Path:
    """Run a scenario to completion; returns its run directory (the CLI's last stdout line)."""
    path = write_scenario(tmp_path, spec)
    proc = cli("run", str(path), "--out", str(tmp_path / "runs"), "--quiet", *extra, env=env)
    assert proc.returncode == exit_code, proc.stderr[-3000:]
    return Path(proc.stdout.strip().splitlines()[-1])


def summary_of(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "summary.json").read_text())


def inline_workload(max_tokens: int, **extra: Any) -> dict[str, Any]:
    return {
        "source": {"type": "inline", "prompts": ["Say something.", "Tell me about load testing."]},
        "max_tokens": max_tokens,
        **extra,
    }
