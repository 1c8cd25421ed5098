"""Dashboards come from code: the committed JSON is what the code generates, and it is well formed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from harness.cli.dashboards import app
from harness.dashboards.build import DASHBOARDS, panel_queries, stale_files
from harness.dashboards.grafana import DATASOURCE_UID, GRID_WIDTH
from harness.publish import catalogue as c
from harness.publish.reference import (
    BEGIN,
    BUDGET_BEGIN,
    BUDGET_END,
    budget_table,
    catalogue_table,
    with_tables,
)
from tests.support_prometheus import REPO

DASHBOARD_DIR = REPO / "dashboards"
DOCS = REPO / "docs" / "metrics.md"
PROVISIONING = DASHBOARD_DIR / "grafana" / "provisioning"


def cli(*args: str) -> int:
    result = typer.main.get_command(app).main(args=list(args), standalone_mode=False)
    assert isinstance(result, int)
    return result


def committed() -> dict[str, dict[str, Any]]:
    return {name: json.loads((DASHBOARD_DIR / name).read_text()) for name in DASHBOARDS}


def test_committed_files_equal_what_the_code_generates() -> None:
    stale = stale_files(DASHBOARD_DIR, DOCS)
    assert stale == [], f"run `slm-harness dashboards build`: {stale}"
    assert cli("build", "--check", "--out", str(DASHBOARD_DIR), "--docs", str(DOCS)) == 0


def test_check_names_a_changed_file_and_build_repairs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, docs = tmp_path / "dashboards", tmp_path / "metrics.md"
    shutil.copytree(DASHBOARD_DIR, out)
    shutil.copy(DOCS, docs)
    edited = out / "vllm-server.json"
    edited.write_text(edited.read_text().replace("KV-cache usage", "KV cache"))
    docs.write_text(docs.read_text().replace("`slm_ttft_seconds`", "`slm_ttft`"))
    assert cli("build", "--check", "--out", str(out), "--docs", str(docs)) == 1
    err = capsys.readouterr().err
    assert f"{edited}: differs from the code" in err and f"{docs}: differs" in err
    assert "load-overview.json" not in err
    assert cli("build", "--out", str(out), "--docs", str(docs)) == 0
    assert cli("build", "--check", "--out", str(out), "--docs", str(docs)) == 0
    assert edited.read_text() == (DASHBOARD_DIR / "vllm-server.json").read_text()


def test_the_docs_tables_list_the_whole_catalogue_and_the_series_budget() -> None:
    table = catalogue_table()
    assert table in DOCS.read_text()
    assert all(f"| `{spec.name}` |" in table for spec in c.CATALOGUE)
    assert budget_table() in DOCS.read_text()
    with pytest.raises(ValueError, match="metric-catalogue:begin"):
        with_tables("no markers here")
    document = f"a\n{BEGIN}\nold\n<!-- metric-catalogue:end -->\n{BUDGET_BEGIN}\n{BUDGET_END}\nb"
    assert with_tables(document).count("| `slm_ttft_seconds` |") == 2


def test_five_dashboards_with_unique_uids_ids_and_a_tidy_grid() -> None:
    boards = committed()
    assert {b["uid"] for b in boards.values()} == {
        "slm-compare",
        "slm-load",
        "slm-gpu-cost",
        "slm-quality-drift",
        "slm-vllm",
    }
    for name, board in boards.items():
        panels = board["panels"]
        assert [p["id"] for p in panels] == list(range(1, len(panels) + 1)), name
        cells: set[tuple[int, int]] = set()
        for p in panels:
            g = p["gridPos"]
            assert g["x"] >= 0 and g["x"] + g["w"] <= GRID_WIDTH, (name, p["title"])
            cover = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not cover & cells, f"{name}: {p['title']} overlaps another panel"
            cells |= cover
            if p["type"] != "row":
                assert p["datasource"]["uid"] == DATASOURCE_UID and p["targets"] and p["description"], p[
                    "title"
                ]
                assert all(t["datasource"]["uid"] == DATASOURCE_UID for t in p["targets"])


def test_template_variables_for_scenario_model_and_endpoint() -> None:
    boards = committed()
    for uid in ("load-overview.json", "gpu-energy-cost.json"):
        names = [v["name"] for v in boards[uid]["templating"]["list"]]
        assert names[:3] == ["scenario", "model", "endpoint"]
    assert [v["name"] for v in boards["load-overview.json"]["templating"]["list"]][3:] == ["stage", "target"]
    assert [v["name"] for v in boards["quality-drift.json"]["templating"]["list"]] == [
        "model",
        "endpoint",
        "golden_set",
    ]
    assert [v["name"] for v in boards["vllm-server.json"]["templating"]["list"]] == ["model", "instance"]
    for board in boards.values():
        variables = {v["name"] for v in board["templating"]["list"]}
        for v in board["templating"]["list"]:
            assert v["allValue"] == ".*" and v["includeAll"] and v["datasource"]["uid"] == DATASOURCE_UID
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                used = set(re.findall(r"\$(\w+)", target["expr"])) - {"__rate_interval"}
                assert used <= variables, (panel["title"], used - variables)


def test_queries_name_only_catalogue_or_vllm_metrics() -> None:
    seen: set[str] = set()
    for d in DASHBOARDS.values():
        for q in panel_queries(d):
            for name in re.findall(r"(?<![\w\"])((?:slm_|vllm:)[a-z0-9_:]+)", q.expr):
                base = re.sub(r"_(bucket|count|sum)$", "", name)
                assert name.startswith("vllm:") or name in c.BY_NAME or base in c.BY_NAME, (q.panel, name)
                seen.add(base)
    # Everything published live, per GPU, or about quality shows on some panel.
    charted = {
        *(
            s.name
            for s in (c.TTFT, c.TPOT, c.ITL, c.E2E, c.REQUESTS, c.OUTPUT_TOKENS, c.INPUT_TOKENS, c.GOODPUT)
        ),
        *(s.name for s in (c.SLO_ATTAINMENT, c.SLO_THRESHOLD, c.IN_FLIGHT, c.ACTIVE_USERS, c.RUN_INFO)),
        *(
            s.name
            for s in c.CATALOGUE
            if s.name.startswith(("slm_gpu_", "slm_golden_", "slm_gate_", "slm_drift_"))
        ),
        *(s.name for s in (c.ENERGY_PER_OUTPUT_TOKEN, c.COST_PER_QUERY, c.COST_PER_1M_OUTPUT_TOKENS)),
    }
    assert charted <= seen, charted - seen


def test_provisioning_points_grafana_at_the_generated_dashboards() -> None:
    datasource = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())["datasources"][
        0
    ]
    assert datasource["uid"] == DATASOURCE_UID and datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "slm-harness.yml").read_text())["providers"][0]
    compose = yaml.safe_load((DASHBOARD_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"prometheus", "pushgateway", "grafana", "sim", "vllm"} <= set(services)
    assert services["vllm"]["profiles"] == ["gpu"]
    assert "gpu" not in str(services["sim"]) and "profiles" not in services["sim"]
    mounts = dict(
        volume.rsplit(":", 2)[:2] for volume in services["grafana"]["volumes"] if volume.startswith("./")
    )
    assert mounts["./"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    for service in services.values():
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (DASHBOARD_DIR / volume.split(":")[0]).exists(), volume
    dockerfile = services["sim"]["build"]
    assert (DASHBOARD_DIR / dockerfile["context"] / dockerfile["dockerfile"]).is_file()
    assert "docker compose -f dashboards/docker-compose.yml up -d" in DOCS.read_text()
