"""The two drift jobs the command runs: compare two sources, or the weekly report of logs.

Each reads its inputs, compares, and writes ``drift.html``, ``drift.json`` and ``drift.md``
into ``out_dir``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from harness.config.errors import ConfigError
from harness.drift import embeddings
from harness.drift.compare import HTML_FILE, compare, write_report
from harness.drift.config import DriftConfig
from harness.drift.result import DriftResult
from harness.drift.sources import is_run_dir, load_source
from harness.drift.weekly import split_weeks
from harness.drift.weeks import IsoWeek


def compare_sources(
    reference: Sequence[Path],
    current: Sequence[Path],
    config: DriftConfig,
    out_dir: Path,
    use_embeddings: bool = False,
) -> DriftResult:
    """Drift of the ``current`` source against the ``reference`` one (run dirs or logs)."""
    if use_embeddings:
        embeddings.require()
    ref = load_source(reference, "--reference")
    cur = load_source(current, "--current")
    return _report(ref, cur, config, out_dir, use_embeddings, None)


def weekly_report(
    logs: Sequence[Path],
    config: DriftConfig,
    out_dir: Path,
    as_of: datetime | None = None,
    current_week: IsoWeek | None = None,
    reference_week: IsoWeek | None = None,
    use_embeddings: bool = False,
) -> DriftResult:
    """The last complete ISO week of ``logs`` (as of ``as_of``, default now) against the week
    before it, or the pinned weeks."""
    if use_embeddings:
        embeddings.require()
    for path in logs:
        if is_run_dir(path):
            raise ConfigError(
                str(path), "LOGS", "is a run directory; weekly mode reads request logs", "give .jsonl logs"
            )
    sample = load_source(logs, "LOGS")
    split = split_weeks(sample, as_of or datetime.now(UTC), current_week, reference_week)
    return _report(split.reference, split.current, config, out_dir, use_embeddings, split.context)


def _report(reference, current, config, out_dir, use_embeddings, context) -> DriftResult:  # type: ignore[no-untyped-def]
    out_dir.mkdir(parents=True, exist_ok=True)
    result = compare(reference, current, config, out_dir / HTML_FILE, use_embeddings, context)
    write_report(result, out_dir)
    return result
