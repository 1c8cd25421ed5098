"""``python -m harness.sim [flags]``: run the simulator until interrupted (see ``harness.sim.args``)."""

from __future__ import annotations

import sys

from harness.sim.args import parse_config
from harness.sim.config import SimConfigError
from harness.sim.server import run_server


def main(argv: list[str] | None = None) -> int:
    try:
        cfg, exit_on_stdin_eof = parse_config(argv)
        run_server(cfg, exit_on_stdin_eof=exit_on_stdin_eof)
    except SimConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
