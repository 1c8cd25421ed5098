"""Live progress of a load run: requests/s, output tokens/s, p50/p95 TTFT, errors, time left.

A record sink keeps running counters and a short window of recent TTFTs; the display
renders them on stderr (a live panel on a terminal, a plain line every few seconds
otherwise, so CI logs stay readable).
"""

from __future__ import annotations

import sys
import time
from collections import deque

import numpy as np
from rich.console import Console
from rich.live import Live
from rich.table import Table

from harness.records.record import RequestRecord

WINDOW_S = 10.0
PLAIN_EVERY_S = 5.0


class ProgressStats:
    """Counters fed by every record as it completes."""

    def __init__(self) -> None:
        self.completed = 0
        self.errors = 0
        self.output_tokens = 0
        self.errors_by_kind: dict[str, int] = {}
        self._recent: deque[tuple[float, float | None, int]] = deque()  # (done_at, ttft_s, n_out)
        self._first_sent: float | None = None

    def __call__(self, rec: RequestRecord) -> None:
        done_at = rec.sent_at + (rec.e2e_s or 0.0)
        if self._first_sent is None or rec.sent_at < self._first_sent:
            self._first_sent = rec.sent_at
        if rec.ok:
            self.completed += 1
            self.output_tokens += rec.n_out or 0
            self._recent.append((done_at, rec.ttft_s, rec.n_out or 0))
        else:
            self.errors += 1
            kind = rec.error_kind or "unknown"
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1

    def recent(self, now: float) -> tuple[float, float, float | None, float | None]:
        """(requests/s, output tokens/s, p50 TTFT ms, p95 TTFT ms) over the last WINDOW_S."""
        while self._recent and self._recent[0][0] < now - WINDOW_S:
            self._recent.popleft()
        if not self._recent:
            return 0.0, 0.0, None, None
        ttfts = np.array([t for _, t, _ in self._recent if t is not None]) * 1000.0
        tokens = sum(n for _, _, n in self._recent)
        p50, p95 = np.percentile(ttfts, [50, 95]) if ttfts.size else (None, None)
        # Early in a run the window is shorter than WINDOW_S: rates over the time actually seen.
        span = min(WINDOW_S, max(now - (self._first_sent or now), 1e-3))
        return len(self._recent) / span, tokens / span, _f(p50), _f(p95)


def _f(x: object) -> float | None:
    return None if x is None else float(x)  # type: ignore[arg-type]


class ProgressDisplay:
    def __init__(self, stats: ProgressStats, scenario: str, duration_s: float, quiet: bool = False) -> None:
        self.stats = stats
        self.scenario = scenario
        self.duration_s = duration_s
        self.quiet = quiet
        self.console = Console(file=sys.stderr)
        self._live: Live | None = None
        self._last_plain = 0.0

    def __enter__(self) -> ProgressDisplay:
        if not self.quiet and self.console.is_terminal:
            self._live = Live(self._table(0.0), console=self.console, auto_refresh=False, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def tick(self, elapsed: float) -> None:
        if self.quiet:
            return
        if self._live is not None:
            self._live.update(self._table(elapsed), refresh=True)
            return
        now = time.monotonic()
        if now - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = now
            self.console.print(self._line(elapsed), highlight=False, markup=False, soft_wrap=True)

    def _numbers(self, elapsed: float) -> dict[str, str]:
        rps, tps, p50, p95 = self.stats.recent(time.time())
        left = max(self.duration_s - elapsed, 0.0)
        return {
            "elapsed": f"{elapsed:5.0f}s",
            "left": f"{left:5.0f}s",
            "req/s": f"{rps:.1f}",
            "out tok/s": f"{tps:.0f}",
            "TTFT p50": "-" if p50 is None else f"{p50:.0f} ms",
            "TTFT p95": "-" if p95 is None else f"{p95:.0f} ms",
            "done": str(self.stats.completed),
            "errors": str(self.stats.errors),
        }

    def _line(self, elapsed: float) -> str:
        n = self._numbers(elapsed)
        return f"[{self.scenario}] " + "  ".join(f"{k} {v}" for k, v in n.items())

    def _table(self, elapsed: float) -> Table:
        table = Table(title=f"slm-harness · {self.scenario}", show_header=True)
        n = self._numbers(elapsed)
        for key in n:
            table.add_column(key, justify="right")
        table.add_row(*n.values())
        return table
