"""`b12 labs --input FILE`: a CSV of results in, one record per data row out.

Streams: rows are read through the one CSV reader (``inputs.csv_rows``), interpreted and written a
chunk at a time, so memory does not grow with the file. A row that cannot be interpreted becomes an
error record and the rest carry on; nothing is dropped or reordered. Every row is interpreted by the
same ``labs.Assessor`` as a single query, and its markers, verdict, cB12 and urgency are written by
the same functions (``documents.marker_json``, ``documents.row_tail``): a batch record and a single
query with ``--format jsonl`` end in the same bytes.

Two caches pay for themselves on the benchmark (``tests/benchmark.py``, 200,000 rows):
* each distinct cell of a marker column is read, classified and written once (``Interpreter.cell``):
  lab values recur, and a marker's object costs ~40 us to build; without it a batch runs ~6x slower;
* each combination of findings is decided once (``Interpreter.decide``): ~25% of the remaining time.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import sys
from typing import Callable, Iterator, NamedTuple

from b12cli.domain import explain
from b12cli.domain.labs import Assessor, Decision, Finding, cb12_term, decide, is_abnormal, read_scheme
from b12cli.domain.model import Thresholds
from b12cli.domain.numbers import Age, parse_age
from b12cli.domain.ranges import read_refs
from b12cli.domain.text import printable
from b12cli.domain.units import marker_reader
from b12cli.domain.vocab import VERDICTS
from b12cli.errors import ExitCode, UsageError
from b12cli.inputs import csv_rows
from b12cli.inputs.columns import Columns, map_columns, unique_names
from b12cli.output import documents
from b12cli.output.streams import encoding_of, is_terminal, is_utf8, say

CHUNK = 2000  # records per unit of work; output is written a chunk at a time
CHUNK_CHARS = 4 << 20  # input characters per unit of work, so wide rows keep memory flat
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


class Cell(NamedTuple):
    """A marker cell read, classified and written out, once per distinct text."""

    marker: str
    kind: int  # its ``Finding``, numbered: a row's kinds key the decision memo
    term: float | None  # its value as the cB12 formula takes it (None: not a cB12 input)
    json: str  # the marker's object in a record (``documents.marker_json``)
    status: str
    urgent: bool  # an urgency rule holds (could hold, for a limit)


class Row(NamedTuple):
    cells: list[Cell]
    decision: Decision
    verdict: str
    cb12: str  # JSON text
    cb12_value: float | None
    cb12_category: str | None
    urgent: bool


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
        self.read_age = functools.lru_cache(maxsize=CELL_MEMO)(self._age)
        self.readers: dict[tuple[str, str | None], Callable[[str], Cell | None]] = {}
        self.kinds: dict[Finding, int] = {}
        self.findings: list[Finding] = []
        self.decide = functools.lru_cache(maxsize=DECISION_MEMO)(self._decide)

    def _age(self, text: str) -> Age | None:
        return None if not text or text.isspace() else parse_age(self.number(text.strip()), "age")

    def reader(self, marker_id: str, unit: str | None) -> Callable[[str], Cell | None]:
        """The memoised cell reader for one marker in one unit (None for a blank cell)."""
        key = (marker_id, unit)
        found = self.readers.get(key)
        if found is None:
            found = self.readers[key] = functools.lru_cache(maxsize=CELL_MEMO)(self._cell_reader(marker_id, unit))
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
            term = cb12_term(marker, mv) if marker.cb12 is not None else None
            urgent = bool(explain.urgent_rules(t, assessor, mv))
            return Cell(marker_id, self._kind(finding), term, self.encode(documents.marker_json(result)),
                        finding.status, urgent)

        return cell

    def _kind(self, finding: Finding) -> int:
        kind = self.kinds.get(finding)
        if kind is None:
            kind = self.kinds[finding] = len(self.findings)
            self.findings.append(finding)
        return kind

    def _decide(self, kinds: tuple[int, ...]) -> Decision:
        return decide([self.findings[k] for k in kinds], self.registry)

    def row(self, cells: list[str]) -> Row:
        n = len(cells)
        if n > self.width:
            raise RowError(f"row has {n} fields but the header has {self.width}")
        units = self.units
        if self.unit_columns and any(i < n and cells[i].strip() for i, _ in self.unit_columns):
            units = dict(units)
            for i, marker in self.unit_columns:
                if i < n and cells[i].strip():
                    units[marker] = self.registry.get(marker).normalize_unit(cells[i], f"{marker}_unit")
        found = []
        for marker, i in self.markers:
            if i < n:
                cell = self.reader(marker, units.get(marker))(cells[i])
                if cell is not None:
                    found.append(cell)
        if not found:
            raise RowError("no marker value in this row")
        age = self.read_age(cells[self.age_at]) if self.age_at is not None and self.age_at < n else None
        decision = self.decide(tuple(c.kind for c in found))
        terms = {c.marker: c.term for c in found if c.term is not None}
        core = self.assessor.conclude(decision, terms, age)
        c = core.cb12
        cb12 = "null" if c is None else self.encode(documents.cb12_json(c))
        urgent = any(x.urgent for x in found) or explain.pregnancy_urgent(self.pregnant, core.verdict)
        return Row(found, decision, core.verdict, cb12, c.value if c else None, c.category if c else None, urgent)


# ----------------------------------------------------------------- writers


SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP)


class JsonlFormat:
    """One record a line (``documents.row_head`` + ``row_tail``); ``json`` wraps them in one document."""

    def __init__(self, columns: Columns, encode: Callable[[object], str], document: bool = False) -> None:
        self.names, self.width = columns.names, len(columns.names)
        self.encode = encode
        self.document = document
        self.first = True
        self.header_names = set(self.names)

    def header(self) -> str:
        return '{"schema":"b12.labs.batch/1","rows":[\n' if self.document else ""

    def footer(self) -> str:
        return "\n]}\n" if self.document else ""

    def _input(self, cells: list[str]) -> str:
        """The row as read: every header column (missing cells empty), cells beyond the header as
        ``_extra_N`` under names the header does not use."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        row = dict(zip(self.names, cells))
        if len(cells) > self.width:
            extra = unique_names(self.names + [f"_extra_{i + 1}" for i in range(self.width, len(cells))])[self.width:]
            row.update(zip(extra, cells[self.width:]))
        return self.encode(row)

    def record(self, line: int, cells: list[str], row: Row | None, error: str | None) -> str:
        head = documents.row_head(line, self._input(cells))
        if error is not None:
            text = head + documents.error_tail(self.encode(error))
        else:
            text = head + documents.row_tail([c.json for c in row.cells], row.verdict, row.cb12, row.urgent)
        if not self.document:
            return text + "\n"
        separator = "" if self.first else ",\n"
        self.first = False
        return separator + text


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

    def record(self, line: int, cells: list[str], row: Row | None, error: str | None) -> str:
        cells = self._cells((cells + [""] * (self.width - len(cells)))[: self.width])
        if error is not None:
            self.writer.writerow(cells + [""] * (len(self.status_columns) - 1) + [error])
        else:
            status = {c.marker: c.status for c in row.cells}
            cb12 = "" if row.cb12_value is None else repr(row.cb12_value)
            self.writer.writerow(cells + [status.get(m, "") for m in self.ids]
                                 + [row.verdict, cb12, row.cb12_category or "", "true" if row.urgent else "false", ""])
        return self._take()


# ----------------------------------------------------------------- the run


class Tally:
    """Counts for the summary and the exit code. Abnormal rows are counted only when --check asked."""

    def __init__(self, check: bool = False) -> None:
        self.rows = self.errors = self.abnormal = self.urgent = 0
        self.verdicts = dict.fromkeys(VERDICTS, 0)
        self.check = check

    def add(self, row: Row | None) -> None:
        self.rows += 1
        if row is None:
            self.errors += 1
            return
        self.verdicts[row.verdict] += 1
        self.urgent += row.urgent
        if self.check:
            self.abnormal += is_abnormal(row.verdict, (c.status for c in row.cells))


def process(interpreter: Interpreter, fmt: JsonlFormat | CsvFormat, chunk: list[csv_rows.Record],
            tally: Tally) -> str:
    """Interpret and format a chunk of records: their output text, in order."""
    out = []
    for line, cells, error in chunk:
        row = None
        text = "".join(cells)
        if not text.isascii() and csv_rows.not_utf8(text):  # error records too: their cells are written as well
            cells = [c.encode("utf-8", "replace").decode("utf-8") for c in cells]
            error = error or "row is not valid UTF-8 text"
        if error is None:
            try:
                row = interpreter.row(cells)
            except (RowError, UsageError) as exc:
                error = str(exc)
        tally.add(row)
        out.append(fmt.record(line, cells, row, error))
    return "".join(out)


def _chunks(records: Iterator[csv_rows.Record], lines: csv_rows.Lines) -> Iterator[list[csv_rows.Record]]:
    """Records in lists of at most CHUNK records and about CHUNK_CHARS characters of input."""
    chunk: list[csv_rows.Record] = []
    mark = lines.chars
    for record in records:
        chunk.append(record)
        if len(chunk) == CHUNK or lines.chars - mark > CHUNK_CHARS:
            yield chunk
            chunk, mark = [], lines.chars
    if chunk:
        yield chunk


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
    return JsonlFormat(columns, interpreter.encode, document=fmt == "json")


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

