"""A harness stand-in for the orphan tests: launches a server, reports it, then holds or exits.

    python tests/support/launcher_child.py hold|exit SPEC_JSON LOG_DIR

Prints one JSON line `{"pid": ..., "base_url": ...}` once the server is healthy. `hold` then sleeps
inside the `with` block until killed; `exit` started the server without a `with` block and returns,
leaving the stop to the launcher's atexit hook.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness.launch.server import LaunchedServer
from harness.launch.spec import ServerSpec


def main(mode: str, spec_json: str, log_dir: str) -> int:
    server = LaunchedServer(ServerSpec(**json.loads(spec_json)), Path(log_dir))
    if mode == "exit":
        server.start()
        print(json.dumps({"pid": server.pid, "base_url": server.base_url}), flush=True)
        return 0
    with server:
        print(json.dumps({"pid": server.pid, "base_url": server.base_url}), flush=True)
        time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
