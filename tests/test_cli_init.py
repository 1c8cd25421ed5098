"""`slm-harness init DIR` and look-ups by name: a new project holds every shipped file where the
docs and workflows expect it, each one loads, and nothing a user already has is overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.cli.app import run_app
from harness.config.errors import ConfigError
from harness.config.gate import load_gate_rules
from harness.config.scenario import load_scenario
from harness.golden.dataset import load_sets
from harness.shipped import find_golden_set, find_scenario, shipped_root
from harness.shipped.init import REQUIREMENT
from tests import support_prometheus as prom

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("init") / "my-checks"
    assert run_app(["init", str(dest)]) == 0
    return dest


def test_the_project_has_every_shipped_file(project: Path) -> None:
    for folder in ("scenarios", "golden", "dashboards"):
        shipped = {p.relative_to(ROOT) for p in (ROOT / folder).rglob("*") if p.is_file()}
        written = {p.relative_to(project) for p in (project / folder).rglob("*") if p.is_file()}
        assert shipped == written, folder
    assert (project / ".github/workflows/slm-gate.yml").is_file()
    assert (project / "examples/gates.yaml").read_bytes() == (ROOT / "examples/gates.yaml").read_bytes()
    assert (project / "dashboards/load-overview.json").read_bytes() == (
        ROOT / "dashboards/load-overview.json"
    ).read_bytes()
    assert (project / "dashboards/grafana/provisioning/datasources/prometheus.yml").is_file()
    assert not (project / "examples/github").exists()


def test_every_scenario_golden_set_and_gate_file_loads_there(project: Path) -> None:
    scenarios = sorted((project / "scenarios").glob("*.yaml"))
    assert len(scenarios) >= 8
    for path in scenarios:
        load_scenario(path)  # data files and golden sets resolve inside the project
    assert len(load_sets([project / "golden"])) == 3
    assert load_gate_rules(project / "examples/gates.yaml").absolute


def test_files_that_installed_from_a_clone_install_the_package(project: Path) -> None:
    workflow_text = (project / ".github/workflows/slm-gate.yml").read_text()
    workflow = yaml.safe_load(workflow_text)
    steps = {step.get("name"): step for step in workflow["jobs"]["gate"]["steps"]}
    assert steps["Install"]["run"] == f"python -m pip install '{REQUIREMENT}'"
    env = workflow["jobs"]["gate"]["env"]
    assert (project / env["SLM_SCENARIO"]).is_file()
    assert all((project / path).is_file() for path in env["SLM_GOLDEN"].split())
    assert load_gate_rules(project / env["SLM_RULES"]).absolute
    assert '--rules "$SLM_RULES"' in workflow_text
    dockerfile = (project / "dashboards/harness.Dockerfile").read_text()
    assert f"RUN pip install --no-cache-dir '{REQUIREMENT}'" in dockerfile
    assert "COPY harness" not in dockerfile and "COPY pyproject.toml" not in dockerfile
    assert f"pip install '{REQUIREMENT}'" in (project / "examples/drift-weekly.yml").read_text()


def test_the_compose_stack_finds_its_files_there(project: Path) -> None:
    dashboards = project / "dashboards"
    services = yaml.safe_load((dashboards / "docker-compose.yml").read_text())["services"]
    for service in services.values():
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (dashboards / volume.split(":")[0]).exists(), volume
    build = services["sim"]["build"]
    assert (dashboards / build["context"] / build["dockerfile"]).is_file()


def test_prometheus_config_rules_and_alert_tests_pass_promtool_there(project: Path) -> None:
    prometheus = project / "dashboards" / "prometheus"
    config = prom.promtool("check", "config", prometheus / "prometheus.yml")
    assert config.returncode == 0 and "2 rule files found" in config.stdout, config.stdout + config.stderr
    tests = prom.promtool("test", "rules", prometheus / "tests" / "slm-alerts-test.yml")
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_the_dashboards_there_equal_what_the_code_generates(project: Path) -> None:
    args = ["dashboards", "build", "--check", "--out", str(project / "dashboards"), "--docs", "absent.md"]
    assert run_app(args) == 0


def test_init_never_overwrites(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    smoke = project / "scenarios" / "smoke.yaml"
    smoke.write_text(smoke.read_text() + "# edited\n")
    assert run_app(["init", str(project)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "of the project's files are already there" in lines[0]
    assert smoke.read_text().endswith("# edited\n")


def test_init_adds_to_a_folder_with_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "README.md").write_text("mine\n")
    assert run_app(["init", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1] == str(tmp_path)
    assert "next, in that folder:" in captured.err
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert (tmp_path / "scenarios" / "smoke.yaml").is_file()


def test_names_resolve_to_the_current_folder_first_then_the_shipped_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_scenario(Path("smoke")) == shipped_root() / "scenarios" / "smoke.yaml"
    assert find_golden_set(Path("ledgerly_faq")) == shipped_root() / "golden" / "ledgerly_faq.jsonl"
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "smoke.yaml").write_text("mine")
    assert find_scenario(Path("smoke")) == Path("scenarios/smoke.yaml")
    assert find_scenario(Path("other.yaml")) == Path("other.yaml")  # a path: the loader reports it
    with pytest.raises(ConfigError) as info:
        find_scenario(Path("smok"))
    assert info.value.field == "(scenario)" and "chat-short, " in info.value.fix and "smoke" in info.value.fix
