"""Offline text descriptors and configured keyword / regex features, and the drift config file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.config.errors import ConfigError
from harness.drift.config import load_config
from harness.drift.features import build_features
from harness.drift.logs import read_logs
from harness.drift.text import contains_any, text_descriptors

TEXTS = pd.Series(
    [
        "Hello world. How are you?",
        None,
        "",
        '{"topic": "billing", "urgency": 2}',
        "Über die Straße: 12 Äpfel!! ok",
        "  trailing words  ",
        "Wait... what?! Really",
        "日本語のテキスト。",
        "bad \ud83d half",  # a lone surrogate, as json.loads accepts it
    ]
)


def test_descriptors_count_characters_words_sentences_and_non_letters() -> None:
    d = text_descriptors(TEXTS, "p")
    assert d["p_chars"].tolist()[:1] + d["p_chars"].tolist()[2:] == [25, 0, 34, 30, 18, 21, 9, 10]
    assert d["p_words"].fillna(-1).tolist() == [5, -1, 0, 4, 6, 2, 3, 1, 3]
    # A sentence ends at . ! ? followed by a space or the end; unclosed trailing words count as one.
    assert d["p_sentences"].fillna(-1).tolist() == [2, -1, 0, 1, 2, 1, 3, 1, 1]
    # Share of non-space characters that are not letters (Unicode letters count as letters).
    assert d["p_nonletter_share"][0] == pytest.approx(2 / 21)
    assert d["p_nonletter_share"][4] == pytest.approx(5 / 25)
    assert d["p_nonletter_share"][7] == pytest.approx(1 / 9)
    assert np.isnan(d["p_nonletter_share"][1]) and d["p_nonletter_share"][2] == 0
    assert d["p_nonletter_share"][8] == pytest.approx(1 / 8)
    assert d["p_json"].tolist() == ["no", None, "no", "yes", "no", "no", "no", "no", "no"]


def test_descriptors_match_a_plain_python_count_on_many_texts() -> None:
    rng = np.random.default_rng(3)
    alphabet = [*"abcdeé ß.!?,;0123 \n\t", "😀"]
    texts = ["".join(rng.choice(alphabet, size=rng.integers(0, 80))) for _ in range(25_000)]
    d = text_descriptors(pd.Series(texts), "t")
    for i in rng.choice(len(texts), size=300, replace=False):
        text = texts[i]
        visible = [c for c in text if not c.isspace()]
        letters = sum(c.isalpha() for c in visible)
        assert d["t_chars"][i] == len(text)
        assert d["t_words"][i] == len(text.split())
        assert d["t_nonletter_share"][i] == pytest.approx(
            (len(visible) - letters) / len(visible) if visible else 0
        )


def test_keyword_groups_match_whole_words_in_any_case() -> None:
    texts = pd.Series(["Please REFUND me", "refunded already", None, "an invoice."])
    assert contains_any(texts, ["refund", "invoice"]).tolist() == ["yes", "no", None, "yes"]


def test_configured_features_are_added_per_text(tmp_path: Path) -> None:
    config_file = tmp_path / "drift.yaml"
    config_file.write_text(
        "keywords:\n"
        "  - {name: billing, words: [invoice, refund], texts: [prompt]}\n"
        "regexes:\n"
        "  - {name: apology, pattern: '(?i)\\bsorry\\b'}\n"
        "thresholds: {numeric: 0.2, per_feature: {ttft_s: 0.3}}\n"
    )
    config = load_config(config_file)
    logs = tmp_path / "a.jsonl"
    logs.write_text(
        '{"timestamp": 1, "request": {"prompt": "My invoice is wrong"}, "response": {"text": "Sorry!"}}\n'
        '{"timestamp": 2, "request": {"prompt": "Hi there"}, "response": {"text": "Hello."}}\n'
    )
    frame, _ = read_logs([logs])
    features = build_features(frame, config)
    assert "prompt_kw_billing" in features.categorical and "output_kw_billing" not in features.categorical
    assert features.frame["prompt_kw_billing"].tolist() == ["yes", "no"]
    assert features.frame["prompt_re_apology"].tolist() == ["no", "no"]
    assert features.frame["output_re_apology"].tolist() == ["yes", "no"]
    assert config.thresholds.numeric == 0.2 and config.thresholds.per_feature == {"ttft_s": 0.3}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "regexes:\n  - {name: bad, pattern: '(unclosed'}\n",
            "regexes[0].pattern: is not a valid regular expression",
        ),
        ("keywords:\n  - {name: Billing!, words: [x]}\n", "keywords[0].name:"),
        ("thresholds: {numeric: -1}\n", "thresholds.numeric: must be greater than 0"),
        ("thresold: {numeric: 0.2}\n", "thresold: is not a known field — fix: did you mean 'thresholds'?"),
        ("- just a list\n", "(top level): is not a mapping"),
        ("keywords: [\n", "(file): is not valid YAML"),
    ],
)
def test_config_mistakes_are_one_line_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "drift.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_importing_the_drift_package_leaves_evidently_and_torch_out() -> None:
    # Evidently takes seconds to import: only computing a report may pay for it.
    code = (
        "import sys, harness.drift, harness.cli.drift; "
        "print(sorted(m for m in ('evidently', 'torch', 'sentence_transformers') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
