"""Interpreting a batch: each row's cells read through memos, combined and decided, cB12 worked out.
Rows whose cells were all seen before go a column at a time (``Interpreter.known_rows``); any other row
cell by cell (``Interpreter.row``); both end in the same objects and texts."""

from __future__ import annotations

import functools
import json
from functools import partial, reduce
from itertools import repeat
from math import log10
from operator import add, attrgetter, getitem, mul, ne, or_, sub, truediv
from typing import Callable, NamedTuple

from b12cli.domain import explain
from b12cli.domain.bands import locate
from b12cli.domain.labs import (
    ADULT_MONTHS,
    Context,
    Decision,
    Findings,
    Judge,
    cb12_age_term,
    cb12_term,
)
from b12cli.domain.model import Thresholds
from b12cli.domain.numbers import Age, parse_age, parse_number
from b12cli.domain.ranges import no_range, read_ref, read_refs
from b12cli.domain.units import marker_reader
from b12cli.domain.vocab import UNLIKELY
from b12cli.errors import UsageError
from b12cli.inputs import csv_rows
from b12cli.inputs.columns import Columns
from b12cli.output import documents

# Records per unit of work, and input characters (so that wide rows keep memory flat): output is written a
# chunk at a time. Small chunks keep each chunk's strings in the processor's cache and under the C library's
# trim threshold (see the package's text).
CHUNK = 200
CHUNK_CHARS = 512 << 10
CELL_MEMO = 16384  # distinct cells remembered per marker and unit (least recently used go first)
RANGE_MEMO = 256  # distinct laboratory ranges given row by row, each with its own judge and cell readers
DECISION_MEMO = 1024  # combinations of findings remembered
FORMATS = ("jsonl", "json", "csv")


class BatchOptions(NamedTuple):
    scheme: str | None
    refs: list[str]
    units: dict[str, str | None]
    context: Context  # --pregnant, --taking-b12, --nitrous-oxide, --egfr: every row (an eGFR column wins)
    check: bool
    csv_safe: bool = False  # CSV output: a quote before input cells that start with = + - @ tab or CR
    columns: dict[str, str] = {}  # --column MARKER=HEADER choices (never mutated)
    delimiter: str | None = None  # --delimiter; found from the header when None
    strict: bool = False  # --strict: a bad marker cell makes the whole row an error (as before 0.7)
    long: object = None  # a long.LongRequest: --long, --test-column, --code ... (None: none given)
    loinc: dict[str, str] = {}  # code -> marker, from data/loinc.yaml
    not_markers: dict[str, str] = {}  # code -> why it is not a marker, from data/loinc.yaml


class RowError(Exception):
    """A row that cannot be interpreted as a whole; ``kind`` names the reason in the batch summary."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


MISSING = object()


class Memo(NamedTuple):
    """What one reader has worked out, by cell text: looked up in the row loop itself (a dict hit is a third
    of an ``lru_cache`` call), filled by ``remember`` and forgotten all at once when full, so memory stays
    flat. Errors are not remembered: they raise each time."""

    found: dict
    read: Callable[[str], object]


def remember(memo: Memo, text: str) -> object:
    if len(memo.found) >= CELL_MEMO:
        memo.found.clear()
    value = memo.found[text] = memo.read(text)
    return value


class Cell(NamedTuple):
    """A marker cell read, classified and written out, once per distinct text."""

    marker: str
    kind: int  # its ``Findings`` and urgency, numbered: a row's kinds key the decision memo
    term: float  # its value as the cB12 formula takes it
    side: int  # in cB12: NUMERATOR, DENOMINATOR, or NEITHER
    json: str  # the marker's object in a record (``documents.marker_json``)
    status: str


NUMERATOR, DENOMINATOR, NEITHER = 0, 1, 2


class Combination(NamedTuple):
    """What a combination of cells decides, the same for every row that has it (``Interpreter.decide``)."""

    decision: Decision
    urgent: bool  # a cell falls under an urgency rule
    by_scheme: str  # the readings' verdicts as JSON text (``documents.verdicts_json``)
    readings: tuple[str, ...]  # the readings' verdicts in ``documents.READINGS`` order ("" where none)


class Row(NamedTuple):
    cells: list[Cell]
    combination: Combination
    verdict: str
    cb12: str  # JSON text
    cb12_value: float | None
    cb12_category: str | None
    urgent: bool
    errors: tuple[tuple[str, str], ...] = ()  # (marker, error) for a marker cell that could not be read


class Chunk(NamedTuple):
    """A chunk of records interpreted: a list per field, in input order (a row that is an error has None,
    and its error in ``errors``)."""

    records: list[csv_rows.Record]
    joined: list[str]  # each record's cells joined (the input echo's check)
    cells: list[tuple[Cell, ...] | list[Cell] | None]
    verdicts: list[str | None]
    cb12: list[str | None]  # JSON text, "null" where cB12 does not apply
    cb12_values: list[float | None]
    cb12_categories: list[str | None]
    urgent: list[bool]
    errors: list[str | None]
    combinations: list[Combination | None]
    marker_errors: list[tuple[tuple[str, str], ...] | None]  # a row read without a bad marker cell: (marker, error)

    @classmethod
    def empty(cls, records: list[csv_rows.Record]) -> Chunk:
        n = len(records)
        return cls(records, list(map("".join, [cells for _, cells, _ in records])), [None] * n, [None] * n,
                   [None] * n, [None] * n, [None] * n, [False] * n, [None] * n, [None] * n, [None] * n)

    def put(self, k: int, row: Row) -> None:
        self.cells[k], self.verdicts[k], self.cb12[k] = row.cells, row.verdict, row.cb12
        self.cb12_values[k], self.cb12_categories[k], self.urgent[k] = row.cb12_value, row.cb12_category, row.urgent
        self.combinations[k] = row.combination
        self.marker_errors[k] = row.errors or None


KIND, TERM = attrgetter("kind"), attrgetter("term")
DECISION, URGENT, VERDICT = attrgetter("decision"), attrgetter("urgent"), attrgetter("verdict")


class _AgeTerms(dict):
    """cB12's age term per age (``labs.cb12_age_term``), None where cB12 does not apply: ages repeat."""

    def __missing__(self, age: Age | None) -> float | None:
        term = self[age] = None if age is None or age.months < ADULT_MONTHS else cb12_age_term(age.years)
        return term


class Interpreter:
    """One row's cells in, a ``Row`` out; options that apply to every row are read once."""

    def __init__(self, thresholds: Thresholds, columns: Columns, options: BatchOptions,
                 dialect: csv_rows.Dialect, ascii_only: bool) -> None:
        registry = self.registry = thresholds.registry
        self.thresholds = thresholds
        self.units = {**options.units, **columns.units}  # a unit in a column's header counts as given
        where = columns.positions
        per_row = {m: c for c, m in columns.unit_columns.items() if c in where}  # units given row by row
        self.refs = read_refs(registry, options.refs, self.units, per_row)
        self.judge = Judge(thresholds, options.scheme, self.refs)
        self.options_scheme = options.scheme
        self.ref_at = {m: where[f"{m}_ref"] for m in registry.ids if f"{m}_ref" in where}  # ranges row by row
        self.judges: dict[tuple, Judge] = {(): self.judge}
        self.scheme = self.judge.scheme
        self.context = options.context
        self.strict = options.strict
        self.zero_ranges = 0  # range cells printed 0-0 (no range), for the summary
        self.pregnant = options.context.pregnant
        self.width = len(columns.names)
        self.markers = columns.markers(registry)
        self.unit_columns = [(where[c], m) for c, m in columns.unit_columns.items() if c in where]
        self.age_at = where.get("age")
        self.egfr_at = where.get("egfr")
        self.egfrs = Memo({}, self._egfr)
        self.number = dialect.number
        self.encode = json.JSONEncoder(ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":")).encode
        self.ascii_only = ascii_only
        self.cb12_sources = self.encode(list(thresholds.cb12_sources))
        self.ages = Memo({}, self._age)
        self.readers: dict[tuple, Memo] = {}
        self.kinds: dict[tuple[Findings, bool], int] = {}
        self.findings: list[tuple[Findings, bool]] = []
        self.decide = functools.lru_cache(maxsize=DECISION_MEMO)(self._decide)
        # the rows of the fast path share the options' context: keyed by their cells alone
        self.decide_plain = functools.lru_cache(maxsize=DECISION_MEMO)(partial(self._decide, context=self.context))
        self.plan = self._plan(self.units)  # (position, cell reader) per marker column, for the default units
        self.age_terms = _AgeTerms()  # Age -> cB12's age term, or None under 18 or with no age

    def _age(self, text: str) -> Age | None:
        return None if not text or text.isspace() else parse_age(self.number(text.strip()), "age")

    def _egfr(self, text: str) -> Context:
        """The row's context: the options', with this row's eGFR (a blank cell: the option's, if any)."""
        if not text or text.isspace():
            return self.context
        low, high = self.thresholds.rules.egfr.plausible
        accepted = f"an eGFR in mL/min/1.73 m2 from {low:g} to {high:g}"
        value = parse_number(self.number(text.strip()), "egfr", accepted)
        if not low <= value <= high:
            raise UsageError(f"egfr {text.strip()!r} is out of range; expected {accepted}")
        return self.context._replace(egfr=value)

    def reader(self, marker_id: str, unit: str | None, ranges: tuple = ()) -> Memo:
        """The remembered cell reader for one marker in one unit (None for a blank cell), under the
        laboratory ranges a row gives (``ranges``: none, the usual case)."""
        key = (marker_id, unit, ranges)
        found = self.readers.get(key)
        if found is None:
            if len(self.readers) >= RANGE_MEMO:
                self.readers.clear()
                self.plan = self._plan(self.units)
            found = self.readers[key] = Memo({}, self._cell_reader(marker_id, unit, self.judge_for(ranges)))
        return found

    def judge_for(self, ranges: tuple) -> Judge:
        """The judge for the laboratory ranges a row gives (``(marker, text)`` pairs) on top of --ref."""
        judge = self.judges.get(ranges)
        if judge is None:
            if len(self.judges) >= RANGE_MEMO:
                self.judges = {(): self.judge}
            refs = dict(self.refs)
            for marker, text in ranges:
                refs[marker] = read_ref(self.registry, f"{marker}={text}", self.units, label=f"{marker} range")
            judge = self.judges[ranges] = Judge(self.thresholds, self.options_scheme, refs)
        return judge

    def _cell_reader(self, marker_id: str, unit: str | None, judge: Judge) -> Callable[[str], Cell | None]:
        marker = self.registry.get(marker_id)
        read = marker_reader(marker, unit, marker_id)
        t, number = self.thresholds, self.number

        def cell(text: str) -> Cell | None:
            if not text or text.isspace():
                return None
            mv = read(number(text.strip()))
            found = judge.read(mv)
            result = explain.marker_result(t, judge, mv, found)
            term = cb12_term(marker, mv) if marker.cb12 is not None else 0.0
            side = NEITHER if marker.cb12 is None else NUMERATOR if marker.cb12.side == "numerator" else DENOMINATOR
            urgent = bool(explain.urgent_rules(t, judge.shown, mv))
            return Cell(marker_id, self._kind((found, urgent)), term, side,
                        self.encode(documents.marker_json(result)), found.shown.status)

        return cell

    def _plan(self, units: dict[str, str | None], ranges: tuple = ()) -> list[tuple[int, Memo]]:
        return [(i, self.reader(marker, units.get(marker), ranges)) for marker, i in self.markers]

    def _kind(self, found: tuple[Findings, bool]) -> int:
        kind = self.kinds.get(found)
        if kind is None:
            kind = self.kinds[found] = len(self.findings)
            self.findings.append(found)
        return kind

    def _decide(self, kinds: tuple[int, ...], context: Context, ranges: tuple = ()) -> Combination:
        found = [self.findings[k] for k in kinds]
        decision = self.judge_for(ranges).decide({f.shown.marker: f for f, _ in found}, context)
        verdicts = {r.scheme: r.verdict for r in decision.readings}
        return Combination(decision, any(urgent for _, urgent in found), self.encode(verdicts),
                           tuple(verdicts.get(r, "") for r in documents.READINGS))

    def row(self, cells: list[str]) -> Row:
        """One row, cell by cell (every cell read and remembered if it is new)."""
        n = len(cells)
        if n > self.width:
            raise RowError(f"row has {n} fields but the header has {self.width}", "wrong number of fields")
        plan = self.plan
        if self.ref_at:
            self.zero_ranges += sum(1 for i in self.ref_at.values() if i < n and no_range(cells[i]))
        ranges = tuple((m, cells[i].strip()) for m, i in self.ref_at.items()
                       if i < n and cells[i].strip() and not no_range(cells[i])) \
            if self.ref_at else ()
        if (self.unit_columns and any(i < n and cells[i].strip() for i, _ in self.unit_columns)) or ranges:
            units = dict(self.units)
            for i, marker in self.unit_columns:
                if i < n and cells[i].strip():
                    units[marker] = self.registry.get(marker).normalize_unit(cells[i], f"{marker}_unit")
            plan = self._plan(units, ranges)
        row_cells, bad = self._cells(plan, cells)
        at = self.age_at
        age = None
        if at is not None and at < n:
            age = self.ages.found.get(cells[at], MISSING)
            if age is MISSING:
                age = remember(self.ages, cells[at])
        context = self.context
        if self.egfr_at is not None and self.egfr_at < n:
            context = self.egfrs.found.get(cells[self.egfr_at], MISSING)
            if context is MISSING:
                context = remember(self.egfrs, cells[self.egfr_at])
        row = self.conclude(row_cells, age, context, ranges)
        return row._replace(errors=tuple(bad)) if bad else row

    def _cells(self, plan: list[tuple[int, Memo]], cells: list[str]) -> tuple[list[Cell | None], list]:
        """The row's marker cells (None where blank or unreadable) and (marker, error) for each unreadable one:
        a bad cell costs only its marker, unless --strict (or no marker is left)."""
        n = len(cells)
        row_cells, bad = [], []
        for (marker, _), (i, memo) in zip(self.markers, plan):
            text = cells[i] if i < n else ""
            cell = memo.found.get(text, MISSING)
            if cell is MISSING:
                try:
                    cell = remember(memo, text)
                except UsageError as exc:
                    if self.strict:
                        raise
                    bad.append((marker, str(exc)))
                    cell = None
            row_cells.append(cell)
        if bad and all(c is None for c in row_cells):
            raise UsageError("; ".join(error for _, error in bad))
        return row_cells, bad

    def conclude(self, row_cells: list[Cell | None] | tuple[Cell | None, ...], age: Age | None,
                 context: Context, ranges: tuple = ()) -> Row:
        """A row from its marker cells (None where blank), age and context: what every row goes through."""
        found = [c for c in row_cells if c is not None] if None in row_cells else row_cells
        if not found:
            raise RowError("no marker value in this row", "no marker value")
        combination = self.decide(tuple([c.kind for c in found]), context, ranges)
        decision, urgent = combination.decision, combination.urgent
        if decision.complete:
            c = self.judge.shown.cb12(decision.complete, [c.term for c in found if c.side == NUMERATOR],
                                      [c.term for c in found if c.side == DENOMINATOR], age)
            if c is not None:
                verdict = decision.with_cb12[c.category]
                return Row(found, combination, verdict, documents.cb12_text(c, self.cb12_sources), c.value,
                           c.category, urgent or explain.pregnancy_urgent(self.pregnant, verdict))
        return Row(found, combination, decision.verdict, "null", None, None,
                   urgent or explain.pregnancy_urgent(self.pregnant, decision.verdict))

    def known_rows(self, chunk: Chunk) -> None:
        """The rows of a chunk whose every marker cell is present and was seen before, and whose age was,
        worked out a column at a time: cells looked up, findings combined, cB12 computed, each a C-speed pass
        over a column instead of Python steps per row. This halves the time of a batch on the benchmark.
        Every other row (a new or blank cell, a unit given in the row, a width other than the header's, an
        error) is left for ``row`` and ``conclude``; both give the same records (``tests/test_labs_properties.py``
        holds them to the single query, byte for byte)."""
        records = chunk.records
        if self.unit_columns or self.age_at is None or self.egfr_at is not None or self.ref_at:
            return
        regular = [k for k, (_, cells, error) in enumerate(records) if error is None and len(cells) == self.width]
        if not regular:
            return
        columns = list(zip(*[records[k][1] for k in regular]))
        looked_up = list(zip(*[map(memo.found.get, columns[i], repeat(MISSING)) for i, memo in self.plan]))
        ages = list(map(self.ages.found.get, columns[self.age_at], repeat(MISSING)))
        fast = [j for j, (cells, age) in enumerate(zip(looked_up, ages))
                if age is not MISSING and MISSING not in cells and None not in cells]
        if not fast:
            return
        row_cells = [looked_up[j] for j in fast]
        by_column = list(zip(*row_cells))
        combinations = list(map(self.decide_plain, zip(*[map(KIND, column) for column in by_column])))
        decisions = list(map(DECISION, combinations))
        urgent = list(map(URGENT, combinations))
        verdicts = list(map(VERDICT, decisions))
        cb12 = ["null"] * len(fast)
        values: list[float | None] = [None] * len(fast)
        named: list[str | None] = [None] * len(fast)
        age_terms = list(map(self.age_terms.__getitem__, [ages[j] for j in fast]))
        with_cb12 = [n for n, (decision, term) in enumerate(zip(decisions, age_terms))
                     if decision.complete and term is not None]
        if with_cb12:  # cB12 (``Assessor.cb12``) and the verdict with it (``Decision.with_cb12``), from their columns
            logs = self._cb12_logs(by_column)
            raws = list(map(sub, [logs[n] for n in with_cb12], [age_terms[n] for n in with_cb12]))
            rounded = list(map(add, map(round, raws, repeat(3)), repeat(0.0)))  # + 0.0: never -0.0
            shown = self.judge.shown
            categories = list(map(shown.cb12_categories.__getitem__, map(partial(locate, shown.cb12_cuts), raws)))
            texts = list(map(documents.CB12_RECORD.__mod__, zip(rounded, categories, repeat(self.cb12_sources))))
            chosen = list(map(getitem, [decisions[n].with_cb12 for n in with_cb12], categories))
            for n, value, category, text, verdict in zip(with_cb12, rounded, categories, texts, chosen):
                values[n], named[n], cb12[n], verdicts[n] = value, category, text, verdict
        if self.pregnant:  # ``explain.pregnancy_urgent``
            urgent = list(map(or_, urgent, map(ne, verdicts, repeat(UNLIKELY))))
        if len(fast) == len(records):  # every row of the chunk (the usual case): the lists as they are
            chunk.cells[:], chunk.verdicts[:], chunk.cb12[:] = row_cells, verdicts, cb12
            chunk.cb12_values[:], chunk.cb12_categories[:], chunk.urgent[:] = values, named, urgent
            chunk.combinations[:] = combinations
            return
        for j, cells, verdict, text, value, category, flag, combination in zip(
                fast, row_cells, verdicts, cb12, values, named, urgent, combinations):
            k = regular[j]
            chunk.cells[k], chunk.verdicts[k], chunk.cb12[k] = cells, verdict, text
            chunk.cb12_values[k], chunk.cb12_categories[k], chunk.urgent[k] = value, category, flag
            chunk.combinations[k] = combination

    def _cb12_logs(self, by_column: list[tuple[Cell, ...]]) -> list[float]:
        """log10 of the numerator's product over the denominator's (``labs.cb12_value`` before the age term),
        for rows whose cells are in ``by_column``; the products are taken in registry order, as ``cb12_value``
        takes them, so the figures are the same to the last bit."""
        terms = [list(map(TERM, column)) for column in by_column]
        sides = [self.registry.get(marker).cb12 for marker, _ in self.markers]
        shown = self.judge.shown
        if sum(side is not None for side in sides) < len(shown.numerator) + len(shown.denominator):
            return [0.0] * len(by_column[0])  # not every cB12 input has a column: no row is complete
        numerator = [t for t, side in zip(terms, sides) if side is not None and side.side == "numerator"]
        denominator = [t for t, side in zip(terms, sides) if side is not None and side.side == "denominator"]
        top, bottom = reduce(_times, numerator), reduce(_times, denominator)
        return list(map(log10, map(truediv, top, bottom)))


def _times(a: list[float], b: list[float]) -> list[float]:
    return list(map(mul, a, b))


# ----------------------------------------------------------------- writers


