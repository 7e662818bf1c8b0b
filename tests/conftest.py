"""Shared fixtures: an isolated cache, a CLI runner with stdout and stderr apart,
colour off and a pinned width for golden output."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from b12cli.app import app_for, build_app
from b12cli.errors import B12Error
from b12cli.kb import KnowledgeBase, bundled_data_dir

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SEEDS = REPO.parent / "shared" / "seeds"
WIDTH = 100

# ----------------------------------------------------------------- the real ~/.cache is never written
# For the whole session HOME and XDG_CACHE_HOME point at a private folder, set when this file
# is imported, before any test module is collected. Each test gets its own B12_CACHE_DIR (below);
# anything that runs without it (say, a module loading the knowledge base at import time) lands
# in this folder's default cache location, and the session guard fails the run.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="b12-tests-home-"))
os.environ["HOME"] = str(_SESSION_HOME)
os.environ["XDG_CACHE_HOME"] = str(_SESSION_HOME / ".cache")
os.environ.pop("B12_CACHE_DIR", None)
os.environ.pop("B12_NO_CACHE", None)
# Subprocess tests start b12 a few hundred times: with PYTHONDONTWRITEBYTECODE set (as some CI
# images set it) each start compiles every module again, which doubles the suite's time.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@pytest.fixture(scope="session", autouse=True)
def _default_cache_untouched():
    yield
    try:
        used = _SESSION_HOME / ".cache" / "b12"
        assert not used.exists(), "something used the default cache folder: load the knowledge base inside tests"
    finally:
        shutil.rmtree(_SESSION_HOME, ignore_errors=True)


PRIVATE_CACHE_MODULES = ("tests.test_cache", "tests.test_boundary")  # tests that look into the cache folder


@pytest.fixture(scope="session")
def _shared_cache(tmp_path_factory) -> str:
    """One compiled-cache folder for the session's tests (each xdist worker has its own): a test that
    compiled the knowledge base spares the next one. Entries are keyed by the YAML's hash, so a test's
    edited copy of the knowledge base never reuses another's."""
    return str(tmp_path_factory.mktemp("shared-cache"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path_factory, request, _shared_cache):
    """A compiled-cache folder (private for the tests of the cache itself), no colour and a fixed width."""
    private = request.module.__name__ in PRIVATE_CACHE_MODULES
    monkeypatch.setenv("B12_CACHE_DIR", str(tmp_path_factory.mktemp("cache")) if private else _shared_cache)
    monkeypatch.delenv("B12_DATA_DIR", raising=False)
    monkeypatch.delenv("B12_NO_CACHE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    monkeypatch.setenv("TERM", "dumb")


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def _invoke(args: list[str], input: str | bytes | None = None, env: dict | None = None) -> Run:
    try:
        app = app_for(args)  # as ``app.run`` does: building a command may read the knowledge base
    except B12Error as exc:
        return Run(int(exc.exit_code), "", f"b12: error: {exc}\n")
    result = CliRunner().invoke(app, args, input=input, env=env, catch_exceptions=False)
    return Run(int(result.exit_code), result.stdout, result.stderr)


@pytest.fixture
def b12():
    """Run b12 in-process: b12("labs", "--b12", "180") -> Run."""

    def run(*args: str, input: str | bytes | None = None, env: dict | None = None) -> Run:
        return _invoke(list(args), input=input, env=env)

    return run


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase(bundled_data_dir())


@pytest.fixture
def kb_copy(tmp_path, monkeypatch) -> Path:
    """A writable copy of the knowledge base, selected with B12_DATA_DIR."""
    target = tmp_path / "kb"
    shutil.copytree(DATA, target)
    monkeypatch.setenv("B12_DATA_DIR", str(target))
    return target


@pytest.fixture
def edit_kb(kb_copy):
    """Change one text in a file of a copy of the knowledge base (the text must be there):
    ``edit_kb("risk.yaml", old, new)``."""

    def edit(name: str, old: str, new: str) -> None:
        path = kb_copy / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


# Hypothesis: a fixed seed and a bounded budget in CI; `HYPOTHESIS_PROFILE=long` for 10,000 examples.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=150,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", deadline=None, max_examples=10_000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def app_without_cache():
    """The whole app, built at import time of a test module (its options come from the knowledge base,
    read here without the compiled cache, so no cache folder outside a test is touched)."""
    saved = os.environ.get("B12_NO_CACHE")
    os.environ["B12_NO_CACHE"] = "1"
    try:
        return build_app()
    finally:
        if saved is None:
            del os.environ["B12_NO_CACHE"]
        else:
            os.environ["B12_NO_CACHE"] = saved


@pytest.fixture
def registry(kb):
    """The bundled marker registry (read inside the test, where the cache folder is the test's own)."""
    return kb.markers


# ------------------------------------------------------------------ helpers shared by test modules


def bundle(*resources: dict, kind: str = "collection") -> dict:
    """A FHIR Bundle of the given resources."""
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}


def write(tmp_path: Path, name: str, document) -> str:  # noqa: ANN001 - text, or a JSON value
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return str(path)


def without_sources(document: dict) -> dict:
    """A history document without its panels' sources (where the results came from)."""
    document = copy.deepcopy(document)
    for person in document["people"]:
        for panel in person["panels"]:
            panel.pop("sources")
    return document


def modules_loaded(args: list[str], tmp_path: Path, watched: set[str]) -> tuple[str, set[str]]:
    """Run b12 with ``args`` in a new interpreter, twice (the first run compiles the cache, the second must
    use it); the second run's stdout and which of the ``watched`` top-level modules it imported."""
    code = ("import sys; from b12cli.app import run\n"
            f"try: run({args!r})\n"
            "except SystemExit: pass\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(watched)!r})), file=sys.stderr)")
    env = {**os.environ, "B12_CACHE_DIR": str(tmp_path)}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout, set(json.loads(done.stderr.strip().replace("'", '"')))
