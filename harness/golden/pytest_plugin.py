"""pytest plugin: golden items as pytest tests, so any CI shows per-item pass/fail natively.

``pytest --slm-endpoint URL golden/support_intents.jsonl`` (or ``--slm-golden SET``, repeatable)
turns every item into a test with the id ``<set file>::<item id>``. The items of one set are
asked together, ``--slm-concurrency`` at a time, when its first test runs. A wrong answer is a
test failure; a transport failure (after retries) is a test *error*, so it is never counted
as a wrong answer. Without ``--slm-endpoint`` the plugin does nothing: it is loaded in every
pytest session, so it imports nothing heavy until it is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.golden.dataset import GoldenSet

STASH_TARGET = pytest.StashKey[tuple[str, str]]()  # (base URL, model), resolved once per session


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("slm-golden", "golden-set checks against an OpenAI-compatible endpoint")
    group.addoption(
        "--slm-endpoint", metavar="URL", help="Base URL of the endpoint; turns golden files into tests."
    )
    group.addoption("--slm-model", metavar="NAME", help="Model name (default: the endpoint's first model).")
    group.addoption(
        "--slm-golden",
        metavar="SET",
        action="append",
        default=[],
        help="Golden set JSONL file or folder to run (repeatable); .jsonl files given as arguments work too.",
    )
    group.addoption("--slm-concurrency", metavar="N", type=int, default=4, help="Golden requests in flight.")
    group.addoption(
        "--slm-max-attempts", metavar="N", type=int, default=3, help="Tries per item on transport errors."
    )
    group.addoption("--slm-api-key-env", metavar="VAR", help="Environment variable holding the API key.")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("slm_endpoint", default=None))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> GoldenFile | None:
    if file_path.suffix == ".jsonl" and _enabled(parent.config):
        return GoldenFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not _enabled(config) or not config.getoption("slm_golden"):
        return
    from harness.config.errors import ConfigError
    from harness.golden.dataset import find_set_files

    try:
        files = find_set_files([Path(p) for p in config.getoption("slm_golden")])
    except ConfigError as e:
        raise pytest.UsageError(f"--slm-golden: {e}") from None
    known = {item.nodeid for item in items}
    for file in files:
        for item in GoldenFile.from_parent(session, path=file.resolve()).collect():
            if item.nodeid not in known:
                items.append(item)


class GoldenCollectError(Exception):
    """A golden file that cannot be loaded; shown as its one-line ConfigError."""


class GoldenFile(pytest.File):
    golden_set: GoldenSet
    _results: dict[str, dict[str, Any]] | None = None

    def collect(self) -> Iterator[GoldenItemTest]:
        from harness.config.errors import ConfigError
        from harness.golden.dataset import load_set

        try:
            self.golden_set = load_set(self.path)
        except ConfigError as e:
            raise GoldenCollectError(str(e)) from None
        for item in self.golden_set.items:
            yield GoldenItemTest.from_parent(self, name=item.item_id)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GoldenCollectError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def result_for(self, item_id: str) -> dict[str, Any]:
        """The scored row of one item; the whole set is asked on the first call."""
        if self._results is None:
            self._results = {row["item_id"]: row for row in self._ask_all()}
        return self._results[item_id]

    def _ask_all(self) -> list[dict[str, Any]]:
        from harness.golden.runner import run_golden
        from harness.golden.transport import EndpointSettings, RetryPolicy

        config = self.config
        base_url, model = _target(config)
        settings = EndpointSettings(base_url=base_url, model=model, headers=_headers(config))
        output = run_golden(
            [self.golden_set],
            settings,
            concurrency=config.getoption("slm_concurrency"),
            policy=RetryPolicy(max_attempts=config.getoption("slm_max_attempts")),
            scenario="pytest",
        )
        return output.rows


def _target(config: pytest.Config) -> tuple[str, str]:
    if STASH_TARGET not in config.stash:
        from harness.config.errors import ConfigError
        from harness.jobs.endpoint import discover_model

        base_url = config.getoption("slm_endpoint")
        model = config.getoption("slm_model")
        if model is None:
            try:
                model = discover_model(base_url, _headers(config), verify=True, timeout_s=10.0)
            except ConfigError as e:
                raise pytest.UsageError(f"--slm-endpoint: {e}") from None
        config.stash[STASH_TARGET] = (base_url, model)
    return config.stash[STASH_TARGET]


def _headers(config: pytest.Config) -> dict[str, str]:
    name = config.getoption("slm_api_key_env")
    if name is None:
        return {}
    key = os.environ.get(name)
    if not key:
        raise pytest.UsageError(f"--slm-api-key-env: environment variable {name} is not set")
    return {"Authorization": f"Bearer {key}"}


class GoldenTransportError(Exception):
    """The endpoint never answered the item (after retries): an error, not a wrong answer."""


class GoldenMismatch(AssertionError):
    """The answer did not pass the item's scorer."""


class GoldenItemTest(pytest.Item):
    parent: GoldenFile
    row: dict[str, Any]

    def setup(self) -> None:
        # Asked in setup, so a transport failure is reported as an error rather than a failure.
        self.row = self.parent.result_for(self.name)
        for key in ("score", "latency_s", "attempts"):
            self.user_properties.append((key, self.row[key]))
        if self.row["error_kind"] is not None:
            row = self.row
            raise GoldenTransportError(
                f"{row['error_kind']} after {row['attempts']} attempt(s): {row['error_detail']}"
            )

    def runtest(self) -> None:
        row = self.row
        if not row["correct"]:
            raise GoldenMismatch(
                f"scorer {row['scorer']}: score {row['score']:.2f};"
                f" expected {row['expected']}, got {row['output']!r}"
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GoldenMismatch | GoldenTransportError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        item = next(i for i in self.parent.golden_set.items if i.item_id == self.name)
        return self.path, item.line - 1, f"{self.parent.golden_set.name}::{self.name}"
