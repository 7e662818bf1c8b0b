"""The knowledge base: where it lives, one strict loader, and its records.

Each YAML file is read safely, checked against a strict shape (unknown or
missing keys and wrong types are errors naming ``file: path.to.key``), checked
for meaning (unique ids, contiguous bands, citations that resolve), and turned
into frozen records. A validated file is cached as JSON keyed by a hash of its
bytes, so later runs skip YAML entirely; any edit to the file misses the cache
and is validated again. Only the files a command needs are read.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from b12cli import __version__
from b12cli.bands import Interval, parse_interval
from b12cli.errors import KnowledgeBaseError

SCHEMA_VERSION = 1
CACHE_REVISION = "1"  # bump when validation or the cached shape changes
DOCUMENT_IDS = ("doc-recovery", "doc-reverse", "doc-overview", "doc-two-causes", "doc-harvard")
SOURCE_KINDS = ("document", "fact-sheet", "guideline", "paper", "database", "laboratory", "drug-label")
MARKERS = ("b12", "holotc", "mma", "hcy")
CANONICAL_UNITS = {"b12": "pg/mL", "holotc": "pmol/L", "mma": "umol/L", "hcy": "umol/L"}
MARKER_STATUSES = ("deficient", "low", "indeterminate", "normal", "high")
CB12_CATEGORIES = ("probable_deficiency", "possible_deficiency", "low", "adequate", "elevated")
FILES = ("sources", "intakes", "foods", "medications", "thresholds", "topics", "loinc")


# ----------------------------------------------------------------- records


class Source(NamedTuple):
    id: str
    title: str
    author: str | None
    publisher: str | None
    year: int | None
    url: str | None
    kind: str


class Message(NamedTuple):
    id: str
    text: str
    sources: tuple[str, ...]

    def cited(self) -> str:
        """The text with its sources, for a plain-string note."""
        return f"{self.text} (sources: {', '.join(self.sources)})"


class LifeStage(NamedTuple):
    id: str
    life_stage: str
    ages: str
    condition: str
    min_months: int
    max_months: int | None
    mcg_per_day: float
    kind: str
    notes: tuple[str, ...]
    sources: tuple[str, ...]

    def covers(self, months: int) -> bool:
        return months >= self.min_months and (self.max_months is None or months < self.max_months)


class Intakes(NamedTuple):
    unit: str
    life_stages: tuple[LifeStage, ...]
    messages: dict[str, Message]


class Food(NamedTuple):
    id: str
    name: str
    serving: str
    mcg_per_serving: float
    mcg_per_100g: float | None
    category: str
    vegan: bool
    vegetarian: bool
    fortified: bool
    notes: tuple[str, ...]
    sources: tuple[str, ...]


class Foods(NamedTuple):
    daily_value_mcg: float
    daily_value_sources: tuple[str, ...]
    foods: tuple[Food, ...]
    messages: dict[str, Message]


class MedicationClass(NamedTuple):
    id: str
    name: str
    generic_names: tuple[str, ...]
    brand_names: tuple[str, ...]
    effect: str
    advice: str
    notes: tuple[str, ...]
    sources: tuple[str, ...]


class Medications(NamedTuple):
    classes: tuple[MedicationClass, ...]
    messages: dict[str, Message]


class Band(NamedTuple):
    status: str
    interval: Interval
    sources: tuple[str, ...]


class MarkerBands(NamedTuple):
    marker: str
    unit: str
    notes: tuple[str, ...]
    bands: tuple[Band, ...]
    cuts: tuple[tuple[float, bool, Band], ...]  # (upper end, upper end included, band), in order

    def band_for(self, value: float) -> Band:
        return band_in(self.cuts, value)


def band_in(cuts: tuple[tuple[float, bool, Band], ...], value: float) -> Band:
    """The band holding ``value``. The loader has checked that the bands run from -inf to inf
    without gap or overlap, so the first band whose upper end admits the value is the one."""
    for upper, included, band in cuts:
        if value < upper or (included and value == upper):
            return band
    raise KnowledgeBaseError(f"no band holds {value!r}")


class Scheme(NamedTuple):
    id: str
    title: str
    description: str
    sources: tuple[str, ...]
    markers: dict[str, MarkerBands]


class Thresholds(NamedTuple):
    disclaimer: str
    schemes: dict[str, Scheme]
    cb12_sources: tuple[str, ...]
    cb12_notes: tuple[str, ...]
    cb12_bands: MarkerBands
    messages: dict[str, Message]


class Point(NamedTuple):
    text: str
    sources: tuple[str, ...]


class Topic(NamedTuple):
    id: str
    title: str
    summary: str
    aliases: tuple[str, ...]
    points: tuple[Point, ...]


# ----------------------------------------------------------------- building records


def _messages(items: list[dict]) -> dict[str, Message]:
    return {m["id"]: Message(m["id"], m["text"], tuple(m["sources"])) for m in items}


def _marker_bands(marker: str, spec: dict) -> MarkerBands:
    bands = tuple(Band(b["status"], parse_interval(b["range"]), tuple(b["sources"])) for b in spec["bands"])
    cuts = tuple((b.interval.upper, b.interval.upper_inclusive, b) for b in bands)
    return MarkerBands(marker, spec["unit"], tuple(spec["notes"]), bands, cuts)


def _tuples(record: dict, *keys: str) -> dict:
    return {k: tuple(v) if k in keys else v for k, v in record.items()}


def build_intakes(data: dict) -> Intakes:
    rows = tuple(LifeStage(**_tuples(r, "notes", "sources")) for r in data["life_stages"])
    return Intakes(data["unit"], rows, _messages(data["messages"]))


def build_foods(data: dict) -> Foods:
    foods = tuple(Food(**_tuples(f, "notes", "sources")) for f in data["foods"])
    dv = data["daily_value"]
    return Foods(dv["mcg"], tuple(dv["sources"]), foods, _messages(data["messages"]))


def build_medications(data: dict) -> Medications:
    classes = tuple(MedicationClass(**_tuples(c, "generic_names", "brand_names", "notes", "sources"))
                    for c in data["classes"])
    return Medications(classes, _messages(data["messages"]))


def build_thresholds(data: dict) -> Thresholds:
    schemes = {
        s["id"]: Scheme(s["id"], s["title"], s["description"], tuple(s["sources"]),
                        {m: _marker_bands(m, spec) for m, spec in s["markers"].items()})
        for s in data["schemes"]
    }
    cb12 = data["cb12"]
    return Thresholds(data["disclaimer"], schemes, tuple(cb12["sources"]), tuple(cb12["notes"]),
                      _marker_bands("cb12", {"unit": "", "notes": [], "bands": cb12["bands"]}),
                      _messages(data["messages"]))


def build_topics(data: dict) -> tuple[Topic, ...]:
    return tuple(
        Topic(t["id"], t["title"], t["summary"], tuple(t["aliases"]),
              tuple(Point(p["text"], tuple(p["sources"])) for p in t["points"]))
        for t in data["topics"]
    )


def build_sources(data: dict) -> dict[str, Source]:
    return {s["id"]: Source(**s) for s in data["sources"]}


# ----------------------------------------------------------------- loinc.yaml (b12 history)


class LoincCode(NamedTuple):
    code: str
    marker: str
    name: str
    sources: tuple[str, ...]


class Loinc(NamedTuple):
    system: str
    codes: dict[str, LoincCode]  # code -> record
    notes: tuple[str, ...]


def build_loinc(data: dict) -> Loinc:
    codes = {c["code"]: LoincCode(c["code"], c["marker"], c["name"], tuple(c["sources"])) for c in data["codes"]}
    return Loinc(data["system"], codes, tuple(data["notes"]))


# ----------------------------------------------------------------- reading files


def bundled_data_dir() -> Path:
    """``data/`` inside the installed package (wheel), else the checkout's ``data/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "data", here.parent / "data"):
        if (candidate / "sources.yaml").is_file():
            return candidate
    raise KnowledgeBaseError(f"knowledge base not found (looked in {here / 'data'} and {here.parent / 'data'})")


def data_dir() -> Path:
    override = os.environ.get("B12_DATA_DIR")
    if override is None:
        return bundled_data_dir()
    path = Path(override)
    if not path.is_dir():
        raise KnowledgeBaseError(f"B12_DATA_DIR {override!r} is not a directory")
    return path


def cache_dir() -> Path | None:
    if os.environ.get("B12_NO_CACHE"):
        return None
    configured = os.environ.get("B12_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "b12"


def _yaml_error(file: str, text: str, exc: Exception) -> KnowledgeBaseError:
    from b12cli.yamlsafe import describe_error

    return KnowledgeBaseError(f"{file}: {describe_error(text, exc)}")


def _parse(file: str, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    from b12cli.yamlsafe import YAMLError, load

    try:
        return load(text)
    except YAMLError as exc:
        raise _yaml_error(file, text, exc) from None


def _read_cache(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _write_cache(path: Path | None, data: dict) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, allow_nan=False), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs speed


def load_file(directory: Path, name: str) -> dict:
    """One file, parsed and validated (or taken from the cache)."""
    file = f"{name}.yaml"
    try:
        raw = (directory / file).read_bytes()
    except FileNotFoundError:
        raise KnowledgeBaseError(f"{file}: missing from the knowledge base at {directory}") from None
    except OSError as exc:
        raise KnowledgeBaseError(f"{file}: cannot be read ({exc.strerror})") from None
    cache = cache_dir()
    digest = hashlib.sha256(raw + f"|{name}|{CACHE_REVISION}|{__version__}".encode()).hexdigest()[:32]
    cache_path = cache / f"{name}-{digest}.json" if cache else None
    cached = _read_cache(cache_path)
    if cached is not None:
        return cached
    from b12cli.schema import ShapeError
    from b12cli.validate import validate

    try:
        data = validate(name, _parse(file, raw))
    except ShapeError as exc:
        raise KnowledgeBaseError(f"{file}: {exc.path}: {exc.problem}") from None
    _write_cache(cache_path, data)
    return data


def cited_ids(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (path, id) cited under a ``sources`` key anywhere in ``node``."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            if key == "sources" and isinstance(value, list):
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

    def _load(self, name: str) -> dict:
        data = load_file(self.directory, name)
        if name != "sources":
            known = self.sources
            for path, source_id in cited_ids(data):
                if source_id not in known:
                    raise KnowledgeBaseError(f"{name}.yaml: {path}: unknown source id {source_id!r}")
        return data

    @cached_property
    def sources(self) -> dict[str, Source]:
        return build_sources(load_file(self.directory, "sources"))

    @cached_property
    def intakes(self) -> Intakes:
        return build_intakes(self._load("intakes"))

    @cached_property
    def foods(self) -> Foods:
        return build_foods(self._load("foods"))

    @cached_property
    def medications(self) -> Medications:
        return build_medications(self._load("medications"))

    @cached_property
    def thresholds(self) -> Thresholds:
        return build_thresholds(self._load("thresholds"))

    @cached_property
    def topics(self) -> tuple[Topic, ...]:
        return build_topics(self._load("topics"))

    # ------------------------------------------------------------- loinc.yaml (b12 history)

    @cached_property
    def loinc(self) -> Loinc:
        return build_loinc(self._load("loinc"))

    def load_all(self) -> None:
        for name in FILES:
            getattr(self, name)
