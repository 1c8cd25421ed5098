"""Every recorded request belongs to a phase it was sent in; none is sent after the run's end."""

from __future__ import annotations

from pathlib import Path

from harness.records.store import read_records
from tests._load_helpers import inline_workload, run_scenario, summary_of


def test_without_a_cooldown_nothing_is_tagged_cooldown_and_counts_agree(tmp_path: Path) -> None:
    spec = {
        "name": "phases",
        "simulator": {"ttft_ms": 30, "itl_ms": 20},  # 16 tokens: ~330 ms a request, in flight at the end
        "workload": inline_workload(16, ignore_eos=True),
        "load": {"profile": {"type": "concurrency", "users": 4}, "duration_s": 3, "warmup_s": 1},
    }
    run_dir = run_scenario(tmp_path, spec)
    s = summary_of(run_dir)
    records = read_records(run_dir)
    assert set(records["phase"]) == {"warmup", "measure"}
    assert (records["sent_at"] < s["run"]["started_at"] + 3).all()  # closed-loop users stop at the end
    requests = s["requests"]
    assert requests["cooldown"] == 0
    assert requests["recorded"] == len(records) == requests["warmup"] + requests["total"]
