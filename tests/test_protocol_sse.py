"""SSEDecoder: event framing across arbitrary byte boundaries."""

from __future__ import annotations

import pytest

from harness.protocol.sse import SSEDecoder


def decode(*pieces: bytes) -> list[str | None]:
    decoder = SSEDecoder()
    out: list[str | None] = []
    for piece in pieces:
        out += decoder.feed(piece)
    return out + decoder.flush()


@pytest.mark.parametrize("nl", [b"\n", b"\r\n", b"\r"])
def test_line_endings(nl: bytes) -> None:
    body = b"data: one" + nl + nl + b"data: two" + nl + nl
    assert decode(body) == ["one", "two"]
    assert decode(*(body[i : i + 1] for i in range(len(body)))) == ["one", "two"]


def test_crlf_split_between_pieces_ends_one_line_only() -> None:
    # A CR at the end of one piece and the LF opening the next are one line end, not two:
    # read as two, the blank line would dispatch "a" before "b" is appended.
    assert decode(b"data: a\r", b"\ndata: b\r\n\r\n") == ["a\nb"]


def test_events_are_returned_as_soon_as_they_complete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n") == []
    assert decoder.feed(b"\ndata: y") == ["x"]
    assert decoder.feed(b"\n\n") == ["y"]
    assert decoder.flush() == []


def test_multi_line_data_joined_with_newline() -> None:
    assert decode(b"data: first\ndata:second\ndata:  third\n\n") == ["first\nsecond\n third"]


def test_comments_and_other_fields_are_ignored() -> None:
    body = b": keep-alive\n\nevent: delta\nid: 7\nretry: 100\ndata: payload\nfoo: bar\n\n:\n\n"
    assert decode(body) == ["payload"]


def test_field_without_colon_and_empty_data() -> None:
    assert decode(b"data\n\ndata:\n\n") == ["", ""]


def test_final_event_without_blank_line_is_dispatched_at_flush() -> None:
    assert decode(b"data: a\n\ndata: [DONE]") == ["a", "[DONE]"]
    assert decode(b"data: a\n\ndata: [DONE]\n") == ["a", "[DONE]"]


def test_multibyte_utf8_split_inside_a_character() -> None:
    body = "data: 🌍 日\n\n".encode()
    for cut in range(len(body)):
        assert decode(body[:cut], body[cut:]) == ["🌍 日"]


def test_invalid_utf8_marks_only_its_event() -> None:
    assert decode(b"data: ok\n\ndata: \xff\xfe\ndata: more\n\ndata: fine\n\n") == ["ok", None, "fine"]


def test_invalid_utf8_outside_data_is_ignored() -> None:
    assert decode(b": \xff comment\nid: \xfe\ndata: x\n\n") == ["x"]


def test_whole_events_at_once_decode_as_byte_by_byte() -> None:
    """Pieces that end on an event boundary take a shorter path: it decodes what the line rules
    decode, for plain data events and for every other kind of event among them."""
    stream = (
        b'data: {"a":1}\n\n'
        b": keep-alive\n\n"
        b"data: one\ndata: two\n\n"
        b"data:no-space\n\n"
        b"event: ping\nid: 7\n\n"
        b"data: \n\n"
        b"data: \xff\xfe\n\n"
        b"data: caf\xc3\xa9\n\n"
        b"data: [DONE]\n\n"
    )
    whole = SSEDecoder().feed(stream)
    byte_by_byte = SSEDecoder()
    single = [event for i in range(len(stream)) for event in byte_by_byte.feed(stream[i : i + 1])]
    assert whole == single == ['{"a":1}', "one\ntwo", "no-space", "", None, "café", "[DONE]"]
