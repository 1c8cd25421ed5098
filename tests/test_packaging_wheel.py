"""The wheel on its own, as a pip user gets it: built from this tree, installed with its
dependencies into a fresh virtual environment, and used from an empty folder — a shipped scenario
by name against the simulator, a shipped golden set by name, `init`, and `dashboards build` in
the new project.

Dependencies come from real wheels resolved by pip against the wheel's metadata: a wheelhouse in
the shared test cache, filled from the package index once (about 7 s), then installed offline.
Byte-compilation is skipped (`--no-compile`): it is 90 % of a pip install's time here and has no
bearing on what the wheel contains.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from harness.shipped.locate import SHIPPED_FOLDERS
from tests.support.cache import build_lock, cache_dir, progress

ROOT = Path(__file__).resolve().parent.parent
PIP = [sys.executable, "-m", "pip"]

pytestmark = pytest.mark.slow


def pip(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PIP, *map(str, args)], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    built = pip("wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, ROOT)
    assert built.returncode == 0, built.stderr[-2000:]
    (path,) = dist.glob("slm_harness-*.whl")
    return path


@pytest.fixture(scope="module")
def venv_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv (no system site-packages) with the wheel installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    wheelhouse = cache_dir() / "wheelhouse"
    install = ("--python", python, "install", "-q", "--no-compile", "--no-index", "--find-links", wheelhouse)
    with build_lock("wheelhouse"):
        done = pip(*install, wheel)
        if done.returncode != 0:  # first use, or the dependencies changed: fetch what is missing
            progress(f"filling {wheelhouse} from the package index")
            fetched = pip("download", "-q", "-d", wheelhouse, wheel)
            assert fetched.returncode == 0, fetched.stderr[-2000:]
            done = pip(*install, wheel)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv / "bin"


def test_the_wheel_holds_every_shipped_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [
        p.relative_to(ROOT)
        for folder in SHIPPED_FOLDERS
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert len(shipped) > 30
    missing = [str(rel) for rel in shipped if f"harness/shipped/data/{rel}" not in names]
    assert missing == []
    assert not any(name.startswith(("scenarios/", "golden/", "tests/")) for name in names)
    metadata = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-')[0]}-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata


def test_what_the_image_copies_is_enough_to_build_the_wheel(tmp_path: Path) -> None:
    # dashboards/harness.Dockerfile builds the wheel from what it copies; no Docker runs here.
    dockerfile = (ROOT / "dashboards" / "harness.Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            *sources, dest = line.split()[1:]
            for source in sources:
                target = tmp_path / dest / Path(source).name if dest.endswith("/") else tmp_path / dest
                copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
                copy(ROOT / source, target)
    built = pip("wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp_path / "dist", tmp_path)
    assert built.returncode == 0, built.stderr[-2000:]
    assert len(list((tmp_path / "dist").glob("slm_harness-*.whl"))) == 1


def test_installed_from_an_empty_folder(venv_bin: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv_bin}{os.pathsep}{env['PATH']}"

    def slm(*args: str, cwd: Path = empty) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(venv_bin / "slm-harness"), *args], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=240,
        )  # fmt: skip
        assert done.returncode == 0, f"slm-harness {' '.join(args)}:\n{done.stderr[-3000:]}"
        return done

    where = subprocess.run(
        [str(venv_bin / "python"), "-c", "import harness; print(harness.__file__)"],
        cwd=empty, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(venv_bin.parent)  # not this checkout

    run = slm("run", "smoke", "--duration", "3", "--set", "load.warmup_s=0", "--quiet", "--no-exporter")
    run_dir = empty / run.stdout.strip().splitlines()[-1]
    assert run_dir.parent == empty / "reports" / "runs"
    assert yaml.safe_load((run_dir / "scenario.yaml").read_text())["name"] == "smoke"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["requests"]["completed"] > 0 and summary["errors"]["rate"] == 0
    assert (run_dir / "report.html").stat().st_size > 10_000

    golden = slm("golden", "run", "support_intents", "--quiet")
    golden_summary = json.loads((empty / golden.stdout.strip().splitlines()[-1] / "summary.json").read_text())
    assert golden_summary["golden"]["scored"] == 112

    slm("init", "project")
    project = empty / "project"
    generated = sorted((project / "dashboards").glob("*.json"))
    before = {p.name: p.read_bytes() for p in generated}
    built = slm("dashboards", "build", cwd=project)
    assert sorted(Path(line).name for line in built.stdout.split()) == sorted(before)
    assert {p.name: p.read_bytes() for p in generated} == before  # the shipped dashboards are the code's
    checked = slm("golden", "check", "golden", cwd=project)
    assert len(checked.stdout.strip().splitlines()) == 3
