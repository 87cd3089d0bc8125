"""A wheel install works: the wheel built from this tree, installed into a fresh venv and run in
an empty folder (no source tree around, no PYTHONPATH), builds the demo store and logs a
complaint, reading its framework, themes and demo lists from inside the installed package."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Installed:
    venv: Path
    work: Path  # an empty folder: no source tree, no data/
    env: dict[str, str]

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "qaudit"), *args],
            cwd=self.work,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    def python(self, code: str) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout


def _builds_offline() -> bool:
    """Whether this venv's setuptools can build the wheel itself (no isolated build env)."""
    major = int(version("setuptools").split(".")[0])
    bdist = importlib.util.find_spec("wheel") or importlib.util.find_spec(
        "setuptools.command.bdist_wheel"
    )
    return major >= 69 and bdist is not None


def _build_wheel(tmp: Path) -> Path:
    """The wheel of a copy of this tree (so the build leaves nothing in the worktree)."""
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    dist = tmp / "dist"
    isolation = ["--no-build-isolation"] if _builds_offline() else []
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "--quiet",
         "--disable-pip-version-check", "-w", str(dist), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (wheel,) = dist.glob("qaudit-*.whl")
    return wheel


@pytest.fixture(scope="session")  # once per test process, whatever runs between these tests
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies (and pip) come from the test venv, after the new venv's own packages;
    # qaudit itself only from the wheel.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_test_venv_packages.pth").write_text("\n".join(sorted(ours)) + "\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("QAUDIT_")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
         "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    work = tmp / "work"
    work.mkdir()
    yield Installed(venv=venv, work=work, env=env)


@pytest.mark.slow
def test_qaudit_and_its_data_files_come_from_the_installed_package(installed: Installed) -> None:
    out = installed.python(
        "import qaudit, qaudit.paths; print(qaudit.__file__); print(qaudit.paths.data_dir())"
    )
    module, data = (Path(line) for line in out.splitlines())
    package = module.parent
    assert package.is_relative_to(installed.venv), module
    assert data.is_relative_to(package), data
    for name in (
        "framework.toml",
        "themes.toml",
        "complaint_themes.toml",
        "demo-staff.csv",
        "demo-cases.csv",
        "demo-survey.csv",
    ):
        assert (data / name).read_bytes() == (ROOT / "data" / name).read_bytes(), name


@pytest.mark.slow
def test_demo_and_a_complaint_run_from_the_installed_wheel(installed: Installed) -> None:
    demo = installed.run("demo")
    assert demo.returncode == 0, demo.stderr
    assert "Built the demo store qaudit-demo.db" in demo.stderr
    assert "240 cases" in demo.stderr
    # the HTML report's template is package data in the wheel
    board = (installed.work / "qaudit-demo-board-2026-27-Q3.html").read_text(encoding="utf-8")
    assert board.startswith("<!DOCTYPE html>") and "<svg" in board
    logged = installed.run(
        "--db", "qaudit-demo.db", "complaints", "log", "--theme", "delay", "--summary", "x"
    )
    assert logged.returncode == 0, logged.stderr
    assert "Logged C-" in logged.stderr
    assert "Traceback" not in demo.stderr + logged.stderr


@pytest.mark.slow
def test_qaudit_data_dir_still_overrides_the_packaged_files(
    installed: Installed, tmp_path: Path
) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "complaint_themes.toml").write_text(
        '[[theme]]\nid = "noise"\nlabel = "Noise"\n', encoding="utf-8"
    )
    store = tmp_path / "own.db"
    assert installed.run("--db", str(store), "init").returncode == 0
    refused = installed.run(
        "--db", str(store), "complaints", "log", "--theme", "delay", "--summary", "x",
        QAUDIT_DATA_DIR=str(own),
    )  # fmt: skip
    assert refused.returncode != 0
    assert "delay" in refused.stderr and "noise" in refused.stderr, refused.stderr


def test_the_data_folder_of_the_source_tree_is_the_packaged_one() -> None:
    """One source of truth: the README's data/ is a link to the files the wheel ships."""
    from qaudit.paths import data_dir

    packaged = ROOT / "src" / "qaudit" / "data"
    assert data_dir().resolve() == packaged.resolve()
    assert (ROOT / "data").resolve() == packaged.resolve()
