"""The knowledge base: where it lives, one strict loader, and the records it builds.

Each YAML file is read safely (``yamlsafe``), checked against a strict shape (unknown or missing
keys and wrong types are errors naming ``file: path.to.key``), checked for meaning (unique ids,
contiguous bands, citations that resolve, markers that the registry knows), and built into the
frozen records of ``domain.model``. A validated file is kept in the compiled cache (``cache``), so
later runs skip YAML entirely. Only the files a command needs are read.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from b12cli.domain.markers import Registry
from b12cli.domain.model import (
    Absorption,
    Foods,
    Intake,
    Intakes,
    Loinc,
    Medications,
    Risk,
    Source,
    Thresholds,
    Topic,
    Variation,
)
from b12cli.domain.rules import Rules
from b12cli.domain.text import printable
from b12cli.errors import KnowledgeBaseError
from b12cli.inputs.files import Unusable, read_regular
from b12cli.kb import build
from b12cli.kb.cache import cache_header, read_cache, write_cache

FILES = ("sources", "markers", "intakes", "foods", "medications", "thresholds", "rules", "topics", "loinc", "risk",
         "absorption", "intake", "variation")
MAX_YAML_BYTES = 2 * 1024 * 1024  # cap on a YAML source file (the bundled ones are under 60 KB)


def bundled_data_dir() -> Path:
    """``data/`` inside the installed package (wheel), else the checkout's ``data/``."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "data", package.parent / "data"):
        if (candidate / "sources.yaml").is_file():
            return candidate
    raise KnowledgeBaseError(f"knowledge base not found (looked in {package / 'data'} and {package.parent / 'data'})")


def data_dir() -> Path:
    """``B12_DATA_DIR`` if set and not empty, else the bundled data."""
    override = os.environ.get("B12_DATA_DIR")
    if not override:
        return bundled_data_dir()
    path = Path(override)
    if not path.is_dir():
        raise KnowledgeBaseError(f"B12_DATA_DIR {printable(override)!r} is not a directory")
    return path


def _parse(file: str, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    from b12cli.kb.yamlsafe import YAMLError, describe_error, load

    try:
        return load(text)
    except YAMLError as exc:
        raise KnowledgeBaseError(f"{file}: {describe_error(text, exc)}") from None
    except RecursionError:
        raise KnowledgeBaseError(f"{file}: nested too deeply") from None


def _read_source(directory: Path, file: str) -> bytes:
    try:
        return read_regular(directory / file, MAX_YAML_BYTES)
    except FileNotFoundError:
        raise KnowledgeBaseError(f"{file}: missing from the knowledge base at {directory}") from None
    except Unusable as exc:
        raise KnowledgeBaseError(f"{file}: cannot be read ({exc})") from None
    except OSError as exc:
        raise KnowledgeBaseError(f"{file}: cannot be read ({exc.strerror})") from None


def load_file(directory: Path, name: str, use_cache: bool = True) -> tuple[dict, bool]:
    """One file's validated data, and whether it came from the cache."""
    file = f"{name}.yaml"
    raw = _read_source(directory, file)
    header = cache_header(name, raw)
    cached = read_cache(header) if use_cache else None
    if cached is not None:
        return cached, True
    from b12cli.kb.schema import ShapeError
    from b12cli.kb.validate import validate

    try:
        data = validate(name, _parse(file, raw))
    except ShapeError as exc:
        raise KnowledgeBaseError(f"{file}: {exc.path}: {exc.problem}") from None
    write_cache(header, data)
    return data, False


CITING_KEYS = ("sources", "listed_by")  # lists of source ids, each checked against sources.yaml


def cited_ids(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (path, id) cited under a ``sources`` or ``listed_by`` key anywhere in ``node``."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            if key in CITING_KEYS and isinstance(value, list):
                found.extend((f"{sub}[{i}]", v) for i, v in enumerate(value))
            else:
                found.extend(cited_ids(value, sub))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(cited_ids(value, f"{path}[{i}]"))
    return found


class KnowledgeBase:
    """Lazily loads each file once; every citation is checked against sources.yaml."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else data_dir()

    def _checked(self, name: str, data: dict) -> dict:
        if name != "sources":
            known = self.sources
            for path, source_id in cited_ids(data):
                if source_id not in known:
                    raise KnowledgeBaseError(f"{name}.yaml: {path}: unknown source id {source_id!r}")
        return data

    def _built(self, name: str, make: Callable[[dict], Any]) -> Any:
        """Records from one file. Data from the cache is never trusted to have the right shape:
        if anything goes wrong while checking or building it, the file is read from the YAML again."""
        data, cached = load_file(self.directory, name)
        if cached:
            try:
                return make(self._checked(name, data))
            except Exception:  # noqa: BLE001 - a bad cached payload is discarded and rebuilt below
                data, _ = load_file(self.directory, name, use_cache=False)
        return make(self._checked(name, data))

    @cached_property
    def sources(self) -> dict[str, Source]:
        return self._built("sources", build.build_sources)

    @cached_property
    def markers(self) -> Registry:
        return self._built("markers", build.build_markers)

    @cached_property
    def intakes(self) -> Intakes:
        return self._built("intakes", build.build_intakes)

    @cached_property
    def foods(self) -> Foods:
        return self._built("foods", build.build_foods)

    @cached_property
    def medications(self) -> Medications:
        return self._built("medications", build.build_medications)

    @cached_property
    def thresholds(self) -> Thresholds:
        """The bands, with the verdict table that reads them (rules.yaml)."""
        registry = self.markers
        built = self._built("thresholds", lambda data: build.build_thresholds(data, registry))
        return built._replace(rules=self.rules)

    @cached_property
    def rules(self) -> Rules:
        registry = self.markers
        return self._built("rules", lambda data: build.build_rules(data, registry))

    @cached_property
    def topics(self) -> tuple[Topic, ...]:
        return self._built("topics", build.build_topics)

    @cached_property
    def loinc(self) -> Loinc:
        registry = self.markers
        return self._built("loinc", lambda data: build.build_loinc(data, registry))

    @cached_property
    def risk(self) -> Risk:
        return self._built("risk", build.build_risk)

    @cached_property
    def absorption(self) -> Absorption:
        return self._built("absorption", build.build_absorption)

    @cached_property
    def intake(self) -> Intake:
        return self._built("intake", build.build_intake)

    @cached_property
    def variation(self) -> Variation:
        """Reference change values (variation.yaml), for the significance of history's steps."""
        registry = self.markers
        return self._built("variation", lambda data: build.build_variation(data, registry))

    def load_all(self) -> None:
        for name in FILES:
            getattr(self, name)
