"""Recorded and hand-made response streams, parsed whole and cut at every byte boundary."""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from harness.protocol import ParsedResponse, StreamParser

STREAMS = Path(__file__).parent / "fixtures" / "streams"
SYNTHETIC = sorted((STREAMS / "synthetic").glob("*.sse"))
CAPTURED = sorted(p for server in ("vllm", "llamacpp") for p in (STREAMS / server).glob("*.sse"))
TIMING_FIELDS = ("ttft_s", "ttfc_s", "e2e_s", "content_times_s", "chunk_gaps_s")


def parse(pieces: list[bytes]) -> ParsedResponse:
    parser = StreamParser()
    for i, piece in enumerate(pieces):
        parser.feed(piece, float(i))
    return parser.close(float(len(pieces)))


def facts(result: ParsedResponse) -> dict[str, Any]:
    """Everything but the timings, which depend on how the body was cut."""
    return {k: v for k, v in asdict(result).items() if k not in TIMING_FIELDS}


def sidecar(sse: Path) -> dict[str, Any]:
    path = sse.with_suffix(".json")
    return json.loads(path.read_text()) if path.exists() else {}


def test_synthetic_fixtures_present() -> None:
    assert len(SYNTHETIC) >= 18


@pytest.mark.parametrize("path", SYNTHETIC, ids=lambda p: p.stem)
def test_synthetic_stream_matches_its_expectations(path: Path) -> None:
    result = parse([path.read_bytes()])
    expect = sidecar(path)["expect"]
    assert {k: getattr(result, k) for k in expect} == expect
    assert result.ok == (expect["error_kind"] is None)


@pytest.mark.parametrize("path", SYNTHETIC, ids=lambda p: p.stem)
def test_every_cut_gives_the_same_result(path: Path) -> None:
    body = path.read_bytes()
    whole = facts(parse([body]))
    for cut in range(1, len(body)):
        assert facts(parse([body[:cut], body[cut:]])) == whole, f"cut at byte {cut}"
    assert facts(parse([body[i : i + 1] for i in range(len(body))])) == whole
    rng = random.Random(7)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(body)), 6))
        pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        assert facts(parse(pieces)) == whole, f"cuts at {cuts}"


def capture_meta(sse: Path) -> dict[str, Any]:
    """The capture's sidecar (``<name>.meta.json``): the request, the status and facts counted then."""
    return json.loads(sse.with_name(sse.stem + ".meta.json").read_text())


def test_captured_fixtures_present() -> None:
    assert {p.parent.name for p in CAPTURED} == {"vllm", "llamacpp"}


@pytest.mark.parametrize("path", CAPTURED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_captured_server_stream(path: Path) -> None:
    body = path.read_bytes()
    meta = capture_meta(path)
    result = parse([body])
    assert result.error_kind is None, result.error_detail
    assert result.done_seen
    assert result.n_content_chunks == meta["content_chunks"] > 0
    assert result.text
    # Usage arrives only when the request asked for it; its count is then exact.
    assert result.completion_tokens == meta["completion_tokens"]
    if meta["completion_tokens"] is not None:
        assert result.prompt_tokens is not None
    assert facts(parse([body[i : i + 1] for i in range(len(body))])) == facts(result)
