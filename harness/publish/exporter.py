"""The live exporter: an HTTP ``/metrics`` endpoint updated as a run's requests complete.

It counts what ``summary.json`` counts — measured requests only; latency samples from the
successful ones — so that a histogram quantile in Prometheus and the run's summary describe
the same population. ``observe`` runs on the load hot path (gevent greenlets of the Locust
process): it looks up the record's (stage, target) slice and touches that slice's pre-bound
histogram and counter children.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from harness import __version__
from harness.config.slo import SLO
from harness.protocol.errors import ALL_KINDS, CLIENT
from harness.publish import catalogue as c
from harness.records.record import PHASE_MEASURE, RequestRecord
from harness.telemetry.sample import GpuSample

log = logging.getLogger("harness.publish")

_MS = 1000.0
FINAL_SCRAPE_MAX_WAIT_S = 30.0


class _ScrapeClock:
    """WSGI middleware that notes when a response to a scrape has been sent in full.

    The server asks the body for its next chunk only after writing the previous one, so a scrape
    counts once its last byte is written: one that starts but is cut off (the scraper's timeout,
    the process exiting) does not.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._times: deque[float] = deque(maxlen=2)
        self._scraped = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> _SentBody:
        return _SentBody(self._app(environ, start_response), self._sent)

    def _sent(self) -> None:
        with self._scraped:
            self._times.append(time.monotonic())
            self._scraped.notify_all()

    def wait_for_next(self, max_wait_s: float) -> None:
        """Wait for the next scrape when there have been two (which give the interval); else return."""
        with self._scraped:
            if len(self._times) < 2:
                return
            last = self._times[-1]
            interval = last - self._times[0]
            # Two intervals and a second: room for a scraper that runs late on a busy machine.
            self._scraped.wait_for(lambda: self._times[-1] > last, timeout=min(2 * interval + 1, max_wait_s))


class _SentBody:
    """A response body that calls ``on_sent`` once the server has written all of it."""

    def __init__(self, body: Iterable[bytes], on_sent: Callable[[], None]) -> None:
        self._body, self._on_sent = body, on_sent

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body
        self._on_sent()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged."""


class _Families:
    """The per-request metric families: every series in them carries the slice labels."""

    def __init__(self, registry: CollectorRegistry, slo_ms: Mapping[str, float]) -> None:
        def slo_bound(name: str) -> tuple[float, ...]:
            return (slo_ms[name],) if name in slo_ms else ()

        self.ttft = c.histogram(c.TTFT, registry, slo_bound("ttft"))
        self.tpot = c.histogram(c.TPOT, registry, slo_bound("tpot"))
        self.itl = c.histogram(c.ITL, registry)
        self.e2e = c.histogram(c.E2E, registry, slo_bound("e2e"))
        self.requests = c.counter(c.REQUESTS, registry)
        self.output_tokens = c.counter(c.OUTPUT_TOKENS, registry)
        self.input_tokens = c.counter(c.INPUT_TOKENS, registry)
        self.goodput = c.counter(c.GOODPUT, registry)
        self.attainment = c.gauge(c.SLO_ATTAINMENT, registry)


class _Slice:
    """The series of one (stage, target) slice of the run, bound to its label values once."""

    def __init__(self, families: _Families, values: tuple[str, ...]) -> None:
        self.values = values
        self.ttft = families.ttft.labels(*values)
        self.tpot = families.tpot.labels(*values)
        self.itl = families.itl.labels(*values)
        self.e2e = families.e2e.labels(*values)
        self._requests = families.requests
        # Every outcome/kind series exists from the slice's first request at 0, so error-rate
        # queries return 0 rather than no data while nothing has failed.
        self.ok = families.requests.labels(*values, c.OUTCOME_OK, c.NO_ERROR)
        self._errors = {kind: families.requests.labels(*values, c.OUTCOME_ERROR, kind) for kind in ALL_KINDS}
        self.output_tokens = families.output_tokens.labels(*values)
        self.input_tokens = families.input_tokens.labels(*values)
        self.goodput = families.goodput.labels(*values)
        self.attainment = families.attainment.labels(*values)
        self.attainment.set(float("nan"))  # undefined until a measured request completes, not 0 %
        self.measured = 0
        self.meeting = 0

    def error(self, kind: str) -> None:
        child = self._errors.get(kind)
        if child is None:  # a kind outside ALL_KINDS is a bug elsewhere; count it all the same
            child = self._errors[kind] = self._requests.labels(*self.values, c.OUTCOME_ERROR, kind)
        child.inc()

    def count(self, met_slos: bool) -> None:
        self.measured += 1
        self.meeting += met_slos
        self.attainment.set(self.meeting / self.measured)


class LiveExporter:
    """Serves one run's metrics; every series carries the run labels given here.

    ``labels`` maps ``scenario``, ``model`` and ``endpoint`` (any left out are empty). ``slo``
    sets the thresholds goodput is counted against (as in ``summary.json``); each one is also an
    exact bucket bound of its histogram. Per-request series carry the record's ``stage`` and
    ``target`` too (empty when None): the run's own slice and at most ``MAX_SLICES`` named
    pairs, then ``OVERFLOW``. Port 0 binds a free port; ``port`` tells which once started.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9464,
        labels: Mapping[str, str] | None = None,
        slo: SLO | None = None,
    ) -> None:
        labels = dict(labels or {})
        unknown = sorted(set(labels) - set(c.RUN_LABELS))
        if unknown:
            raise ValueError(f"unknown exporter labels {unknown}; allowed: {list(c.RUN_LABELS)}")
        self._host = host
        self._port = port
        self._values = tuple(labels.get(name, "") for name in c.RUN_LABELS)
        slo = slo or SLO()
        self._slo_ms = {
            name: float(ms)
            for name, ms in (("ttft", slo.ttft_ms), ("tpot", slo.tpot_ms), ("e2e", slo.e2e_ms))
            if ms is not None
        }
        self.registry = CollectorRegistry()
        r = self.registry
        self._families = _Families(r, self._slo_ms)
        self._slices: dict[tuple[str, str], _Slice] = {}
        self._slices_lock = threading.Lock()
        self._slice(None, None)  # the run's own series exist before the first request
        self._in_flight = c.gauge(c.IN_FLIGHT, r).labels(*self._values)
        self._active_users = c.gauge(c.ACTIVE_USERS, r).labels(*self._values)
        thresholds = c.gauge(c.SLO_THRESHOLD, r)
        for name, ms in self._slo_ms.items():
            thresholds.labels(*self._values, name).set(ms / _MS)
        self._run_info = c.gauge(c.RUN_INFO, r)
        self._gpu_gauges = {
            spec.name: c.gauge(spec, r)
            for spec in (
                c.GPU_UTILIZATION,
                c.GPU_MEMORY_USED,
                c.GPU_MEMORY_TOTAL,
                c.GPU_POWER,
                c.GPU_TEMPERATURE,
                c.GPU_SM_CLOCK,
                c.GPU_MEM_CLOCK,
            )
        }
        self._gpu_energy = c.counter(c.GPU_ENERGY, r)
        self._scrapes = _ScrapeClock(make_wsgi_app(r))
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port once started (the requested one before)."""
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}/metrics"

    def start(self) -> LiveExporter:
        """Serve ``/metrics`` from a daemon thread; raises OSError naming the address when it is taken."""
        try:
            server = make_server(
                self._host, self._port, self._scrapes, ThreadingWSGIServer, handler_class=_QuietHandler
            )
        except OSError as e:
            raise OSError(
                e.errno, f"cannot serve /metrics on {self._host}:{self._port}: {e.strerror}"
            ) from None
        thread = threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True)
        thread.start()
        self._server, self._thread = server, thread
        self._port = server.server_port
        return self

    def stop(self) -> None:
        """Stop serving; a no-op when not started.

        When something has been scraping ``/metrics``, waits for its next scrape first (at most
        two of its intervals and a second, and ``FINAL_SCRAPE_MAX_WAIT_S``) so that the run's
        last requests reach Prometheus and its histograms end with the summary's counts.
        """
        if self._server is None:
            return
        self._scrapes.wait_for_next(FINAL_SCRAPE_MAX_WAIT_S)
        server, self._server = self._server, None
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LiveExporter:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def set_run_info(self, run_id: str) -> None:
        """Publish ``slm_run_info{run_id, scenario, model, endpoint, version} 1``."""
        self._run_info.clear()
        self._run_info.labels(run_id, *self._values, __version__).set(1)

    def set_in_flight(self, n: int) -> None:
        self._in_flight.set(n)

    def set_active_users(self, n: int) -> None:
        self._active_users.set(n)

    def observe(self, rec: RequestRecord) -> None:
        """Count one completed request; records outside the measured window are ignored."""
        if rec.phase != PHASE_MEASURE:
            return
        part = self._slice(rec.stage, rec.target)
        if not rec.ok:
            part.error(rec.error_kind or CLIENT)
            part.count(met_slos=False)
            return
        part.ok.inc()
        ttft, e2e, n_out, tpot = rec.ttft_s, rec.e2e_s, rec.n_out, rec.tpot_s
        if ttft is not None:
            part.ttft.observe(ttft)
        if e2e is not None:
            part.e2e.observe(e2e)
        if tpot is not None:
            part.tpot.observe(tpot)
        part.itl.observe_all(rec.chunk_gaps_s)
        if n_out:
            part.output_tokens.inc(n_out)
        if rec.n_in:
            part.input_tokens.inc(rec.n_in)
        met = self._meets_slos(ttft, tpot, e2e, n_out)
        if met:
            part.goodput.inc()
        part.count(met)

    def observe_gpu(self, sample: GpuSample) -> None:
        """Publish one GPU reading (called from the GPU sampler's thread)."""
        values = (*self._values, sample.gpu)
        for spec, value in (
            (c.GPU_UTILIZATION, sample.util_ratio),
            (c.GPU_MEMORY_USED, sample.mem_used_bytes),
            (c.GPU_MEMORY_TOTAL, sample.mem_total_bytes),
            (c.GPU_POWER, sample.power_w),
            (c.GPU_TEMPERATURE, sample.temperature_c),
            (c.GPU_SM_CLOCK, sample.sm_clock_hz),
            (c.GPU_MEM_CLOCK, sample.mem_clock_hz),
        ):
            if value is not None:
                self._gpu_gauges[spec.name].labels(*values).set(value)
        if sample.energy_delta_j is not None and sample.energy_delta_j >= 0:
            self._gpu_energy.labels(*values).inc(sample.energy_delta_j)

    def _slice(self, stage: str | None, target: str | None) -> _Slice:
        key = (stage or "", target or "")
        found = self._slices.get(key)
        if found is not None:
            return found
        with self._slices_lock:
            # The run's own slice ("", "") is always there: named ones come on top of it.
            if key not in self._slices and len(self._slices) > c.MAX_SLICES:
                if (c.OVERFLOW, c.OVERFLOW) not in self._slices:
                    log.warning(
                        "more than %d (stage, target) pairs: the live series of further ones are "
                        "published as stage=target=%s",
                        c.MAX_SLICES,
                        c.OVERFLOW,
                    )
                key = (c.OVERFLOW, c.OVERFLOW)
            if key not in self._slices:
                self._slices[key] = _Slice(self._families, (*self._values, *key))
            return self._slices[key]

    def _meets_slos(
        self, ttft: float | None, tpot: float | None, e2e: float | None, n_out: int | None
    ) -> bool:
        """``harness.analysis.metrics.slo_met`` for one successful request."""
        slo = self._slo_ms
        if "ttft" in slo and (ttft is None or ttft * _MS > slo["ttft"]):
            return False
        if (
            "tpot" in slo
            and not (n_out is not None and n_out < 2)
            and (tpot is None or tpot * _MS > slo["tpot"])
        ):
            return False
        return not ("e2e" in slo and (e2e is None or e2e * _MS > slo["e2e"]))
