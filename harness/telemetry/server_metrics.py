"""``ServerMetricsScraper``: the endpoint's own ``/metrics`` during a run -> ``server_metrics.parquet``.

Every ``interval_s`` the page is fetched and parsed with prometheus_client's parser; the samples
of the inference server's own families (vLLM ``vllm:*``, llama.cpp ``llamacpp:*``, the
simulator's ``sim_*``) are kept, the process and HTTP-framework noise is not. The file is in
long format, one row per sample per scrape:

    ts      epoch seconds when the page arrived
    name    the sample name (``vllm:time_to_first_token_seconds_bucket``, …; the parser spells
            every counter sample with ``_total``)
    labels  the sample's labels as JSON with sorted keys, ``le`` excepted
    le      a histogram bucket's upper bound (null for other samples)
    value

``harness.telemetry.server_series`` pivots the known series for the report.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from prometheus_client.parser import text_string_to_metric_families

from harness.records.rundir import SERVER_METRICS_FILE
from harness.telemetry import fetch
from harness.telemetry.poller import Poller
from harness.telemetry.source import TelemetryUnavailable

log = logging.getLogger("harness.telemetry")

SERVER_PREFIXES: tuple[str, ...] = ("vllm:", "llamacpp:", "sim_")
FLUSH_ROWS = 50_000  # rows buffered before a row group goes to the file (~150 vLLM scrapes)
SCHEMA = pa.schema(
    [
        pa.field("ts", pa.float64(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("labels", pa.string(), nullable=False),
        pa.field("le", pa.float64()),
        pa.field("value", pa.float64(), nullable=False),
    ]
)


def metrics_url(base_url: str) -> str:
    """Where an OpenAI-compatible server serves ``/metrics``: its root, not under ``/v1``."""
    root = base_url.rstrip("/")
    root = root.removesuffix("/v1")
    return f"{root}/metrics"


def parse_page(text: str, ts: float) -> list[tuple[float, str, str, float | None, float]]:
    """The server-family samples of a Prometheus text page as (ts, name, labels, le, value) rows."""
    rows = []
    for family in text_string_to_metric_families(text):
        if not family.name.startswith(SERVER_PREFIXES):
            continue
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            labels = dict(sample.labels)
            le = labels.pop("le", None)
            rows.append(
                (
                    ts,
                    sample.name,
                    json.dumps(labels, sort_keys=True),
                    None if le is None else float(le),
                    float(sample.value),
                )
            )
    return rows


class ServerMetricsScraper:
    """Scrapes ``url`` every ``interval_s`` from ``start`` to ``stop``.

    ``headers`` go with every request (a server that guards ``/metrics`` with the API key).
    """

    def __init__(
        self,
        run_dir: Path,
        url: str,
        interval_s: float = 2.0,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self.path = Path(run_dir) / SERVER_METRICS_FILE
        self.url = url
        self._client = httpx.Client(timeout=timeout_s, headers=dict(headers or {}))
        self._poller = Poller("server-metrics", interval_s, self._scrape)
        self._rows: list[tuple[float, str, str, float | None, float]] = []
        self._kept = 0  # rows scraped so far, written or buffered
        self._writer: pq.ParquetWriter | None = None
        self._started = False
        self.notice: str | None = None

    def start(self) -> str | None:
        """Scrape once and start scraping; returns a one-line notice (and scrapes nothing more)
        when the page cannot be read or holds no inference-server metrics."""
        try:
            self._scrape()
            if not self._kept:
                raise TelemetryUnavailable(
                    f"{self.url} shows no {', '.join(p.rstrip(':_') for p in SERVER_PREFIXES)} metrics"
                )
        except TelemetryUnavailable as e:
            self._client.close()
            self.notice = f"server metrics unavailable: {e} — run continues without them"
            log.warning("%s", self.notice)
            return self.notice
        self._started = True
        self._poller.start()
        return None

    def stop(self) -> Path | None:
        """A last scrape, then ``server_metrics.parquet``; returns its path (None when not started)."""
        if not self._started:
            return None
        self._started = False
        self._poller.stop()
        self._poller.tick()
        self._client.close()
        self._flush()
        assert self._writer is not None
        self._writer.close()
        return self.path

    def _scrape(self) -> None:
        response = fetch.get(self._client, self.url)
        try:
            rows = parse_page(response.text, time.time())
        except ValueError as e:
            raise TelemetryUnavailable(f"{self.url} is not a Prometheus metrics page ({e})") from None
        self._rows.extend(rows)
        self._kept += len(rows)
        if len(self._rows) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        """Write the buffered rows as one row group, so a long run's memory stays bounded."""
        if not self._rows:
            return
        columns = list(zip(*self._rows, strict=True))
        arrays = [pa.array(values, type=field.type) for values, field in zip(columns, SCHEMA, strict=True)]
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, SCHEMA)
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=SCHEMA))
        self._rows = []


def read_server_metrics(run_dir: Path) -> pd.DataFrame | None:
    """A run's ``server_metrics.parquet``, or None when the run has none."""
    path = Path(run_dir) / SERVER_METRICS_FILE
    return pd.read_parquet(path) if path.exists() else None
