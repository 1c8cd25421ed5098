"""Every YAML block of the README and the docs loads: scenario-shaped ones through the scenario
schema, gate rules, drift configs and golden-set defaults through theirs, the rest (Kubernetes,
compose, workflows) at least parse. A reader who copies a block gets a working file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from harness.config._base import BASE_DIR
from harness.config.endpoint import SOURCE_FILE
from harness.config.gate import GateRules
from harness.config.golden_set import GoldenDefaults
from harness.config.scenario import Scenario
from harness.config.validation import from_validation_error
from harness.drift.config import DriftConfig

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("*/README.md")])
BLOCK = re.compile(r"^```ya?ml[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# A fragment showing only some sections is checked inside the smallest whole scenario.
MINIMAL = {"workload": {"source": {"type": "inline", "prompts": ["hi"]}}, "load": {"duration_s": 5}}
# Relative paths in scenario examples are written from a file in scenarios/.
SCENARIO_DIR = ROOT / "scenarios"


def yaml_blocks() -> list[tuple[str, str]]:
    blocks = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text[: match.start()].count("\n") + 1
            blocks.append((f"{doc.relative_to(ROOT)}:{line}", match.group(1)))
    return blocks


BLOCKS = yaml_blocks()


def validate(model: type[BaseModel], data: dict[str, Any], where: str, base_dir: Path = ROOT) -> None:
    context = {BASE_DIR: base_dir, SOURCE_FILE: where}
    try:
        model.model_validate(data, context=context)
    except ValidationError as e:
        pytest.fail(str(from_validation_error(e, where, model)))


def check_document(data: Any, where: str) -> str:
    """Validate one YAML document by its shape; returns the schema it went through."""
    if not isinstance(data, dict):
        return "parsed"
    keys = set(data)
    if {"apiVersion", "kind"} <= keys:  # Kubernetes: a ConfigMap may carry a scenario file
        for name, value in (data.get("data") or {}).items():
            if name.endswith((".yaml", ".yml")):
                check_document(yaml.safe_load(value), f"{where} ({name})")
        return "kubernetes"
    if keys & {"workload", "load", "endpoint", "simulator", "slo", "server"}:
        validate(Scenario, {"name": "doc", **MINIMAL, **data}, where, SCENARIO_DIR)
        return "scenario"
    if keys & {"absolute", "relative"}:
        validate(GateRules, data, where)
        return "gate rules"
    if keys & {"keywords", "regexes", "thresholds", "drift_share"}:
        validate(DriftConfig, data, where)
        return "drift config"
    if keys & {"scorer", "labels", "system_prompt"}:
        validate(GoldenDefaults, data, where)
        return "golden defaults"
    return "parsed"


def test_the_docs_have_yaml_blocks_of_each_checked_kind() -> None:
    kinds = {check_document(doc, where) for where, text in BLOCKS for doc in yaml.safe_load_all(text)}
    assert {"scenario", "gate rules", "drift config", "kubernetes"} <= kinds


@pytest.mark.parametrize(("where", "text"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_yaml_block_loads(where: str, text: str) -> None:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as e:
        pytest.fail(f"{where}: not valid YAML: {e}")
    assert documents, f"{where}: empty YAML block"
    for document in documents:
        check_document(document, where)
