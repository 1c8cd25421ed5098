"""GPU figures from a Prometheus server that scrapes a dcgm-exporter (GPUs on another machine).

Each read asks for the raw DCGM samples of a recent time range (a range-vector selector in an
instant query), so every row keeps the timestamp of the scrape that produced it rather than the
time of the query; samples already seen are dropped. The first read looks further back and keeps
only the latest scrape, so the run's first sample precedes its start.

The timestamps are the Prometheus server's: its clock and the harness's must agree (NTP) for
the samples to line up with the measured window. A Prometheus that scrapes several exporters
holds several GPUs with index "0": narrow the series with ``query_labels`` (``Hostname``,
``instance``, ``pod``…).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from harness.telemetry import fetch
from harness.telemetry.dcgm import METRIC_NAMES, RemoteSelection, Series, to_samples
from harness.telemetry.sample import SOURCE_PROMETHEUS, GpuSample
from harness.telemetry.source import TelemetryUnavailable

FIRST_LOOKBACK_S = 300.0  # longer than any sensible scrape interval
MIN_LOOKBACK_S = 60.0


def selector(labels: Mapping[str, str]) -> str:
    """The PromQL series selector of every DCGM metric the harness reads, narrowed by ``labels``."""
    matchers = [f'__name__=~"{"|".join(METRIC_NAMES)}"']
    matchers += [f'{name}="{_escape(value)}"' for name, value in sorted(labels.items())]
    return "{" + ", ".join(matchers) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class PrometheusSource:
    name = SOURCE_PROMETHEUS

    def __init__(
        self,
        url: str,
        gpus: Sequence[int | str],
        labels: Mapping[str, str] | None = None,
        interval_s: float = 1.0,
        timeout_s: float = 10.0,
    ) -> None:
        self._query_url = url.rstrip("/") + "/api/v1/query"
        self._selector = selector(labels or {})
        self._lookback_s = max(MIN_LOOKBACK_S, 3 * interval_s)
        self._selection = RemoteSelection(gpus)
        self._latest: dict[tuple[str, str | None], float] = {}  # (gpu, uuid) -> newest ts returned
        self._pending: list[GpuSample] = []  # the scrape found by open(), returned by the first read
        self._client = httpx.Client(timeout=timeout_s)

    def open(self) -> None:
        try:
            samples = self._query(FIRST_LOOKBACK_S)
            for s in samples:
                key = (s.gpu, s.uuid)
                self._latest[key] = max(s.ts, self._latest.get(key, s.ts))
            latest = [s for s in samples if s.ts == self._latest[(s.gpu, s.uuid)]]
            self._selection.resolve(latest, f"{self._query_url} for {self._selector}")
            self._pending = self._selection.keep(latest)
        except BaseException:
            self._client.close()
            raise

    def read(self) -> list[GpuSample]:
        new, self._pending = self._pending, []
        for s in sorted(self._selection.keep(self._query(self._lookback_s)), key=lambda s: s.ts):
            key = (s.gpu, s.uuid)
            if s.ts > self._latest.get(key, float("-inf")):
                self._latest[key] = s.ts
                new.append(s)
        return new

    def close(self) -> None:
        self._client.close()

    def _query(self, lookback_s: float) -> list[GpuSample]:
        query = f"{self._selector}[{int(lookback_s)}s]"
        response = fetch.get(self._client, self._query_url, {"query": query, "time": time.time()})
        try:
            body: dict[str, Any] = response.json()
            result = body["data"]["result"]
            series = [
                Series(float(t), entry["metric"]["__name__"], entry["metric"], float(v))
                for entry in result
                for t, v in entry["values"]
            ]
        except (ValueError, KeyError, TypeError) as e:
            raise TelemetryUnavailable(
                f"{self._query_url} did not answer like the Prometheus query API ({type(e).__name__}: {e})"
            ) from None
        return to_samples(series, SOURCE_PROMETHEUS, {})
