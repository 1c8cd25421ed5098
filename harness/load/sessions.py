"""Multi-turn sessions: a closed-loop user holds one conversation at a time.

Each turn sends the whole conversation so far, with the server's actual answers to the earlier
turns, after the turn's think time; so the prompt of turn k is the prompt of turn k-1, its
answer and the new user message (plus the chat template's tokens around them). Sessions, not
requests, are the unit of concurrency: a profile's users are concurrent sessions. A turn that
fails ends its session (there is no answer to go on from), and no turn starts after the run's
end. Every request is labelled with its session and turn (``RequestRecord.session_id``/``turn``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent

from harness.load.context import LoadContext
from harness.protocol import PromptItem
from harness.records.record import RequestRecord
from harness.workload.conversations import Conversation

Label = tuple[str, int]  # (session id, turn; 1 = the first)
Send = Callable[[PromptItem, Label], RequestRecord]


def run_session(ctx: LoadContext, conversation: Conversation, send: Send) -> RequestRecord | None:
    """Run one conversation to its end (or the run's); returns the last turn's record (None when
    no turn was sent)."""
    session_id = ctx.next_session_id()
    history: list[dict[str, Any]] = []
    if conversation.system is not None:
        history.append({"role": "system", "content": conversation.system})
    last: RequestRecord | None = None
    for number, turn in enumerate(conversation.turns, start=1):
        if number > 1 and turn.think_s > 0:
            gevent.sleep(turn.think_s)
        if not ctx.may_start_next():
            break
        history.append({"role": "user", "content": turn.user})
        item = PromptItem(
            id=f"{conversation.id}/{number}", messages=list(history), expected_output_tokens=turn.max_tokens
        )
        last = send(item, (session_id, number))
        if not last.ok:
            break
        history.append({"role": "assistant", "content": last.output_text or ""})
    return last
