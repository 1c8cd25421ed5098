"""`--set KEY=VALUE` overrides: values read as YAML, applied in order, checked by the scenario
schema, and every mistake one line naming the `--set` that caused it (never echoing its value)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.config.errors import ConfigError
from harness.config.overrides import Overrides, parse_set_option
from harness.config.scenario import load_scenario

BASE = """\
workload:
  source: {type: inline, prompts: [hello]}
load:
  profile: {type: concurrency, users: 2}
  duration_s: 10
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "scn.yaml"
    path.write_text(BASE, encoding="utf-8")
    return path


def overrides(*pairs: str) -> Overrides:
    return Overrides().add_set_options(pairs)


@pytest.mark.parametrize(
    ("pair", "key", "value"),
    [
        ("load.profile.users=16", "load.profile.users", 16),
        ("endpoint.timeouts.first_token_s=2.5", "endpoint.timeouts.first_token_s", 2.5),
        ("endpoint.stream=false", "endpoint.stream", False),
        ("endpoint.base_url=http://h:8000/v1", "endpoint.base_url", "http://h:8000/v1"),
        ("endpoint.api=completions", "endpoint.api", "completions"),
        ("workload.source.prompts=[a, 'b, c']", "workload.source.prompts", ["a", "b, c"]),
        ("load.profile={type: rate, rate_rps: 5}", "load.profile", {"type": "rate", "rate_rps": 5}),
        ("endpoint.model=", "endpoint.model", None),
        ("description=a=b", "description", "a=b"),  # only the first '=' separates
    ],
)
def test_values_are_read_as_yaml(pair: str, key: str, value: Any) -> None:
    assert parse_set_option(pair) == (key, value)


@pytest.mark.parametrize(
    ("pair", "field", "problem"),
    [
        ("sk-live-secret-123", "--set", "no '=' found"),
        ("=sk-live-secret-123", "--set ", "not a dotted scenario key"),
        ("load..users=sk-live-secret-123", "--set load..users", "not a dotted scenario key"),
        ("load.profile=[sk-live-secret-123", "--set load.profile", "not valid YAML"),
        ("load.profile={a: 1, a: sk-live-secret-123}", "--set load.profile", "not valid YAML"),
    ],
)
def test_a_malformed_set_is_one_line_without_its_value(pair: str, field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_set_option(pair)
    line = str(info.value)
    assert info.value.field == field.strip() and problem in line
    assert "sk-live-secret-123" not in line and "\n" not in line
    assert "--set KEY=VALUE" in info.value.fix or "quote" in info.value.fix


def test_set_values_reach_the_scenario_in_order_the_last_one_winning(scenario: Path) -> None:
    s = load_scenario(
        scenario,
        overrides(
            "load.profile={type: rate, rate_rps: 5}",
            "load.profile.rate_rps=7.5",
            "endpoint.base_url=http://127.0.0.1:8000/v1",
            "endpoint.api=completions",
            "endpoint.timeouts.first_token_s=5",
            "load.duration_s=3",
            "load.duration_s=4",
        ),
    )
    assert s.load.profile.type == "rate" and s.load.profile.rate_rps == 7.5  # type: ignore[union-attr]
    assert s.endpoint is not None and s.endpoint.api == "completions"
    assert s.endpoint.timeouts.first_token_s == 5.0 and s.load.duration_s == 4.0


def test_a_rejected_value_names_the_set_that_gave_it(scenario: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(scenario, overrides("load.profile.users=0"))
    assert str(info.value) == (
        f"{scenario} (--set load.profile.users): load.profile.users: must be greater than 0 (got 0)"
        " — fix: set load.profile.users to a whole number ≥ 1"
    )


def test_an_error_inside_a_set_section_names_that_set(scenario: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(scenario, overrides("load.profile={type: rate}"))
    assert info.value.file == f"{scenario} (--set load.profile)"
    assert info.value.field == "load.profile.rate_rps" and info.value.problem == "is required but missing"


def test_an_unknown_key_is_a_schema_error_with_a_suggestion(scenario: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(scenario, overrides("load.duraton_s=5"))
    assert info.value.file == f"{scenario} (--set load.duraton_s)"
    assert info.value.fix == "did you mean 'duration_s'?"


def test_a_key_below_a_plain_value_names_the_set(scenario: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(scenario, overrides("load.duration_s.max=5"))
    assert info.value.file == f"{scenario} (--set load.duration_s.max)"
    assert "single value" in info.value.problem


def test_options_name_themselves_and_a_later_set_takes_the_key_over(scenario: Path) -> None:
    given = Overrides()
    given.put("load.duration_s", "soon", "--duration")
    with pytest.raises(ConfigError) as info:
        load_scenario(scenario, given)
    assert info.value.file == f"{scenario} (--duration)" and info.value.field == "load.duration_s"
    given.add_set_options(["load.duration_s=-1"])
    with pytest.raises(ConfigError) as info:
        load_scenario(scenario, given)
    assert info.value.file == f"{scenario} (--set load.duration_s)"
    assert list(given) == ["load.duration_s"] and given["load.duration_s"] == -1
