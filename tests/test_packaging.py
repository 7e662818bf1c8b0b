"""The wheel carries the knowledge base, and an installed (not editable) copy finds it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = out.glob("b12-*.whl")
    return path


@pytest.mark.slow
def test_wheel_contains_every_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for yaml_file in DATA.glob("*.yaml"):
        assert f"b12cli/data/{yaml_file.name}" in names
    package = REPO / "b12cli"
    for module in package.rglob("*.py"):  # every module, subpackages too
        assert f"b12cli/{module.relative_to(package).as_posix()}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "b12 = b12cli.entry:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_installed_wheel_finds_its_data_from_another_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    code = ("import b12cli.kb as k; d = k.bundled_data_dir(); print(d);"
            "k.KnowledgeBase(d).load_all()")
    env = {**os.environ, "PYTHONPATH": str(target), "B12_NO_CACHE": "1"}
    env.pop("B12_DATA_DIR", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == target / "b12cli" / "data"
