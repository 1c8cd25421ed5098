"""Known shifts are detected and named in drift.json and drift.md; unchanged traffic is not
flagged. Two weeks of synthetic logs (2,000 requests each, fixed seeds) per case."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from harness.config.errors import ConfigError
from harness.drift.synth import TOPIC_KEYWORDS
from tests._drift_fixtures import Report, drift, read_report, week_pair


def _compare(tmp_path: Path, profile: str, *extra: str) -> tuple[int, Report]:
    pair = week_pair(tmp_path / "logs", profile)
    out = tmp_path / "out"
    result = drift(
        "--reference",
        pair.reference,
        "--current",
        pair.current,
        "--config",
        pair.config,
        "--out",
        out,
        *extra,
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.stdout.strip().splitlines()[-1] == str(out)
    return result.exit_code, read_report(out)


def test_same_distribution_flags_nothing_and_passes_the_gate(tmp_path: Path) -> None:
    code, report = _compare(tmp_path, "none", "--fail-on-drift")
    assert code == 0
    assert report.drifted == []
    assert report.json["drift_detected"] is False and report.json["drift_share"] == 0
    assert report.json["n_features"] == 23  # 18 offline features, 5 topic keywords, golden accuracy
    assert all(f["score"] < f["threshold"] for f in report.json["features"] if f["kind"] != "accuracy")
    assert "**Verdict: no drift detected** in 23 features." in report.markdown


def test_thirty_percent_longer_outputs_are_named(tmp_path: Path) -> None:
    code, report = _compare(tmp_path, "longer-outputs", "--fail-on-drift")
    assert code == 1  # the gate fails
    tokens = report.feature("output_tokens")
    assert tokens["drifted"] and tokens["method"] == "wasserstein" and tokens["threshold"] == 0.1
    assert tokens["score"] > 0.3
    # The profile scales every length by 1.3; the weekly means also differ by sampling (~±5 %).
    assert 22 < tokens["change_pct"] < 40
    assert {"output_tokens", "output_words", "output_chars", "e2e_s"} <= set(report.drifted)
    assert not [name for name in report.drifted if name.startswith("prompt_")]  # prompts did not change
    assert "golden_accuracy" not in report.drifted
    row = next(line for line in report.markdown.splitlines() if line.startswith("| `output_tokens`"))
    assert re.search(r"mean \d+ → \d+ \(\+[23]\d\.\d %\)", row), row


def test_ten_point_accuracy_drop_is_named(tmp_path: Path) -> None:
    _, report = _compare(tmp_path, "accuracy-drop")
    accuracy = report.feature("golden_accuracy")
    assert report.drifted == ["golden_accuracy"]  # nothing else moved
    assert accuracy["method"] == "two-proportion z-test" and accuracy["threshold"] == 0.01
    assert accuracy["score"] < 0.001  # p-value
    # 90 % -> 80 % in the generator; ~500 graded requests a week add a few points of noise.
    assert -14 < accuracy["change_points"] < -6
    assert 0.85 < accuracy["reference_mean"] < 0.95 and 0.75 < accuracy["current_mean"] < 0.85
    assert accuracy["n_reference"] > 400 and accuracy["n_current"] > 400  # a quarter of requests are graded
    assert re.search(
        r"Golden accuracy fell \d+\.\d points \(\d+\.\d% → \d+\.\d%, p < 0\.001; significant\)",
        report.markdown,
    )
    assert "graded = incorrect" in report.markdown  # where: answers graded incorrect, with their prompts


def test_topic_mix_shift_is_found_without_a_topic_label(tmp_path: Path) -> None:
    _, report = _compare(tmp_path, "topic-shift")
    billing = report.feature("prompt_kw_billing")
    assert billing["drifted"] and billing["method"] == "jensenshannon"
    assert 0.18 < billing["reference_mean"] < 0.26 and 0.5 < billing["current_mean"] < 0.62
    assert report.feature("prompt_kw_technical")["current_mean"] < 0.1
    # Without any keyword configured, the prompt text descriptors still move.
    assert {"prompt_chars", "prompt_words", "prompt_nonletter_share"} <= set(report.drifted)
    section = report.markdown.split("## Where traffic moved")[1].split("\n## ")[0]
    assert "**`prompt_kw_billing`** — prompt_kw_billing = yes" in section
    examples = [
        line[2:]
        for line in section.split("**`prompt_kw_billing`**")[1].split("**`")[0].splitlines()
        if line.startswith("> ")
    ]
    assert len(examples) == 3
    words = TOPIC_KEYWORDS["billing"]
    assert all(any(w in example.lower() for w in words) for example in examples), examples


def test_usage_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    pair = week_pair(tmp_path / "logs", "none", requests_per_week=50)
    missing = drift("--reference", pair.reference)
    assert isinstance(missing.exception, ConfigError)
    assert str(missing.exception) == (
        "(command line): --reference/--current: both are needed to compare — fix: run "
        "`slm-harness drift --reference SRC --current SRC`, or `slm-harness drift weekly LOGS`"
    )
    wrong_week = drift("weekly", pair.reference, "--reference-week", "week 3")
    assert isinstance(wrong_week.exception, ConfigError)
    assert "--reference-week: 'week 3' is not an ISO week like 2025-W03" in str(wrong_week.exception)
    bad_profile = drift("synth-logs", tmp_path / "x", "--weeks", "2", "--profile", "3=slower")
    assert isinstance(bad_profile.exception, ConfigError)
    assert "--profile: '3=slower': no week 1..2" in str(bad_profile.exception)


def test_thirty_percent_slower_moves_only_latency(tmp_path: Path) -> None:
    _, report = _compare(tmp_path, "slower")
    assert set(report.drifted) == {"ttft_s", "tpot_s", "e2e_s"}
    assert 25 < report.feature("tpot_s")["change_pct"] < 35


def test_the_slm_harness_command_exits_2_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "drift", "weekly", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"slm-harness: error: {tmp_path / 'missing'}: LOGS: does not exist — "
        "fix: give a run directory, a .jsonl file or a folder\n"
    )
