"""The CI example (examples/github/slm-gate.yml): its shell steps, run here in order as a runner would.

First run on main: no baseline yet, so the gate records, and the calibration runs (A/A, with
their noise floors and golden rounds) are promoted. Then a pull request, run several times,
whose model answers golden items much worse: the gate step fails (exit 1) and leaves gate.xml
and gate.md for the comment and test-report steps. The counts are smaller than the workflow's
(3 calibration runs, 2 repeats, 2 golden rounds, 5 s runs) to keep the test short, and the
performance rules of examples/gates.yaml are widened (+1000 %, -99 %): with so few runs the
calibrated floors of a machine busy with the whole test suite have exceeded 30 %, and the
gate rightly refuses a rule tighter than its floor (tests/test_gate_repeat.py checks that).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / "examples" / "github" / "slm-gate.yml"
# The steps that need GitHub itself (checkout, caches, artifacts, the PR comment) are left out.
LOCAL_STEPS = (
    "Start the simulator (when no endpoint is configured)",
    "Load test",
    "Golden sets",
    "Gate against the baseline",
    "Promote this run as the baseline",
)


def run_workflow(workdir: Path, overrides: dict[str, str]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run the local steps like GitHub Actions would (bash -eo pipefail, $GITHUB_ENV carried over);
    stops after the first failing step."""
    job = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["gate"]
    env = {k: str(v) for k, v in job["env"].items() if "${{" not in str(v)}
    env.update({"SLM_ENDPOINT": "", "SLM_API_KEY": "", "SLM_PUSHGATEWAY": "", **overrides})
    github_env = workdir / "github_env"
    github_env.write_text("", encoding="utf-8")
    base = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    base.update(GITHUB_ENV=str(github_env), GITHUB_STEP_SUMMARY=str(workdir / "step_summary.md"))
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    steps = {step.get("name"): step for step in job["steps"]}
    for name in LOCAL_STEPS:
        for line in github_env.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[name]["run"]],
            cwd=workdir,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        done[name] = result
        if result.returncode != 0:
            break
    return done


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    for folder in ("scenarios", "golden", "examples"):
        (tmp_path / folder).symlink_to(REPO / folder)
    yield tmp_path
    pid_file = tmp_path / "sim.pid"
    if pid_file.exists():  # the simulator the workflow started in the background
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def stop_sim(workdir: Path) -> None:
    os.kill(int((workdir / "sim.pid").read_text()), signal.SIGTERM)
    (workdir / "sim.pid").unlink()


SMALL = {
    "SLM_DURATION": "5",
    "SLM_CALIBRATION_RUNS": "3",
    "SLM_REPEATS": "2",
    "SLM_GOLDEN_ROUNDS": "2",
    "SLM_RULES": "wide-gates.yaml",
}


def widened_rules(workdir: Path) -> None:
    rules = yaml.safe_load((REPO / "examples" / "gates.yaml").read_text(encoding="utf-8"))
    for rule in rules["relative"]:
        if "max_increase_pct" in rule:
            rule["max_increase_pct"] = 1000
        if "max_decrease_pct" in rule:
            rule["max_decrease_pct"] = 99
    (workdir / "wide-gates.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")


def run_dir_of(workdir: Path) -> Path:
    """The RUN_DIR the load-test step exported (a group directory)."""
    line = next(
        line
        for line in (workdir / "github_env").read_text().splitlines()[::-1]
        if line.startswith("RUN_DIR=")
    )
    run_dir = Path(line.split("=", 1)[1])
    return run_dir if run_dir.is_absolute() else workdir / run_dir


@pytest.mark.slow
def test_first_main_run_promotes_then_a_worse_pull_request_fails_the_gate(workdir: Path) -> None:
    widened_rules(workdir)
    first = run_workflow(workdir, {"PROMOTE_BASELINE": "true", **SMALL})
    assert [r.returncode for r in first.values()] == [0] * len(LOCAL_STEPS), {
        n: r.stderr[-800:] for n, r in first.items()
    }
    assert "no baseline yet" in first["Gate against the baseline"].stdout
    baseline = workdir / "reports" / "baselines" / "main"
    assert (baseline / "noise.json").is_file()
    folders = sorted(p.name for p in baseline.iterdir() if p.is_dir())
    assert len(folders) == 5 and [f.split("-", 1)[1] for f in folders[-2:]] == ["golden-1", "golden-2"]
    stop_sim(workdir)

    second = run_workflow(workdir, {"PROMOTE_BASELINE": "false", "SIM_GOLDEN_ACCURACY": "0.6", **SMALL})
    gate = second["Gate against the baseline"]
    assert gate.returncode == 1, gate.stderr[-2000:]
    assert "Promote this run as the baseline" not in second  # a failed step ends the job
    assert gate.stdout.strip().splitlines()[-1].startswith("gate failed")
    assert (
        "FAIL golden.accuracy ≥ 0.85" in gate.stderr
        and "FAIL accuracy ≥ -2 points vs baseline" in gate.stderr
    )
    assert "PASS ttft_ms p95 ≤ +1000% vs baseline" in gate.stderr
    assert "runs (3 + 2) and the requests within them" in (Path(run_dir_of(workdir)) / "gate.md").read_text()
    run_dir = run_dir_of(workdir)
    assert (run_dir / "gate.xml").is_file() and (run_dir / "golden-2" / "golden.parquet").is_file()
    assert (workdir / "step_summary.md").read_text(encoding="utf-8").count(
        "## ❌ slm-harness gate failed"
    ) == 1
