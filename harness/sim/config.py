"""The simulator's settings: one frozen dataclass, checked when it is built.

Field reference (flag names in brackets are the ``python -m harness.sim`` spellings):

Serving
  host [--host], port [--port]: where to listen; port 0 picks a free port (the bound URL is printed).
  model [--model]: the served model name, echoed in every response and in the ``model_name`` label.
  api_key [--api-key-env NAME]: when set, every ``/v1/*`` request needs ``Authorization: Bearer <key>``.

Timing (milliseconds)
  ttft_ms [--ttft-ms]: time from admission to the first token.
  prefill_ms_per_token [--prefill-ms-per-token]: adds ``prompt_tokens * this`` to TTFT.
  itl_ms [--itl-ms]: time between two tokens of one sequence with one sequence running.
  batch_slowdown [--batch-slowdown]: a decode step takes
      ``itl_ms * (1 + batch_slowdown * (running - 1) / max_num_seqs)``; 0 keeps ITL exact.
  jitter_ms [--jitter-ms]: each gap (TTFT included) moves by a seeded uniform draw in
      ``[-jitter_ms, +jitter_ms]``, never below 0.

Capacity
  max_num_seqs [--max-num-seqs]: sequences decoded at once; the rest wait in a FIFO queue.
  kv_capacity_tokens [--kv-capacity-tokens]: KV cache size in tokens. A sequence reserves
      prompt + planned output tokens at admission; a request that does not fit waits.

Output
  output_tokens [--output-tokens]: mean generated length when a request gives no max_tokens;
      the length is drawn uniformly from ``[ceil(0.5 * this), floor(1.5 * this)]``.
  seed [--seed]: seeds every random choice (lengths, words, faults, golden answers, jitter).

Faults (each an independent probability per request)
  error_rate, rate_limit_rate, stall_rate (+ stall_ms), truncate_rate, malformed_rate,
  reset_rate, midstream_error_rate [--error-rate ...]: see ``harness.sim.faults``.

Golden and drift
  golden_files [--golden FILE, repeatable]: golden JSONL sets the simulator answers.
  golden_accuracy [--golden-accuracy P]: probability of answering a golden item correctly.
  golden_accuracy_by_tag [--golden-accuracy-tag TAG=P, repeatable]: per-tag overrides.
  drift_profile [--drift-profile NAME]: a profile from ``harness.sim.profiles``.

Record
  request_log [--request-log FILE]: append one JSON line per generation request received
      (``received_at`` epoch seconds, ``key``: the last user message or the prompt), so a
      test can see exactly what a client sent and in which order; empty: no log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from harness.sim.profiles import PROFILES


class SimConfigError(ValueError):
    """A setting the user gave is invalid; the message is one line naming the field and the fix."""


_RATE_FIELDS = (
    "error_rate",
    "rate_limit_rate",
    "stall_rate",
    "truncate_rate",
    "malformed_rate",
    "reset_rate",
    "midstream_error_rate",
    "golden_accuracy",
)
_NON_NEGATIVE_FIELDS = (
    "ttft_ms",
    "itl_ms",
    "prefill_ms_per_token",
    "batch_slowdown",
    "jitter_ms",
    "stall_ms",
)
_POSITIVE_INT_FIELDS = ("max_num_seqs", "kv_capacity_tokens", "output_tokens")


@dataclass(frozen=True, slots=True)
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 0
    model: str = "sim-model"
    api_key: str | None = None
    ttft_ms: float = 200.0
    itl_ms: float = 20.0
    prefill_ms_per_token: float = 0.0
    batch_slowdown: float = 0.0
    jitter_ms: float = 0.0
    max_num_seqs: int = 256
    kv_capacity_tokens: int = 10_000_000
    output_tokens: int = 64
    seed: int = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    stall_rate: float = 0.0
    stall_ms: float = 1000.0
    truncate_rate: float = 0.0
    malformed_rate: float = 0.0
    reset_rate: float = 0.0
    midstream_error_rate: float = 0.0
    golden_files: tuple[str, ...] = ()
    golden_accuracy: float = 1.0
    golden_accuracy_by_tag: dict[str, float] = field(default_factory=dict)
    drift_profile: str = "none"
    request_log: str = ""

    def __post_init__(self) -> None:
        for name in _RATE_FIELDS:
            _check_probability(name, getattr(self, name))
        for tag, p in self.golden_accuracy_by_tag.items():
            _check_probability(f"golden_accuracy_by_tag[{tag!r}]", p)
        for name in _NON_NEGATIVE_FIELDS:
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise SimConfigError(f"sim config: {name} = {value!r}; use a number >= 0")
        for name in _POSITIVE_INT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise SimConfigError(f"sim config: {name} = {value!r}; use an integer >= 1")
        if not 0 <= self.port <= 65535:
            raise SimConfigError(f"sim config: port = {self.port}; use 0 (any free port) to 65535")
        if self.drift_profile not in PROFILES:
            raise SimConfigError(
                f"sim config: drift_profile = {self.drift_profile!r}; use one of {', '.join(PROFILES)}"
            )
        if self.api_key == "":
            raise SimConfigError("sim config: api_key is empty; unset it or give a non-empty key")


def _check_probability(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise SimConfigError(f"sim config: {name} = {value!r}; use a probability between 0 and 1")


SIM_CONFIG_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SimConfig))
