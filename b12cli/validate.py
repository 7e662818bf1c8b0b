"""Validation of one knowledge-base file: strict shape, then meaning.

Imported only when a file is not in the compiled cache, so a normal run never
pays for it.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from b12cli import schema as S
from b12cli.bands import IntervalError, check_cover, parse_interval
from b12cli.kb import (
    CANONICAL_UNITS,
    CB12_CATEGORIES,
    DOCUMENT_IDS,
    MARKER_STATUSES,
    MARKERS,
    SCHEMA_VERSION,
    SOURCE_KINDS,
)

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


# ----------------------------------------------------------------- loinc.yaml (b12 history)

LOINC_SYSTEM = "http://loinc.org"
_LOINC_CODE = re.compile(r"^([0-9]{1,7})-([0-9])$")
SHAPES["loinc"] = S.fields(schema_version=S.integer, system=S.text, notes=S.NOTES,
                           codes=S.list_of(S.fields(code=S.text, marker=S.one_of(*MARKERS), name=S.text,
                                                    sources=S.SOURCES), 1))


def loinc_check_digit(digits: str) -> int:
    """The LOINC check digit (mod 10, as Luhn): double every other digit from the right, sum the digits."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def _check_loinc(data: dict) -> None:
    if data["system"] != LOINC_SYSTEM:
        raise S.ShapeError("system", f"expected {LOINC_SYSTEM!r}, got {data['system']!r}")
    S.unique(data["codes"], "code", "codes")
    for i, record in enumerate(data["codes"]):
        match = _LOINC_CODE.match(record["code"])
        if not match:
            raise S.ShapeError(f"codes[{i}].code", f"expected a LOINC code such as 2132-9, got {record['code']!r}")
        if loinc_check_digit(match.group(1)) != int(match.group(2)):
            raise S.ShapeError(f"codes[{i}].code", f"{record['code']!r} fails the LOINC check digit")


MEANING["loinc"] = _check_loinc


def validate(name: str, raw: Any) -> dict:
    """Shape and meaning of one file's parsed YAML; raises ``ShapeError``."""
    data = SHAPES[name](raw, "")
    if data["schema_version"] != SCHEMA_VERSION:
        raise S.ShapeError("schema_version", f"expected {SCHEMA_VERSION}, got {data['schema_version']}")
    if name in REQUIRED_MESSAGES:
        S.require_ids(data["messages"], REQUIRED_MESSAGES[name], "messages")
    MEANING[name](data)
    return data
