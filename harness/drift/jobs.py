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
from harness.drift.compare import HTML_FILE, Context, compare, write_report
from harness.drift.config import DriftConfig
from harness.drift.result import DriftResult
from harness.drift.sample import Sample
from harness.drift.sources import is_run_dir, load_source
from harness.drift.weekly import split_weeks
from harness.drift.weeks import IsoWeek
from harness.records.rundir import DEFAULT_RUNS_DIR, make_run_id


def out_dir_for(out: Path | None, current: Sequence[Path], name: str) -> Path:
    """``out`` when given; else the current run directory when the current source is one (the
    run directory contract has a place for drift files); else a new ``reports/runs/<id>``,
    created only once the inputs have been read."""
    if out is not None:
        return out
    if len(current) == 1 and is_run_dir(current[0]):
        return current[0]
    return DEFAULT_RUNS_DIR / make_run_id(name)


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


def _report(
    reference: Sample,
    current: Sample,
    config: DriftConfig,
    out_dir: Path,
    use_embeddings: bool,
    context: Context | None,
) -> DriftResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    result = compare(reference, current, config, out_dir / HTML_FILE, use_embeddings, context)
    write_report(result, out_dir)
    return result
