"""`slm-harness init DIR`: a new project with everything that ships with the harness.

The project gets the shipped scenarios, golden sets, dashboards (with Grafana provisioning,
Prometheus config, rules and alert tests, docker-compose) and the CI workflows, laid out as in
the repository, so every path the docs and the workflows use works there too. Files that
install the harness from a clone are rewritten to install the released package instead.
"""

from __future__ import annotations

from pathlib import Path

from harness import __version__
from harness.config.errors import ConfigError
from harness.shipped.locate import SHIPPED_FOLDERS, shipped_root

REQUIREMENT = f"slm-harness=={__version__}"
# GitHub Actions reads workflows from here; the shipped examples/github/ ones move there.
WORKFLOWS = Path(".github/workflows")
_GITHUB_EXAMPLES = Path("examples/github")

# Lines that install the harness from a clone, and what a project installs instead.
_INSTALL_REWRITES: dict[Path, tuple[str, str]] = {
    WORKFLOWS / "slm-gate.yml": ("python -m pip install -e .", f"python -m pip install '{REQUIREMENT}'"),
    Path("examples/drift-weekly.yml"): ("pip install .", f"pip install '{REQUIREMENT}'"),
    Path("dashboards/harness.Dockerfile"): (
        "COPY pyproject.toml README.md ./\nCOPY harness ./harness\n"
        "COPY scenarios ./scenarios\nCOPY golden ./golden\nCOPY dashboards ./dashboards\n"
        "COPY examples ./examples\nRUN pip install --no-cache-dir .",
        f"RUN pip install --no-cache-dir '{REQUIREMENT}'",
    ),
}


def project_files() -> dict[Path, Path]:
    """Where each shipped file goes in a project (relative path) -> the shipped file."""
    root = shipped_root()
    files: dict[Path, Path] = {}
    for folder in SHIPPED_FOLDERS:
        for source in sorted((root / folder).rglob("*")):
            if not source.is_file() or "__pycache__" in source.parts:
                continue
            rel = source.relative_to(root)
            if rel.is_relative_to(_GITHUB_EXAMPLES):
                rel = WORKFLOWS / rel.relative_to(_GITHUB_EXAMPLES)
            files[rel] = source
    return files


def init_project(dest: Path) -> list[Path]:
    """Write the project into `dest` (created if needed); returns the files written.

    Never overwrites: when any file is already there, nothing is written.
    """
    files = project_files()
    taken = [rel for rel in files if (dest / rel).exists()]
    if taken:
        shown = ", ".join(str(rel) for rel in taken[:3]) + (" …" if len(taken) > 3 else "")
        raise ConfigError(
            str(dest),
            "(folder)",
            f"{len(taken)} of the project's files are already there ({shown})",
            "choose a new or empty folder, or move those files away",
        )
    written = []
    for rel, source in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in _INSTALL_REWRITES:
            old, new = _INSTALL_REWRITES[rel]
            text = source.read_text(encoding="utf-8")
            if old not in text:  # the shipped file changed: the rewrite must follow it
                raise RuntimeError(f"{source}: expected {old!r} to rewrite for an installed package")
            target.write_text(text.replace(old, new), encoding="utf-8")
        else:
            target.write_bytes(source.read_bytes())
        written.append(target)
    return written
