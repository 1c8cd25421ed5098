"""OpenAI protocol: request bodies, and SSE / JSON response parsing into timings. Pure, no I/O."""

from harness.protocol.parsed import ParsedResponse
from harness.protocol.prompt import PromptItem
from harness.protocol.request import SamplingParams, build_request, join_url
from harness.protocol.response import classify_http_error, parse_json_response
from harness.protocol.stream import StreamParser

__all__ = [
    "ParsedResponse",
    "PromptItem",
    "SamplingParams",
    "StreamParser",
    "build_request",
    "classify_http_error",
    "join_url",
    "parse_json_response",
]
