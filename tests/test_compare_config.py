"""`targets:` and `compare:` in a scenario: what loads, and one-line errors for what cannot run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.config.errors import ConfigError
from harness.config.scenario import load_scenario, scenario_to_yaml
from tests._load_helpers import ROOT, cli

GOLDEN = ROOT / "golden" / "support_intents.jsonl"

TWO = [
    {"name": "a", "base_url": "http://127.0.0.1:8001/v1", "api_key_env": "SLM_TEST_KEY_A"},
    {"name": "b", "simulator": {"ttft_ms": 50}, "cost": {"accelerator_usd_per_hour": 1.0}},
]
BASE = {
    "workload": {"source": {"type": "inline", "prompts": ["hi"]}},
    "load": {"profile": {"type": "concurrency", "users": 1}, "duration_s": 2},
}


def _write(tmp_path: Path, **sections: object) -> Path:
    path = tmp_path / "ab.yaml"
    path.write_text(yaml.safe_dump({**BASE, **sections}))
    return path


def test_targets_load_with_their_own_cost_and_simulator(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, targets=TWO, compare={"mode": "shadow", "primary": "b"}))
    assert scenario.targets is not None and [t.name for t in scenario.targets] == ["a", "b"]
    assert scenario.targets[1].simulator is not None and scenario.targets[1].simulator.ttft_ms == 50
    assert scenario.compare.mode == "shadow" and scenario.compare.fanout == "all"
    assert not scenario.uses_simulator


def test_secrets_of_every_target_are_redacted(tmp_path: Path) -> None:
    targets = [
        {
            **TWO[0],
            "headers": {"Authorization": "Bearer sk-secret"},
            "base_url": "http://u:pw@127.0.0.1:1/v1",
        },
        TWO[1],
    ]
    text = scenario_to_yaml(load_scenario(_write(tmp_path, targets=targets)))
    assert "sk-secret" not in text and ":pw@" not in text and "u:***@" in text


MISTAKES = {
    "one-target": ({"targets": TWO[:1]}, "targets", "two or more"),
    "same-name": ({"targets": [TWO[0], {**TWO[1], "name": "a"}]}, "targets", "own name"),
    "with-endpoint": ({"targets": TWO, "endpoint": {"base_url": "http://x:1"}}, "endpoint", "each target"),
    "with-golden": ({"targets": TWO, "golden": {"sets": [str(GOLDEN)]}}, "golden", "compare.golden"),
    "unknown-primary": ({"targets": TWO, "compare": {"primary": "c"}}, "compare.primary", "a, b"),
    "url-and-simulator": (
        {"targets": [TWO[0], {**TWO[1], "base_url": "http://127.0.0.1:2"}]},
        "targets[1].simulator",
        "keep base_url",
    ),
    "different-api": ({"targets": [TWO[0], {**TWO[1], "api": "completions"}]}, "'b' sets api", "same"),
    "bad-name": ({"targets": [TWO[0], {**TWO[1], "name": "b c"}]}, "targets[1].name", "letters, digits"),
    "bad-mode": ({"targets": TWO, "compare": {"mode": "mirror"}}, "compare.mode", "shadow"),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistakes_name_the_field_and_the_fix(tmp_path: Path, name: str) -> None:
    sections, field, fix = MISTAKES[name]
    path = _write(tmp_path, **sections)
    with pytest.raises(ConfigError) as raised:
        load_scenario(path)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message
    assert field in message and fix in message, message


def test_a_missing_target_key_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    proc = cli(
        "run", str(_write(tmp_path, targets=TWO)), "--out", str(tmp_path / "runs"), "--quiet", timeout=60
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLM_TEST_KEY_A" in lines[0], proc.stderr
    assert not (tmp_path / "runs").exists()
