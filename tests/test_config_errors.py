"""Every mistake a user can make in a scenario is one `ConfigError` line naming file, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.errors import ConfigError
from harness.config.scenario import load_scenario

BASE = """\
workload:
  source: {type: inline, prompts: [hello]}
load:
  profile: {type: concurrency, users: 2}
  duration_s: 10
"""


def error_for(tmp_path: Path, text: str, overrides: dict[str, object] | None = None) -> ConfigError:
    path = tmp_path / "scn.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(path, overrides)
    error = info.value
    line = str(error)
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(str(path)), line
    assert f": {error.field}: " in line and " — fix: " in line
    return error


def test_the_message_format_is_file_field_problem_fix(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE.replace("users: 2", "users: -3"))
    assert str(error) == (
        f"{tmp_path / 'scn.yaml'}: load.profile.users: must be greater than 0 (got -3)"
        " — fix: set load.profile.users to a whole number ≥ 1"
    )


def test_unknown_field_suggests_the_closest_name(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE + "  warmpu_s: 2\n")
    assert error.field == "load.warmpu_s"
    assert error.problem == "is not a known field"
    assert error.fix == "did you mean 'warmup_s'?"


def test_unknown_field_inside_a_tagged_union_suggests_from_that_member(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE.replace("users: 2", "user: 2, users: 2"))
    assert error.field == "load.profile.user"
    assert error.fix == "did you mean 'users'?"


def test_an_api_key_in_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE + "endpoint: {base_url: 'http://h:1', api_key: sk-abc123}\n")
    assert error.field == "endpoint.api_key"
    assert "api_key_env" in error.fix and "sk-abc123" not in str(error)
    error = error_for(tmp_path, BASE + "endpoint: {base_url: 'http://h:1', api_key_env: sk-abc123}\n")
    assert error.field == "endpoint.api_key_env" and "sk-abc123" not in str(error)


def test_wrong_type(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE.replace("duration_s: 10", "duration_s: ten"))
    assert error.field == "load.duration_s"
    assert error.problem == "must be a number (got 'ten')"
    assert error.fix == "set load.duration_s to a number"


def test_missing_required_field(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE.replace("  duration_s: 10\n", ""))
    assert error.field == "load.duration_s"
    assert error.problem == "is required but missing"
    error = error_for(tmp_path, "load:\n  profile: {type: concurrency, users: 2}\n  duration_s: 10\n")
    assert error.field == "workload"


def test_bad_enum_lists_the_allowed_values(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE + "endpoint: {base_url: 'http://h:1', api: chatt}\n")
    assert error.field == "endpoint.api"
    assert error.fix == "use one of: chat, completions"
    error = error_for(tmp_path, BASE.replace("type: concurrency", "type: burst"))
    assert error.field == "load.profile"
    assert error.fix == "use one of: concurrency, ramp, steps, spike, rate, sweep, trace"


def test_warmup_and_cooldown_must_leave_measured_time(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE + "  warmup_s: 8\n  cooldown_s: 2\n")
    assert error.field == "load.warmup_s"
    assert "10 s" in error.problem and "shorten" in error.fix


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE + "slo:\n  ttft_ms: [1, 2\n")
    assert str(error.file).endswith("scn.yaml:8")
    assert "YAML" in error.problem and "line 8" in error.fix


def test_duplicate_keys_are_an_error_with_the_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE + "  duration_s: 20\n")
    assert str(error.file).endswith("scn.yaml:6")
    assert "duplicate key 'duration_s'" in error.problem


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert str(info.value).startswith(f"{tmp_path / 'nope.yaml'}: (file): file not found")


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    error = error_for(tmp_path, "- just\n- a list\n")
    assert error.field == "(top level)"


def test_missing_data_file(tmp_path: Path) -> None:
    error = error_for(
        tmp_path, BASE.replace("{type: inline, prompts: [hello]}", "{type: jsonl, path: gone.jsonl}")
    )
    assert error.field == "workload.source.path"
    assert str(tmp_path / "gone.jsonl") in error.problem


def test_unset_api_key_variable_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLM_TEST_UNSET_KEY", raising=False)
    path = tmp_path / "scn.yaml"
    path.write_text(BASE + "endpoint: {base_url: 'http://h:1', api_key_env: SLM_TEST_UNSET_KEY}\n")
    scenario = load_scenario(path)
    assert scenario.endpoint is not None
    with pytest.raises(ConfigError) as info:
        scenario.endpoint.api_key()
    assert str(info.value) == (
        f"{path}: endpoint.api_key_env: environment variable SLM_TEST_UNSET_KEY is not set"
        " — fix: export SLM_TEST_UNSET_KEY=<your key>, or remove endpoint.api_key_env"
    )


@pytest.mark.parametrize(
    ("snippet", "field", "words"),
    [
        ("endpoint: {base_url: 'localhost:8000'}", "endpoint.base_url", "http"),
        ("endpoint: {api: chat}", "endpoint.base_url", "server section"),
        ("server: {model: m}\nendpoint: {base_url: 'http://h:1'}", "endpoint.base_url", "remove"),
        (
            "endpoint: {base_url: 'http://h', timeouts: {first_token_s: 700}}",
            "endpoint.timeouts.first_token_s",
            "≤",
        ),
        ("simulator: {drift_profile: faster}", "simulator.drift_profile", "slower"),
        ("simulator: {error_rate: 1.5}", "simulator.error_rate", "≤ 1.0"),
        ("telemetry: {gpu: {source: dcgm}}", "telemetry.gpu.url", "url"),
        ("publish: {exporter: {port: 70000}}", "publish.exporter.port", "to 65535"),
        ("publish: {exporter: {port: -1}}", "publish.exporter.port", "enabled: false"),
        ("golden: {sets: []}", "golden.sets", "at least 1"),
        ("cost: {accelerators: 0}", "cost.accelerators", "≥ 1"),
    ],
)
def test_section_mistakes(tmp_path: Path, snippet: str, field: str, words: str) -> None:
    error = error_for(tmp_path, BASE + snippet + "\n")
    assert error.field == field
    assert words in str(error)


@pytest.mark.parametrize(
    ("load", "field", "words"),
    [
        (
            "profile: {type: steps, steps: [{users: 1, duration_s: 5}, {users: 0, duration_s: 5}]}",
            "load.profile.steps[1].users",
            "≥ 1",
        ),
        (
            "profile: {type: steps, steps: [{users: 1, duration_s: 5}]}\n  duration_s: 9",
            "load.duration_s",
            "steps last 5 s",
        ),
        (
            "profile: {type: ramp, start_users: 1, end_users: 4, ramp_s: 30}\n  duration_s: 10",
            "load.profile.ramp_s",
            "≤ duration_s",
        ),
        (
            "profile: {type: spike, base_users: 4, spike_users: 2, spike_at_s: 1, spike_duration_s: 1}\n"
            "  duration_s: 10",
            "load.profile.spike_users",
            "greater than base_users",
        ),
        (
            "profile: {type: spike, base_users: 1, spike_users: 2, spike_at_s: 8, spike_duration_s: 5}\n"
            "  duration_s: 10",
            "load.profile.spike_at_s",
            "13 s",
        ),
        (
            "profile: {type: rate, rate_rps: 5, arrival: bursty}\n  duration_s: 10",
            "load.profile.arrival",
            "constant, poisson",
        ),
        ("profile: {type: rate, rate_rps: 0}\n  duration_s: 10", "load.profile.rate_rps", "> 0"),
    ],
)
def test_load_mistakes(tmp_path: Path, load: str, field: str, words: str) -> None:
    text = "workload:\n  source: {type: inline, prompts: [hi]}\nload:\n  " + load + "\n"
    error = error_for(tmp_path, text)
    assert error.field == field
    assert words in str(error)


@pytest.mark.parametrize(
    ("source", "field", "words"),
    [
        ("{type: inline, prompts: [hi, {text: x}]}", "workload.source.prompts[1]", "messages"),
        (
            "{type: inline, prompts: [{messages: [{role: usr, content: x}]}]}",
            "workload.source.prompts[0].messages[0].role",
            "system, user, assistant",
        ),
        ("{type: inline, prompts: []}", "workload.source.prompts", "at least 1"),
        (
            "{type: synthetic, input_tokens: {type: uniform, min: 9, max: 3}, out: 1}",
            "workload.source.input_tokens.min",
            "min ≤ max",
        ),
        (
            "{type: synthetic, input_tokens: {type: lognormal, sigma: 1}, out: 1}",
            "workload.source.input_tokens.median",
            "median or mean",
        ),
        (
            "{type: synthetic, input_tokens: {type: gamma}, out: 1}",
            "workload.source.input_tokens",
            "fixed, uniform, normal, lognormal",
        ),
        ("{type: csv}", "workload.source", "inline, jsonl, sharegpt, synthetic"),
    ],
)
def test_workload_mistakes(tmp_path: Path, source: str, field: str, words: str) -> None:
    source = source.replace("out: 1}", "output_tokens: {type: fixed, value: 1}}")
    error = error_for(tmp_path, BASE.replace("{type: inline, prompts: [hello]}", source))
    assert error.field == field
    assert words in str(error)


def test_an_overridden_value_is_marked_as_such(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE, {"load.profile.users": 0})
    assert str(error.file).endswith("scn.yaml (override load.profile.users)")
    assert error.field == "load.profile.users"


def test_an_error_inside_an_overridden_section_names_the_override(tmp_path: Path) -> None:
    steps = {"type": "steps", "steps": [{"users": 1, "duration_s": 5}, {"users": -1, "duration_s": 5}]}
    error = error_for(tmp_path, BASE.replace("  duration_s: 10\n", ""), {"load.profile": steps})
    assert error.field == "load.profile.steps[1].users"
    assert str(error.file).endswith("scn.yaml (override load.profile)")
    # A list index written the override way (`steps.1`) matches the error's `steps[1]`.
    steps_file = BASE.replace(
        "{type: concurrency, users: 2}", "{type: steps, steps: [{users: 1, duration_s: 10}]}"
    )
    error = error_for(
        tmp_path, steps_file.replace("  duration_s: 10\n", ""), {"load.profile.steps.0.users": -2}
    )
    assert error.field == "load.profile.steps[0].users"
    assert str(error.file).endswith("(override load.profile.steps.0.users)")


def test_override_below_a_plain_value_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, BASE, {"load.duration_s.seconds": 3})
    assert error.field == "load.duration_s.seconds"
    assert "single value" in error.problem
