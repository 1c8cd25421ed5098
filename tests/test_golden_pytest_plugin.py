"""The pytest plugin: golden items as tests against the simulator, one result per item.

Each inner pytest runs in its own process, as a CI job would run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml

from harness.sim.config import SimConfig
from harness.sim.process import SimProcess

pytest_plugins = ["pytester"]

WRONG = {"t7", "t8", "t9"}  # tagged so the simulator always answers them wrongly


def write_set(folder: Path) -> Path:
    path = folder / "tiny.jsonl"
    items = [
        {
            "id": f"t{i}",
            "messages": [{"role": "user", "content": f"Which plan has {i} registers?"}],
            "expected": f"plan {i}",
            "tags": ["wrong"] if f"t{i}" in WRONG else ["right"],
        }
        for i in range(10)
    ]
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


@pytest.fixture
def golden_file(pytester: pytest.Pytester) -> Path:
    return write_set(pytester.path)


@pytest.fixture
def sim_url(golden_file: Path) -> Iterator[str]:
    cfg = SimConfig(
        golden_files=(str(golden_file),), golden_accuracy_by_tag={"wrong": 0.0}, ttft_ms=5.0, itl_ms=1.0
    )
    with SimProcess(cfg) as server:
        yield server.base_url


def test_each_item_is_a_test_and_wrong_answers_fail(
    pytester: pytest.Pytester, golden_file: Path, sim_url: str
) -> None:
    result = pytester.runpytest_subprocess(
        "--slm-endpoint", sim_url, "-rA", "--junitxml=out.xml", golden_file.name
    )
    result.assert_outcomes(passed=7, failed=3)
    result.stdout.fnmatch_lines(
        ["PASSED tiny.jsonl::t0", "FAILED tiny.jsonl::t7 - scorer exact: score 0.00;*"]
    )
    cases = {case.name: case for suite in JUnitXml.fromfile(str(pytester.path / "out.xml")) for case in suite}
    assert len(cases) == 10
    failed = {name for name, case in cases.items() if any(isinstance(r, Failure) for r in case.result)}
    assert failed == WRONG


def test_transport_failures_are_errors_not_failures(pytester: pytest.Pytester, golden_file: Path) -> None:
    with SimProcess(SimConfig(golden_files=(str(golden_file),), error_rate=1.0, ttft_ms=5.0)) as server:
        result = pytester.runpytest_subprocess(
            "--slm-endpoint",
            server.base_url,
            "--slm-max-attempts",
            "2",
            "--junitxml=out.xml",
            golden_file.name,
        )
    result.assert_outcomes(errors=10)
    result.stdout.fnmatch_lines(["*http_5xx after 2 attempt(s)*"])
    cases = [case for suite in JUnitXml.fromfile(str(pytester.path / "out.xml")) for case in suite]
    assert all(isinstance(r, Error) for case in cases for r in case.result)


def test_sets_can_be_named_by_option_and_the_model_is_discovered(
    pytester: pytest.Pytester, sim_url: str
) -> None:
    pytester.makepyfile(test_other="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess(
        "--slm-endpoint", sim_url, "--slm-golden", "tiny.jsonl", "-v", "test_other.py"
    )
    result.assert_outcomes(passed=8, failed=3)
    result.stdout.fnmatch_lines(["*tiny.jsonl::t3 PASSED*"])


def test_the_plugin_is_inert_without_an_endpoint(pytester: pytest.Pytester, golden_file: Path) -> None:
    result = pytester.runpytest_subprocess(str(golden_file.parent))
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    # Loading the plugin (every pytest session does) imports nothing heavy.
    heavy = "{'pandas', 'httpx', 'pyarrow'}"
    probe = f"import sys, harness.golden.pytest_plugin; print(sorted({heavy} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_a_malformed_set_is_one_collection_error_line(pytester: pytest.Pytester, sim_url: str) -> None:
    (pytester.path / "bad.jsonl").write_text('{"id": "x", "prompt": "?"}\n', encoding="utf-8")
    result = pytester.runpytest_subprocess("--slm-endpoint", sim_url, "bad.jsonl")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*bad.jsonl:1: expected: is required but missing — fix:*"])
