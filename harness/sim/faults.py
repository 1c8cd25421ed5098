"""Fault injection: which faults a request gets, drawn from the server's seeded RNG.

Every request draws one number per fault kind, always in the same order, so a given seed and
request order give the same faults whatever the rates. Each rate is an independent probability.

HTTP faults answer at once, before any queueing:
  ``error``      HTTP 500 with an OpenAI error body.
  ``rate_limit`` HTTP 429 with ``Retry-After: 1``.
When both fire, ``error`` wins; either one cancels every stream fault.

Stream faults act after half the tokens (``n_out // 2``) have been sent (non-streaming requests
get the equivalent on the JSON body):
  ``stall``          pause ``stall_ms`` before the next token (the rest of the stream shifts).
  ``malformed``      send one ``data:`` line that is not JSON, then carry on normally.
  ``reset``          abort the TCP connection (RST).
  ``truncate``       end the HTTP body cleanly with no finish_reason and no ``[DONE]``.
  ``midstream_error`` send ``data: {"error": {...}}`` then ``data: [DONE]``, as vLLM does.
Stall and malformed combine with the others; of reset, truncate and midstream_error the first in
that order wins. Only faults that actually apply are counted in ``sim_faults_injected_total``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from harness.sim.config import SimConfig

ERROR = "error"
RATE_LIMIT = "rate_limit"
STALL = "stall"
MALFORMED = "malformed"
RESET = "reset"
TRUNCATE = "truncate"
MIDSTREAM_ERROR = "midstream_error"

FAULT_KINDS: tuple[str, ...] = (ERROR, RATE_LIMIT, STALL, MALFORMED, RESET, TRUNCATE, MIDSTREAM_ERROR)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    http: str | None = None  # ERROR or RATE_LIMIT: answer with an HTTP error instead of generating
    stall: bool = False
    malformed: bool = False
    ending: str | None = None  # RESET, TRUNCATE or MIDSTREAM_ERROR: how the stream ends early

    def kinds(self) -> tuple[str, ...]:
        """The fault kinds this plan applies, for counting."""
        if self.http is not None:
            return (self.http,)
        applied = [kind for kind, on in ((STALL, self.stall), (MALFORMED, self.malformed)) if on]
        if self.ending is not None:
            applied.append(self.ending)
        return tuple(applied)


NO_FAULTS = FaultPlan()


def draw_faults(cfg: SimConfig, rng: random.Random) -> FaultPlan:
    hits = {
        kind: rng.random() < rate
        for kind, rate in (
            (ERROR, cfg.error_rate),
            (RATE_LIMIT, cfg.rate_limit_rate),
            (STALL, cfg.stall_rate),
            (MALFORMED, cfg.malformed_rate),
            (RESET, cfg.reset_rate),
            (TRUNCATE, cfg.truncate_rate),
            (MIDSTREAM_ERROR, cfg.midstream_error_rate),
        )
    }
    if hits[ERROR] or hits[RATE_LIMIT]:
        return FaultPlan(http=ERROR if hits[ERROR] else RATE_LIMIT)
    ending = next((kind for kind in (RESET, TRUNCATE, MIDSTREAM_ERROR) if hits[kind]), None)
    if not (hits[STALL] or hits[MALFORMED] or ending):
        return NO_FAULTS
    return FaultPlan(stall=hits[STALL], malformed=hits[MALFORMED], ending=ending)
