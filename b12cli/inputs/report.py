"""A laboratory report as people have it (pasted from a portal or an e-mail, an OCR'd page, a PDF's text layer),
read line by line into results of the registry's markers. Nothing here writes anything.

* A result line starts with a marker's name as laboratories print it (the registry's header names, accents
  folded, "serum" or "level" allowed), then the result: ``Serum vitamin B12  162  ng/L  (197 - 771)``,
  ``METHYLMALONIC ACID  415 H  87-318 nmol/L``. A name alone on its line takes its result from the next line.
* The value is read as ``labs`` reads one, the unit must be printed for a marker with several units, the range
  is read as ``--ref`` reads one, the laboratory's flag (H, L, HH, LL, *, High, Low) is kept as printed.
  Decimal commas are read only where the line (else the report) shows them and no decimal points.
* Nothing is guessed: two results on one line (unless a header names a previous-result column), two different
  results for one marker, or a line that names a marker and cannot be read whole are reported as not read.
  Red cell folate, urine and whole-blood tests are never serum markers.
* The collection date is read after words such as "Collected" (never any other date), under the day-month
  rule of ``dates``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from b12cli.domain import dates
from b12cli.domain.limits import split_limit
from b12cli.domain.markers import Marker, Registry
from b12cli.domain.ranges import RefRange, no_range, read_ref
from b12cli.domain.text import printable
from b12cli.domain.units import FLAGS, MarkerValue, fmt, read_marker, thousands
from b12cli.errors import UsageError
from b12cli.inputs.columns import OTHER_SPECIMEN, Vocabulary, fold, identify, vocabulary

MAX_LINE_CHARS = 400  # a longer line is not a report line
MAX_NAME_WORDS = 8
# Words a laboratory adds to a test's name ("Serum B12 level"): left out when the name alone is not known.
FILLERS = frozenset({"serum", "plasma", "level", "result", "s", "p", "ser", "pl", "total", "tot", "conc"})
ACTIVE = re.compile(r"\b(?:activ\w*|aktiv\w*|actief|attiva|holo\w*)")
PREVIOUS = re.compile(r"\b(?:previous|prev|last|earlier|prior|vorwert\w*|vorbefund\w*|vorherig\w*|precedent\w*|"
                      r"anterior\w*)\b")
CURRENT = re.compile(r"\b(?:results?|current|value|ergebnis|resultat|wert|this|today)\b")
RANGE_LABELS = frozenset({"ref", "range", "reference", "normal", "interval", "refrange", "referenz", "norm",
                          "referenzbereich", "normbereich"})
CODE = re.compile(r"[A-Z]{1,3}[0-9]?")  # a laboratory's site code at the end of a line ("EZ")
COLLECTED = re.compile(
    r"\b(?:date collected|collection date|date of collection|collected|collection|sample taken|specimen taken|"
    r"sample date|specimen date|date sampled|abnahme\w*|entnahme\w*|entnommen|prelev\w*)\b"
    r"[^0-9a-z\n]{0,6}(?:(?:on|at|date|time|datum|am|le|du)\b[^0-9a-z\n]{0,6}){0,2}"  # "Collected on:", never "by"
    r"(?P<date>\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?:[ ,]+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?)?"
    r"|\d{1,2}[ -][a-z]{3,9}\.?[ -]\d{4})")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_TOKEN = re.compile(
    r"\s*(?:(?P<open>[(\[])|(?P<close>[)\]])"
    r"|(?P<cmp>[<>]\s*or\s*=|<=|=<|>=|=>|[<>\u2264\u2265\u2a7d\u2a7e]"
    r"|(?:less|greater)\s+than(?:\s+or\s+equal(?:\s+to)?)?(?=\s|\d))"
    r"|(?P<num>\d+(?:[.,]\d+)*)"
    r"|(?P<dash>[-\u2013\u2014\u2212]|\.\.|(?:to|bis|\u00e0)(?=\s))"
    r"|(?P<word>[^\s()\[\]]+))", re.IGNORECASE)
_LINES = re.compile(r"\r\n|\r|\n")


class Unread(Exception):
    """Why a line that names a marker cannot be read whole."""

class Entry(NamedTuple):
    """One line that names a marker: what was read from it, or why it was not read."""

    line: int  # 1-based, in the text as read (a PDF's text layer: its pages one after another)
    text: str  # the line with its spaces collapsed; a name alone on its line is joined to the next with " | "
    marker: str
    value: MarkerValue | None = None
    raw: str | None = None  # the value as ``labs`` reads it: "162 L", "<150"
    ref: RefRange | None = None
    ref_text: str | None = None  # the range as ``--ref`` takes it: "b12=197-771 ng/L"
    not_read: str | None = None
    previous: bool = False  # an earlier result printed beside it was left out
    decimal_comma: bool = False
    zero_range: bool = False  # the range was printed 0-0, as some systems write "no range"

    def refused(self, reason: str) -> Entry:
        return self._replace(value=None, raw=None, ref=None, ref_text=None, not_read=reason)


class Collected(NamedTuple):
    """The collection date as printed: a day (and time), or both readings of an ambiguous one."""

    line: int
    day: str | None
    time: str | None
    could_be: tuple[str, ...] = ()


class Report(NamedTuple):
    """Every line that names a marker, the collection date and what the reader has to say."""

    entries: list[Entry]
    collected: Collected | None
    notes: list[str]


class Number(NamedTuple):
    sign: str | None
    text: str  # digits as printed, with their commas and points
    flag: str | None


class Parts(NamedTuple):
    """A result line taken apart, before its numbers are read."""

    results: list[Number]  # the numbers where a result stands, in order (more than one: a previous column)
    units: list[tuple[str, bool]]  # (unit, printed after the range)
    range: tuple[str | None, str, str | None] | None  # (sign, first number, second number)
    range_unit: str | None  # a unit inside the range's brackets
    flags: list[str]  # flags not printed right after a number


# ----------------------------------------------------------------- names


def marker_named(registry: Registry, vocab: Vocabulary, name: str) -> str | None:
    """The marker a test name stands for, or None (accents folded; "serum", "level" and the like dropped)."""
    folded = fold(name)
    found = identify(vocab, folded)
    if found not in registry.ids:
        kept = [w for w in re.split(r"[\s,]+", folded) if w and w.strip(".:") not in FILLERS]
        found = identify(vocab, " ".join(kept)) if kept else None
    if found == "b12" and "holotc" in registry.ids and ACTIVE.search(folded):
        raise Unread("the name speaks of active B12 but reads as total B12; b12 does not choose")
    return found if found in registry.ids else None


def _name_at_start(registry: Registry, vocab: Vocabulary, line: str) -> tuple[str, int] | None:
    """(marker, where its name ends) for a line that starts with a marker's name, the longest name first. A name
    stops before a sign or a number (except the 12 of "Vitamin B 12")."""
    words = []
    for word in list(re.finditer(r"\S+", line[:MAX_LINE_CHARS]))[:MAX_NAME_WORDS]:
        text = word.group()
        if text[0] in "<>=\u2264\u2265*" or (text[0].isdigit() and not (words and words[-1].group() in "Bb")):
            break
        words.append(word)
    for k in range(len(words), 0, -1):
        marker = marker_named(registry, vocab, line[:words[k - 1].end()])
        if marker is not None:
            return marker, words[k - 1].end()
    return None


def _separated(rest: str) -> tuple[bool, str]:
    """(whether a colon, an equals sign, dots or a column gap follows the name, the rest after it)."""
    stripped = rest.lstrip(" \t")
    gap = rest[:2].isspace() or rest.startswith("\t")
    if stripped[:1] in (":", "="):
        return True, stripped[1:].lstrip(" \t.")
    if stripped.startswith(".."):
        return True, stripped.lstrip(". \t")
    return gap, stripped


# ----------------------------------------------------------------- taking a line apart


def tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group(m.lastgroup)) for m in _TOKEN.finditer(text) if m.lastgroup]


def _flag(word: str) -> str | None:
    """A laboratory's flag as printed ("H", "(L)", "High"); short letters count only in capitals ("a" is a word)."""
    bare = word.strip("()[]")
    key = bare.upper()
    if key not in FLAGS or (len(bare) <= 2 and bare.isalpha() and not bare.isupper()):
        return None
    return key


def _is_unit(marker: Marker, word: str) -> str | None:
    return marker.find_unit(word.rstrip(",;"))


class _Reader:
    """Reads the tokens of one result line into ``Parts``."""

    def __init__(self, marker: Marker, items: list[tuple[str, str]]) -> None:
        self.marker, self.items, self.at = marker, items, 0
        self.parts = Parts([], [], None, None, [])

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        k = self.at + ahead
        return self.items[k] if k < len(self.items) else ("end", "")

    def take(self) -> tuple[str, str]:
        self.at += 1
        return self.peek(-1)

    def number(self) -> Number | None:
        """[sign] number [flag], at the current token."""
        sign = None
        if self.peek()[0] == "cmp":
            sign = split_limit(self.take()[1] + " 1")[0]
        if self.peek()[0] != "num":
            if sign is not None:
                raise Unread(f"a limit sign {sign!r} with no number after it")
            return None
        text = self.take()[1]
        flag = _flag(self.peek()[1]) if self.peek()[0] == "word" else None
        if flag is not None:
            self.at += 1
        return Number(sign, text, flag)

    def result(self) -> None:
        first = self.number()
        if first is None:
            shown = " ".join(t for _, t in self.items[:4])
            raise Unread(f"no number where the result should be ({shown!r})" if shown else "no result printed")
        if self.peek()[0] == "dash" and self.peek(1)[0] in ("num", "cmp"):
            raise Unread("no result printed, only a range")
        self.parts.results.append(first)

    def read(self) -> Parts:
        self.result()
        while self.peek()[0] != "end":
            self.step()
        return self.parts

    def step(self) -> None:
        kind, text = self.peek()
        if kind == "open":
            self.group()
        elif kind in ("num", "cmp"):
            self.numbers()
        elif kind == "word":
            self.at += 1
            self.word(text)
        else:
            raise Unread(f"{text!r} is not understood here")

    def numbers(self) -> None:
        """A range (``a - b``, ``<b``), or a bare number: another result (a previous column)."""
        found = self.number()
        if found is None:
            raise Unread("a limit sign with no number after it")
        if found.sign is None and self.peek()[0] == "dash":
            self.at += 1
            high = self.number()
            if high is None or high.sign is not None:
                raise Unread("a range with no number after its dash")
            self.set_range((None, found.text, high.text), high.flag)
        elif found.sign is not None:
            self.set_range((found.sign, found.text, None), found.flag)
        elif self.parts.range is not None:
            raise Unread(f"a number ({found.text}) after the range")
        else:
            self.parts.results.append(found)

    def set_range(self, span: tuple[str | None, str, str | None], flag: str | None) -> None:
        if self.parts.range is not None:
            raise Unread("two ranges on one line")
        self.parts = self.parts._replace(range=span)
        if flag is not None:
            self.parts.flags.append(flag)

    def group(self) -> None:
        """Brackets: a range (with its unit), a flag "(H)" or a unit "(ng/L)"."""
        close = next((k for k in range(self.at, len(self.items)) if self.items[k][0] == "close"), None)
        if close is None:
            raise Unread("a bracket that is not closed")
        inner, self.at = self.items[self.at + 1:close], close + 1
        if len(inner) == 1 and inner[0][0] == "word":
            self.word(inner[0][1])
            return
        reader = _Reader(self.marker, inner)
        reader.parts = self.parts
        reader.numbers()
        if reader.peek()[0] == "word" and _is_unit(self.marker, reader.peek()[1]):
            self.parts = reader.parts._replace(range_unit=_is_unit(self.marker, reader.take()[1]))
        else:
            self.parts = reader.parts
        if reader.peek()[0] != "end":
            raise Unread(f"{reader.peek()[1]!r} inside the brackets is not understood")

    def word(self, text: str) -> None:
        """A unit, a flag, a range's label ("Ref:"), or a site code closing the line; anything else is refused."""
        unit, flag = _is_unit(self.marker, text), _flag(text)
        if unit is not None:
            self.parts.units.append((unit, self.parts.range is not None))
        elif flag is not None:
            self.parts.flags.append(flag)
        elif text.strip(".:").casefold() in RANGE_LABELS and self.peek()[0] in ("num", "cmp", "open", "word"):
            return
        elif self.at == len(self.items) and CODE.fullmatch(text):
            return  # the laboratory's code for the site or the method
        elif "/" in text:
            raise Unread(f"{text!r} is not a known unit of {self.marker.label}; expected one of "
                         f"{', '.join(self.marker.unit_names)}")
        else:
            raise Unread(f"{text!r} after the result is not understood")


# ----------------------------------------------------------------- reading the numbers


def separator(number: str) -> str | None:
    """"," or "." where a number shows its decimal separator ("16,2", "0,415", "1.234,5"); else None ("1,524")."""
    if "," in number and "." in number:
        return "," if number.rfind(",") > number.rfind(".") else "."
    for sep in ",.":
        if number.count(sep) == 1:
            whole, part = number.split(sep)
            if len(part) != 3 or whole.startswith("0"):
                return sep
    return None


def _numbers(parts: Parts) -> list[str]:
    out = [n.text for n in parts.results]
    if parts.range is not None:
        out += [t for t in parts.range[1:] if t is not None]
    return out


def decimal_style(parts: Parts) -> set[str]:
    return {s for s in map(separator, _numbers(parts)) if s is not None}


def plain_number(marker: Marker, text: str, unit: str | None, comma: bool) -> str:
    """"16,2" -> "16.2" where commas are decimal; "1,524" -> "1524" where only that is plausible (``thousands``)."""
    if comma:
        text = text.translate(str.maketrans(",.", ".,"))
    return thousands(marker, text, unit)


def _units(marker: Marker, parts: Parts) -> tuple[str | None, str | None]:
    """(the result's unit, the range's unit)."""
    before = list(dict.fromkeys(u for u, after in parts.units if not after))
    after = list(dict.fromkeys(u for u, after in parts.units if after))
    if len(before) > 1 or len(after) > 1:
        raise Unread(f"two units ({', '.join(before + after)}) for one result")
    value_unit = before[0] if before else (after[0] if after else parts.range_unit)
    range_unit = parts.range_unit or (after[0] if after else value_unit)
    if value_unit is None and len(marker.units) > 1:
        raise Unread(f"no unit printed; {marker.label} is reported in {' or '.join(marker.unit_names)}, and b12 does "
                     "not guess which")
    return value_unit, range_unit


def _current(parts: Parts, order: bool | None) -> tuple[Number, bool]:
    """The current result, and whether an earlier one printed beside it was left out."""
    results = parts.results
    if len(results) == 1:
        return results[0], False
    shown = " and ".join(n.text for n in results)
    if order is None:
        raise Unread(f"{len(results)} results on one line ({shown}) and no header names a previous-result "
                     "column; b12 does not choose")
    return (results[0] if order else results[-1]), True


def _flag_of(current: Number, parts: Parts) -> str | None:
    if parts.flags and (current.flag is not None or len(parts.results) > 1 or len(set(parts.flags)) > 1):
        raise Unread(f"the flags {', '.join(filter(None, [current.flag, *parts.flags]))} cannot be told apart")
    return current.flag or (parts.flags[0] if parts.flags else None)


def read_entry(registry: Registry, entry: Entry, parts: Parts, order: bool | None, comma: bool) -> Entry:
    """The entry of a result line whose parts were found: every number read, checked as ``labs`` checks them."""
    marker = registry.get(entry.marker)
    current, previous = _current(parts, order)
    flag = _flag_of(current, parts)
    unit, range_unit = _units(marker, parts)
    unit = unit or marker.canonical_unit
    try:
        number = plain_number(marker, current.text, unit, comma)
        raw = f"{current.sign or ''}{number}" + (f" {flag}" if flag else "")
        value = read_marker(marker, raw, unit, marker.label)
        ref_text = _range_text(marker, parts, range_unit or unit, comma)
        ref = None if ref_text is None else read_ref(registry, ref_text, {}, label=f"{marker.label} range")
    except UsageError as exc:
        raise Unread(str(exc)) from None
    return entry._replace(value=value, raw=raw, ref=ref, ref_text=ref_text, previous=previous, decimal_comma=comma,
                          zero_range=parts.range is not None and ref_text is None)


def _range_text(marker: Marker, parts: Parts, unit: str, comma: bool) -> str | None:
    if parts.range is None:
        return None
    sign, low, high = parts.range
    low = plain_number(marker, low, unit, comma)
    body = f"{sign}{low}" if sign else f"{low}-{plain_number(marker, high, unit, comma)}"
    if no_range(body):
        return None
    return f"{marker.id}={body} {unit}"


# ----------------------------------------------------------------- the report


HEADER_WORDS = re.compile(r"\b(?:units?|range|ref\w*|einheit|norm\w*|interval)\b")


def header_order(line: str) -> tuple[bool, bool | None]:
    """(whether the line is a column header, and for one that names a previous-result column: True when the
    current result comes first, False when the previous one does; None when it names none)."""
    folded = fold(line)
    cells = re.split(r"\s{2,}|\t", folded.strip())
    if len(cells) == 1:  # no column gaps: "previous result" names one column
        cells = re.sub(rf"({PREVIOUS.pattern})\s+(?=\w)", r"\1-", folded).split()
    kinds = ["p" if PREVIOUS.search(c) else "c" if CURRENT.search(c) else "" for c in cells]
    if len(folded) > 200 or "c" not in kinds or ("p" not in kinds and not HEADER_WORDS.search(folded)):
        return False, None
    return True, None if "p" not in kinds else kinds.index("c") < kinds.index("p")


def collected_on(line: str, number: int, date_format: str | None) -> Collected | None:
    """The collection date a line prints after "Collected" or the like (never any other date on it)."""
    match = COLLECTED.search(fold(line))
    if match is None:
        return None
    text = match.group("date")
    named = re.fullmatch(r"(\d{1,2})[ -]([a-z]{3,9})\.?[ -](\d{4})", text)
    if named:
        month = named.group(2)[:3]
        if month not in MONTHS:
            return None
        text = f"{named.group(3)}-{MONTHS.index(month) + 1:02d}-{int(named.group(1)):02d}"
    try:
        moment = dates.read_day(text.upper(), date_format)
    except UsageError:
        return Collected(number, None, None)
    if isinstance(moment, dates.Ambiguous):
        return Collected(number, None, None, (moment.dmy.day, moment.mdy.day))
    return Collected(number, moment.day, moment.time)


class _Scan(NamedTuple):
    entries: list[Entry]
    parts: dict[int, Parts]  # entry index -> its parts, for the lines still to be read
    orders: dict[int, bool | None]  # entry index -> the previous-column order above it
    prose: list[int]  # lines that start with a marker's name but hold no result
    other: list[int]  # lines of red cell folate, urine, whole blood
    dates: list[Collected]


def _next_filled(lines: list[str], k: int) -> int | None:
    for j in range(k + 1, min(k + 4, len(lines))):
        if lines[j].strip():
            return j
    return None


def _scan(registry: Registry, lines: list[str], date_format: str | None) -> _Scan:
    vocab = vocabulary(registry)
    scan = _Scan([], {}, {}, [], [], [])
    order: bool | None = None
    skip = -1
    for k, line in enumerate(lines):
        if k <= skip or not line.strip():
            continue
        day = collected_on(line[:MAX_LINE_CHARS], k + 1, date_format)
        if day is not None:
            scan.dates.append(day)
        try:
            found = _name_at_start(registry, vocab, line)
        except Unread as exc:
            scan.entries.append(Entry(k + 1, _shown(line), "holotc").refused(str(exc)))
            continue
        if found is None:
            header, named = header_order(line)
            order = named if header else order
            continue
        skip = _take_line(registry, vocab, scan, lines, k, found, order)
    return scan


def _take_line(registry: Registry, vocab: Vocabulary, scan: _Scan, lines: list[str], k: int,
               found: tuple[str, int], order: bool | None) -> int:
    """Reads the result line at ``k`` into ``scan``; the index of the last line it used."""
    marker, end = found
    line = lines[k]
    if OTHER_SPECIMEN.search(fold(line)):
        scan.other.append(k + 1)
        return k
    separated, rest = _separated(line[end:])
    separated = separated or line[:end].endswith((":", "="))
    entry = Entry(k + 1, _shown(line), marker)
    last = k
    if not rest.strip():
        j = _next_filled(lines, k)
        if j is not None and _heads(registry, vocab, lines[j]):
            return k  # a heading: the result lines follow under it
        if j is None or not re.match(r"\s*(?:[<>\u2264\u2265]|less\s|greater\s|\d)", lines[j], re.IGNORECASE):
            scan.entries.append(entry.refused("a test name with no result on its line or the next"))
            return k
        rest, separated, last = lines[j].strip(), True, j
        entry = entry._replace(text=f"{_shown(line)} | {_shown(lines[j])}")
    if len(line) > MAX_LINE_CHARS or len(rest) > MAX_LINE_CHARS:
        scan.entries.append(entry.refused(f"the line is over {MAX_LINE_CHARS} characters long"))
        return last
    items = tokens(rest)
    if not separated and (not items or items[0][0] not in ("num", "cmp")):
        scan.prose.append(k + 1)  # "B12 levels below 200 ng/L suggest ...": a comment, not a result
        return last
    try:
        parts = _Reader(registry.get(marker), items).read()
    except Unread as exc:
        scan.entries.append(entry.refused(str(exc)))
        return last
    scan.parts[len(scan.entries)] = parts
    scan.orders[len(scan.entries)] = order
    scan.entries.append(entry)
    return last


def _heads(registry: Registry, vocab: Vocabulary, line: str) -> bool:
    try:
        return _name_at_start(registry, vocab, line) is not None
    except Unread:
        return True


def _shown(line: str) -> str:
    return printable(" ".join(line.split()), MAX_LINE_CHARS)


def _read_numbers(registry: Registry, scan: _Scan) -> list[Entry]:
    """Every entry whose parts were found, with its numbers read: decimal commas where the line shows them,
    else where the report does (a line with no comma or point in its numbers needs neither); a line that mixes
    both, or that shows neither in a report that mixes both, is not read."""
    styles = {i: decimal_style(p) for i, p in scan.parts.items()}
    report = set().union(*styles.values()) if styles else set()
    entries = list(scan.entries)
    for i, parts in scan.parts.items():
        marked = any(c in n for n in _numbers(parts) for c in ",.")
        style = (styles[i] or report) if marked else set()
        try:
            if style == {",", "."}:
                raise Unread("the line mixes decimal commas and points" if styles[i] else
                             "the report mixes decimal commas and points, and this line does not show which it uses")
            entries[i] = read_entry(registry, entries[i], parts, scan.orders[i], style == {","})
        except Unread as exc:
            entries[i] = entries[i].refused(str(exc))
    return entries


def _one_result_each(registry: Registry, entries: list[Entry]) -> list[Entry]:
    """Two different results for one marker are both refused: b12 does not choose."""
    by_marker: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        if e.value is not None:
            by_marker.setdefault(e.marker, []).append(i)
    for marker, found in by_marker.items():
        values = {(entries[i].value.censored, entries[i].value.canonical) for i in found}
        if len(values) > 1:
            shown = " and ".join(f"line {entries[i].line}: {entries[i].value.censored or ''}"
                                 f"{fmt(entries[i].value.value)} {entries[i].value.unit}" for i in found[:3])
            shown += f" and {len(found) - 3:,} more" if len(found) > 3 else ""
            for i in found:
                entries[i] = entries[i].refused(f"{registry.get(marker).label} has two different results in this "
                                                f"report ({shown}); b12 does not choose between them")
    return entries


def _lines_text(numbers: list[int]) -> str:
    more = f" and {len(numbers) - 10:,} more" if len(numbers) > 10 else ""
    return f"line{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers[:10]))}{more}"


def _notes(scan: _Scan, entries: list[Entry], collected: Collected | None) -> list[str]:
    said = [([e.line for e in entries if e.previous and e.value is not None], "The report prints an earlier result "
             "beside the current one ({}, under its previous-result column): the current result was read, the "
             "earlier one left out."),
            ([e.line for e in entries if e.decimal_comma and e.value is not None],
             "Decimal commas were read as decimal points ({})."),
            ([e.line for e in entries if e.zero_range and e.value is not None], "A range printed 0-0, which some "
             "systems write for no range, is read as no range ({})."),
            (scan.other, "Red cell folate, urine and whole-blood results are not serum markers; not read ({})."),
            (scan.prose, "Lines that start with a marker's name but hold no result (a comment?) were not read ({}).")]
    notes = [text.format(_lines_text(lines)) for lines, text in said if lines]
    if collected is not None and collected.could_be:
        notes.append(f"The collection date (line {collected.line}) could be {collected.could_be[0]} or "
                     f"{collected.could_be[1]}; it is not guessed (give --date-format DMY or MDY).")
    elif collected is not None and collected.day is None:
        notes.append(f"The collection date on line {collected.line} is not a date b12 reads; it is left out.")
    return notes


def _collected(found: list[Collected]) -> tuple[Collected | None, list[str]]:
    distinct = {(c.day, c.time, c.could_be) for c in found}
    if len(distinct) > 1:
        return None, [f"The report prints different collection dates ({_lines_text([c.line for c in found])}); none "
                      "is reported."]
    return (found[0] if found else None), []


def read_report(registry: Registry, text: str, date_format: str | None = None) -> Report:
    """Every line of a report's text (at most ``pdf_text.MAX_TEXT_BYTES``) that names a marker, read or refused,
    the collection date and notes."""
    scan = _scan(registry, _LINES.split(text), date_format)
    entries = _one_result_each(registry, _read_numbers(registry, scan))
    collected, more = _collected(scan.dates)
    return Report(entries, collected, _notes(scan, entries, collected) + more)
