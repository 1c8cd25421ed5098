"""Where the files that ship with the harness are, and named look-ups into them.

An installed wheel carries the repository's top-level `scenarios/`, `golden/`, `dashboards/`
and `examples/` inside the package, under `harness/shipped/data/` (pyproject.toml places them
there at build time); a clone or an editable install reads them where they are committed.
"""

from __future__ import annotations

from pathlib import Path

from harness.config.errors import ConfigError

SHIPPED_FOLDERS = ("scenarios", "golden", "dashboards", "examples")
_PACKAGED = Path(__file__).resolve().parent / "data"
_CLONE = Path(__file__).resolve().parents[2]


def shipped_root() -> Path:
    """The folder holding `scenarios/`, `golden/`, `dashboards/` and `examples/`."""
    for root in (_PACKAGED, _CLONE):
        if all((root / folder).is_dir() for folder in SHIPPED_FOLDERS):
            return root
    raise ConfigError(
        str(_PACKAGED),
        "(installation)",
        "the shipped scenarios, golden sets and dashboards are missing",
        "reinstall slm-harness from its wheel, or run it from a clone of the repository",
    )


def shipped_names(folder: str, suffix: str) -> list[str]:
    """Names (file stems) of the shipped files with `suffix` directly in `folder`."""
    return sorted(p.name.removesuffix(suffix) for p in (shipped_root() / folder).glob(f"*{suffix}"))


def find_named(arg: Path, folder: str, suffix: str, what: str) -> Path:
    """`arg` when it is an existing path; a bare name (`smoke`) is `folder/NAME{suffix}` in the
    current directory (a project made by `slm-harness init`), else the shipped file of that name.

    Anything else is returned as given, for the loader to report as missing.
    """
    if arg.exists() or len(arg.parts) != 1 or arg.suffix:
        return arg
    for root in (Path(), shipped_root()):  # the current folder's, named relative to it
        candidate = root / folder / f"{arg.name}{suffix}"
        if candidate.is_file():
            return candidate
    names = ", ".join(shipped_names(folder, suffix))
    raise ConfigError(
        str(arg),
        f"({what})",
        f"is neither a file nor the name of a shipped {what}",
        f"give a path, or one of: {names}",
    )


def find_scenario(arg: Path) -> Path:
    """A scenario file by path or by name (`slm-harness run smoke`)."""
    return find_named(arg, "scenarios", ".yaml", "scenario")


def find_golden_set(arg: Path) -> Path:
    """A golden set (or folder of sets) by path, or a set by name (`support_intents`)."""
    return find_named(arg, "golden", ".jsonl", "golden set")
