"""Test-suite setup shared by every test module.

Locust (gevent) needs its monkey patch before ``ssl``/``urllib3`` are imported anywhere in
the process, so it comes first.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
