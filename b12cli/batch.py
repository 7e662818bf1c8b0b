"""`b12 labs --input FILE`: a CSV of results in, one record per data row out.

Streams: rows are read through the one CSV reader (``inputs.csv_rows``), interpreted and written a
chunk at a time, so memory does not grow with the file. A row that cannot be interpreted becomes an
error record and the rest carry on; nothing is dropped or reordered. Every row is interpreted by the
same ``labs.Assessor`` as a single query, and written by the same record template
(``documents.ROW_RECORD``) from the same marker objects (``documents.marker_json``): a batch record and
a single query with ``--format jsonl`` end in the same bytes (``tests/test_labs_properties.py``).

What pays for itself on the benchmark (``tests/benchmark.py``, 200,000 rows; CPU without it, measured
one at a time):
* each distinct cell of a marker column is read, classified and written once (``Memo``): lab values
  recur, and a marker's object costs ~10 us to build;
* each combination of findings is decided once (``Interpreter.decide``): +120%;
* rows whose cells were all seen before are worked out a column at a time (``known_rows``): +25%;
* the input echo and cB12's object are filled into %-templates, not ``json.dumps``: +23% and +25%;
* chunks of 200 rows: 2,000-row chunks cost 190,000 page faults and ~20% more time.
There are no worker processes: on the two cores this was measured on they were slower than one.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import sys
from collections import Counter
from functools import partial, reduce
from itertools import islice, repeat
from math import log10
from operator import add, attrgetter, getitem, mul, ne, or_, sub, truediv
from typing import Callable, Iterator, NamedTuple

from b12cli.domain import explain
from b12cli.domain.bands import locate
from b12cli.domain.labs import (
    ADULT_MONTHS,
    Assessor,
    Decision,
    Finding,
    cb12_age_term,
    cb12_term,
    decide,
    is_abnormal,
    read_scheme,
    verdict_with,
)
from b12cli.domain.model import Thresholds
from b12cli.domain.numbers import Age, parse_age
from b12cli.domain.ranges import read_refs
from b12cli.domain.text import printable
from b12cli.domain.units import marker_reader
from b12cli.domain.vocab import UNLIKELY, VERDICTS
from b12cli.errors import ExitCode, UsageError
from b12cli.inputs import csv_rows
from b12cli.inputs.columns import Columns, map_columns, unique_names
from b12cli.output import documents
from b12cli.output.streams import encoding_of, is_terminal, is_utf8, say

# Records per unit of work, and input characters (so that wide rows keep memory flat): output is written a
# chunk at a time. Small chunks keep each chunk's strings in the processor's cache and under the C library's
# trim threshold (see the module's text).
CHUNK = 200
CHUNK_CHARS = 512 << 10
CELL_MEMO = 16384  # distinct cells remembered per marker and unit (least recently used go first)
DECISION_MEMO = 1024  # combinations of findings remembered
FORMATS = ("jsonl", "json", "csv")


class BatchOptions(NamedTuple):
    scheme: str
    refs: list[str]
    units: dict[str, str | None]
    pregnant: bool
    check: bool
    csv_safe: bool = False  # CSV output: a quote before input cells that start with = + - @ tab or CR
    columns: dict[str, str] = {}  # --column MARKER=HEADER choices (never mutated)
    delimiter: str | None = None  # --delimiter; found from the header when None


class RowError(Exception):
    pass


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
    kind: int  # its ``Finding`` and urgency, numbered: a row's kinds key the decision memo
    term: float  # its value as the cB12 formula takes it
    side: int  # in cB12: NUMERATOR, DENOMINATOR, or NEITHER
    json: str  # the marker's object in a record (``documents.marker_json``)
    status: str


NUMERATOR, DENOMINATOR, NEITHER = 0, 1, 2


class Combination(NamedTuple):
    """What a combination of cells decides, the same for every row that has it (``Interpreter.decide``)."""

    decision: Decision
    urgent: bool  # a cell falls under an urgency rule


class Row(NamedTuple):
    cells: list[Cell]
    decision: Decision
    verdict: str
    cb12: str  # JSON text
    cb12_value: float | None
    cb12_category: str | None
    urgent: bool


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

    @classmethod
    def empty(cls, records: list[csv_rows.Record]) -> Chunk:
        n = len(records)
        return cls(records, list(map("".join, [cells for _, cells, _ in records])), [None] * n, [None] * n,
                   [None] * n, [None] * n, [None] * n, [False] * n, [None] * n)

    def put(self, k: int, row: Row) -> None:
        self.cells[k], self.verdicts[k], self.cb12[k] = row.cells, row.verdict, row.cb12
        self.cb12_values[k], self.cb12_categories[k], self.urgent[k] = row.cb12_value, row.cb12_category, row.urgent


KIND, TERM, VERDICT = attrgetter("kind"), attrgetter("term"), attrgetter("verdict")


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
        self.scheme = read_scheme(thresholds, options.scheme)
        self.units = {**options.units, **columns.units}  # a unit in a column's header counts as given
        where = columns.positions
        per_row = {m: c for c, m in columns.unit_columns.items() if c in where}  # units given row by row
        self.assessor = Assessor(thresholds, self.scheme, read_refs(registry, options.refs, self.units, per_row))
        self.pregnant = options.pregnant
        self.width = len(columns.names)
        self.markers = columns.markers(registry)
        self.unit_columns = [(where[c], m) for c, m in columns.unit_columns.items() if c in where]
        self.age_at = where.get("age")
        self.number = dialect.number
        self.encode = json.JSONEncoder(ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":")).encode
        self.ascii_only = ascii_only
        self.cb12_sources = self.encode(list(thresholds.cb12_sources))
        self.ages = Memo({}, self._age)
        self.readers: dict[tuple[str, str | None], Memo] = {}
        self.kinds: dict[tuple[Finding, bool], int] = {}
        self.findings: list[tuple[Finding, bool]] = []
        self.decide = functools.lru_cache(maxsize=DECISION_MEMO)(self._decide)
        self.plan = self._plan(self.units)  # (position, cell reader) per marker column, for the default units
        self.age_terms = _AgeTerms()  # Age -> cB12's age term, or None under 18 or with no age

    def _age(self, text: str) -> Age | None:
        return None if not text or text.isspace() else parse_age(self.number(text.strip()), "age")

    def reader(self, marker_id: str, unit: str | None) -> Memo:
        """The remembered cell reader for one marker in one unit (None for a blank cell)."""
        key = (marker_id, unit)
        found = self.readers.get(key)
        if found is None:
            found = self.readers[key] = Memo({}, self._cell_reader(marker_id, unit))
        return found

    def _cell_reader(self, marker_id: str, unit: str | None) -> Callable[[str], Cell | None]:
        marker = self.registry.get(marker_id)
        read = marker_reader(marker, unit, marker_id)
        t, assessor, number = self.thresholds, self.assessor, self.number

        def cell(text: str) -> Cell | None:
            if not text or text.isspace():
                return None
            mv = read(number(text.strip()))
            finding = assessor.classify(mv)
            result = explain.marker_result(t, assessor, mv, finding)
            term = cb12_term(marker, mv) if marker.cb12 is not None else 0.0
            side = NEITHER if marker.cb12 is None else NUMERATOR if marker.cb12.side == "numerator" else DENOMINATOR
            urgent = bool(explain.urgent_rules(t, assessor, mv))
            return Cell(marker_id, self._kind((finding, urgent)), term, side,
                        self.encode(documents.marker_json(result)), finding.status)

        return cell

    def _plan(self, units: dict[str, str | None]) -> list[tuple[int, Memo]]:
        return [(i, self.reader(marker, units.get(marker))) for marker, i in self.markers]

    def _kind(self, found: tuple[Finding, bool]) -> int:
        kind = self.kinds.get(found)
        if kind is None:
            kind = self.kinds[found] = len(self.findings)
            self.findings.append(found)
        return kind

    def _decide(self, kinds: tuple[int, ...]) -> Combination:
        found = [self.findings[k] for k in kinds]
        return Combination(decide([f for f, _ in found], self.registry), any(urgent for _, urgent in found))

    def row(self, cells: list[str]) -> Row:
        """One row, cell by cell (every cell read and remembered if it is new)."""
        n = len(cells)
        if n > self.width:
            raise RowError(f"row has {n} fields but the header has {self.width}")
        plan = self.plan
        if self.unit_columns and any(i < n and cells[i].strip() for i, _ in self.unit_columns):
            units = dict(self.units)
            for i, marker in self.unit_columns:
                if i < n and cells[i].strip():
                    units[marker] = self.registry.get(marker).normalize_unit(cells[i], f"{marker}_unit")
            plan = self._plan(units)
        row_cells = []
        for i, memo in plan:
            text = cells[i] if i < n else ""
            cell = memo.found.get(text, MISSING)
            row_cells.append(remember(memo, text) if cell is MISSING else cell)
        at = self.age_at
        age = None
        if at is not None and at < n:
            age = self.ages.found.get(cells[at], MISSING)
            if age is MISSING:
                age = remember(self.ages, cells[at])
        return self.conclude(row_cells, age)

    def conclude(self, row_cells: list[Cell | None] | tuple[Cell | None, ...], age: Age | None) -> Row:
        """A row from its marker cells (None where blank) and age: what every row goes through."""
        found = [c for c in row_cells if c is not None] if None in row_cells else row_cells
        if not found:
            raise RowError("no marker value in this row")
        decision, urgent = self.decide(tuple([c.kind for c in found]))
        if decision.complete:
            c = self.assessor.cb12(decision, [c.term for c in found if c.side == NUMERATOR],
                                   [c.term for c in found if c.side == DENOMINATOR], age)
            if c is not None:
                verdict = verdict_with(decision, c)
                return Row(found, decision, verdict, documents.cb12_text(c, self.cb12_sources), c.value, c.category,
                           urgent or explain.pregnancy_urgent(self.pregnant, verdict))
        return Row(found, decision, decision.verdict, "null", None, None,
                   urgent or explain.pregnancy_urgent(self.pregnant, decision.verdict))

    def known_rows(self, chunk: Chunk) -> None:
        """The rows of a chunk whose every marker cell is present and was seen before, and whose age was,
        worked out a column at a time: cells looked up, findings combined, cB12 computed, each a C-speed pass
        over a column instead of Python steps per row. This halves the time of a batch on the benchmark.
        Every other row (a new or blank cell, a unit given in the row, a width other than the header's, an
        error) is left for ``row`` and ``conclude``; both give the same records (``tests/test_labs_properties.py``
        holds them to the single query, byte for byte)."""
        records = chunk.records
        if self.unit_columns or self.age_at is None:
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
        decisions, urgent = zip(*map(self.decide, zip(*[map(KIND, column) for column in by_column])))
        verdicts = list(map(VERDICT, decisions))
        cb12 = ["null"] * len(fast)
        values: list[float | None] = [None] * len(fast)
        named: list[str | None] = [None] * len(fast)
        age_terms = list(map(self.age_terms.__getitem__, [ages[j] for j in fast]))
        with_cb12 = [n for n, (decision, term) in enumerate(zip(decisions, age_terms))
                     if decision.complete and term is not None]
        if with_cb12:  # cB12 (``Assessor.cb12``) and the verdict with it (``verdict_with``), from their columns
            logs = self._cb12_logs(by_column)
            raws = list(map(sub, [logs[n] for n in with_cb12], [age_terms[n] for n in with_cb12]))
            rounded = list(map(add, map(round, raws, repeat(3)), repeat(0.0)))  # + 0.0: never -0.0
            categories = list(map(self.assessor.cb12_categories.__getitem__,
                                  map(partial(locate, self.assessor.cb12_cuts), raws)))
            texts = list(map(documents.CB12_RECORD.__mod__, zip(rounded, categories, repeat(self.cb12_sources))))
            chosen = list(map(getitem, [decisions[n].with_cb12 for n in with_cb12], categories))
            for n, value, category, text, verdict in zip(with_cb12, rounded, categories, texts, chosen):
                values[n], named[n], cb12[n], verdicts[n] = value, category, text, verdict
        if self.pregnant:  # ``explain.pregnancy_urgent``
            urgent = list(map(or_, urgent, map(ne, verdicts, repeat(UNLIKELY))))
        for j, cells, verdict, text, value, category, flag in zip(fast, row_cells, verdicts, cb12, values, named,
                                                                   urgent):
            k = regular[j]
            chunk.cells[k], chunk.verdicts[k], chunk.cb12[k] = cells, verdict, text
            chunk.cb12_values[k], chunk.cb12_categories[k], chunk.urgent[k] = value, category, flag

    def _cb12_logs(self, by_column: list[tuple[Cell, ...]]) -> list[float]:
        """log10 of the numerator's product over the denominator's (``labs.cb12_value`` before the age term),
        for rows whose cells are in ``by_column``; the products are taken in registry order, as ``cb12_value``
        takes them, so the figures are the same to the last bit."""
        terms = [list(map(TERM, column)) for column in by_column]
        sides = [self.registry.get(marker).cb12 for marker, _ in self.markers]
        if sum(side is not None for side in sides) < len(self.assessor.numerator) + len(self.assessor.denominator):
            return [0.0] * len(by_column[0])  # not every cB12 input has a column: no row is complete
        numerator = [t for t, side in zip(terms, sides) if side is not None and side.side == "numerator"]
        denominator = [t for t, side in zip(terms, sides) if side is not None and side.side == "denominator"]
        top, bottom = reduce(_times, numerator), reduce(_times, denominator)
        return list(map(log10, map(truediv, top, bottom)))


def _times(a: list[float], b: list[float]) -> list[float]:
    return list(map(mul, a, b))


# ----------------------------------------------------------------- writers


SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP)


class JsonlFormat:
    """One record a line (``documents.ROW_RECORD``); ``json`` wraps them in one document.

    The input echo of a row whose cells need no escape (the usual case) is a %-template with the keys
    encoded once: ``json.dumps`` of the row's dict costs ~25% of the whole run on the benchmark."""

    def __init__(self, columns: Columns, encode: Callable[[object], str], document: bool = False,
                 ascii_only: bool = False) -> None:
        self.names, self.width = columns.names, len(columns.names)
        self.encode = encode
        self.document = document
        self.first = True
        # the C string encoder json itself uses
        self.string = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring
        keys = [f"{self.string(name)}:" for name in self.names]
        self.plain = "{" + ",".join(f'{key.replace("%", "%%")}"%s"' for key in keys) + "}"  # a % doubled

    def header(self) -> str:
        return '{"schema":"b12.labs.batch/1","rows":[\n' if self.document else ""

    def footer(self) -> str:
        return "\n]}\n" if self.document else ""

    def records(self, chunk: Chunk) -> str:
        """A chunk's records, in order (``documents.ROW_RECORD``, ``ERROR_RECORD``), filled a column at a time."""
        echoes = self._inputs(chunk.records, chunk.joined)
        lines = [line for line, _, _ in chunk.records]
        markers = list(map(",".join, [[c.json for c in cells] if cells is not None else () for cells in chunk.cells]))
        flags = list(map(documents.JSON_BOOL.__getitem__, chunk.urgent))
        out = list(map(documents.ROW_RECORD.__mod__, zip(lines, echoes, markers, chunk.verdicts, chunk.cb12, flags)))
        for k, error in enumerate(chunk.errors):
            if error is not None:
                out[k] = documents.ERROR_RECORD % (lines[k], echoes[k], self.encode(error))
        if not self.document:
            return "\n".join(out) + "\n" if out else ""
        text = ",\n".join(out)
        if not self.first and out:
            text = ",\n" + text
        self.first = self.first and not out
        return text

    def _inputs(self, records: list[csv_rows.Record], joined: list[str]) -> list[str]:
        """Each record's input echo (``_input``), the usual case a column at a time."""
        plain = [len(escaped) == len(text) + 2 for escaped, text in zip(map(self.string, joined), joined)]
        return [self.plain % tuple(cells) if ok and len(cells) == self.width else self._input(cells, text)
                for (_, cells, _), ok, text in zip(records, plain, joined)]

    def _input(self, cells: list[str], joined: str) -> str:
        """The row as read (``json.dumps`` of it): every header column (missing cells empty), cells beyond
        the header as ``_extra_N`` under names the header does not use. ``joined``: the cells joined."""
        if len(cells) == self.width:
            # Whether every cell is its own JSON string body: no quote, backslash or control character (nor,
            # for an ASCII-only output, a non-ASCII one). One C-speed encoding of the joined cells tells: any
            # escape would make the encoded text longer than the text and its two quotes.
            if len(self.string(joined)) == len(joined) + 2:
                return self.plain % tuple(cells)
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        row = dict(zip(self.names, cells))
        if len(cells) > self.width:
            extra = unique_names(self.names + [f"_extra_{i + 1}" for i in range(self.width, len(cells))])[self.width:]
            row.update(zip(extra, cells[self.width:]))
        return self.encode(row)


class CsvFormat:
    """The input columns, then each marker's status, the verdict, cB12, urgency and the error. An input
    column named like an output column (a file that b12 wrote) is kept under a name of its own. With
    ``safe`` (--csv-safe) an input cell that starts with = + - @ tab or CR gets a leading quote, so that a
    spreadsheet shows it as text instead of running it (negative numbers included, as OWASP advises)."""

    def __init__(self, columns: Columns, registry_ids: tuple[str, ...], safe: bool = False) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.width = len(columns.names)
        self.status_columns = [f"{m}_status" for m in registry_ids] + list(documents.LABS_CSV_STATUS)
        self.ids = registry_ids
        taken = set(self.status_columns)
        self.names = [f"{n}_input" if n in taken else n for n in columns.names]
        self.names = unique_names(self.names)
        self.safe = safe

    def _take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text

    def header(self) -> str:
        self.writer.writerow(self._cells(self.names) + self.status_columns)
        return self._take()

    def footer(self) -> str:
        return ""

    def _cells(self, cells: list[str]) -> list[str]:
        if self.safe:
            return [f"'{c}" if c.startswith(SPREADSHEET_FORMULA) else c for c in cells]
        return cells

    def records(self, chunk: Chunk) -> str:
        for k, (_, cells, _) in enumerate(chunk.records):
            self.record(cells, chunk, k)
        return self._take()

    def record(self, cells: list[str], chunk: Chunk, k: int) -> None:
        error = chunk.errors[k]
        cells = self._cells((cells + [""] * (self.width - len(cells)))[: self.width])
        if error is not None:
            self.writer.writerow(cells + [""] * (len(self.status_columns) - 1) + [error])
        else:
            status = {c.marker: c.status for c in chunk.cells[k]}
            value = chunk.cb12_values[k]
            cb12 = "" if value is None else repr(value)
            self.writer.writerow(cells + [status.get(m, "") for m in self.ids]
                                 + [chunk.verdicts[k], cb12, chunk.cb12_categories[k] or "",
                                    "true" if chunk.urgent[k] else "false", ""])


# ----------------------------------------------------------------- the run


class Tally:
    """Counts for the summary and the exit code. Abnormal rows are counted only when --check asked."""

    def __init__(self, check: bool = False) -> None:
        self.rows = self.errors = self.abnormal = self.urgent = 0
        self.verdicts = dict.fromkeys(VERDICTS, 0)
        self.check = check

    def add(self, chunk: Chunk) -> None:
        counts = Counter(chunk.verdicts)
        self.rows += len(chunk.verdicts)
        self.errors += counts.pop(None, 0)
        for verdict, count in counts.items():
            self.verdicts[verdict] += count
        self.urgent += sum(chunk.urgent)
        if self.check:
            self.abnormal += sum(is_abnormal(verdict, [c.status for c in cells])
                                 for verdict, cells in zip(chunk.verdicts, chunk.cells) if verdict is not None)


def process(interpreter: Interpreter, fmt: JsonlFormat | CsvFormat, records: list[csv_rows.Record],
            tally: Tally) -> str:
    """Interpret and format a chunk of records: their output text, in order."""
    chunk = Chunk.empty(records)
    interpreter.known_rows(chunk)
    for k in [k for k, verdict in enumerate(chunk.verdicts) if verdict is None]:
        line, cells, error = records[k]
        text = chunk.joined[k]
        if not text.isascii() and csv_rows.not_utf8(text):  # error records too: their cells are written
            cells = [c.encode("utf-8", "replace").decode("utf-8") for c in cells]
            records[k], chunk.joined[k] = (line, cells, error), "".join(cells)
            error = error or "row is not valid UTF-8 text"
        if error is None:
            try:
                chunk.put(k, interpreter.row(cells))
            except (RowError, UsageError) as exc:
                error = str(exc)
        chunk.errors[k] = error
    tally.add(chunk)
    return fmt.records(chunk)


STEP = 10  # records taken at a time while a chunk fills: the character bound is checked between steps


def _chunks(records: Iterator[csv_rows.Record], lines: csv_rows.Lines) -> Iterator[list[csv_rows.Record]]:
    """Records in lists of at most CHUNK records and about CHUNK_CHARS characters of input (over it by at most
    STEP records, each at most MAX_ROW characters), taken STEP at a time."""
    chunk: list[csv_rows.Record] = []
    mark = lines.chars
    while True:
        step = list(islice(records, STEP))
        chunk += step
        if len(chunk) >= CHUNK or lines.chars - mark > CHUNK_CHARS or not step:
            if chunk:
                yield chunk
            if not step:
                return
            chunk, mark = [], lines.chars


class Output:
    """stdout for records. Where its encoding cannot take every character (say ASCII), characters it
    lacks are written as backslash escapes instead of stopping the run (JSON uses ``\\u`` escapes
    itself, so its records stay exact)."""

    def __init__(self) -> None:
        self.stream = sys.stdout
        self.encoding = encoding_of(self.stream)
        self.unicode = is_utf8(self.stream)

    def write(self, text: str) -> None:
        if not self.unicode:
            text = text.encode(self.encoding, "backslashreplace").decode(self.encoding)
        self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


class Progress:
    """A Rich progress display on stderr (never stdout), only when stderr is a terminal."""

    def __init__(self) -> None:
        self.bar = None
        if is_terminal(sys.stderr):
            from rich.console import Console
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self.bar = RichProgress(SpinnerColumn(), TextColumn("{task.completed} rows"), TimeElapsedColumn(),
                                    console=Console(stderr=True), transient=True, redirect_stdout=False,
                                    redirect_stderr=False)
            self.task = self.bar.add_task("rows", total=None)
            self.bar.start()

    def update(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=rows)

    def stop(self) -> None:
        if self.bar is not None:
            try:
                self.bar.stop()
            except (OSError, ValueError):
                pass


def _formatter(fmt: str, columns: Columns, interpreter: Interpreter, options: BatchOptions) -> JsonlFormat | CsvFormat:
    if fmt == "csv":
        return CsvFormat(columns, interpreter.registry.ids, safe=options.csv_safe)
    return JsonlFormat(columns, interpreter.encode, document=fmt == "json", ascii_only=interpreter.ascii_only)


def run(thresholds: Thresholds, path: str, fmt: str, options: BatchOptions) -> int:
    registry = thresholds.registry
    binary = csv_rows.open_binary(path, "--input")
    try:
        source = csv_rows.read_csv(csv_rows.text_of(binary), options.delimiter)
        where = f"--input {printable(path)!r}"
        header = csv_rows.header_of(source.records, where)
        columns = map_columns(registry, header, options.columns, options.units, source.dialect.describe())
        for warning in columns.warnings:
            say(f"b12: warning: {warning}\n")
        source.lines.width = len(columns.names)
        source.lines.max_cells = max(csv_rows.MAX_CELLS, len(columns.names))
        out = Output()
        interpreter = Interpreter(thresholds, columns, options, source.dialect, ascii_only=not out.unicode)
        formatter = _formatter(fmt, columns, interpreter, options)
        out.write(formatter.header())
        tally = _stream(_chunks(source.records, source.lines), interpreter, formatter, out, options.check)
        out.write(formatter.footer())
        out.flush()
    finally:
        if path != "-":
            binary.close()
    _summary(thresholds, interpreter.scheme, tally, options.pregnant)
    if tally.errors:
        return ExitCode.ROWS_INVALID
    return ExitCode.CHECK_FAILED if options.check and tally.abnormal else ExitCode.OK


def _stream(chunks: Iterator[list[csv_rows.Record]], interpreter: Interpreter, formatter: JsonlFormat | CsvFormat,
            out: Output, check: bool) -> Tally:
    """Chunks in order to stdout."""
    tally = Tally(check)
    progress = Progress()
    try:
        for chunk in chunks:
            out.write(process(interpreter, formatter, chunk, tally))
            progress.update(tally.rows)
    finally:
        progress.stop()
    return tally


def _summary(thresholds: Thresholds, scheme, tally: Tally, pregnant: bool) -> None:  # noqa: ANN001
    from b12cli.domain.history import plural

    counts = ", ".join(f"{v} {tally.verdicts[v]:,}" for v in reversed(VERDICTS))
    lines = [f"b12: {plural(tally.rows, 'row')}: {counts}; {plural(tally.urgent, 'urgent row')}; "
             f"{plural(tally.errors, 'error')}.",
             f"b12: scheme {scheme.id} (sources: {', '.join(scheme.sources)})."]
    if pregnant:
        lines.append(f"b12: {thresholds.messages['note-pregnancy'].cited()}")
    lines.append(f"b12: {thresholds.disclaimer}")
    say("".join(line + "\n" for line in lines))

