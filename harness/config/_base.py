"""Shared building blocks of the config models: strict models, file paths, URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo

from harness.config.errors import invalid

# Key of the validation context holding the folder relative paths are read from.
BASE_DIR = "base_dir"


class StrictModel(BaseModel):
    """Unknown keys are errors, so a typo never silently falls back to a default."""

    model_config = ConfigDict(extra="forbid")


def _resolve(value: Path, info: ValidationInfo) -> Path:
    value = value.expanduser()
    base = (info.context or {}).get(BASE_DIR)
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return value


def _existing_file(value: Path) -> Path:
    if not value.is_file():
        raise invalid(
            f"file not found: {value}",
            "check the path (relative paths are read from the scenario file's folder)",
        )
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(f"is not an http(s) URL (got {value!r})", "write a URL like http://127.0.0.1:8000/v1")
    return value.rstrip("/")


# A path written relative to the scenario file's folder, resolved to where it really is.
ResolvedPath = Annotated[Path, AfterValidator(_resolve)]
# A resolved path that must name an existing file when the scenario is loaded.
DataFile = Annotated[ResolvedPath, AfterValidator(_existing_file)]
# An http(s) URL, stored without a trailing slash.
HttpUrl = Annotated[str, AfterValidator(_http_url)]
