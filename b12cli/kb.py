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
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from b12cli import __version__
from b12cli import schema as S
from b12cli.bands import Interval, IntervalError, check_cover, parse_interval
from b12cli.errors import KnowledgeBaseError

SCHEMA_VERSION = 1
CACHE_REVISION = "1"  # bump when validation or the cached shape changes
DOCUMENT_IDS = ("doc-recovery", "doc-reverse", "doc-overview", "doc-two-causes", "doc-harvard")
SOURCE_KINDS = ("document", "fact-sheet", "guideline", "paper", "database", "laboratory", "drug-label")
MARKERS = ("b12", "holotc", "mma", "hcy")
CANONICAL_UNITS = {"b12": "pg/mL", "holotc": "pmol/L", "mma": "umol/L", "hcy": "umol/L"}
MARKER_STATUSES = ("deficient", "low", "indeterminate", "normal", "high")
CB12_CATEGORIES = ("probable_deficiency", "possible_deficiency", "low", "adequate", "elevated")
FILES = ("sources", "intakes", "foods", "medications", "thresholds", "topics")


# ----------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    author: str | None
    publisher: str | None
    year: int | None
    url: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    text: str
    sources: tuple[str, ...]

    def cited(self) -> str:
        """The text with its sources, for a plain-string note."""
        return f"{self.text} (sources: {', '.join(self.sources)})"


@dataclass(frozen=True, slots=True)
class LifeStage:
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


@dataclass(frozen=True, slots=True)
class Intakes:
    unit: str
    life_stages: tuple[LifeStage, ...]
    messages: dict[str, Message]


@dataclass(frozen=True, slots=True)
class Food:
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


@dataclass(frozen=True, slots=True)
class Foods:
    daily_value_mcg: float
    daily_value_sources: tuple[str, ...]
    foods: tuple[Food, ...]
    messages: dict[str, Message]


@dataclass(frozen=True, slots=True)
class MedicationClass:
    id: str
    name: str
    generic_names: tuple[str, ...]
    brand_names: tuple[str, ...]
    effect: str
    advice: str
    notes: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Medications:
    classes: tuple[MedicationClass, ...]
    messages: dict[str, Message]


@dataclass(frozen=True, slots=True)
class Band:
    status: str
    interval: Interval
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MarkerBands:
    marker: str
    unit: str
    notes: tuple[str, ...]
    bands: tuple[Band, ...]

    def band_for(self, value: float) -> Band:
        for band in self.bands:
            if band.interval.contains(value):
                return band
        raise KnowledgeBaseError(f"no {self.marker} band holds {value!r}")  # bands are validated to cover all


@dataclass(frozen=True, slots=True)
class Scheme:
    id: str
    title: str
    description: str
    sources: tuple[str, ...]
    markers: dict[str, MarkerBands]


@dataclass(frozen=True, slots=True)
class Thresholds:
    disclaimer: str
    schemes: dict[str, Scheme]
    cb12_sources: tuple[str, ...]
    cb12_notes: tuple[str, ...]
    cb12_bands: MarkerBands
    messages: dict[str, Message]


@dataclass(frozen=True, slots=True)
class Point:
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    summary: str
    aliases: tuple[str, ...]
    points: tuple[Point, ...]


# ----------------------------------------------------------------- shapes

_SOURCE = S.fields(id=S.ident, title=S.text, author=S.nullable(S.text), publisher=S.nullable(S.text),
                   year=S.nullable(S.integer), url=S.nullable(S.text), kind=S.one_of(*SOURCE_KINDS))
_LIFE_STAGE = S.fields(id=S.ident, life_stage=S.text, ages=S.text,
                       condition=S.one_of("none", "pregnancy", "breastfeeding"),
                       min_months=S.integer, max_months=S.nullable(S.integer), mcg_per_day=S.non_negative,
                       kind=S.one_of("AI", "RDA"), notes=S.NOTES, sources=S.SOURCES)
_FOOD = S.fields(id=S.ident, name=S.text, serving=S.text, mcg_per_serving=S.non_negative,
                 mcg_per_100g=S.nullable(S.non_negative),
                 category=S.one_of("organ-meat", "meat", "poultry", "fish", "shellfish", "dairy", "eggs",
                                   "fortified", "plant"),
                 vegan=S.boolean, vegetarian=S.boolean, fortified=S.boolean, notes=S.NOTES, sources=S.SOURCES)
_MED_CLASS = S.fields(id=S.ident, name=S.text, generic_names=S.list_of(S.text, 1), brand_names=S.list_of(S.text),
                      effect=S.text, advice=S.text, notes=S.NOTES, sources=S.SOURCES)


def _bands_spec(statuses: tuple[str, ...]) -> S.Spec:
    return S.list_of(S.fields(status=S.one_of(*statuses), range=S.text, sources=S.SOURCES), 1)


_MARKER = S.fields(unit=S.text, notes=S.NOTES, bands=_bands_spec(MARKER_STATUSES))
_SCHEME = S.fields(id=S.ident, title=S.text, description=S.text, sources=S.SOURCES,
                   markers=S.fields(**{m: _MARKER for m in MARKERS}))
_TOPIC = S.fields(id=S.ident, title=S.text, summary=S.text, aliases=S.list_of(S.text),
                  points=S.list_of(S.fields(text=S.text, sources=S.SOURCES), 1))

SHAPES: dict[str, S.Spec] = {
    "sources": S.fields(schema_version=S.integer, sources=S.list_of(_SOURCE, 1)),
    "intakes": S.fields(schema_version=S.integer, unit=S.text, life_stages=S.list_of(_LIFE_STAGE, 1),
                        messages=S.MESSAGES),
    "foods": S.fields(schema_version=S.integer,
                      daily_value=S.fields(mcg=S.non_negative, sources=S.SOURCES),
                      messages=S.MESSAGES, foods=S.list_of(_FOOD, 1)),
    "medications": S.fields(schema_version=S.integer, messages=S.MESSAGES, classes=S.list_of(_MED_CLASS, 1)),
    "thresholds": S.fields(schema_version=S.integer, disclaimer=S.text, schemes=S.list_of(_SCHEME, 1),
                           cb12=S.fields(sources=S.SOURCES, notes=S.NOTES, bands=_bands_spec(CB12_CATEGORIES)),
                           messages=S.MESSAGES),
    "topics": S.fields(schema_version=S.integer, topics=S.list_of(_TOPIC, 1)),
}

# Message ids the code relies on, per file.
REQUIRED_MESSAGES: dict[str, tuple[str, ...]] = {
    "intakes": ("tables-start-at-14", "no-upper-limit"),
    "foods": ("vegan-supplement", "check-labels", "older-adults"),
    "medications": ("not-listed", "do-not-stop"),
    "thresholds": ("direct-deficient", "direct-and-functional", "direct-borderline", "mma-alone", "hcy-alone",
                   "all-in-range", "b12-high", "step-settle-indeterminate", "step-add-functional",
                   "step-kidney-age", "step-folate-b6", "step-see-doctor", "step-raised-b12",
                   "step-symptoms-despite-normal", "note-pregnancy", "note-under-18", "note-own-range"),
}


# ----------------------------------------------------------------- meaning


def _check_sources(data: dict) -> None:
    S.unique(data["sources"], "id", "sources")
    have = {s["id"] for s in data["sources"]}
    for doc in DOCUMENT_IDS:
        if doc not in have:
            raise S.ShapeError("sources", f"missing the document source {doc!r}")


def _check_intakes(data: dict) -> None:
    rows = data["life_stages"]
    S.unique(rows, "id", "life_stages")
    general = [(i, r) for i, r in enumerate(rows) if r["condition"] == "none"]
    expected = 0
    for i, row in general:
        path = f"life_stages[{i}]"
        if row["min_months"] != expected:
            raise S.ShapeError(f"{path}.min_months",
                               f"expected {expected} so that the ages join up, got {row['min_months']}")
        if row["max_months"] is None:
            expected = None
            continue
        if expected is None or row["max_months"] <= row["min_months"]:
            raise S.ShapeError(f"{path}.max_months", "must be above min_months, and only the last row may be open")
        expected = row["max_months"]
    if expected is not None:
        raise S.ShapeError("life_stages", "the last general row must have max_months null (no upper age)")
    for condition in ("pregnancy", "breastfeeding"):
        if sum(r["condition"] == condition for r in rows) != 1:
            raise S.ShapeError("life_stages", f"expected exactly one {condition} row")


def _check_foods(data: dict) -> None:
    S.unique(data["foods"], "id", "foods")
    S.unique(data["foods"], "name", "foods", str.casefold)
    if data["daily_value"]["mcg"] <= 0:
        raise S.ShapeError("daily_value.mcg", "must be above 0")
    for i, food in enumerate(data["foods"]):
        if food["vegan"] and not food["vegetarian"]:
            raise S.ShapeError(f"foods[{i}].vegetarian", "a vegan food is also vegetarian")


def _check_medications(data: dict) -> None:
    S.unique(data["classes"], "id", "classes")
    seen: dict[str, str] = {}
    for i, cls in enumerate(data["classes"]):
        for field in ("generic_names", "brand_names"):
            for j, name in enumerate(cls[field]):
                key, path = name.casefold(), f"classes[{i}].{field}[{j}]"
                if key in seen:
                    raise S.ShapeError(path, f"name {name!r} is listed twice (also at {seen[key]})")
                seen[key] = path


def _check_bands(bands: list[dict], path: str) -> None:
    intervals = []
    for i, band in enumerate(bands):
        try:
            intervals.append(parse_interval(band["range"]))
        except IntervalError as exc:
            raise S.ShapeError(f"{path}[{i}].range", str(exc)) from None
    problem = check_cover(intervals)
    if problem:
        raise S.ShapeError(path, problem)


def _check_thresholds(data: dict) -> None:
    S.unique(data["schemes"], "id", "schemes")
    ids = {s["id"] for s in data["schemes"]}
    for wanted in ("documents", "nice"):
        if wanted not in ids:
            raise S.ShapeError("schemes", f"missing scheme {wanted!r}")
    for i, scheme in enumerate(data["schemes"]):
        for marker, spec in scheme["markers"].items():
            path = f"schemes[{i}].markers.{marker}"
            if spec["unit"] != CANONICAL_UNITS[marker]:
                raise S.ShapeError(f"{path}.unit", f"expected the canonical unit {CANONICAL_UNITS[marker]!r}")
            _check_bands(spec["bands"], f"{path}.bands")
    _check_bands(data["cb12"]["bands"], "cb12.bands")


def _check_topics(data: dict) -> None:
    S.unique(data["topics"], "id", "topics")


MEANING: dict[str, Callable[[dict], None]] = {
    "sources": _check_sources, "intakes": _check_intakes, "foods": _check_foods,
    "medications": _check_medications, "thresholds": _check_thresholds, "topics": _check_topics,
}


def validate(name: str, raw: Any) -> dict:
    """Shape and meaning of one file's parsed YAML; raises ``ShapeError``."""
    data = SHAPES[name](raw, "")
    if data["schema_version"] != SCHEMA_VERSION:
        raise S.ShapeError("schema_version", f"expected {SCHEMA_VERSION}, got {data['schema_version']}")
    if name in REQUIRED_MESSAGES:
        S.require_ids(data["messages"], REQUIRED_MESSAGES[name], "messages")
    MEANING[name](data)
    return data


# ----------------------------------------------------------------- building records


def _messages(items: list[dict]) -> dict[str, Message]:
    return {m["id"]: Message(m["id"], m["text"], tuple(m["sources"])) for m in items}


def _marker_bands(marker: str, spec: dict) -> MarkerBands:
    bands = tuple(Band(b["status"], parse_interval(b["range"]), tuple(b["sources"])) for b in spec["bands"])
    return MarkerBands(marker, spec["unit"], tuple(spec["notes"]), bands)


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
    try:
        data = validate(name, _parse(file, raw))
    except S.ShapeError as exc:
        raise KnowledgeBaseError(f"{file}: {exc.path}: {exc.problem}") from None
    _write_cache(cache_path, data)
    return data


class KnowledgeBase:
    """Lazily loads each file once; every citation is checked against sources.yaml."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else data_dir()

    def _load(self, name: str) -> dict:
        data = load_file(self.directory, name)
        if name != "sources":
            known = self.sources
            for path, source_id in S.cited_ids(data):
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

    def load_all(self) -> None:
        for name in FILES:
            getattr(self, name)
