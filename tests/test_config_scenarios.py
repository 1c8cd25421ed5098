"""Shipped scenarios validate; overrides, relative paths, secrets and the YAML round trip behave."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.config.dist import LognormalDist
from harness.config.errors import ConfigError
from harness.config.load import RateProfile, StepsProfile
from harness.config.scenario import Scenario, load_scenario, scenario_to_yaml
from harness.config.simulator import SimulatorOptions
from harness.sim.config import SIM_CONFIG_FIELDS, SimConfig
from harness.workload import build_workload

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))

MINIMAL = """\
workload:
  source: {type: inline, prompts: [hello]}
load:
  profile: {type: concurrency, users: 2}
  duration_s: 10
"""


def write(tmp_path: Path, text: str, name: str = "scn.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_expected_scenarios_ship() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"smoke", "chat-short", "long-context", "ticket-triage", "soak", "spike", "rate-poisson"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_loads_and_builds_its_workload(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.description
    workload = build_workload(scenario)
    if workload.replay is not None:  # a trace: its own prompts at its own times
        assert (workload.replay.item(0).prompt or "").strip()
    elif workload.conversations:  # multi-turn sessions
        assert next(workload.sessions(0)).turns[0].user.strip()
    else:
        assert len(workload) >= 1
        first = next(workload.items(0))
        assert (first.prompt or first.messages) is not None
    # What a run writes as scenario.yaml loads back to the same scenario.
    again = write_back(path.parent, scenario)
    assert again == scenario


def write_back(folder: Path, scenario: Scenario) -> Scenario:
    data = yaml.safe_load(scenario_to_yaml(scenario))
    return Scenario.model_validate(data, context={"base_dir": folder})


def test_smoke_is_a_short_simulator_run_with_warmup_and_slos() -> None:
    s = load_scenario(SCENARIOS / "smoke.yaml")
    assert s.uses_simulator and s.endpoint is None
    assert s.load.duration_s <= 15 and s.load.warmup_s == 2
    assert s.slo.ttft_ms == 500 and s.slo.tpot_ms == 50 and s.slo.e2e_ms == 2000


def test_steps_define_the_duration_and_soak_is_poisson() -> None:
    chat = load_scenario(SCENARIOS / "chat-short.yaml")
    assert isinstance(chat.load.profile, StepsProfile)
    assert [s.users for s in chat.load.profile.steps] == [1, 4, 8, 16, 32]
    assert chat.load.duration_s == 150
    soak = load_scenario(SCENARIOS / "soak.yaml")
    assert isinstance(soak.load.profile, RateProfile)
    assert soak.load.profile.arrival == "poisson" and soak.load.duration_s == 1800
    dist = soak.workload.source.output_tokens  # type: ignore[union-attr]
    assert isinstance(dist, LognormalDist)
    assert dist.median_tokens == pytest.approx(160 / 1.1331484531, rel=1e-9)  # exp(0.5**2 / 2)


def test_triage_tickets_are_many_and_labelled() -> None:
    s = load_scenario(SCENARIOS / "ticket-triage.yaml")
    items = build_workload(s).prompts
    assert len(items) >= 40
    labels = {t for item in items for t in item.tags}
    assert labels == {"billing", "technical", "account", "feature_request", "cancellation", "security"}
    assert len({item.id for item in items}) == len(items)
    system = items[0].messages[0]  # type: ignore[index]
    assert system["role"] == "system" and all(label in system["content"] for label in labels)


def test_defaults_and_name_from_file(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, MINIMAL, "my-run.yaml"))
    assert s.name == "my-run"
    assert s.api == "chat" and s.uses_simulator
    assert s.workload.max_tokens == 128 and s.workload.temperature == 0.0 and s.workload.shuffle
    assert s.load.warmup_s == 0 and s.load.cooldown_s == 0
    assert s.telemetry.gpu.source == "nvml" and s.telemetry.gpu.interval_s == 1.0
    assert s.telemetry.server_metrics.interval_s == 2.0
    assert (s.publish.exporter.host, s.publish.exporter.port) == ("127.0.0.1", 9464)
    assert s.publish.pushgateway.job == "slm_harness"
    assert s.simulator.ttft_ms == 200 and s.simulator.itl_ms == 20 and s.simulator.max_num_seqs == 256
    assert s.cost is None and s.golden is None and s.server is None


def test_simulator_section_maps_onto_the_simulators_own_config() -> None:
    options = SimulatorOptions(ttft_ms=50, error_rate=0.1, drift_profile="slower")
    assert set(SimulatorOptions.model_fields) <= set(SIM_CONFIG_FIELDS)
    config = SimConfig(**options.model_dump())
    assert (config.ttft_ms, config.error_rate, config.drift_profile) == (50, 0.1, "slower")
    # Defaults are the simulator's: an empty section changes nothing.
    assert SimConfig(**SimulatorOptions().model_dump()) == SimConfig()


def test_overrides_apply_before_validation(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    s = load_scenario(
        path,
        {
            "endpoint.base_url": "http://127.0.0.1:8000/v1/",
            "endpoint.model": "tiny",
            "load.duration_s": "5",  # strings from a command line are converted
            "load.profile.users": 7,
            "workload.source.prompts.0": "replaced",
        },
    )
    assert s.endpoint is not None
    assert s.endpoint.base_url == "http://127.0.0.1:8000/v1"
    assert s.endpoint.root_url == "http://127.0.0.1:8000"
    assert s.endpoint.metrics_url == "http://127.0.0.1:8000/metrics"
    assert s.endpoint.model == "tiny" and not s.uses_simulator
    assert s.load.duration_s == 5.0
    assert s.load.profile.users == 7  # type: ignore[union-attr]
    assert s.workload.source.prompts == ["replaced"]  # type: ignore[union-attr]
    # Overrides never touch the file.
    assert load_scenario(path).load.duration_s == 10


def test_override_of_a_list_index_out_of_range_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(write(tmp_path, MINIMAL), {"workload.source.prompts.3": "x"})
    assert info.value.field == "workload.source.prompts.3"
    assert "0 to 0" in info.value.fix


def test_relative_paths_resolve_against_the_scenario_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.jsonl").write_text('{"prompt": "x"}\n')
    text = MINIMAL.replace("{type: inline, prompts: [hello]}", "{type: jsonl, path: data.jsonl}")
    s = load_scenario(write(tmp_path / "sub", text))
    assert s.workload.source.path == (tmp_path / "sub" / "data.jsonl").resolve()  # type: ignore[union-attr]


def test_api_key_is_read_at_run_time_and_never_dumped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = MINIMAL + (
        "endpoint:\n"
        "  base_url: https://user:hunter2@api.example.com\n"
        "  api_key_env: SLM_TEST_KEY\n"
        "  headers: {Authorization: Bearer sk-live-1, X-API-Key: sk-2, api-key: sk-3, X-Team: blue}\n"
    )
    path = write(tmp_path, text)
    monkeypatch.setenv("SLM_TEST_KEY", "sk-secret-value")
    s = load_scenario(path)
    assert s.endpoint is not None and s.endpoint.api_key() == "sk-secret-value"
    dumped = scenario_to_yaml(s)
    for secret in ("sk-secret-value", "sk-live-1", "sk-2", "sk-3", "hunter2"):
        assert secret not in dumped
    endpoint = yaml.safe_load(dumped)["endpoint"]
    assert endpoint["headers"] == {
        "Authorization": "***",
        "X-API-Key": "***",
        "api-key": "***",
        "X-Team": "blue",
    }
    assert endpoint["base_url"] == "https://user:***@api.example.com"
    assert endpoint["api_key_env"] == "SLM_TEST_KEY"


def test_api_key_from_file_and_server_env_redaction(tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text("  sk-from-file\n")
    text = MINIMAL + "endpoint: {base_url: 'http://h:1', api_key_file: key.txt}\n"
    s = load_scenario(write(tmp_path, text))
    assert s.endpoint is not None and s.endpoint.api_key() == "sk-from-file"
    served = load_scenario(
        write(
            tmp_path, MINIMAL + "server: {model: m, env: {HF_TOKEN: hf_abc, VLLM_CPU_KVCACHE_SPACE: '1'}}\n"
        )
    )
    env = yaml.safe_load(scenario_to_yaml(served))["server"]["env"]
    assert env == {"HF_TOKEN": "***", "VLLM_CPU_KVCACHE_SPACE": "1"}


def test_no_key_configured_means_none(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, MINIMAL + "endpoint: {base_url: 'http://h:1'}\n"))
    assert s.endpoint is not None and s.endpoint.api_key() is None
