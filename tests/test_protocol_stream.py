"""StreamParser: timings, content accounting and error classification of streamed responses."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from harness.protocol import ParsedResponse, StreamParser, errors


def event(obj: Any) -> bytes:
    return f"data: {obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)}\n\n".encode()


def delta(finish: str | None = None, **fields: Any) -> bytes:
    return event(
        {
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": fields, "finish_reason": finish}],
        }
    )


def usage(prompt: int, completion: int, **top: Any) -> bytes:
    return event({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion}, **top})


DONE = event("[DONE]")


def run(timed: list[tuple[float, bytes]], t_end: float, clean_eof: bool = True) -> ParsedResponse:
    parser = StreamParser()
    for t, data in timed:
        parser.feed(data, t)
    return parser.close(t_end, clean_eof)


def test_timings_are_the_arrival_times_of_content_chunks() -> None:
    result = run(
        [
            (0.050, delta(role="assistant", content="")),  # role chunk: no content
            (0.120, delta(content="A")),
            (0.135, delta(content="B")),
            (0.135, b": keep-alive\n\n"),
            (0.180, delta(content="C")),
            (0.250, delta(content="D")),
            (0.260, delta("stop", content="")),
            (0.261, usage(10, 4)),
            (0.262, DONE),
        ],
        t_end=0.263,
    )
    assert result.ok
    assert result.ttft_s == 0.120
    assert result.ttfc_s == 0.120
    assert result.e2e_s == 0.263
    assert result.content_times_s == [0.120, 0.135, 0.180, 0.250]
    assert result.chunk_gaps_s == pytest.approx([0.015, 0.045, 0.070], abs=1e-12)
    assert result.chunk_gaps_s == np.diff(result.content_times_s).tolist()
    assert result.n_content_chunks == 4
    assert (result.prompt_tokens, result.completion_tokens) == (10, 4)


def test_reasoning_sets_ttft_and_content_sets_ttfc() -> None:
    result = run(
        [
            (0.10, delta(reasoning_content="Think")),
            (0.20, delta(reasoning_content="ing")),
            (0.45, delta(content="Answer")),
            (0.50, delta("stop", content="!")),
            (0.51, DONE),
        ],
        t_end=0.52,
    )
    assert (result.ttft_s, result.ttfc_s) == (0.10, 0.45)
    assert result.content_times_s == [0.10, 0.20, 0.45, 0.50]
    assert (result.reasoning_text, result.text) == ("Thinking", "Answer!")
    assert result.ok and result.completion_tokens is None


def test_events_in_one_piece_share_its_arrival_time() -> None:
    result = run(
        [(0.3, delta(content="a") + delta(content="b")), (0.4, delta("stop", content="c") + DONE)], 0.4
    )
    assert result.content_times_s == [0.3, 0.3, 0.4]
    assert result.chunk_gaps_s == [0.0, pytest.approx(0.1)]


def test_event_split_across_pieces_is_timed_by_its_last_byte() -> None:
    data = delta(content="late")
    result = run([(0.1, data[:10]), (0.7, data[10:] + delta("stop") + DONE)], 0.8)
    assert result.ttft_s == 0.7


def test_done_without_finish_reason_is_complete() -> None:
    result = run([(0.1, delta(content="x")), (0.2, DONE)], 0.2)
    assert result.ok and result.done_seen and result.finish_reason is None


def test_finish_reason_without_done_is_complete_but_not_done() -> None:
    result = run([(0.1, delta(content="x")), (0.2, delta("length"))], 0.3)
    assert result.ok and not result.done_seen and result.finish_reason == "length"


@pytest.mark.parametrize(("clean_eof", "kind"), [(True, errors.TRUNCATED), (False, errors.RESET)])
def test_stream_cut_before_the_end(clean_eof: bool, kind: str) -> None:
    result = run([(0.1, delta(content="x")), (0.2, delta(content="y"))], 0.9, clean_eof=clean_eof)
    assert result.error_kind == kind and not result.ok
    assert result.error_detail is not None and "after 2 content chunks" in result.error_detail
    assert (result.text, result.e2e_s, result.content_times_s) == ("xy", 0.9, [0.1, 0.2])


def test_nothing_received_at_all_is_truncated() -> None:
    assert run([], 0.5).error_kind == errors.TRUNCATED


def test_complete_stream_without_content_is_empty() -> None:
    result = run([(0.1, delta(role="assistant", content="")), (0.2, delta("stop")), (0.3, DONE)], 0.3)
    assert result.error_kind == errors.EMPTY
    assert result.ttft_s is None and result.n_content_chunks == 0


def test_error_object_is_a_stream_error_with_its_message() -> None:
    long_message = "upstream failure " + "x" * 500
    result = run(
        [(0.1, delta(content="x")), (0.2, event({"error": {"message": long_message, "code": 500}}))], 0.3
    )
    assert result.error_kind == errors.STREAM_ERROR
    assert result.error_detail is not None
    assert result.error_detail.startswith("upstream failure xxx") and len(result.error_detail) == 200


def test_error_as_plain_string_and_old_vllm_error_response() -> None:
    assert run([(0.1, event({"error": "model overloaded"}))], 0.1).error_detail == "model overloaded"
    old = run([(0.1, event({"object": "error", "message": "bad\nrequest", "code": 400}))], 0.1)
    assert (old.error_kind, old.error_detail) == (errors.STREAM_ERROR, "bad request")


def test_first_error_wins_and_parsing_goes_on() -> None:
    result = run(
        [
            (0.1, delta(content="a")),
            (0.2, event("{truncated json")),
            (0.3, event({"error": {"message": "later"}})),
            (0.4, delta("stop", content="b")),
            (0.5, usage(3, 2)),
            (0.6, DONE),
        ],
        0.6,
    )
    assert result.error_kind == errors.MALFORMED
    assert result.error_detail == "stream chunk is not JSON: '{truncated json'"
    assert (result.text, result.completion_tokens, result.done_seen) == ("ab", 2, True)


@pytest.mark.parametrize(
    "payload",
    ["[1, 2]", '{"choices": "abc"}', '{"choices": [{"delta": {"content": 5}}]}', '{"usage": [1]}'],
)
def test_json_of_the_wrong_shape_is_malformed(payload: str) -> None:
    result = run([(0.1, event(payload)), (0.2, delta("stop", content="ok")), (0.3, DONE)], 0.3)
    assert result.error_kind == errors.MALFORMED
    assert result.text == "ok"


def test_invalid_utf8_is_malformed() -> None:
    result = run([(0.1, b'data: {"choices":[{"delta":{"content":"\xc3"}}]}\n\n'), (0.2, DONE)], 0.2)
    assert result.error_kind == errors.MALFORMED
    assert result.error_detail == "stream event data is not valid UTF-8"


def test_multibyte_character_split_between_pieces() -> None:
    data = delta("stop", content="€") + DONE
    cut = data.index("€".encode()) + 1  # between the first and second byte of the 3-byte sign
    result = run([(0.1, data[:cut]), (0.2, data[cut:])], 0.2)
    assert result.ok and result.text == "€" and result.ttft_s == 0.2


def test_completions_chunks_count_as_content() -> None:
    result = run(
        [
            (
                0.2,
                event(
                    {
                        "object": "text_completion",
                        "choices": [{"index": 0, "text": "Hi", "finish_reason": None}],
                    }
                ),
            ),
            (0.3, event({"choices": [{"index": 0, "text": "!", "finish_reason": "length"}]})),
            (0.4, usage(2, 2)),
            (0.4, DONE),
        ],
        0.4,
    )
    assert (result.ttft_s, result.ttfc_s, result.text, result.finish_reason) == (0.2, 0.2, "Hi!", "length")


def test_usage_on_last_choice_chunk_and_extras() -> None:
    last = event(
        {
            "id": "x",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
            "timings": {"predicted_ms": 5.0},
            "sim": {"ttft_ms": 12.5},
        }
    )
    result = run([(0.1, delta(content="x", usage=None)), (0.2, last), (0.3, DONE)], 0.3)
    assert (result.prompt_tokens, result.completion_tokens) == (3, 1)
    assert result.extra == {"timings": {"predicted_ms": 5.0}, "sim": {"ttft_ms": 12.5}}


def test_usage_null_on_later_chunks_keeps_the_counts() -> None:
    later = event({"choices": [], "usage": None})
    result = run([(0.1, delta("stop", content="x")), (0.2, usage(4, 1)), (0.3, later), (0.4, DONE)], 0.4)
    assert (result.prompt_tokens, result.completion_tokens) == (4, 1)
