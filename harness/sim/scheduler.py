"""Admission control of the continuous-batching model: running slots, KV cache and the waiting queue.

A sequence is admitted when fewer than ``max_num_seqs`` sequences run and its KV reservation
(prompt + planned output tokens) fits in what is free; otherwise it waits in a FIFO queue. The
queue is strict FIFO (no sequence overtakes the head), as vLLM's default scheduling policy.
Each admitted sequence then times its own tokens from its admission instant (see ``stream``),
so one sequence's timing never depends on when another one's coroutine happens to run.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Scheduler:
    def __init__(self, max_num_seqs: int, kv_capacity_tokens: int) -> None:
        self.max_num_seqs = max_num_seqs
        self.kv_capacity_tokens = kv_capacity_tokens
        self.running = 0
        self.kv_used = 0
        self._waiting: deque[tuple[int, asyncio.Future[float]]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def kv_usage(self) -> float:
        return self.kv_used / self.kv_capacity_tokens

    def fits_at_all(self, kv_tokens: int) -> bool:
        return kv_tokens <= self.kv_capacity_tokens

    async def admit(self, kv_tokens: int) -> float:
        """Wait for a running slot and ``kv_tokens`` of KV cache; return the admission time (loop clock).

        The caller must call ``release(kv_tokens)`` once the sequence ends, however it ends.
        """
        loop = asyncio.get_running_loop()
        if not self._waiting and self._fits(kv_tokens):
            self._take(kv_tokens)
            return loop.time()
        entry = (kv_tokens, loop.create_future())
        self._waiting.append(entry)
        try:
            # The admission time is stamped by release(), not when this coroutine resumes.
            return await entry[1]
        except asyncio.CancelledError:
            if entry[1].done() and not entry[1].cancelled():
                self.release(kv_tokens)
            else:
                self._waiting.remove(entry)
                self._admit_waiting()
            raise

    def release(self, kv_tokens: int) -> None:
        self.running -= 1
        self.kv_used -= kv_tokens
        self._admit_waiting()

    def _fits(self, kv_tokens: int) -> bool:
        return self.running < self.max_num_seqs and self.kv_used + kv_tokens <= self.kv_capacity_tokens

    def _take(self, kv_tokens: int) -> None:
        self.running += 1
        self.kv_used += kv_tokens

    def _admit_waiting(self) -> None:
        now = asyncio.get_running_loop().time()
        while self._waiting and self._fits(self._waiting[0][0]):
            kv_tokens, future = self._waiting.popleft()
            self._take(kv_tokens)
            future.set_result(now)
