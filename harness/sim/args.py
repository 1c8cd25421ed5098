"""Command-line flags of ``python -m harness.sim``, mapped to and from ``SimConfig``.

Every scalar field ``x_y`` has a flag ``--x-y``; the rest are ``--api-key-env NAME`` (the key is
read from that environment variable, never from the command line), ``--golden FILE``
(repeatable) and ``--golden-accuracy-tag TAG=P`` (repeatable).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, NoReturn

from harness.sim.config import SimConfig, SimConfigError

_SPECIAL = ("api_key", "golden_files", "golden_accuracy_by_tag")
_DEFAULTS = SimConfig()
_HELP = {
    "host": "address to listen on",
    "port": "port to listen on; 0 picks a free one",
    "model": "served model name",
    "ttft_ms": "time to first token after admission, ms",
    "itl_ms": "inter-token latency with one sequence running, ms",
    "prefill_ms_per_token": "extra TTFT per prompt token, ms",
    "batch_slowdown": "decode step = itl * (1 + this * (running - 1) / max_num_seqs)",
    "jitter_ms": "uniform +- jitter on every gap, ms",
    "max_num_seqs": "sequences decoded concurrently; more wait in a FIFO queue",
    "kv_capacity_tokens": "KV cache size in tokens (prompt + output per sequence)",
    "output_tokens": "mean output length when a request sets no max_tokens",
    "seed": "seed of every random choice",
    "error_rate": "probability of HTTP 500",
    "rate_limit_rate": "probability of HTTP 429 with Retry-After: 1",
    "stall_rate": "probability of a mid-stream pause",
    "stall_ms": "length of a mid-stream pause, ms",
    "truncate_rate": "probability of a stream ending without finish_reason or [DONE]",
    "malformed_rate": "probability of one non-JSON data: chunk",
    "reset_rate": "probability of a TCP reset mid-stream",
    "midstream_error_rate": "probability of an error object sent mid-stream",
    "golden_accuracy": "probability of answering a golden item correctly",
    "drift_profile": "drift profile name (harness.sim.profiles)",
    "request_log": "append a JSON line per generation request received to this file",
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _scalar_fields() -> list[str]:
    return [f.name for f in fields(SimConfig) if f.name not in _SPECIAL]


class _Parser(argparse.ArgumentParser):
    """Whole option names only (``--api-key`` is not ``--api-key-env``); a mistake is one
    `SimConfigError` line naming options, never the words after them (a pasted key)."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments: "):
            words = message.removeprefix("unrecognized arguments: ").split()
            options = [w.split("=", 1)[0] for w in words if w.startswith("-")]
            message = f"unknown option {', '.join(options)}" if options else "unexpected arguments"
            if "--api-key" in options:
                message += " (the key is read from the environment: --api-key-env NAME)"
        raise SimConfigError(f"{message}; see --help")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m harness.sim",
        description="OpenAI-compatible LLM server simulator.",
        allow_abbrev=False,
    )
    for name in _scalar_fields():
        default = getattr(_DEFAULTS, name)
        parser.add_argument(
            _flag(name),
            dest=name,
            type=type(default),
            default=None,
            help=f"{_HELP[name]} (default: {default})",
        )
    parser.add_argument(
        "--api-key-env", metavar="NAME", help="require the API key held in this environment variable"
    )
    parser.add_argument(
        "--golden",
        metavar="FILE",
        action="append",
        default=[],
        help="golden JSONL set to answer (repeatable)",
    )
    parser.add_argument(
        "--golden-accuracy-tag",
        metavar="TAG=P",
        action="append",
        default=[],
        help="golden accuracy for items with this tag (repeatable)",
    )
    parser.add_argument(
        "--exit-on-stdin-eof", action="store_true", help="stop when stdin closes (for a parent process)"
    )
    return parser


def config_from_namespace(ns: argparse.Namespace) -> SimConfig:
    """Build the config from parsed flags; raises SimConfigError naming the flag and the fix."""
    kwargs: dict[str, Any] = {
        name: getattr(ns, name) for name in _scalar_fields() if getattr(ns, name) is not None
    }
    if ns.api_key_env:
        key = os.environ.get(ns.api_key_env)
        if not key:
            raise SimConfigError(
                f"--api-key-env {ns.api_key_env}: that environment variable is not set; "
                "export it or drop the flag"
            )
        kwargs["api_key"] = key
    kwargs["golden_files"] = tuple(ns.golden)
    kwargs["golden_accuracy_by_tag"] = dict(_tag_accuracy(spec) for spec in ns.golden_accuracy_tag)
    return SimConfig(**kwargs)


def _tag_accuracy(spec: str) -> tuple[str, float]:
    tag, sep, value = spec.rpartition("=")
    try:
        if not (sep and tag):
            raise ValueError
        return tag, float(value)
    except ValueError:
        raise SimConfigError(f"--golden-accuracy-tag {spec!r}: write TAG=P, e.g. billing=0.7") from None


def config_to_argv(cfg: SimConfig, api_key_env: str) -> list[str]:
    """Flags that rebuild ``cfg``; its API key must be put in the environment variable ``api_key_env``."""
    argv: list[str] = []
    for name in _scalar_fields():
        value = getattr(cfg, name)
        if value != getattr(_DEFAULTS, name):
            argv += [_flag(name), str(value)]
    if cfg.api_key is not None:
        argv += ["--api-key-env", api_key_env]
    for path in cfg.golden_files:
        argv += ["--golden", path]
    for tag, p in cfg.golden_accuracy_by_tag.items():
        argv += ["--golden-accuracy-tag", f"{tag}={p!r}"]
    return argv


def parse_config(argv: Sequence[str] | None = None) -> tuple[SimConfig, bool]:
    """Parse ``python -m harness.sim`` arguments into (config, exit_on_stdin_eof)."""
    ns = build_parser().parse_args(argv)
    return config_from_namespace(ns), ns.exit_on_stdin_eof
