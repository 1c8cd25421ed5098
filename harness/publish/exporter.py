"""The live exporter: an HTTP ``/metrics`` endpoint updated as a run's requests complete.

It counts what ``summary.json`` counts — measured requests only; latency samples from the
successful ones — so that a histogram quantile in Prometheus and the run's summary describe
the same population. ``observe`` runs on the load hot path (gevent greenlets of the Locust
process): it only touches pre-bound histogram and counter children.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

from harness import __version__
from harness.protocol.errors import ALL_KINDS, CLIENT
from harness.publish import catalogue as c
from harness.records.record import PHASE_MEASURE, RequestRecord
from harness.telemetry.sample import GpuSample

_MS = 1000.0


class LiveExporter:
    """Serves one run's metrics; every series carries the run labels given here.

    ``labels`` maps ``scenario``, ``model`` and ``endpoint`` (any left out are empty). Port 0
    binds a free port; ``port`` tells which once started.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 9464, labels: Mapping[str, str] | None = None
    ) -> None:
        labels = dict(labels or {})
        unknown = sorted(set(labels) - set(c.RUN_LABELS))
        if unknown:
            raise ValueError(f"unknown exporter labels {unknown}; allowed: {list(c.RUN_LABELS)}")
        self._host = host
        self._port = port
        self._values = tuple(labels.get(name, "") for name in c.RUN_LABELS)
        self.registry = CollectorRegistry()
        values = self._values
        r = self.registry
        self._ttft = c.histogram(c.TTFT, r).labels(*values)
        self._tpot = c.histogram(c.TPOT, r).labels(*values)
        self._itl = c.histogram(c.ITL, r).labels(*values)
        self._e2e = c.histogram(c.E2E, r).labels(*values)
        self._requests = c.counter(c.REQUESTS, r)
        # Every outcome/kind series exists from the start at 0, so error-rate queries return 0
        # rather than no data while nothing has failed.
        self._ok = self._requests.labels(*values, c.OUTCOME_OK, c.NO_ERROR)
        self._errors = {kind: self._requests.labels(*values, c.OUTCOME_ERROR, kind) for kind in ALL_KINDS}
        self._output_tokens = c.counter(c.OUTPUT_TOKENS, r).labels(*values)
        self._input_tokens = c.counter(c.INPUT_TOKENS, r).labels(*values)
        self._goodput = c.counter(c.GOODPUT, r).labels(*values)
        self._attainment = c.gauge(c.SLO_ATTAINMENT, r).labels(*values)
        self._attainment.set(float("nan"))  # undefined until a measured request completes, not 0 %
        self._in_flight = c.gauge(c.IN_FLIGHT, r).labels(*values)
        self._active_users = c.gauge(c.ACTIVE_USERS, r).labels(*values)
        self._slo_threshold = c.gauge(c.SLO_THRESHOLD, r)
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
        self._slo_ms: dict[str, float] = {}
        self._measured = 0
        self._meeting = 0
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
            server, thread = start_http_server(self._port, addr=self._host, registry=self.registry)
        except OSError as e:
            raise OSError(
                e.errno, f"cannot serve /metrics on {self._host}:{self._port}: {e.strerror}"
            ) from None
        self._server, self._thread = server, thread
        self._port = server.server_port
        return self

    def stop(self) -> None:
        """Stop serving; a no-op when not started."""
        if self._server is None:
            return
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

    def set_slos(
        self, ttft_ms: float | None = None, tpot_ms: float | None = None, e2e_ms: float | None = None
    ) -> None:
        """The SLOs goodput is counted against (as in ``summary.json``); None: not checked."""
        configured = {"ttft": ttft_ms, "tpot": tpot_ms, "e2e": e2e_ms}
        self._slo_ms = {name: float(v) for name, v in configured.items() if v is not None}
        self._slo_threshold.clear()
        for name, ms in self._slo_ms.items():
            self._slo_threshold.labels(*self._values, name).set(ms / _MS)

    def set_in_flight(self, n: int) -> None:
        self._in_flight.set(n)

    def set_active_users(self, n: int) -> None:
        self._active_users.set(n)

    def observe(self, rec: RequestRecord) -> None:
        """Count one completed request; records outside the measured window are ignored."""
        if rec.phase != PHASE_MEASURE:
            return
        self._measured += 1
        if not rec.ok:
            kind = rec.error_kind or CLIENT
            child = self._errors.get(kind)
            if child is None:  # a kind outside ALL_KINDS is a bug elsewhere; count it all the same
                child = self._errors[kind] = self._requests.labels(*self._values, c.OUTCOME_ERROR, kind)
            child.inc()
            self._attainment.set(self._meeting / self._measured)
            return
        self._ok.inc()
        ttft, e2e, n_out, tpot = rec.ttft_s, rec.e2e_s, rec.n_out, rec.tpot_s
        if ttft is not None:
            self._ttft.observe(ttft)
        if e2e is not None:
            self._e2e.observe(e2e)
        if tpot is not None:
            self._tpot.observe(tpot)
        for gap in rec.chunk_gaps_s:
            self._itl.observe(gap)
        if n_out:
            self._output_tokens.inc(n_out)
        if rec.n_in:
            self._input_tokens.inc(rec.n_in)
        if self._meets_slos(ttft, tpot, e2e, n_out):
            self._meeting += 1
            self._goodput.inc()
        self._attainment.set(self._meeting / self._measured)

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
