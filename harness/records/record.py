"""The per-request record: what one request to the endpoint measured.

Every load driver produces these; every later stage (store, analysis, publish,
drift) consumes them. Times are wall-clock epoch seconds (``*_at``) or
durations in seconds (``*_s``) measured on a monotonic clock from ``t0``, the
moment the request was handed to the socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.protocol.clock import CLOCK_ID
from harness.protocol.parsed import ParsedResponse

# Phases of a run: only "measure" counts towards the summary.
PHASE_WARMUP = "warmup"
PHASE_MEASURE = "measure"
PHASE_COOLDOWN = "cooldown"

# Where N_out / N_in came from, best first.
TOKEN_SOURCE_USAGE = "usage"
TOKEN_SOURCE_TOKENIZER = "tokenizer"
TOKEN_SOURCE_CHUNKS = "chunks"


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    scenario: str
    worker: str = "local"
    phase: str = PHASE_MEASURE
    api: str = "chat"
    # Open-loop arrivals: when the schedule wanted the request sent (epoch s); None for closed loop.
    intended_at: float | None = None
    sent_at: float = 0.0  # epoch seconds at t0
    schedule_lag_s: float | None = None  # sent_at - intended_at
    ttft_s: float | None = None  # first chunk with generated content (text or reasoning)
    ttfc_s: float | None = None  # first chunk with non-reasoning content
    e2e_s: float | None = None  # last byte of the response
    # Gaps between consecutive content-bearing chunks (the ITL samples of this request).
    chunk_gaps_s: list[float] = field(default_factory=list)
    n_content_chunks: int = 0
    n_in: int | None = None
    n_out: int | None = None
    token_source: str = TOKEN_SOURCE_CHUNKS
    # The endpoint tokenizer's count of the output beside usage, to report how often the two disagree.
    n_out_alt: int | None = None
    status_code: int | None = None
    ok: bool = False
    error_kind: str | None = None
    error_detail: str | None = None
    finish_reason: str | None = None
    concurrency_at_send: int = 0  # requests in flight in this worker when this one was sent
    prompt_id: str | None = None
    output_text: str | None = None
    # Ground truth reported by the simulator (header x-sim-ttft-ms etc.), for measuring timing error.
    truth_ttft_s: float | None = None
    truth_e2e_s: float | None = None
    # Dimensions of the run the request belongs to; every summary block is a filter on them.
    stage: str | None = None  # the load stage it was sent in (steps, sweeps, capacity probes)
    target: str | None = None  # the named endpoint it was sent to (runs over several targets)
    repeat: int | None = None  # index of the repetition within `run --repeat`
    # Shared by the copies of one request fanned out to several targets: answers pair by it.
    pair_id: str | None = None
    # Multi-turn sessions: the session the request belongs to and its turn (1 = the first).
    session_id: str | None = None
    turn: int | None = None
    # Sends that failed on a reused keep-alive connection the server had closed before seeing
    # them, and were sent again on a fresh connection (not endpoint errors).
    stale_retries: int = 0
    # Prompt tokens the server served from its prefix cache (usage.prompt_tokens_details), when it says.
    cached_tokens: int | None = None

    @property
    def tpot_s(self) -> float | None:
        """Time per output token: (E2E − TTFT) / (N_out − 1), defined only for N_out ≥ 2.

        ``harness.analysis.metrics.tpot_s`` is the same formula over a frame of records.
        """
        if self.ttft_s is None or self.e2e_s is None or self.n_out is None or self.n_out < 2:
            return None
        return (self.e2e_s - self.ttft_s) / (self.n_out - 1)

    def apply_response(self, p: ParsedResponse, sent_clock: float | None = None) -> None:
        """Fill timings, tokens, text and outcome from a parsed response; ``sent_clock``: when the
        request was written, on this machine's monotonic clock (``time.perf_counter``)."""
        self.ttft_s, self.ttfc_s, self.e2e_s = p.ttft_s, p.ttfc_s, p.e2e_s
        self.chunk_gaps_s = list(p.chunk_gaps_s)
        self.n_content_chunks = p.n_content_chunks
        self.finish_reason = p.finish_reason
        self.output_text = p.text
        self.n_in = p.prompt_tokens
        self.cached_tokens = p.cached_tokens
        if p.completion_tokens is not None:
            self.n_out, self.token_source = p.completion_tokens, TOKEN_SOURCE_USAGE
        elif p.n_content_chunks:
            self.n_out, self.token_source = p.n_content_chunks, TOKEN_SOURCE_CHUNKS
        truth = p.extra.get("sim")  # the simulator's own timings of this request
        if isinstance(truth, dict):
            self.truth_ttft_s, self.truth_e2e_s = _truth(truth, sent_clock)
        self.error_kind, self.error_detail = p.error_kind, p.error_detail
        self.ok = p.error_kind is None

    def to_row(self) -> dict[str, Any]:
        """The record as a plain dict (shallow: the gap list is shared, not copied)."""
        return {name: getattr(self, name) for name in RECORD_FIELDS}


RECORD_FIELDS: tuple[str, ...] = tuple(RequestRecord.__dataclass_fields__)


def _truth(sim: dict[str, Any], sent_clock: float | None) -> tuple[float | None, float | None]:
    """The simulator's ground-truth TTFT and E2E of a request, in seconds.

    On the machine the simulator runs on (same clock id), from the client's own send time to the
    simulator's first and last token writes: what the client should have measured. Elsewhere,
    from the simulator's receipt of the request (its own clock only)."""
    if sent_clock is not None and CLOCK_ID is not None and sim.get("clock") == CLOCK_ID:
        try:
            return float(sim["first_token_at"]) - sent_clock, float(sim["last_token_at"]) - sent_clock
        except (KeyError, TypeError, ValueError):
            pass
    ttft, e2e = sim.get("ttft_ms"), sim.get("e2e_ms")
    return (
        float(ttft) / 1000.0 if ttft is not None else None,
        float(e2e) / 1000.0 if e2e is not None else None,
    )
