"""A strict reader of the few FHIR R4 Observation elements `b12 history` uses.

Only these elements are read, each checked against the R4 Observation definition
(https://hl7.org/fhir/R4/observation.html): ``resourceType``, ``status`` (the R4
value set), ``code.coding`` (system ``http://loinc.org``), ``valueQuantity``
(``value`` a JSON number; ``comparator`` from the R4 value set; the unit as a UCUM
``code`` or as ``unit`` text), else ``valueString`` holding a number or a limit
(">20", "< or = 0.40", with its unit or one on the range), ``effectiveDateTime`` /
``effectivePeriod.start`` / ``issued`` (R4 dateTime), ``subject.reference``,
``referenceRange`` low/high (0-0, as some exports write "no range", is no range) and the
``interpretation`` code (H, L, HH, ...: the laboratory's own flag, kept as written).
Anything else in a resource is ignored. A resource that cannot be read becomes a
``Problem`` naming its file and place; the reader never raises for a bad record.

Inputs: a Bundle (searchset, collection, transaction, batch), a single resource,
NDJSON (one resource a line, as a bulk export writes it) or a folder of such files.
FHIR XML is turned into these same dicts by ``fhir_xml``, so both are checked here.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Any, Iterator, NamedTuple

from b12cli.domain.history import Problem, Skipped, Where
from b12cli.domain.limits import split_limit
from b12cli.domain.markers import Marker, Registry
from b12cli.domain.numbers import parse_number
from b12cli.domain.text import show
from b12cli.domain.units import split_printed
from b12cli.errors import UsageError

UCUM = "http://unitsofmeasure.org"
STATUSES = ("registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown")
SKIPPED_STATUSES = ("cancelled", "entered-in-error")
COMPARATORS = ("<", "<=", ">=", ">")
BUNDLE_TYPES = ("searchset", "collection", "transaction", "batch")
FILE_SUFFIXES = (".json", ".ndjson")
# The laboratory's flag (interpretation): R4's code system, and HL7 v2 table 0078 as STU3 and DSTU2 name it.
INTERPRETATION_SYSTEMS = ("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                          "http://terminology.hl7.org/CodeSystem/v2-0078", "http://hl7.org/fhir/v2/0078")
FLAG_CODES = ("H", "HH", "HU", "L", "LL", "LU", "A", "AA", "N")  # high, low, abnormal, normal
# R4 dateTime: a year, year-month, date, or date and time with seconds and a time zone.
_DATETIME = re.compile(
    r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T(([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)))?"
    r")?)?"
)


class Reading(NamedTuple):
    """One usable result: a value of one marker on one day for one person."""

    marker: str
    code: str
    value: float
    comparator: str | None
    unit: str  # this project's spelling (pg/mL, pmol/L, umol/L, ...)
    date: str  # the date part as written: YYYY, YYYY-MM or YYYY-MM-DD
    time: str | None  # the time as written (hh:mm:ss and its zone), where the record gives one
    subject: str | None
    ref_low: float | None  # the laboratory's range, in ``unit``
    ref_high: float | None
    where: Where
    flag: str | None = None  # the laboratory's interpretation code (H, L, HH, LL, A, N, ...), as written
    zero_range: bool = False  # the referenceRange was 0-0 (or 0 alone): read as no range


Record = Reading | Skipped | Problem


class Invalid(Exception):
    """A resource that breaks the R4 definition or cannot be used; becomes a ``Problem``."""


# ----------------------------------------------------------------- elements


def _object(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"{name} is {_kind(value)}; expected an object")
    return value


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name} is {_kind(value)}; expected a non-empty string")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"{name} is {_kind(value)}; expected a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise Invalid(f"{name} is not a finite number; expected a number")
    return number


def _kind(value: Any) -> str:
    if value is None:
        return "missing"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "an object"}
    shown = f" {json.dumps(value)[:30]}" if isinstance(value, (str, int, float)) else ""
    return names.get(type(value), type(value).__name__) + shown


def marker_of(resource: dict, codes: dict[str, str], system: str) -> tuple[str, str] | None:
    """(marker, code) from ``code.coding``, or None when no listed code is there."""
    coding = _object(resource.get("code"), "code").get("coding", [])
    if not isinstance(coding, list):
        raise Invalid(f"code.coding is {_kind(coding)}; expected a list")
    found = {}
    for i, item in enumerate(coding):
        item = _object(item, f"code.coding[{i}]")
        if item.get("system") == system:
            code = _string(item.get("code"), f"code.coding[{i}].code")
            if code in codes:
                found[codes[code]] = code
    if len(found) > 1:
        raise Invalid(f"code.coding names more than one marker ({', '.join(found.values())})")
    return next(iter(found.items()), None)


def day_of(text: Any, name: str) -> str:
    """The date part of an R4 dateTime as written (no time-zone conversion)."""
    return moment_of(text, name)[0]


def moment_of(text: Any, name: str) -> tuple[str, str | None]:
    """(the date part, the time part or None) of an R4 dateTime, as written (no time-zone conversion)."""
    text = _string(text, name)
    match = _DATETIME.fullmatch(text)
    if not match:
        raise Invalid(f"{name} {json.dumps(text)[:40]} is not a FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or "
                      "YYYY-MM-DDThh:mm:ss with a time zone)")
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise Invalid(f"{name} {json.dumps(text)[:40]} is not a real date") from None
    return "-".join(p for p in (year, month, day) if p), match.group(4)


def when(resource: dict) -> tuple[str, str | None]:
    if "effectiveDateTime" in resource:
        return moment_of(resource["effectiveDateTime"], "effectiveDateTime")
    if "effectivePeriod" in resource:
        period = _object(resource["effectivePeriod"], "effectivePeriod")
        if "start" in period:
            return moment_of(period["start"], "effectivePeriod.start")
    if "issued" in resource:
        return moment_of(resource["issued"], "issued")
    raise Invalid("no date: expected effectiveDateTime, effectivePeriod.start or issued")


def unit_of(quantity: dict, marker: Marker, name: str) -> str:
    """The unit of a Quantity: the UCUM ``code`` when the system is UCUM, checked against ``unit`` text."""
    code = quantity.get("code") if quantity.get("system") == UCUM else None
    text = quantity.get("unit")
    if code is None and text is None:
        raise Invalid(f"{name} has no unit; expected one of {', '.join(marker.unit_names)}")
    units = {_unit(marker, u, name) for u in (code, text) if u is not None}
    if len(units) > 1:
        raise Invalid(f"{name} unit {text!r} and code {code!r} disagree")
    return units.pop()


def _unit(marker: Marker, text: Any, name: str) -> str:
    try:
        return marker.normalize_unit(_string(text, f"{name} unit"), f"{name} unit")
    except UsageError as exc:
        raise Invalid(str(exc)) from None


def value_of(resource: dict, marker: Marker) -> tuple[float, str | None, str]:
    if "valueQuantity" not in resource:
        if "valueString" in resource:
            return _value_string(resource, marker)
        other = next((k for k in resource if k.startswith("value")), None)
        if other:
            raise Invalid(f"the value is {other}; expected valueQuantity")
        absent = resource.get("dataAbsentReason")
        raise Invalid("no value" + (" (dataAbsentReason given)" if absent is not None else "; expected valueQuantity"))
    quantity = _object(resource["valueQuantity"], "valueQuantity")
    value = _number(quantity.get("value"), "valueQuantity.value")
    comparator = quantity.get("comparator")
    if comparator is not None and comparator not in COMPARATORS:
        raise Invalid(f"valueQuantity.comparator {json.dumps(comparator)[:20]} is not accepted; "
                      f"expected one of {' '.join(COMPARATORS)}")
    return value, comparator, unit_of(quantity, marker, "valueQuantity")


def _value_string(resource: dict, marker: Marker) -> tuple[float, str | None, str]:
    """A number or a limit written as text (">20", "<150 pg/mL", "< or = 0.40"). Its unit is the one in
    the text, else the one on the reference range; with neither it is an error, as for a valueQuantity
    with no unit: no unit is assumed."""
    text = _string(resource["valueString"], "valueString")
    label = f"valueString {show(text)}"
    try:
        sign, rest = split_limit(text)
        number, unit, _ = split_printed(marker, rest)
        value = parse_number(number.strip(), f"{label}:" if sign else "valueString",
                             f"a number or a limit such as {marker.limit_example}")
    except UsageError as exc:
        raise Invalid(str(exc)) from None
    unit = unit or _range_unit(resource, marker)
    if unit is None:
        raise Invalid(f"{label} has no unit (and the reference range names none); expected one of "
                      f"{', '.join(marker.unit_names)}")
    return value, sign, unit


def _range_unit(resource: dict, marker: Marker) -> str | None:
    """The unit the first referenceRange's bounds give, if any."""
    first = _first_range(resource)
    bounds = [_object(first[k], f"referenceRange[0].{k}") for k in ("low", "high") if first and k in first]
    units = {unit_of(b, marker, "referenceRange[0]") for b in bounds if "unit" in b or "code" in b}
    if len(units) > 1:
        raise Invalid("referenceRange[0] low and high are in different units; the valueString's unit is unclear")
    return next(iter(units), None)


def _first_range(resource: dict) -> dict | None:
    ranges = resource.get("referenceRange")
    if ranges is None:
        return None
    if not isinstance(ranges, list):
        raise Invalid(f"referenceRange is {_kind(ranges)}; expected a list")
    return _object(ranges[0], "referenceRange[0]") if ranges else None


def range_of(resource: dict, marker: Marker, unit: str) -> tuple[float | None, float | None]:
    """The first referenceRange's low and high, in the value's unit (a bound with no unit is taken as in it)."""
    first = _first_range(resource)
    if first is None:
        return None, None
    return _bound(first, "low", marker, unit), _bound(first, "high", marker, unit)


def zero_range(low: float | None, high: float | None) -> bool:
    """A range whose every given end is 0 (0-0, or 0 alone): how some exports write "no range"."""
    return (low, high) != (None, None) and low in (None, 0) and high in (None, 0)


def flag_of(resource: dict) -> str | None:
    """The first interpretation code of HL7's flags (H, L, HH, LL, A, N, ...), as written; codes of
    other systems are ignored. R4 has a list; an object alone (as STU3 and DSTU2 write it) is read too."""
    found = resource.get("interpretation")
    if found is None:
        return None
    concepts = [found] if isinstance(found, dict) else found
    if not isinstance(concepts, list):
        raise Invalid(f"interpretation is {_kind(found)}; expected a list")
    for i, concept in enumerate(concepts):
        coding = _object(concept, f"interpretation[{i}]").get("coding", [])
        if not isinstance(coding, list):
            raise Invalid(f"interpretation[{i}].coding is {_kind(coding)}; expected a list")
        for item in coding:
            if isinstance(item, dict) and item.get("system") in INTERPRETATION_SYSTEMS \
                    and item.get("code") in FLAG_CODES:
                return item["code"]
    return None


def _bound(ref: dict, key: str, marker: Marker, unit: str) -> float | None:
    if key not in ref:
        return None
    name = f"referenceRange[0].{key}"
    quantity = _object(ref[key], name)
    value = _number(quantity.get("value"), f"{name}.value")
    if "unit" not in quantity and "code" not in quantity:
        return value
    given = unit_of(quantity, marker, name)
    if given == unit:
        return value
    return marker.from_canonical(marker.to_canonical(value, given), unit)


def subject_of(resource: dict) -> str | None:
    if "subject" not in resource:
        return None
    return _string(_object(resource["subject"], "subject").get("reference"), "subject.reference")


def read_observation(resource: Any, where: Where, codes: dict[str, str], system: str, registry: Registry) -> Record:
    """One resource as a Reading, a Skipped or a Problem."""
    try:
        resource = _object(resource, "the resource")
        kind = _string(resource.get("resourceType"), "resourceType")
        if kind != "Observation":
            return Skipped(f"not an Observation ({kind})", where)
        status = _string(resource.get("status"), "status")
        if status not in STATUSES:
            raise Invalid(f"status {json.dumps(status)[:30]} is not an R4 Observation status")
        if status in SKIPPED_STATUSES:
            return Skipped(f"status {status}", where)
        found = marker_of(resource, codes, system)
        if found is None:
            return Skipped("other code", where)
        marker_id, code = found
        marker = registry.get(marker_id)
        value, comparator, unit = value_of(resource, marker)
        low, high = range_of(resource, marker, unit)
        empty = zero_range(low, high)
        if empty:
            low = high = None
        day, time = when(resource)
        return Reading(marker_id, code, value, comparator, unit, day, time, subject_of(resource), low, high, where,
                       flag_of(resource), empty)
    except Invalid as exc:
        return Problem(str(exc), where)


# ----------------------------------------------------------------- files


def _bundle_entries(bundle: dict, file: str) -> Iterator[tuple[Any, Where]]:
    check_bundle_type(bundle)
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise Invalid(f"Bundle entry is {_kind(entries)}; expected a list")
    for i, entry in enumerate(entries):
        where = Where(file, None, f"entry[{i}]")
        if not isinstance(entry, dict) or "resource" not in entry:
            yield None, where
        else:
            yield entry["resource"], where


def _document(data: Any, file: str, line: int | None) -> Iterator[tuple[Any, Where]]:
    """A parsed JSON document: a Bundle's entries, or the resource itself."""
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        yield from _bundle_entries(data, file)
    else:
        yield data, Where(file, line, None)


MAX_NUMBER_CHARS = 64  # a longer JSON number is refused (and never converted: no 4,300-digit limit errors)


def _json_object(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object whose keys are all different: a repeated key is an error, never "last one wins"."""
    found: dict = {}
    for key, value in pairs:
        if key in found:
            raise Invalid(f"the key {key!r} appears twice in one JSON object")
        found[key] = value
    return found


def _json_number(kind: type) -> Any:
    def read(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise Invalid(f"a JSON number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
        return kind(text)

    return read


def _json_constant(name: str) -> Any:
    raise Invalid(f"{name} is not a finite number (JSON has no NaN or Infinity)")


DECODER = json.JSONDecoder(object_pairs_hook=_json_object, parse_int=_json_number(int),
                           parse_float=_json_number(float), parse_constant=_json_constant)
_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, and only that
JSON_SPACE = " \t\n\r"


def loads(text: str) -> Any:
    """Strict JSON: no repeated keys, no NaN or Infinity, no overlong numbers."""
    return DECODER.decode(text)


def _value(text: str, at: int) -> tuple[Any, int]:
    """The JSON value at ``at`` (after any whitespace) and the place after it."""
    return DECODER.raw_decode(text, _SPACE.match(text, at).end())


def _expect(text: str, at: int, chars: str, what: str) -> tuple[str, int]:
    at = _SPACE.match(text, at).end()
    if at >= len(text) or text[at] not in chars:
        raise json.JSONDecodeError(f"Expecting {what}", text, at)
    return text[at], at + 1


def document_items(text: str, file: str) -> Iterator[tuple[Any, Where] | Problem]:
    """The resources of one JSON document: a Bundle's entries one at a time (a 64 MiB Bundle is never
    held as one tree of objects), or the document itself. A document that breaks off yields the
    entries before the break, then the error."""
    try:
        at = _SPACE.match(text).end()
        if not text.startswith("{", at):
            yield from _document(loads(text), file, None)
            return
        top: dict[str, Any] = {}
        at, streamed = yield from _top_object(text, at + 1, file, top)
        end = _SPACE.match(text, at).end()
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
        if not streamed:
            yield from _document(top, file, None)
    except json.JSONDecodeError as exc:
        yield Problem(f"not JSON ({exc.msg}, column {exc.colno})", Where(file, exc.lineno, None))
    except (Invalid, RecursionError) as exc:
        yield Problem(_problem_text(exc), Where(file, None, None))


def _top_object(text: str, at: int, file: str, top: dict) -> Iterator[tuple[Any, Where]]:
    """The members of the document's object from ``at`` (after its ``{``) into ``top``; a Bundle's
    entries are yielded as they are read instead. Returns (the place after the ``}``, whether
    entries were yielded)."""
    streamed = False
    at = _SPACE.match(text, at).end()
    if text.startswith("}", at):
        return at + 1, streamed
    while True:
        if not text.startswith('"', at):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, at)
        key, at = DECODER.raw_decode(text, at)
        if key in top:
            raise Invalid(f"the key {key!r} appears twice in one JSON object")
        _, at = _expect(text, at, ":", "':' delimiter")
        if key == "entry" and top.get("resourceType") == "Bundle" and "type" in top:
            check_bundle_type(top)
            at = yield from _entries(text, at, file)
            streamed, top[key] = True, None
        else:
            top[key], at = _value(text, at)
        char, at = _expect(text, at, ",}", "',' delimiter")
        if char == "}":
            return at, streamed
        at = _SPACE.match(text, at).end()


def _entries(text: str, at: int, file: str) -> Iterator[tuple[Any, Where]]:
    """A Bundle's ``entry`` list, read one entry at a time; returns the place after it."""
    _, at = _expect(text, at, "[", "'[' (Bundle entry is a list)")
    probe = _SPACE.match(text, at).end()
    if text.startswith("]", probe):
        return probe + 1
    i = 0
    while True:
        entry, at = _value(text, at)
        where = Where(file, None, f"entry[{i}]")
        yield (entry["resource"], where) if isinstance(entry, dict) and "resource" in entry else (None, where)
        i += 1
        char, at = _expect(text, at, ",]", "',' delimiter")
        if char == "]":
            return at


def check_bundle_type(bundle: dict) -> None:
    kind = bundle.get("type")
    if kind not in BUNDLE_TYPES:
        raise Invalid(f"Bundle type {json.dumps(kind)[:30]} is not read; expected one of {', '.join(BUNDLE_TYPES)}")


def ndjson_items(text: str, file: str, number: int) -> Iterator[tuple[Any, Where] | Problem]:
    """The resources of one NDJSON line (``text`` without its line end); a line of JSON whitespace
    only (space, tab, CR) is blank. Python's ``str.strip`` would also take U+001C-U+001F, U+0085
    and U+2028 for blanks, which JSON does not."""
    if text.strip(JSON_SPACE):
        yield from _ndjson_line(text, file, number)


def _ndjson_line(line: str, file: str, number: int) -> Iterator[tuple[Any, Where] | Problem]:
    try:
        yield from _document(loads(line), file, number)
    except json.JSONDecodeError as exc:
        yield Problem(f"not JSON ({exc.msg}, column {exc.colno})", Where(file, number, None))
    except (Invalid, RecursionError) as exc:
        yield Problem(_problem_text(exc), Where(file, number, None))


def _problem_text(exc: Exception) -> str:
    return "JSON nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def observations(items: Iterator[tuple[Any, Where] | Problem], codes: dict[str, str], system: str,
                 registry: Registry) -> Iterator[Record]:
    for item in items:
        yield item if isinstance(item, Problem) else read_observation(item[0], item[1], codes, system, registry)
