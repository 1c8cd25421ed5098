"""A load run's publishing settings: when the exporter runs, on which port, and where the summary goes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.config.publish import Publish
from harness.config.slo import SLO
from harness.publish.load_run import open_exporter, push_run_summary
from tests import support_prometheus as prom
from tests._publish_fixtures import LABELS, make_records, summary_of

SLO_SET = SLO(ttft_ms=250, e2e_ms=1000)


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[prom.Pushgateway]:
    with prom.pushgateway(tmp_path_factory.mktemp("pushgateway")) as gw:
        yield gw


def test_the_exporter_serves_run_info_and_slos_on_the_configured_port() -> None:
    port = prom.free_port()
    exporter = open_exporter(Publish(exporter={"port": port}), LABELS, "run-7", SLO_SET)
    assert exporter is not None
    try:
        assert exporter.port == port
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'run_id="run-7"' in text
        assert (
            'slm_slo_threshold_seconds{endpoint="sim",model="tiny-model",scenario="chat",slo="ttft"} 0.25'
            in text
        )
        assert 'slo="tpot"' not in text
    finally:
        exporter.stop()


def test_enabled_false_turns_the_exporter_off_and_port_0_picks_a_free_port() -> None:
    assert open_exporter(Publish(exporter={"enabled": False, "port": 1}), LABELS, "r", SLO()) is None
    exporter = open_exporter(Publish(exporter={"port": 0}), LABELS, "r", SLO())
    assert exporter is not None and exporter.port not in (0, 1)
    exporter.stop()


def test_the_summary_goes_to_the_command_line_url_else_the_configured_one(
    pushgateway: prom.Pushgateway, tmp_path: Path
) -> None:
    summary = summary_of(make_records(n=30, warmup=0), run_id="run-cli")
    assert push_run_summary(Publish(), None, summary) is None  # no Pushgateway anywhere: nothing to do
    configured = Publish(pushgateway={"url": f"http://127.0.0.1:{prom.free_port()}", "job": "nightly"})
    assert push_run_summary(configured, pushgateway.url, summary) is True
    assert push_run_summary(configured, None, summary) is False  # the configured one is down
    text = pushgateway.metrics_text()
    assert 'slm_run_info{endpoint="sim",instance="",job="nightly",model="tiny-model",run_id="run-cli"' in text


def test_each_stage_of_a_run_is_pushed_as_its_own_slice(pushgateway: prom.Pushgateway) -> None:
    summary = summary_of(make_records(n=30, warmup=0), run_id="run-staged")
    summary["stages"] = [
        {**summary_of(make_records(n=10, warmup=0), run_id="run-staged"), "name": name}
        for name in ("step1", "step2")
    ]
    assert (
        push_run_summary(Publish(pushgateway={"url": pushgateway.url, "job": "staged"}), None, summary)
        is True
    )
    text = pushgateway.metrics_text()
    pushed = {
        line.split('stage="')[1].split('"')[0]
        for line in text.splitlines()
        if 'job="staged"' in line and 'stage="' in line
    }
    assert pushed == {"", "step1", "step2"}
