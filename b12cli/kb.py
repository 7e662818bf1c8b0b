"""The knowledge base: where it lives, one strict loader, and its records.

Each YAML file is read safely, checked against a strict shape (unknown or
missing keys and wrong types are errors naming ``file: path.to.key``), checked
for meaning (unique ids, contiguous bands, citations that resolve), and turned
into frozen records. A validated file is cached as JSON keyed by a hash of its
bytes and of the code that shapes it, so later runs skip YAML entirely; any edit
to the file or the code misses the cache and is validated again. A cache entry
that does not verify is ignored and rebuilt. Only the files a command needs are read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, NamedTuple

from b12cli import __version__
from b12cli.bands import Cuts, Interval, check_cover, cuts_of, locate, parse_interval
from b12cli.errors import KnowledgeBaseError
from b12cli.vocab import Cited

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
    serving_g: float | None = None  # grams in one serving, where known
    aliases: tuple[str, ...] = ()  # other names and brand names it is searched by


class Foods(NamedTuple):
    daily_value_mcg: float
    daily_value_sources: tuple[str, ...]
    foods: tuple[Food, ...]
    messages: dict[str, Message]


class NameNote(NamedTuple):
    names: tuple[str, ...]  # the generic or brand names this note is about
    text: str
    sources: tuple[str, ...]


class MedicationClass(NamedTuple):
    id: str
    name: str
    generic_names: tuple[str, ...]
    brand_names: tuple[str, ...]
    effect: str
    advice: str
    notes: tuple[str, ...]
    sources: tuple[str, ...]
    name_notes: tuple[NameNote, ...] = ()
    brand_generics: dict[str, str] = {}  # brand -> the generic name it contains
    other_names: dict[str, str] = {}  # a name people use that is neither generic nor brand -> its generic

    def generic_for(self, name: str) -> str | None:
        """The generic name behind a generic or brand name of this class."""
        if name in self.generic_names:
            return name
        return self.brand_generics.get(name)


class Combination(NamedTuple):
    brand: str
    ingredients: tuple[str, ...]  # generic names, listed or not
    region: str
    sources: tuple[str, ...]


class Medications(NamedTuple):
    classes: tuple[MedicationClass, ...]
    messages: dict[str, Message]
    combinations: tuple[Combination, ...] = ()


class Band(NamedTuple):
    status: str
    interval: Interval
    sources: tuple[str, ...]


class Scale(NamedTuple):
    """A marker's bands with their edges in one unit."""

    unit: str
    bands: tuple[Band, ...]
    cuts: Cuts

    def band_for(self, value: float) -> Band:
        """The band holding ``value`` (in this scale's unit): ``bands.locate``, the one lookup."""
        return self.bands[locate(self.cuts, value)]


class MarkerBands(NamedTuple):
    marker: str
    unit: str  # canonical
    notes: tuple[str, ...]
    bands: tuple[Band, ...]
    cuts: Cuts
    published: dict[str, Scale]  # the same bands with their edges as the source published them in other units

    def band_for(self, value: float) -> Band:
        """The band holding a canonical ``value``."""
        return self.bands[locate(self.cuts, value)]

    def scale(self, unit: str) -> Scale:
        """The scale to compare a result given in ``unit`` with: the source's own edges in that unit
        where it published them (NICE: 133 pmol/L), else the canonical edges."""
        found = self.published.get(unit)
        return found if found is not None else Scale(self.unit, self.bands, self.cuts)


class Urgency(NamedTuple):
    """A range of a marker (canonical unit) in which a result calls for prompt care."""

    marker: str
    interval: Interval
    message: str  # a message id
    sources: tuple[str, ...]


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
    urgency: tuple[Urgency, ...]
    messages: dict[str, Message]


class Topic(NamedTuple):
    id: str
    title: str
    summary: str
    aliases: tuple[str, ...]
    points: tuple[Cited, ...]  # each point: text and its sources


# ----------------------------------------------------------------- building records


def _messages(items: list[dict]) -> dict[str, Message]:
    return {m["id"]: Message(m["id"], m["text"], tuple(m["sources"])) for m in items}


def _marker_bands(marker: str, spec: dict) -> MarkerBands:
    bands = tuple(Band(b["status"], parse_interval(b["range"]), tuple(b["sources"])) for b in spec["bands"])
    problem = check_cover([b.interval for b in bands])
    if problem:  # checked again here: cached data is never believed to hold bands that leave a gap
        raise KnowledgeBaseError(f"thresholds: {marker}: {problem}")
    published = {}
    for unit, ranges in spec.get("published", {}).items():
        scaled = tuple(b._replace(interval=parse_interval(r)) for b, r in zip(bands, ranges))
        published[unit] = Scale(unit, scaled, cuts_of([b.interval for b in scaled]))
    return MarkerBands(marker, spec["unit"], tuple(spec["notes"]), bands, cuts_of([b.interval for b in bands]),
                       published)


def _tuples(record: dict, *keys: str) -> dict:
    return {k: tuple(v) if k in keys else v for k, v in record.items()}


def build_intakes(data: dict) -> Intakes:
    rows = tuple(LifeStage(**_tuples(r, "notes", "sources")) for r in data["life_stages"])
    return Intakes(data["unit"], rows, _messages(data["messages"]))


def build_foods(data: dict) -> Foods:
    foods = tuple(Food(**_tuples(f, "notes", "sources", "aliases")) for f in data["foods"])
    dv = data["daily_value"]
    return Foods(dv["mcg"], tuple(dv["sources"]), foods, _messages(data["messages"]))


def _med_class(c: dict) -> MedicationClass:
    record = _tuples(c, "generic_names", "brand_names", "notes", "sources")
    record["name_notes"] = tuple(NameNote(tuple(n["names"]), n["text"], tuple(n["sources"])) for n in c["name_notes"])
    record["brand_generics"] = {b["brand"]: b["generic"] for b in c["brand_generics"]}
    record["other_names"] = {o["name"]: o["generic"] for o in c["other_names"]}
    return MedicationClass(**record)


def build_medications(data: dict) -> Medications:
    classes = tuple(_med_class(c) for c in data["classes"])
    combinations = tuple(Combination(**_tuples(c, "ingredients", "sources")) for c in data["combinations"])
    return Medications(classes, _messages(data["messages"]), combinations)


def build_thresholds(data: dict) -> Thresholds:
    schemes = {
        s["id"]: Scheme(s["id"], s["title"], s["description"], tuple(s["sources"]),
                        {m: _marker_bands(m, spec) for m, spec in s["markers"].items()})
        for s in data["schemes"]
    }
    cb12 = data["cb12"]
    urgency = tuple(Urgency(u["marker"], parse_interval(u["range"]), u["message"], tuple(u["sources"]))
                    for u in data["urgency"])
    return Thresholds(data["disclaimer"], schemes, tuple(cb12["sources"]), tuple(cb12["notes"]),
                      _marker_bands("cb12", {"unit": "", "notes": [], "bands": cb12["bands"]}), urgency,
                      _messages(data["messages"]))


def build_topics(data: dict) -> tuple[Topic, ...]:
    return tuple(
        Topic(t["id"], t["title"], t["summary"], tuple(t["aliases"]),
              tuple(Cited(p["text"], tuple(p["sources"])) for p in t["points"]))
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
    """``B12_DATA_DIR`` if set and not empty, else the bundled data."""
    override = os.environ.get("B12_DATA_DIR")
    if not override:
        return bundled_data_dir()
    path = Path(override)
    if not path.is_dir():
        raise KnowledgeBaseError(f"B12_DATA_DIR {override!r} is not a directory")
    return path


# ----------------------------------------------------------------- the compiled cache
#
# One file per knowledge-base file, named ``<name>-<key>.json`` where the key hashes the header
# below. The file is a one-line JSON header, a newline, then the validated data as JSON:
#   {"format", "file", "source_sha256" (the YAML bytes), "code" (fingerprint of the code that
#    shapes the data), "payload_sha256", "payload_bytes"}
# A file is used only when its header is exactly the one expected and the payload's digest
# matches; anything else (edited, truncated, wrong shape, another user's, a FIFO, a symlink,
# too big) is ignored and the file is rebuilt from the YAML. The digest is not a signature:
# it catches edits and damage; the ownership and permission checks keep other users out.

MAX_FILE_BYTES = 8 * 1024 * 1024  # cap on a cache file
MAX_YAML_BYTES = 2 * 1024 * 1024  # cap on a YAML source file (the bundled ones are under 40 KB)
CACHE_FORMAT = "b12-cache/2"
# Modules whose code shapes the cached data; their bytes make up the code fingerprint, so any
# change to them misses old caches without anyone bumping a constant.
CODE_FILES = ("kb.py", "validate.py", "schema.py", "bands.py", "yamlsafe.py", "vocab.py", "units.py", "values.py")
_CACHE_OFF_NOT = ("", "0", "false", "no", "off")  # B12_NO_CACHE values that leave the cache on


class Unusable(Exception):
    """A file that is not a regular file, is too big, or (for the cache) is not private to us."""


def _private(st: os.stat_result) -> bool:
    """Owned by the current user and not writable by group or others (always true without uids)."""
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def read_regular(path: Path, limit: int = MAX_FILE_BYTES, *, private: bool = False) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; never blocks on a FIFO or device.

    ``private`` (for cache files): the path itself must not be a symlink, and the file must be
    ours and not writable by others. Raises ``OSError`` or ``Unusable``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if private:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unusable("not a regular file")
        if private and not _private(st):
            raise Unusable("not private to this user")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise Unusable(f"larger than {limit // (1024 * 1024)} MiB")
    return b"".join(chunks)


def cache_dir() -> Path | None:
    """Where compiled files go: None when ``B12_NO_CACHE`` is set to anything but 0/false/no/off/empty."""
    if os.environ.get("B12_NO_CACHE", "").strip().casefold() not in _CACHE_OFF_NOT:
        return None
    configured = os.environ.get("B12_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "b12"


def _usable_cache_dir(create: bool) -> Path | None:
    """The cache folder if it is a folder of ours that others cannot write to (created 0700)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if create:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.stat(folder)
    except OSError:
        return None
    return folder if stat.S_ISDIR(st.st_mode) and _private(st) else None


_fingerprint: list[str] = []


def fingerprint_of(folder: Path) -> str:
    """A hash of the cache format, the package version and the bytes of ``CODE_FILES`` in ``folder``."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}".encode())
    for name in CODE_FILES:
        try:
            code = (folder / name).read_bytes()
        except OSError:
            code = b"(absent)"
        digest.update(name.encode() + b"\0" + hashlib.sha256(code).digest())
    return digest.hexdigest()


def code_fingerprint() -> str:
    """``fingerprint_of`` this package's folder, computed once per process."""
    if not _fingerprint:
        _fingerprint.append(fingerprint_of(Path(__file__).parent))
    return _fingerprint[0]


def _cache_header(name: str, raw: bytes) -> dict:
    return {"format": CACHE_FORMAT, "file": name, "source_sha256": hashlib.sha256(raw).hexdigest(),
            "code": code_fingerprint()}


def _cache_name(header: dict) -> str:
    key = hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest()[:32]
    return f"{header['file']}-{key}.json"


def _read_cache(header: dict) -> dict | None:
    """The cached data for ``header``, or None if there is none that verifies."""
    folder = _usable_cache_dir(create=False)
    if folder is None:
        return None
    try:
        blob = read_regular(folder / _cache_name(header), private=True)
    except (OSError, Unusable):
        return None
    head, _, payload = blob.partition(b"\n")
    expected = {**header, "payload_sha256": hashlib.sha256(payload).hexdigest(), "payload_bytes": len(payload)}
    try:
        if json.loads(head) != expected:
            return None
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _write_cache(header: dict, data: dict) -> None:
    """Write atomically: a private temporary file in the same folder (O_EXCL, no symlink followed),
    then a rename over the final name. Failure only costs speed."""
    folder = _usable_cache_dir(create=True)
    if folder is None:
        return
    try:
        payload = json.dumps(data, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return
    head = {**header, "payload_sha256": hashlib.sha256(payload).hexdigest(), "payload_bytes": len(payload)}
    blob = json.dumps(head).encode() + b"\n" + payload
    if len(blob) > MAX_FILE_BYTES:
        return
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{header['file']}-", suffix=".tmp", dir=folder)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, folder / _cache_name(header))
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


# ----------------------------------------------------------------- reading and validating a file


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


def _load_file(directory: Path, name: str, use_cache: bool = True) -> tuple[dict, bool]:
    """One file's validated data, and whether it came from the cache."""
    file = f"{name}.yaml"
    raw = _read_source(directory, file)
    header = _cache_header(name, raw)
    cached = _read_cache(header) if use_cache else None
    if cached is not None:
        return cached, True
    from b12cli.schema import ShapeError
    from b12cli.validate import validate

    try:
        data = validate(name, _parse(file, raw))
    except ShapeError as exc:
        raise KnowledgeBaseError(f"{file}: {exc.path}: {exc.problem}") from None
    _write_cache(header, data)
    return data, False


def load_file(directory: Path, name: str) -> dict:
    """One file, parsed and validated (or taken from the cache)."""
    return _load_file(directory, name)[0]


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

    def _checked(self, name: str, data: dict) -> dict:
        if name != "sources":
            known = self.sources
            for path, source_id in cited_ids(data):
                if source_id not in known:
                    raise KnowledgeBaseError(f"{name}.yaml: {path}: unknown source id {source_id!r}")
        return data

    def _built(self, name: str, build: Callable[[dict], Any]) -> Any:
        """Records from one file. Data from the cache is never trusted to have the right shape:
        if anything goes wrong while checking or building it, the file is read from the YAML again."""
        data, cached = _load_file(self.directory, name)
        if cached:
            try:
                return build(self._checked(name, data))
            except Exception:  # noqa: BLE001 - a bad cached payload is discarded and rebuilt below
                data, _ = _load_file(self.directory, name, use_cache=False)
        return build(self._checked(name, data))

    @cached_property
    def sources(self) -> dict[str, Source]:
        return self._built("sources", build_sources)

    @cached_property
    def intakes(self) -> Intakes:
        return self._built("intakes", build_intakes)

    @cached_property
    def foods(self) -> Foods:
        return self._built("foods", build_foods)

    @cached_property
    def medications(self) -> Medications:
        return self._built("medications", build_medications)

    @cached_property
    def thresholds(self) -> Thresholds:
        return self._built("thresholds", build_thresholds)

    @cached_property
    def topics(self) -> tuple[Topic, ...]:
        return self._built("topics", build_topics)

    # ------------------------------------------------------------- loinc.yaml (b12 history)

    @cached_property
    def loinc(self) -> Loinc:
        return self._built("loinc", build_loinc)

    def load_all(self) -> None:
        for name in FILES:
            getattr(self, name)

    # --- decision commands (risk, absorb, intake) ---

    @cached_property
    def risk(self) -> Risk:
        return self._built("risk", build_risk)

    @cached_property
    def absorption(self) -> Absorption:
        return self._built("absorption", build_absorption)

    @cached_property
    def intake(self) -> Intake:
        return self._built("intake", build_intake)


# ----------------------------------------------------------------- decision commands: risk, absorb, intake

FILES = (*FILES, "risk", "absorption", "intake")


class RiskSymptom(NamedTuple):
    id: str
    name: str
    aliases: tuple[str, ...]
    neurological: bool
    text: str
    sources: tuple[str, ...]


class RiskFactor(NamedTuple):
    id: str
    name: str
    aliases: tuple[str, ...]
    min_age_years: float | None  # --age above this adds the factor
    diet: str | None  # --diet value that adds it
    pregnancy: bool  # --pregnant adds it
    medication_classes: tuple[str, ...]  # medications.yaml class ids that add it (--meds)
    prompt: bool  # with a symptom, calls for prompt care
    text: str
    sources: tuple[str, ...]


class Risk(NamedTuple):
    symptoms: tuple[RiskSymptom, ...]
    factors: tuple[RiskFactor, ...]
    messages: dict[str, Message]


class AbsorptionPoint(NamedTuple):
    dose_mcg: float
    absorbed_mcg: float
    text: str
    sources: tuple[str, ...]


class Absorption(NamedTuple):
    points: tuple[AbsorptionPoint, ...]  # ascending dose
    saturation_low_mcg: float
    saturation_high_mcg: float
    saturation: Message
    passive_fraction: float
    passive: Message
    spacing_hours: int
    spacing: Message
    max_dose_mcg: float
    rda_mcg: float
    assumed_fraction: float
    reference: Message
    messages: dict[str, Message]


class IntakeDefault(NamedTuple):
    word: str
    food: str  # a foods.yaml id
    reason: str
    sources: tuple[str, ...]


class Intake(NamedTuple):
    defaults: tuple[IntakeDefault, ...]
    messages: dict[str, Message]


def build_risk(data: dict) -> Risk:
    symptoms = tuple(RiskSymptom(**_tuples(s, "aliases", "sources")) for s in data["symptoms"])
    factors = tuple(RiskFactor(**_tuples(f, "aliases", "medication_classes", "sources")) for f in data["factors"])
    return Risk(symptoms, factors, _messages(data["messages"]))


def build_absorption(data: dict) -> Absorption:
    points = tuple(AbsorptionPoint(**_tuples(p, "sources")) for p in data["points"])
    sat, passive, spacing, ref = data["saturation"], data["passive"], data["spacing"], data["reference"]

    def cited(key: str, part: dict) -> Message:
        return Message(key, part["text"], tuple(part["sources"]))

    return Absorption(points, sat["low_mcg"], sat["high_mcg"], cited("saturation", sat), passive["fraction"],
                      cited("passive", passive), spacing["hours"], cited("spacing", spacing), data["max_dose_mcg"],
                      ref["rda_mcg"], ref["assumed_fraction"], cited("reference", ref), _messages(data["messages"]))


def build_intake(data: dict) -> Intake:
    return Intake(tuple(IntakeDefault(**_tuples(d, "sources")) for d in data["defaults"]), _messages(data["messages"]))
