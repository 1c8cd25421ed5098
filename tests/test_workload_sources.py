"""Each workload source produces the right prompt items; order is seeded; bad data files are one line."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from harness.config.errors import ConfigError
from harness.config.scenario import load_scenario
from harness.protocol import PromptItem, SamplingParams
from harness.workload import Workload, build_workload, estimate_tokens

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "workload"

LOAD = """
load:
  profile: {type: concurrency, users: 1}
  duration_s: 5
"""


def workload_for(tmp_path: Path, workload_yaml: str) -> Workload:
    for name in ("prompts.jsonl", "bad_line.jsonl", "sharegpt.json"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    path = tmp_path / "scn.yaml"
    path.write_text("workload:\n" + workload_yaml + LOAD, encoding="utf-8")
    return build_workload(load_scenario(path))


def test_inline_accepts_strings_messages_and_prompt_mappings(tmp_path: Path) -> None:
    w = workload_for(
        tmp_path,
        "  source:\n"
        "    type: inline\n"
        "    prompts:\n"
        "      - plain text\n"
        "      - {messages: [{role: user, content: hi}]}\n"
        "      - {prompt: as a mapping}\n",
    )
    assert w.prompts == (
        PromptItem(id="inline-0", prompt="plain text"),
        PromptItem(id="inline-1", messages=[{"role": "user", "content": "hi"}]),
        PromptItem(id="inline-2", prompt="as a mapping"),
    )


def test_sampling_params_come_from_the_workload_section(tmp_path: Path) -> None:
    w = workload_for(
        tmp_path,
        "  source: {type: inline, prompts: [x]}\n"
        "  max_tokens: 64\n  temperature: 0.5\n  seed: 9\n  ignore_eos: true\n  min_tokens: 4\n",
    )
    assert w.sampling_params() == SamplingParams(
        max_tokens=64, temperature=0.5, seed=9, ignore_eos=True, min_tokens=4
    )


def test_jsonl_reads_prompts_messages_ids_and_tags(tmp_path: Path) -> None:
    w = workload_for(tmp_path, "  source: {type: jsonl, path: prompts.jsonl}\n")
    assert w.prompts == (
        PromptItem(id="p-1", prompt="Where is my parcel?", tags=("shipping",)),
        PromptItem(id="prompts-3", prompt="Reset my password please.", tags=("account",)),
        PromptItem(
            id="p-3",
            messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        ),
        PromptItem(id="p-4", prompt="Default field text."),
    )


def test_jsonl_custom_field_and_limit(tmp_path: Path) -> None:
    text = (
        "  source: {type: jsonl, path: prompts.jsonl, prompt_field: text, messages_field: none, limit: 1}\n"
    )
    with pytest.raises(ConfigError) as info:
        workload_for(tmp_path, text)
    # The first line has no "text" field: the error names the file, the line and the field.
    assert str(info.value).startswith(f"{tmp_path / 'prompts.jsonl'}:1: text: is missing")
    tail = "  source: {type: jsonl, path: prompts.jsonl, limit: 2}\n"
    assert [p.id for p in workload_for(tmp_path, tail).prompts] == ["p-1", "prompts-3"]


def test_a_bad_jsonl_line_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        workload_for(tmp_path, "  source: {type: jsonl, path: bad_line.jsonl}\n")
    line = str(info.value)
    assert "\n" not in line
    assert line.startswith(f"{tmp_path / 'bad_line.jsonl'}:3: (line): is not valid JSON")
    assert "one complete JSON object per line" in line


def test_bad_messages_in_jsonl_name_the_message_field(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text('{"messages": [{"role": "robot", "content": "x"}]}\n')
    path = tmp_path / "scn.yaml"
    path.write_text("workload:\n  source: {type: jsonl, path: m.jsonl}\n" + LOAD)
    with pytest.raises(ConfigError) as info:
        build_workload(load_scenario(path))
    assert info.value.file == f"{tmp_path / 'm.jsonl'}:1"
    assert info.value.field == "messages[0].role"


def test_sharegpt_takes_the_first_human_turn(tmp_path: Path) -> None:
    w = workload_for(tmp_path, "  source: {type: sharegpt, path: sharegpt.json}\n")
    assert w.prompts == (
        PromptItem(id="c1", prompt="What is the boiling point of water at sea level?"),
        PromptItem(id="c2", prompt="Write two lines about rain."),
        PromptItem(id="c4", prompt="A question nobody answered."),
    )


def test_sharegpt_reference_output_length(tmp_path: Path) -> None:
    w = workload_for(
        tmp_path, "  source: {type: sharegpt, path: sharegpt.json, use_reference_output_len: true}\n"
    )
    answer = (
        "Water boils at 100 degrees Celsius (212 degrees Fahrenheit) at sea level, "
        "where the air pressure is one standard atmosphere."
    )
    # c4 has no answer and is left out; lengths are estimated at four characters per token.
    assert [(p.id, p.expected_output_tokens) for p in w.prompts] == [
        ("c1", round(len(answer) / 4)),
        ("c2", round(len("Soft rain on the roof, a quiet drum.") / 4)),
    ]
    assert [p.expected_output_tokens for p in w.prompts] == [31, 9]
    assert estimate_tokens("") == 1


def test_sharegpt_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('[\n  {"conversations": []},\n  {"conversations": [}\n]\n')
    path = tmp_path / "scn.yaml"
    path.write_text("workload:\n  source: {type: sharegpt, path: broken.json}\n" + LOAD)
    with pytest.raises(ConfigError) as info:
        build_workload(load_scenario(path))
    assert info.value.file == f"{tmp_path / 'broken.json'}:3"


def test_system_prompt_is_prepended_unless_the_item_has_one(tmp_path: Path) -> None:
    w = workload_for(tmp_path, "  source: {type: jsonl, path: prompts.jsonl}\n  system_prompt: Route it.\n")
    first, _, own_system, _ = w.prompts
    assert first.prompt is None and first.tags == ("shipping",)
    assert first.messages == [
        {"role": "system", "content": "Route it."},
        {"role": "user", "content": "Where is my parcel?"},
    ]
    assert own_system.messages is not None and own_system.messages[0]["content"] == "Be brief."


def test_items_cycle_forever_in_a_seeded_order(tmp_path: Path) -> None:
    w = workload_for(tmp_path, "  source: {type: inline, prompts: [a, b, c, d, e, f, g, h]}\n")
    ids = [p.prompt or "" for p in itertools.islice(w.items(seed=1), 80)]
    assert ids == [p.prompt for p in itertools.islice(w.items(seed=1), 80)]
    assert ids != [p.prompt for p in itertools.islice(w.items(seed=2), 80)]
    # Every pass is a permutation: each prompt appears exactly once per 8 items.
    for start in range(0, 80, 8):
        assert sorted(ids[start : start + 8]) == list("abcdefgh")
    assert ids[:8] != ids[8:16]  # passes are reshuffled


def test_without_shuffle_items_keep_file_order(tmp_path: Path) -> None:
    w = workload_for(tmp_path, "  source: {type: inline, prompts: [a, b, c]}\n  shuffle: false\n")
    assert [p.prompt for p in itertools.islice(w.items(seed=5), 7)] == list("abcabca")
