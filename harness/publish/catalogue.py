"""The metric catalogue: every ``slm_*`` metric the harness publishes, defined once.

The exporter, the Pushgateway jobs, the dashboards, the alert rules, ``docs/metrics.md`` and
the tests all import their names from here. Conventions (see docs/metrics.md): prefix
``slm_``, the base unit as the name's last word, counters end in ``_total``, labels come from
the bounded vocabulary in ``LABEL_VALUES``. A run id is never a metric label: it travels in
the Pushgateway grouping key and in ``slm_run_info`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge

from harness.protocol.errors import ALL_KINDS
from harness.publish.histogram import DurationHistogram, bounds_ms

Kind = Literal["counter", "gauge", "histogram"]

# The base units a name may end in (before ``_total`` for counters). Counts of things with no
# unit (requests, tokens, items) and 0/1 flags have unit "" and name the thing instead.
UNITS: frozenset[str] = frozenset(
    {"seconds", "bytes", "ratio", "usd", "joules", "watts", "celsius", "hertz", "per_second", "info"}
)

# Labels that identify what was measured; every harness series carries the ones that apply.
SCENARIO, MODEL, ENDPOINT = "scenario", "model", "endpoint"
RUN_LABELS: tuple[str, ...] = (SCENARIO, MODEL, ENDPOINT)
TARGET_LABELS: tuple[str, ...] = (MODEL, ENDPOINT)
# A slice of a run: the load stage a request was sent in and the named endpoint (target) it went
# to, as on the request records; empty when the run has no stages or a single target.
STAGE, TARGET = "stage", "target"
SLICE_LABELS: tuple[str, ...] = (*RUN_LABELS, STAGE, TARGET)
# Cardinality budget: besides the run's own slice (stage="", target=""), one exporter keeps at
# most MAX_SLICES named (stage, target) slices apart; requests of further ones are counted under
# OVERFLOW in both labels, so a run never exceeds MAX_SLICES + 2 slices' worth of series
# (docs/metrics.md, "Series budget"). Each slice costs ~3.5 ms of the load process per scrape.
MAX_SLICES = 4
OVERFLOW = "_other"

# Per-series labels and their closed value sets (None: values come from the user's own
# configuration, e.g. a golden-set name, and stay few).
OUTCOME_OK, OUTCOME_ERROR = "ok", "error"
NO_ERROR = "none"  # the ``kind`` of a successful request
RESULT_CORRECT, RESULT_INCORRECT, RESULT_ERROR = "correct", "incorrect", "error"
QUANTILES: tuple[str, ...] = ("0.5", "0.9", "0.95", "0.99")
AGREEMENT_MEASURES: tuple[str, ...] = ("exact", "normalized", "token_f1")
SLO_NAMES: tuple[str, ...] = ("ttft", "tpot", "e2e")
CONCURRENCY_STATS: tuple[str, ...] = ("mean", "peak")
LABEL_VALUES: dict[str, tuple[str, ...] | None] = {
    SCENARIO: None,
    MODEL: None,
    ENDPOINT: None,
    STAGE: None,  # a stage name from the scenario; at most MAX_SLICES (stage, target) pairs live
    TARGET: None,  # an endpoint name from the scenario
    "outcome": (OUTCOME_OK, OUTCOME_ERROR),
    "kind": (NO_ERROR, *ALL_KINDS),
    "quantile": QUANTILES,
    "slo": SLO_NAMES,
    "stat": CONCURRENCY_STATS,
    "gpu": None,  # GPU index or UUID on the host
    "golden_set": None,
    "result": (RESULT_CORRECT, RESULT_INCORRECT, RESULT_ERROR),
    "gate": None,  # a gate rule's name from the gate file
    "feature": None,  # a drift feature (column) name from the drift configuration
    "reference": None,  # the target (or run) a comparison's other targets are measured against
    "measure": AGREEMENT_MEASURES,
    # Only on slm_run_info: one series per run, replaced by the next run's exporter or push.
    "run_id": None,
    "version": None,
}
RUN_INFO_LABELS: tuple[str, ...] = ("run_id", *RUN_LABELS, "version")

# Bucket ladders (seconds). Inside a ladder's fine range neighbouring bounds differ by at most
# 5 %, so a histogram_quantile landing in the bucket that holds the raw percentile is within 5 %
# of it; outside, a 1-2.5-5 series keeps milliseconds to minutes covered with few buckets.
# FINE_MANTISSAS: one decade, each the previous times 1.05 rounded down to three digits.
FINE_MANTISSAS: tuple[int, ...] = (
    100, 105, 110, 115, 120, 126, 132, 138, 144, 151, 158, 165, 173, 181, 190, 199, 208, 218, 228,
    239, 250, 262, 275, 288, 302, 317, 332, 348, 365, 383, 402, 422, 443, 465, 488, 512, 537, 563,
    591, 620, 651, 683, 717, 752, 789, 828, 869, 912, 957,
)  # fmt: skip
FINE_MAX_RATIO = 1.05
COARSE_MANTISSAS: tuple[int, ...] = (100, 250, 500)


def _series(mantissas: tuple[int, ...], low: float, high: float) -> list[float]:
    # Decimal strings keep every bound the float a person would write (0.0251, not 0.025100000000000001).
    values = (float(f"{m}e{e}") for e in range(-7, 4) for m in mantissas)
    return [v for v in values if low <= v <= high]


@dataclass(frozen=True)
class Ladder:
    """Bucket bounds: fine (≤ 5 % apart) over ``fine_from``..``fine_to`` seconds, coarse out to the ends."""

    low: float
    fine_from: float
    fine_to: float
    high: float
    bounds: tuple[float, ...] = field(init=False)

    def __post_init__(self) -> None:
        fine = _series(FINE_MANTISSAS, self.fine_from, self.fine_to)
        coarse = _series(COARSE_MANTISSAS, self.low, self.fine_from) + _series(
            COARSE_MANTISSAS, self.fine_to, self.high
        )
        object.__setattr__(self, "bounds", tuple(sorted({*fine, *coarse})))


# The fine ranges cover what small models serve (TTFT 50-500 ms, TPOT 5-50 ms, ITL 1-50 ms) with
# room either side; E2E spans a short answer to about a thousand tokens.
TTFT_LADDER = Ladder(low=0.001, fine_from=0.01, fine_to=2.5, high=500.0)
TPOT_LADDER = Ladder(low=0.0005, fine_from=0.001, fine_to=0.1, high=100.0)
ITL_LADDER = Ladder(low=0.0001, fine_from=0.0005, fine_to=0.1, high=100.0)
E2E_LADDER = Ladder(low=0.001, fine_from=0.05, fine_to=30.0, high=500.0)


@dataclass(frozen=True)
class MetricSpec:
    """One metric: its exposition name (counters include ``_total``), type, unit, labels and help."""

    name: str
    kind: Kind
    unit: str  # one of UNITS, or "" for counts and flags
    help: str
    labels: tuple[str, ...]
    ladder: Ladder | None = None  # histograms only

    @property
    def buckets(self) -> tuple[float, ...] | None:
        return self.ladder.bounds if self.ladder is not None else None


_ALL: list[MetricSpec] = []


def _add(spec: MetricSpec) -> MetricSpec:
    _ALL.append(spec)
    return spec


def _counter(name: str, unit: str, help: str, labels: tuple[str, ...]) -> MetricSpec:
    return _add(MetricSpec(name, "counter", unit, help, labels))


def _gauge(name: str, unit: str, help: str, labels: tuple[str, ...]) -> MetricSpec:
    return _add(MetricSpec(name, "gauge", unit, help, labels))


def _histogram(name: str, help: str, ladder: Ladder) -> MetricSpec:
    return _add(MetricSpec(name, "histogram", "seconds", help, SLICE_LABELS, ladder))


# --- live load metrics (the exporter, updated as requests complete) --------------------------
TTFT = _histogram(
    "slm_ttft_seconds",
    "Time to first generated token of successful measured requests.",
    TTFT_LADDER,
)
TPOT = _histogram(
    "slm_tpot_seconds",
    "Time per output token, (E2E - TTFT) / (N_out - 1), for N_out >= 2.",
    TPOT_LADDER,
)
ITL = _histogram(
    "slm_itl_seconds",
    "Gaps between consecutive content-bearing chunks (inter-token latency).",
    ITL_LADDER,
)
E2E = _histogram(
    "slm_e2e_latency_seconds",
    "End-to-end latency (last byte) of successful measured requests.",
    E2E_LADDER,
)
REQUESTS = _counter(
    "slm_requests_total",
    "",
    "Measured requests by outcome and error kind (kind=none when ok).",
    (*SLICE_LABELS, "outcome", "kind"),
)
OUTPUT_TOKENS = _counter(
    "slm_output_tokens_total", "", "Output tokens of successful measured requests.", SLICE_LABELS
)
INPUT_TOKENS = _counter(
    "slm_input_tokens_total", "", "Input tokens of successful measured requests.", SLICE_LABELS
)
GOODPUT = _counter(
    "slm_goodput_requests_total",
    "",
    "Measured requests that met every configured SLO (errors never do).",
    SLICE_LABELS,
)
SLO_ATTAINMENT = _gauge(
    "slm_slo_attainment_ratio",
    "ratio",
    "Share of measured requests so far that met every configured SLO.",
    SLICE_LABELS,
)
SLO_THRESHOLD = _gauge(
    "slm_slo_threshold_seconds",
    "seconds",
    "A configured per-request SLO; absent when not set.",
    (*RUN_LABELS, "slo"),
)
IN_FLIGHT = _gauge("slm_in_flight_requests", "", "Requests sent and not yet answered.", RUN_LABELS)
ACTIVE_USERS = _gauge("slm_active_users", "", "Simulated users currently running.", RUN_LABELS)
# What the exporter serves per (stage, target) slice (docs/metrics.md, "Series budget").
LIVE_PER_SLICE: tuple[MetricSpec, ...] = (
    TTFT, TPOT, ITL, E2E, REQUESTS, OUTPUT_TOKENS, INPUT_TOKENS, GOODPUT, SLO_ATTAINMENT
)  # fmt: skip
RUN_INFO = _gauge(
    "slm_run_info", "info", "Identity of the run (always 1): joins a run id to its labels.", RUN_INFO_LABELS
)

# --- load-run summary (pushed once at the end of a run; mirrors summary.json) ---------------
# The whole run has stage="" and target=""; a summary block of one stage or target carries its name.
_Q = (*SLICE_LABELS, "quantile")
RUN_TTFT = _gauge("slm_run_ttft_seconds", "seconds", "Run summary: TTFT percentile of raw samples.", _Q)
RUN_TPOT = _gauge("slm_run_tpot_seconds", "seconds", "Run summary: TPOT percentile of raw samples.", _Q)
RUN_ITL = _gauge("slm_run_itl_seconds", "seconds", "Run summary: ITL percentile of raw samples.", _Q)
RUN_E2E = _gauge(
    "slm_run_e2e_latency_seconds", "seconds", "Run summary: E2E latency percentile of raw samples.", _Q
)
RUN_REQUEST_THROUGHPUT = _gauge(
    "slm_run_requests_per_second", "per_second", "Run summary: completed requests per second.", SLICE_LABELS
)
RUN_OUTPUT_THROUGHPUT = _gauge(
    "slm_run_output_tokens_per_second", "per_second", "Run summary: output tokens per second.", SLICE_LABELS
)
RUN_TOTAL_THROUGHPUT = _gauge(
    "slm_run_total_tokens_per_second",
    "per_second",
    "Run summary: input plus output tokens per second.",
    SLICE_LABELS,
)
RUN_GOODPUT = _gauge(
    "slm_run_goodput_requests_per_second",
    "per_second",
    "Run summary: requests meeting every SLO per second.",
    SLICE_LABELS,
)
RUN_SLO_ATTAINMENT = _gauge(
    "slm_run_slo_attainment_ratio",
    "ratio",
    "Run summary: share of measured requests meeting every SLO.",
    SLICE_LABELS,
)
RUN_ERROR_RATIO = _gauge(
    "slm_run_error_ratio", "ratio", "Run summary: share of measured requests that failed.", SLICE_LABELS
)
RUN_REQUESTS = _gauge(
    "slm_run_requests",
    "",
    "Run summary: measured requests by outcome and error kind.",
    (*SLICE_LABELS, "outcome", "kind"),
)
RUN_CONCURRENCY = _gauge(
    "slm_run_concurrency_requests",
    "",
    "Run summary: requests in flight (stat: mean, peak).",
    (*SLICE_LABELS, "stat"),
)
RUN_WINDOW = _gauge(
    "slm_run_window_seconds", "seconds", "Run summary: length of the measured window.", SLICE_LABELS
)
RUN_TIMESTAMP = _gauge(
    "slm_run_timestamp_seconds",
    "seconds",
    "End of the load run (epoch): the latest run has the largest.",
    RUN_LABELS,
)

# --- GPU, energy and cost --------------------------------------------------------------------
GPU_LABELS: tuple[str, ...] = (*RUN_LABELS, "gpu")
GPU_UTILIZATION = _gauge(
    "slm_gpu_utilization_ratio", "ratio", "Share of the last sample period the GPU was busy.", GPU_LABELS
)
GPU_MEMORY_USED = _gauge("slm_gpu_memory_used_bytes", "bytes", "GPU memory in use.", GPU_LABELS)
GPU_MEMORY_TOTAL = _gauge("slm_gpu_memory_total_bytes", "bytes", "GPU memory installed.", GPU_LABELS)
GPU_POWER = _gauge("slm_gpu_power_watts", "watts", "GPU board power draw.", GPU_LABELS)
GPU_ENERGY = _counter(
    "slm_gpu_energy_joules_total",
    "joules",
    "GPU energy since the run started (NVML total-energy counter).",
    GPU_LABELS,
)
GPU_TEMPERATURE = _gauge("slm_gpu_temperature_celsius", "celsius", "GPU core temperature.", GPU_LABELS)
GPU_SM_CLOCK = _gauge("slm_gpu_sm_clock_hertz", "hertz", "GPU streaming-multiprocessor clock.", GPU_LABELS)
GPU_MEM_CLOCK = _gauge("slm_gpu_mem_clock_hertz", "hertz", "GPU memory clock.", GPU_LABELS)
ENERGY_PER_OUTPUT_TOKEN = _gauge(
    "slm_energy_per_output_token_joules",
    "joules",
    "Run summary: GPU energy delta / output tokens.",
    RUN_LABELS,
)
COST_PER_QUERY = _gauge(
    "slm_cost_per_query_usd", "usd", "Run summary: cost per completed request.", RUN_LABELS
)
COST_PER_1M_OUTPUT_TOKENS = _gauge(
    "slm_cost_per_1m_output_tokens_usd", "usd", "Run summary: cost per million output tokens.", RUN_LABELS
)

# --- golden-set quality ----------------------------------------------------------------------
GOLDEN_LABELS: tuple[str, ...] = (*TARGET_LABELS, "golden_set")
GOLDEN_ACCURACY = _gauge(
    "slm_golden_accuracy_ratio",
    "ratio",
    "Weighted share of scored golden items that were correct.",
    GOLDEN_LABELS,
)
GOLDEN_BASELINE_ACCURACY = _gauge(
    "slm_golden_baseline_accuracy_ratio",
    "ratio",
    "Accuracy of the baseline the run was compared with.",
    GOLDEN_LABELS,
)
GOLDEN_ITEMS = _counter(
    "slm_golden_items_total",
    "",
    "Golden items by result (correct, incorrect, error).",
    (*GOLDEN_LABELS, "result"),
)
GOLDEN_TIMESTAMP = _gauge(
    "slm_golden_timestamp_seconds", "seconds", "End of the golden run (epoch).", TARGET_LABELS
)

# --- gate ----------------------------------------------------------------------------------------
GATE_LABELS: tuple[str, ...] = (*TARGET_LABELS, "gate")
GATE_PASSED = _gauge(
    "slm_gate_passed", "", "1 when the gate rule passed in this evaluation, else 0.", GATE_LABELS
)
GATE_FAILED = _counter(
    "slm_gate_failed_total", "", "Gate rules that failed in this evaluation.", TARGET_LABELS
)
GATE_TIMESTAMP = _gauge(
    "slm_gate_timestamp_seconds", "seconds", "End of the gate evaluation (epoch).", TARGET_LABELS
)

# --- drift ---------------------------------------------------------------------------------------
DRIFT_SHARE = _gauge("slm_drift_share_ratio", "ratio", "Share of drift features that drifted.", TARGET_LABELS)
DRIFT_FEATURE_SCORE = _gauge(
    "slm_drift_feature_score",
    "",
    "Per-feature drift score (test statistic or distance).",
    (*TARGET_LABELS, "feature"),
)
DRIFT_DETECTED = _gauge(
    "slm_drift_detected", "", "1 when the drift report flagged any feature as drifted, else 0.", TARGET_LABELS
)
DRIFT_TIMESTAMP = _gauge(
    "slm_drift_timestamp_seconds", "seconds", "End of the drift report (epoch).", TARGET_LABELS
)

# --- comparisons (A/B and shadow targets) ----------------------------------------------------------
COMPARE_LABELS: tuple[str, ...] = (SCENARIO, TARGET, "reference")
ANSWER_AGREEMENT = _gauge(
    "slm_answer_agreement_ratio",
    "ratio",
    "Share of paired prompts whose answers agree with the reference target's (measure: exact, "
    "normalized; token_f1 is the mean token-level F1).",
    (*COMPARE_LABELS, "measure"),
)
ANSWER_PAIRS = _gauge(
    "slm_answer_pairs", "", "Prompts answered by both the target and the reference.", COMPARE_LABELS
)
COMPARE_ACCURACY = _gauge(
    "slm_compare_golden_accuracy_ratio",
    "ratio",
    "Golden accuracy of a target on the items paired with the reference "
    "(the reference's own has target = reference).",
    COMPARE_LABELS,
)
COMPARE_ACCURACY_P_VALUE = _gauge(
    "slm_compare_accuracy_p_value",
    "",
    "Exact McNemar p-value of the target's accuracy difference from the reference's.",
    COMPARE_LABELS,
)

CATALOGUE: tuple[MetricSpec, ...] = tuple(_ALL)
BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in CATALOGUE}

# Pushgateway job names; the grouping key adds ``run_id`` so runs stay apart.
JOB_LOAD = "slm_harness"
JOB_GOLDEN = "slm_golden"
JOB_GATE = "slm_gate"
JOB_DRIFT = "slm_drift"
JOB_COMPARE = "slm_compare"


def counter(spec: MetricSpec, registry: CollectorRegistry) -> Counter:
    """The prometheus_client counter for ``spec``, registered in ``registry``."""
    _expect(spec, "counter")
    return Counter(spec.name, spec.help, spec.labels, registry=registry)


def gauge(spec: MetricSpec, registry: CollectorRegistry) -> Gauge:
    """The prometheus_client gauge for ``spec``, registered in ``registry``."""
    _expect(spec, "gauge")
    return Gauge(spec.name, spec.help, spec.labels, registry=registry)


def histogram(
    spec: MetricSpec, registry: CollectorRegistry, extra_bounds_ms: Iterable[float] = ()
) -> DurationHistogram:
    """The histogram for ``spec``: its ladder plus ``extra_bounds_ms`` (SLOs), registered in ``registry``."""
    _expect(spec, "histogram")
    assert spec.ladder is not None
    bounds = bounds_ms(spec.ladder.bounds, extra_bounds_ms)
    metric = DurationHistogram(spec.name, spec.help, spec.labels, bounds)
    registry.register(metric)
    return metric


def _expect(spec: MetricSpec, kind: Kind) -> None:
    if spec.kind != kind:
        raise TypeError(f"{spec.name} is a {spec.kind}, not a {kind}")
