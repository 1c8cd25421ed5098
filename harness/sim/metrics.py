"""The simulator's ``/metrics``: vLLM v1 names, labels and buckets, in a registry of its own.

Like vLLM, every series carries ``model_name`` and ``engine`` (always ``"0"`` here). Gauges are
read from the scheduler at scrape time, so the request path never touches them. Injected faults
are counted in ``sim_faults_injected_total{kind}``.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from harness.sim.faults import FAULT_KINDS
from harness.sim.scheduler import Scheduler

FINISH_REASONS = ("stop", "length", "abort")
_LABELS = ("model_name", "engine")
_ENGINE = "0"

# vLLM v1's buckets (vllm/v1/metrics/loggers.py).
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0)  # fmt: skip
ITL_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
               20.0, 40.0, 80.0)  # fmt: skip
REQUEST_LATENCY_BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0,
                           60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0)  # fmt: skip


class _SchedulerGauges(Collector):
    def __init__(self, scheduler: Scheduler, model: str) -> None:
        self._scheduler = scheduler
        self._label_values = [model, _ENGINE]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = self._scheduler
        for name, doc, value in (
            ("vllm:num_requests_running", "Number of requests in model execution batches.", s.running),
            ("vllm:num_requests_waiting", "Number of requests waiting to be processed.", s.waiting),
            ("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", s.kv_usage),
        ):
            family = GaugeMetricFamily(name, doc, labels=list(_LABELS))
            family.add_metric(self._label_values, value)
            yield family


class SimMetrics:
    """The metric children the request path updates, bound to this server's labels."""

    def __init__(self, scheduler: Scheduler, model: str) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_SchedulerGauges(scheduler, model))
        labels = (model, _ENGINE)
        r = self.registry
        self.prompt_tokens = Counter(
            "vllm:prompt_tokens", "Number of prefill tokens processed.", _LABELS, registry=r
        ).labels(*labels)
        self.generation_tokens = Counter(
            "vllm:generation_tokens", "Number of generation tokens processed.", _LABELS, registry=r
        ).labels(*labels)
        success = Counter(
            "vllm:request_success",
            "Count of successfully processed requests.",
            (*_LABELS, "finished_reason"),
            registry=r,
        )
        self.request_success = {reason: success.labels(*labels, reason) for reason in FINISH_REASONS}
        self.ttft = Histogram(
            "vllm:time_to_first_token_seconds",
            "Histogram of time to first token in seconds.",
            _LABELS,
            registry=r,
            buckets=TTFT_BUCKETS,
        ).labels(*labels)
        self.itl = Histogram(
            "vllm:inter_token_latency_seconds",
            "Histogram of inter-token latency in seconds.",
            _LABELS,
            registry=r,
            buckets=ITL_BUCKETS,
        ).labels(*labels)
        self.e2e = Histogram(
            "vllm:e2e_request_latency_seconds",
            "Histogram of e2e request latency in seconds.",
            _LABELS,
            registry=r,
            buckets=REQUEST_LATENCY_BUCKETS,
        ).labels(*labels)
        self.queue_time = Histogram(
            "vllm:request_queue_time_seconds",
            "Histogram of time spent in WAITING phase for request.",
            _LABELS,
            registry=r,
            buckets=REQUEST_LATENCY_BUCKETS,
        ).labels(*labels)
        faults = Counter(
            "sim_faults_injected", "Faults injected by the simulator, by kind.", ["kind"], registry=r
        )
        self.faults = {kind: faults.labels(kind) for kind in FAULT_KINDS}

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
