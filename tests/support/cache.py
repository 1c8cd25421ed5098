"""The shared build cache: where heavy test dependencies live, and how a build step is made idempotent.

Each cached artefact is a directory plus a JSON marker written only after the build finished, so an
interrupted build is redone on the next call and a finished one is skipped. A file lock serialises
builders across processes (parallel pytest sessions, a CI job and a developer shell).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """`$SLM_HARNESS_CACHE`, else `~/.cache/slm-harness` (created on first use)."""
    root = Path(os.environ.get("SLM_HARNESS_CACHE") or Path.home() / ".cache" / "slm-harness")
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def build_lock(name: str) -> Iterator[None]:
    """Hold an exclusive lock named `name` in the cache dir for the duration of the block."""
    with (cache_dir() / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_marker(directory: Path) -> dict[str, Any] | None:
    """The completion marker of a cached build, or None when the build never finished."""
    path = directory / ".slm-harness-ready.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def write_marker(directory: Path, facts: dict[str, Any]) -> None:
    (directory / ".slm-harness-ready.json").write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")


def progress(message: str) -> None:
    """Progress goes to stderr so that a script's stdout stays machine-readable."""
    print(f"[slm-harness setup {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_step(
    label: str, argv: Sequence[str | Path], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> float:
    """Run one build command, streaming its output to stderr; returns the seconds it took."""
    progress(f"{label}: {' '.join(str(a) for a in argv)}")
    started = time.monotonic()
    subprocess.run([str(a) for a in argv], cwd=cwd, env=env, check=True, stdout=sys.stderr)
    elapsed = time.monotonic() - started
    progress(f"{label}: done in {elapsed:.0f} s")
    return elapsed
