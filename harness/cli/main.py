"""Entry point of the ``slm-harness`` command.

Commands that drive load run on gevent, whose monkey patch must come before anything
imports ``ssl``/``urllib3``; it is applied here, first, for those commands only, so the
asyncio-based commands (the simulator, the golden runner) keep a plain event loop.
"""

from __future__ import annotations

import gc
import sys

GEVENT_COMMANDS = frozenset({"run", "worker"})


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in GEVENT_COMMANDS:
        from gevent import monkey

        monkey.patch_all()
    from harness.cli.app import run_app

    code = run_app(args)
    # Everything is written: spare the interpreter's exit the collector's walks over every object
    # the heavy imports made (pandas, pyarrow, locust: 0.2-0.6 s on a busy 2-core machine).
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    main()
