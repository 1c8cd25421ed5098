"""A mistake in a scenario ends in one line naming file and field, exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._load_helpers import cli

BASE = """\
workload:
  source: {type: inline, prompts: [hi]}
load:
  profile: {type: concurrency, users: 2}
  duration_s: 5
"""

MISTAKES = {
    "unknown-field": (BASE + "  warmpu_s: 1\n", "load.warmpu_s", "warmup_s"),
    "wrong-type": (BASE.replace("duration_s: 5", "duration_s: soon"), "load.duration_s", "number"),
    "negative-users": (BASE.replace("users: 2", "users: -3"), "load.profile.users", "-3"),
    "bad-enum": (BASE.replace("type: concurrency", "type: swarm"), "load.profile", "concurrency"),
    "bad-yaml": (BASE.replace("users: 2}", "users: 2"), "line", ""),
    "missing-data-file": (
        BASE.replace("{type: inline, prompts: [hi]}", "{type: jsonl, path: nowhere.jsonl}"),
        "nowhere.jsonl",
        "",
    ),
    "warmup-too-long": (BASE + "  warmup_s: 9\n", "warmup_s", ""),
    "unset-key-variable": (
        BASE + "endpoint: {base_url: 'http://127.0.0.1:9', api_key_env: SLM_TEST_UNSET_KEY}\n",
        "SLM_TEST_UNSET_KEY",
        "",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_scenario_mistake_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    text, must_name, hint = MISTAKES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    proc = cli("run", str(path), "--out", str(tmp_path / "runs"), "--quiet", timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(path) in lines[0]
    assert must_name in lines[0]
    assert hint in lines[0]
    assert not (tmp_path / "runs").exists()  # nothing was started


def test_missing_scenario_file(tmp_path: Path) -> None:
    proc = cli("run", str(tmp_path / "absent.yaml"), timeout=60)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "absent.yaml" in proc.stderr


def test_unknown_option_is_a_usage_error() -> None:
    proc = cli("run", "scenarios/smoke.yaml", "--no-such-flag", timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--no-such-flag" in proc.stderr
