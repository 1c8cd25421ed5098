"""Which GPUs to sample: ``telemetry.gpu.gpus`` names them by index or by UUID; empty means all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.config.errors import ConfigError

FIELD = "telemetry.gpu.gpus"


@dataclass(frozen=True)
class GpuId:
    index: str  # "0", "1", … as NVML and DCGM's ``gpu`` label number them
    uuid: str | None


def select(found: Sequence[GpuId], wanted: Sequence[int | str]) -> list[GpuId]:
    """The GPUs of ``found`` that ``wanted`` names, in ``found``'s order; all of them when empty.

    An int or a string of digits is an index; any other string a UUID (``GPU-…`` or ``MIG-…``,
    compared without regard to case). A name matching no GPU is a ``ConfigError`` listing the GPUs
    there are.
    """
    if not wanted:
        return list(found)
    chosen: set[GpuId] = set()
    for position, name in enumerate(wanted):
        match = next((gpu for gpu in found if _names(gpu, name)), None)
        if match is None:
            there = ", ".join(f"{g.index} ({g.uuid})" if g.uuid else g.index for g in found) or "none"
            raise ConfigError(
                None,
                f"{FIELD}[{position}]",
                f"no GPU {name!r} here (GPUs found: {there})",
                "name a GPU by one of those indices or UUIDs, or leave gpus empty to sample all",
            )
        chosen.add(match)
    return [gpu for gpu in found if gpu in chosen]


def _names(gpu: GpuId, name: int | str) -> bool:
    text = str(name).strip()
    if text.isdigit():
        return str(int(text)) == gpu.index
    return gpu.uuid is not None and gpu.uuid.lower() == text.lower()
