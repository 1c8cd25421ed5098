"""Incremental Server-Sent Events decoder (the wire framing of streamed OpenAI responses).

Bytes arrive in arbitrary pieces; `SSEDecoder.feed` returns the `data` payload of every event
completed by those bytes. Framing follows the WHATWG event-stream rules: lines end in CRLF, LF
or CR; a blank line dispatches the event; several `data:` lines join with "\\n"; comment lines
(`: keep-alive`) and the `event`, `id` and `retry` fields are ignored. Unlike a browser,
`flush` also dispatches a final event that lacks its closing blank line, because some servers
end the stream right after `data: [DONE]`.
"""

from __future__ import annotations

_LINE_BREAKS = (b"\n", b"\r")


class SSEDecoder:
    """Turns a byte stream into event data payloads.

    Each data line is decoded as strict UTF-8 once it is complete, so a multi-byte character
    split across `feed` calls is fine. An event whose data holds invalid UTF-8 comes out as
    ``None`` in place of its payload, so the caller can count it as malformed and go on.
    """

    __slots__ = ("_buf", "_data", "_invalid", "_skip_lf")

    def __init__(self) -> None:
        # Pieces of the line not yet terminated, joined once its end arrives: a long line
        # (a huge chunk) arriving in many pieces costs time linear in its length.
        self._buf: list[bytes] = []
        self._data: list[str] = []  # data lines of the event being built
        self._invalid = False  # the event being built had a data line that is not UTF-8
        self._skip_lf = False  # the last piece ended in CR: a LF opening the next one ends no line

    def feed(self, data: bytes) -> list[str | None]:
        """Consume the next piece of the stream; return the payloads of the events it completed."""
        pending = self._buf or self._data or self._invalid or self._skip_lf
        if not pending and data.endswith(b"\n\n") and b"\r" not in data:
            return self._whole_events(data)
        if self._skip_lf and data:
            self._skip_lf = False
            if data[0] == 0x0A:
                data = data[1:]
        if b"\n" not in data and b"\r" not in data:
            # No line ends here: most pieces of a long line take this cheap path.
            if data:
                self._buf.append(data)
            return []
        if self._buf:
            self._buf.append(data)
            data = b"".join(self._buf)
        lines = data.splitlines(keepends=True)
        last = lines[-1]
        if last.endswith(_LINE_BREAKS):
            self._buf = []
            self._skip_lf = last.endswith(b"\r")
        else:
            self._buf = [lines.pop()]
        events: list[str | None] = []
        for line in lines:
            self._line(line.rstrip(b"\r\n"), events)
        return events

    def _whole_events(self, data: bytes) -> list[str | None]:
        """Whole events and nothing pending, as servers send them: an event of one ``data: ``
        line is its payload at once; any other goes through the line rules."""
        events: list[str | None] = []
        for block in data[:-2].split(b"\n\n"):
            if block.startswith(b"data: ") and b"\n" not in block:
                try:
                    events.append(block[6:].decode("utf-8"))
                except UnicodeDecodeError:
                    events.append(None)
                continue
            for line in block.split(b"\n"):
                self._line(line, events)
            self._line(b"", events)
        return events

    def flush(self) -> list[str | None]:
        """End of stream: process an unterminated last line and dispatch a pending event."""
        events: list[str | None] = []
        if self._buf:
            self._line(b"".join(self._buf), events)
            self._buf = []
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[str | None]) -> None:
        if not line:
            if self._data or self._invalid:
                events.append(None if self._invalid else "\n".join(self._data))
                self._data = []
                self._invalid = False
            return
        # Field names are ASCII, so the line is split on bytes and only data values get decoded.
        name, colon, value = line.partition(b":")
        if name != b"data":
            return  # a comment (empty name), or a field that carries nothing we need
        if colon and value[:1] == b" ":
            value = value[1:]
        try:
            self._data.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            self._invalid = True
