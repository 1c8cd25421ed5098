"""Loading golden sets: defaults, prompts as sent, and one-line errors naming file:line for bad items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.app import run_app
from harness.config.errors import ConfigError
from harness.golden.dataset import load_set, load_sets

GOOD = {
    "id": "q1",
    "messages": [{"role": "user", "content": "How long is the trial?"}],
    "expected": "14 days",
}


def write_set(folder: Path, items: list[object], defaults: str | None = None, name: str = "s") -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text(
        "".join((json.dumps(i) if not isinstance(i, str) else i) + "\n" for i in items), encoding="utf-8"
    )
    if defaults is not None:
        (folder / f"{name}.yaml").write_text(defaults, encoding="utf-8")
    return path


def test_defaults_apply_and_item_options_win(tmp_path: Path) -> None:
    defaults = "scorer: numeric\nmax_tokens: 12\ntolerance: 0.5\nsystem_prompt: Answer briefly.\n"
    item = {"id": "n", "prompt": "Price of the Reader?", "expected": 59, "tags": ["hardware"], "tolerance": 2}
    golden_set = load_set(
        write_set(tmp_path, [item, {**item, "id": "m", "weight": 3, "tolerance": None}], defaults)
    )
    first, second = golden_set.items
    assert (
        golden_set.name == "s"
        and golden_set.defaults.max_tokens == 12
        and golden_set.defaults.temperature == 0
    )
    assert (first.scorer, first.options.tolerance, first.weight, first.line) == ("numeric", 2.0, 1.0, 1)
    assert (second.options.tolerance, second.weight, second.line) == (0.5, 3.0, 2)
    # The system prompt goes first; the item's own text is the last user message, unchanged.
    assert golden_set.prompt_item(first).messages == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Price of the Reader?"},
    ]


def test_a_bare_prompt_stays_a_prompt_without_system_prompt(tmp_path: Path) -> None:
    golden_set = load_set(write_set(tmp_path, [{"id": "p", "prompt": "2+2=", "expected": "4"}]))
    prompt = golden_set.prompt_item(golden_set.items[0])
    assert (prompt.prompt, prompt.messages) == ("2+2=", None)


@pytest.mark.parametrize(
    ("line", "defaults", "field", "problem"),
    [
        ("{not json", None, "(line)", "is not valid JSON"),
        ('["a list"]', None, "(line)", "is not a JSON object"),
        (
            {"id": "x", "messages": [{"role": "user", "content": "q"}]},
            None,
            "expected",
            "is required but missing",
        ),
        ({"id": "x", "expected": "a"}, None, "messages", "exactly one of messages and prompt"),
        (
            {"id": "x", "messages": [{"role": "assistant", "content": "hi"}], "expected": "a"},
            None,
            "messages",
            "the last message must come from the user",
        ),
        ({**GOOD, "scorer": "fuzzy"}, None, "scorer", "is not allowed"),
        ({**GOOD, "weight": 0}, None, "weight", "must be greater than 0"),
        ({**GOOD, "scorer": "regex"}, None, "pattern", "the regex scorer needs a pattern"),
        (
            {**GOOD, "scorer": "regex", "pattern": "(unclosed"},
            None,
            "pattern",
            "is not a valid regular expression",
        ),
        (
            {**GOOD, "scorer": "regex", "pattern": "^\\d+ weeks"},
            None,
            "expected",
            "does not pass its own regex",
        ),
        ({**GOOD, "scorer": "label"}, None, "labels", "the label scorer needs the list of labels"),
        ({**GOOD, "scorer": "label"}, "labels: [billing, refund]\n", "expected", "is not one of the labels"),
        ({**GOOD, "scorer": "numeric"}, None, "expected", "the numeric scorer needs a number"),
        ({**GOOD, "expected": 14}, None, "expected", "the exact scorer needs a string"),
        (
            {**GOOD, "scorer": "json", "expected": {"a": 1}, "schema": "invoice"},
            None,
            "schema",
            "unknown schema",
        ),
        (
            {
                **GOOD,
                "scorer": "json",
                "expected": {"a": "x"},
                "schema": {"properties": {"a": {"type": "number"}}},
            },
            None,
            "expected",
            "breaks its own schema: $.a is not of type number",
        ),
        ({**GOOD, "colour": "red"}, None, "colour", "is not a known field"),
    ],
)
def test_malformed_item_names_file_line_field_and_fix(
    tmp_path: Path, line: object, defaults: str | None, field: str, problem: str
) -> None:
    path = write_set(tmp_path, [GOOD | {"id": "ok"}, "", line], defaults)
    with pytest.raises(ConfigError) as caught:
        load_set(path)
    error = caught.value
    assert error.file == f"{path}:3"  # the blank line 2 is skipped but still counted
    assert error.field == field
    assert problem in error.problem
    assert "\n" not in str(error) and " — fix: " in str(error)


def test_duplicate_ids_and_duplicate_set_names_are_refused(tmp_path: Path) -> None:
    path = write_set(tmp_path, [GOOD, GOOD])
    with pytest.raises(ConfigError, match=r"s\.jsonl:2: id: 'q1' is already used on line 1"):
        load_set(path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_set(tmp_path / "a", [GOOD], "name: faq\n")
    write_set(tmp_path / "b", [GOOD], "name: faq\n")
    with pytest.raises(ConfigError, match="set name 'faq' is also used"):
        load_sets([tmp_path / "a", tmp_path / "b"])


def test_bad_defaults_yaml_is_named_with_its_field(tmp_path: Path) -> None:
    path = write_set(tmp_path, [GOOD], "api: completions\nsystem_prompt: Be brief.\n")
    with pytest.raises(ConfigError) as caught:
        load_set(path)
    assert (caught.value.file, caught.value.field) == (str(tmp_path / "s.yaml"), "system_prompt")
    write_set(tmp_path, [GOOD], "schemas:\n  inv: {type: object, format: date}\n")
    with pytest.raises(ConfigError, match=r"schemas\.inv: schema uses unsupported keyword\(s\) format"):
        load_set(path)


def test_cli_check_exits_2_with_one_line_on_a_malformed_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_set(tmp_path, [GOOD], name="good")
    assert run_app(["golden", "check", str(good)]) == 0
    assert "good: 1 items" in capsys.readouterr().out
    bad = write_set(tmp_path, [GOOD, {"id": "q2", "prompt": "?"}], name="bad")
    assert run_app(["golden", "check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert f"{bad}:2: expected: is required but missing" in err
