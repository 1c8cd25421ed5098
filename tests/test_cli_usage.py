"""Command-line usage mistakes are one line like every other error, exit code 2, and never echo
what follows an unknown option; a command's own exit code reaches the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.app import run_app

SECRET = "sk-live-0123456789abcdef"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["run", "smoke", "--duration", "abc"],
            "(command line): --duration: input should be a valid number, unable to parse string as a "
            "number — fix: see `slm-harness run --help`",
        ),
        (
            ["run", "--duratoin", "3", "smoke"],
            "(command line): --duratoin: is not an option of `slm-harness run` — fix: did you mean "
            "--duration or --endpoint?",
        ),
        (
            ["run"],
            "(command line): SCENARIO: is required but missing — fix: see `slm-harness run --help`",
        ),
        (
            ["run", "smoke", "--duration"],
            "(command line): --duration: requires an argument — fix: see `slm-harness run --help`",
        ),
        (
            ["run", "smoke", "chat-short"],
            "(command line): slm-harness run: got more arguments than it takes — fix: see "
            "`slm-harness run --help`",
        ),
        (
            ["golden", "run", "support_intents", "--concurrency", "0"],
            "(command line): --concurrency: input should be greater than or equal to 1 — fix: see "
            "`slm-harness golden run --help`",
        ),
        (
            ["baseline", "promote", "reports/runs/x"],
            "(command line): --name: is required but missing — fix: see "
            "`slm-harness baseline promote --help`",
        ),
        (
            ["init"],
            "(command line): DIR: is required but missing — fix: see `slm-harness init --help`",
        ),
    ],
)
def test_a_usage_mistake_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    assert run_app(args) == 2
    captured = capsys.readouterr()
    assert captured.err == f"slm-harness: error: {expected}\n"
    assert captured.out == ""


def test_an_unknown_command_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["rnu", "smoke"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("slm-harness: error: (command line): COMMAND: is not a command of `slm-harness`")
    assert "fix: use one of: init, run," in err and "\n" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["run", "smoke", "--api-key", SECRET],
        ["run", "smoke", f"--api-key={SECRET}"],
        ["golden", "run", "support_intents", "--api-key", SECRET],
        ["sim", "--api-key", SECRET],
        ["sim", f"--api-key={SECRET}"],
    ],
)
def test_a_key_given_to_an_unknown_option_is_never_echoed(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert run_app(args) == 2
    captured = capsys.readouterr()
    assert SECRET not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "--api-key" in lines[0], captured.err


def test_simulator_options_are_never_abbreviated(capsys: pytest.CaptureFixture[str]) -> None:
    # `--api-key-e` would have been taken as --api-key-env, making a key an environment name.
    assert run_app(["sim", "--api-key-e", "SLM_KEY"]) == 2
    assert capsys.readouterr().err == "slm-harness: error: unknown option --api-key-e; see --help\n"
    assert run_app(["sim", "--ttft-ms", "soon"]) == 2
    assert capsys.readouterr().err == (
        "slm-harness: error: argument --ttft-ms: invalid float value: 'soon'; see --help\n"
    )


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["run", "--help"]) == 0
    assert "--set" in capsys.readouterr().out


def test_a_commands_returned_exit_code_reaches_the_shell(tmp_path: Path) -> None:
    out = tmp_path / "dashboards"
    assert run_app(["dashboards", "build", "--out", str(out), "--docs", str(tmp_path / "absent.md")]) == 0
    stale = out / "load-overview.json"
    stale.write_text(json.dumps({"edited": True}))
    assert run_app(["dashboards", "build", "--check", "--out", str(out), "--docs", "absent.md"]) == 1
