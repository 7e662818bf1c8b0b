"""`b12 labs --input FILE`: a CSV of results in, one record per data row out.

Streams: rows are read, interpreted and written a chunk at a time (in worker
processes for a large input), so memory does not grow with the file. A row that
cannot be interpreted becomes an error record and the rest carry on; nothing is
dropped or reordered. Rows are interpreted by the same ``labs.Assessor`` as a
single query.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import json.encoder
import sys
from collections import deque
from itertools import chain
from operator import attrgetter
from typing import IO, Callable, Iterator, NamedTuple, TypeVar

from b12cli.columns import UNIT_COLUMNS, Columns, map_columns
from b12cli.errors import ExitCode, UsageError
from b12cli.kb import Thresholds
from b12cli.labs import (
    CB12,
    Assessor,
    Core,
    Decision,
    Finding,
    cb12_term,
    decide,
    is_abnormal,
    read_age,
    read_refs,
    read_scheme,
)
from b12cli.units import MarkerValue, marker_reader, normalize_unit
from b12cli.vocab import CANONICAL, MARKER_STATUSES, MARKERS, VERDICTS

FIELD_LIMIT = 1 << 20  # a cell over 1 MiB is refused as that row's error
MAX_ROW = 1 << 20  # characters in one row (all its lines); a longer row is that row's error
MAX_CELLS = 10_000  # cells in one row (or the header's width, if wider); more is that row's error
MAX_LINES = 1_000  # lines one quoted cell may span before its quote counts as never closed
CHUNK_CHARS = 4 << 20  # input characters per unit of work, so wide rows keep memory flat
STATUS_COLUMNS = [f"{m}_status" for m in MARKERS] + ["verdict", "cb12", "cb12_category", "error"]
CHUNK = 2000  # records per unit of work; output is written a chunk at a time
DECISION_LIMIT = 1024  # combinations of findings remembered: about 50 in a file of ordinary results, more with
# units given row by row, own ranges or many limits (past the bound, the least recently used go first)
MEMO_LIMIT = 16384  # distinct cells remembered per memo (least recently used go first): B12 in pg/mL with one decimal
# has about 10,000 usual values; a few MB at most, so memory stays flat


class BatchOptions(NamedTuple):
    scheme: str
    refs: list[str]
    units: dict[str, str | None]
    pregnant: bool
    check: bool
    csv_safe: bool = False  # CSV output: a quote before input cells that start with = + - @ tab or CR
    columns: dict[str, str] = {}  # --column MARKER=HEADER choices (never mutated)


class RowError(Exception):
    pass


class Cell(NamedTuple):
    """A marker cell read, classified and (for JSONL) written out: the work is done once per
    distinct text and remembered, because lab values recur across rows."""

    kind: int  # its ``Finding``, numbered (``Interpreter.kinds``): a row's kinds key the decision memo
    term: float  # its value as the cB12 formula takes it (``labs.cb12_term``)
    shown: str  # the formatter's text for this marker in a record ("" if it has none)


# What one data row gave: its marker cells (in marker order) and the assessment (statuses, verdict,
# cB12). A plain tuple: one is made per row, and a NamedTuple's constructor costs several times more.
Row = tuple[list[Cell], Core]


def _open(path: str) -> IO[str]:
    """Text in C-speed UTF-8 decoding. Bytes that are not UTF-8 become lone surrogates
    (``surrogateescape``), so the row holding them can be reported instead of crashing the run."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        return open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    except FileNotFoundError:
        raise UsageError(f"--input {path!r}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"--input {path!r} is a directory; expected a CSV file") from None
    except OSError as exc:
        raise UsageError(f"--input {path!r} cannot be read ({exc.strerror})") from None
    except ValueError:  # e.g. a NUL byte in the name
        raise UsageError(f"--input {path!r} is not a usable file name") from None


def _not_utf8(text: str) -> bool:
    """True when the text (a row's cells, joined) holds bytes that were not UTF-8 (read as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


Record = tuple[int, list[str], str | None]  # (first line, cells, error)


class _Unclosed(Exception):
    """A record still open after MAX_LINES lines or MAX_ROW characters (a quote that never closes)."""


class Lines:
    """The input's physical lines for csv, read with a bound so that no line is ever held whole
    when it is longer than MAX_ROW characters: such a line is skipped in pieces, csv gets an empty
    line in its place, and its number goes into ``cut`` for the record that holds it to report.

    The lines of the record being read are kept in ``held`` (the reader empties it after each
    record), so that a record that cannot be read is reported on its first line and the lines
    after that one are read again as records of their own (``pending``).
    """

    def __init__(self, source: IO[str]) -> None:
        self.readline = source.readline
        self.limit = MAX_ROW + 2  # a line of MAX_ROW characters and its CR LF
        self.pending: deque[str] = deque()  # lines to read again, in order, before the input's next
        self.held: list[str] = []
        self.cut: deque[int] = deque()  # numbers of lines over MAX_ROW not yet reported
        self.chars = 0  # characters handed to csv so far (sizes the chunks of work)
        self.eof = False  # csv asked for a line after the last one
        self.max_cells = sys.maxsize  # set once the header's width is known
        self.width = 0
        self.carry = ""  # the start of the next line, read to tell a CR LF from a lone CR

    def iterate(self, number: int) -> Iterator[str]:
        """The lines after line ``number``."""
        readline, pending, held, limit = self.readline, self.pending, self.held, self.limit
        carry, size, self.carry = self.carry, 0, ""
        max_row, max_lines = MAX_ROW, MAX_LINES
        while True:
            if pending:
                line = pending.popleft()
            else:
                if carry == "\r":  # a lone CR read after a cut line: a line of its own, or CR LF
                    after = readline(1)
                    line, carry = ("\r\n", "") if after == "\n" else ("\r", after)
                else:
                    line = carry + readline(limit - len(carry)) if carry else readline(limit)
                    carry = ""
                if not line:
                    self.eof = True
                    return
                if len(line) > max_row and len(line.rstrip("\r\n")) > max_row:
                    carry = self._skip(line)
                    self.cut.append(number + 1)
                    line = "\n"
            number += 1
            self.chars += len(line)
            if held:
                size += len(line)
                if size > max_row or len(held) >= max_lines:
                    held.append(line)
                    self.carry = carry
                    raise _Unclosed
            else:
                size = len(line)
            held.append(line)
            yield line

    def _skip(self, piece: str) -> str:
        """Read past the rest of an over-long line, a piece at a time; returns the first character
        of the next line when it had to be read to tell a CR LF from a lone CR."""
        while piece and piece[-1] != "\n":
            if piece[-1] == "\r":
                if len(piece) < self.limit:
                    return ""
                after = self.readline(1)
                return "" if after == "\n" else after
            piece = self.readline(self.limit)
        return ""

    def reread(self, start: int) -> int:
        """After a record on line ``start`` could not be read: its later lines are read again."""
        held = self.held
        self.pending.extendleft(reversed(held[1:]))
        held.clear()
        self.eof = False
        return start


def _too_large(lines: Lines, last: int) -> str:
    """The error for a record holding a line over MAX_ROW (lines up to ``last``)."""
    cut = lines.cut
    first = cut[0]
    while cut and cut[0] <= last:
        cut.popleft()
    return (f"row is too large (line {first} is over {MAX_ROW:,} characters; at most {MAX_ROW:,} per row); "
            f"its input is not kept")


def _unreadable(lines: Lines, start: int, exc: Exception) -> str:
    """The error for a record on line ``start`` that csv could not read."""
    if isinstance(exc, _Unclosed):
        return (f'unterminated quote (a " in the record on line {start} is not closed within {MAX_LINES:,} '
                f"lines or {MAX_ROW:,} characters); the lines after it are read as records of their own")
    if lines.eof:
        return (f'unterminated quote (a " in the record on line {start} is never closed); the lines after it '
                f"are read as records of their own")
    return f"cannot read this row as CSV ({exc})"


def _records(lines: Lines, after: int = 0) -> Iterator[tuple[int, list[str], str | None]]:
    """(first line, cells, error) per non-blank record after line ``after``. A record that csv cannot
    read, or that is too large, comes with its error; no line outside a closed quote is ever lost."""
    held = lines.held
    while True:
        reader = csv.reader(lines.iterate(after), strict=True)
        last = after
        try:
            for cells in reader:
                start, last = last + 1, after + reader.line_num
                held.clear()
                if lines.cut and lines.cut[0] <= last:
                    yield start, [], _too_large(lines, last)
                elif len(cells) > lines.max_cells:
                    yield start, cells[: lines.width], (
                        f"row is too large ({len(cells):,} cells; at most {lines.max_cells:,}); its input "
                        f"keeps only the header's columns")
                elif cells and (len(cells) > 1 or cells[0].strip()):  # not a blank line
                    yield start, cells, None
            return
        except (csv.Error, _Unclosed) as exc:
            start = last + 1
            error = _unreadable(lines, start, exc)
            yield start, _loose(held[0]) if held else [], error
            after = lines.reread(start)


def _loose(line: str) -> list[str]:
    """The cells of a record's first line as far as they can be read, to show with its error."""
    try:
        return next(csv.reader([line.rstrip("\r\n")]), [])
    except csv.Error:
        return []


T = TypeVar("T")


def memoized(read: Callable[[str], T]) -> Callable[[str], T]:
    """The same reader, remembering recent cells (lab values repeat a lot across rows); at most
    MEMO_LIMIT of them, so memory does not grow. Errors are not remembered: they raise each time."""
    return functools.lru_cache(maxsize=MEMO_LIMIT)(read)


def blank_is_none(read: Callable[[str], T]) -> Callable[[str], T | None]:
    """The same reader, giving None for a blank cell (empty or only spaces: no result given), so
    that the hot loop makes one (memoized) call per cell instead of testing the text first."""
    def cell(text: str) -> T | None:
        return None if not text or text.isspace() else read(text)

    return cell


_KIND, _TERM, _SHOWN = attrgetter("kind"), attrgetter("term"), attrgetter("shown")


class Interpreter:
    """One row's cells in, a ``Row`` out; options that apply to every row are read once.
    ``show`` is the formatter's text for a marker's result and status, made with the cell."""

    def __init__(self, thresholds: Thresholds, columns: Columns, options: BatchOptions,
                 show: Callable[[MarkerValue, str], str]) -> None:
        self.scheme = read_scheme(thresholds, options.scheme)
        self.show = show
        self.units = {**options.units, **columns.units}  # a unit in a column's header counts as given
        where = columns.positions
        per_row = {m: column for column, m in UNIT_COLUMNS.items() if column in where}  # units given row by row
        self.assessor = Assessor(thresholds, self.scheme, read_refs(options.refs, self.units, per_row))  # ranges too
        self.check = options.check
        self.width = len(columns.names)
        self.markers = [(m, where[m]) for m in MARKERS if m in where]
        self.unit_columns = [(where[c], m) for c, m in UNIT_COLUMNS.items() if c in where]
        self.age_at = where.get("age")
        self.read_age = memoized(blank_is_none(lambda text: read_age(text, "age")))
        self.readers: dict[tuple[str, str | None], Callable[[str], Cell | None]] = {}
        self.plan = self._plan(self.units)  # per marker column: (position, cell reader)
        # Every distinct finding gets a number, so that a row's findings are a tuple of small ints, and
        # what they decide (``labs.decide``) is worked out once per combination. Findings are few (a
        # status, its band and the limit's spans per marker and unit), so this table stays small.
        self.findings: list[Finding] = []
        self.kinds: dict[Finding, int] = {}
        self.decide = functools.lru_cache(maxsize=DECISION_LIMIT)(self._decide)

    def _plan(self, units: dict[str, str | None]) -> list[tuple[int, Callable[[str], Cell | None]]]:
        """Per marker column, in marker order: its position and the cell reader for its unit
        (built once per unit, with its memo)."""
        plan = []
        for marker, i in self.markers:
            unit = units.get(marker)
            key = (marker, unit)
            if key not in self.readers:
                self.readers[key] = memoized(blank_is_none(self._cell_reader(marker, unit)))
            plan.append((i, self.readers[key]))
        return plan

    def _cell_reader(self, marker: str, unit: str | None) -> Callable[[str], Cell]:
        """Text -> ``Cell`` for one marker in one unit: checked (``marker_reader``), classified by the
        one ``Assessor`` and written by the formatter. Errors raise (``UsageError``)."""
        read, classify, show = marker_reader(marker, unit, marker), self.assessor.classify, self.show

        def cell(text: str) -> Cell:
            mv = read(text)
            finding = classify(mv)
            return Cell(self._kind(finding), cb12_term(mv), show(mv, finding.status))

        return cell

    def row(self, cells: list[str]) -> Row:
        n = len(cells)
        if n > self.width:
            raise RowError(f"row has {n} fields but the header has {self.width}")
        plan = self.plan
        if self.unit_columns and any(i < n and cells[i].strip() for i, _ in self.unit_columns):
            units = dict(self.units)
            for i, marker in self.unit_columns:
                if i < n and cells[i].strip():
                    units[marker] = normalize_unit(marker, cells[i], f"{marker}_unit")
            plan = self._plan(units)
        found = []
        for i, read in plan:
            if i < n:
                cell = read(cells[i])
                if cell is not None:
                    found.append(cell)
        if not found:
            raise RowError("no marker value in this row")
        at = self.age_at
        age = self.read_age(cells[at]) if at is not None and at < n else None
        return found, self.assessor.conclude(self.decide(tuple(map(_KIND, found))), map(_TERM, found), age)

    def _decide(self, kinds: tuple[int, ...]) -> Decision:
        """``labs.decide`` for the findings numbered ``kinds`` (what ``self.decide`` remembers)."""
        return decide(map(self.findings.__getitem__, kinds))

    def _kind(self, finding: Finding) -> int:
        """The number of a finding, given when it is first seen."""
        kind = self.kinds.get(finding)
        if kind is None:
            kind = self.kinds[finding] = len(self.findings)
            self.findings.append(finding)
        return kind


class JsonlFormat:
    """The compact record of the spec, one line each. The fixed parts are preformatted;
    floats use ``float.__repr__``, exactly as ``json`` writes them. With ``ascii_only`` (an output
    that cannot take every character) strings are written with ``\\u`` escapes: the same JSON."""

    def __init__(self, columns: Columns, ascii_only: bool = False) -> None:
        self.names, self.width = columns.names, len(columns.names)
        self.encode = json.JSONEncoder(ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":")).encode
        # the C string encoders json itself uses
        self.string = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring
        self.keys = [f"{self.string(name)}:" for name in self.names]
        # the input object for a row whose cells need no escape (the usual case): a %-template
        # with the keys encoded once (a % in a name doubled, so that it stays a literal %)
        self.plain = "{" + ",".join(f'{key.replace("%", "%%")}"%s"' for key in self.keys) + "}"
        self.cb12_texts: dict[CB12, str] = {}
        self.head = {m: f'{{"marker":"{m}","canonical_value":' for m in MARKERS}
        self.tail = {m: {s: f',"canonical_unit":"{CANONICAL[m]}","status":"{s}","censored":' for s in MARKER_STATUSES}
                     for m in MARKERS}

    def header(self) -> str:
        return ""

    def _input(self, cells: list[str]) -> str:
        """``json.dumps(dict(zip(names, cells)))`` with the keys encoded once, not per row.
        Missing cells are empty; cells beyond the header are kept as ``_extra_N``."""
        if len(cells) == self.width:
            # Whether every cell is its own JSON string body: no quote, backslash or control character
            # (nor, for an ASCII-only output, a non-ASCII one). One C-speed encoding of the joined
            # cells tells: any escape would make the encoded text longer than the text and its quotes.
            text = "".join(cells)
            if len(self.string(text)) == len(text) + 2:
                return self.plain % tuple(cells)
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        elif len(cells) > self.width:
            extra = {f"_extra_{i + 1}": cell for i, cell in enumerate(cells) if i >= self.width}
            return self.encode({**dict(zip(self.names, cells)), **extra})
        return "{" + ",".join(map(str.__add__, self.keys, map(self.string, cells))) + "}"

    def marker(self, mv: MarkerValue, status: str) -> str:
        """One marker's object in a record (made once per distinct cell: see ``Cell``)."""
        censored = "null" if mv.censored is None else f'"{mv.censored}"'
        return f"{self.head[mv.marker]}{mv.canonical!r}{self.tail[mv.marker][status]}{censored}}}"

    def record(self, line: int, cells: list[str], row: Row | None, error: str | None) -> str:
        if error is not None:
            return f'{{"line":{line},"input":{self._input(cells)},"error":{self.encode(error)}}}\n'
        found, core = row
        markers = ",".join(map(_SHOWN, found))
        c = core.cb12
        cb12 = "null" if c is None else self.cb12_texts.get(c) or self._cb12_text(c)
        return (f'{{"line":{line},"input":{self._input(cells)},"markers":[{markers}],'
                f'"verdict":"{core.verdict}","cb12":{cb12}}}\n')

    def _cb12_text(self, c: CB12) -> str:
        """cB12's object in a record, remembered: its value has three decimals, so values recur."""
        if len(self.cb12_texts) >= MEMO_LIMIT:
            self.cb12_texts.clear()
        text = self.cb12_texts[c] = f'{{"value":{c.value!r},"category":"{c.category}"}}'
        return text


SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP)


class CsvFormat:
    """The input columns plus statuses, verdict, cB12 and error. With ``safe`` (--csv-safe) an input
    cell that starts with = + - @ tab or CR gets a leading single quote, so that a spreadsheet shows
    it as text instead of running it (negative numbers included: every such cell, as OWASP advises)."""

    def __init__(self, columns: Columns, safe: bool = False) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.names, self.width = columns.names, len(columns.names)
        self.safe = safe

    def _take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text

    def header(self) -> str:
        self.writer.writerow(self._cells(self.names) + STATUS_COLUMNS)
        return self._take()

    def marker(self, mv: MarkerValue, status: str) -> str:
        """A CSV record writes statuses from the assessment, not per-marker text."""
        return ""

    def _cells(self, cells: list[str]) -> list[str]:
        if self.safe:
            return [f"'{c}" if c.startswith(SPREADSHEET_FORMULA) else c for c in cells]
        return cells

    def record(self, line: int, cells: list[str], row: Row | None, error: str | None) -> str:
        cells = self._cells((cells + [""] * (self.width - len(cells)))[: self.width])
        if error is not None:
            self.writer.writerow(cells + [""] * (len(STATUS_COLUMNS) - 1) + [error])
        else:
            core = row[1]
            cb12 = (core.cb12.value, core.cb12.category) if core.cb12 else ("", "")
            self.writer.writerow(cells + [core.status.get(m, "") for m in MARKERS] + [core.verdict, *cb12, ""])
        return self._take()


class Tally:
    """Counts for the summary and the exit code; chunks' tallies add up. Abnormal rows are
    counted only when --check asked for them."""

    def __init__(self, check: bool = False) -> None:
        self.rows = self.errors = self.abnormal = 0
        self.verdicts = dict.fromkeys(VERDICTS, 0)
        self.check = check

    def add(self, row: Row | None) -> None:
        self.rows += 1
        if row is None:
            self.errors += 1
        else:
            core = row[1]
            self.verdicts[core.verdict] += 1
            if self.check:
                self.abnormal += is_abnormal(core.verdict, core.status.values())

    def merge(self, other: Tally) -> None:
        self.rows += other.rows
        self.errors += other.errors
        self.abnormal += other.abnormal
        for verdict, count in other.verdicts.items():
            self.verdicts[verdict] += count


def process(interpreter: Interpreter, fmt: JsonlFormat | CsvFormat, chunk: list[Record]) -> tuple[str, Tally]:
    """Interpret and format a chunk of records: their output text, in order, and their counts."""
    tally, out = Tally(interpreter.check), []
    interpret, record, add = interpreter.row, fmt.record, tally.add
    for line, cells, error in chunk:
        row = None
        text = "".join(cells)
        if not text.isascii() and _not_utf8(text):  # error records too: their cells are written as well
            cells = [c.encode("utf-8", "replace").decode("utf-8") for c in cells]
            error = error or "row is not valid UTF-8 text"
        if error is None:
            try:
                row = interpret(cells)
            except (RowError, UsageError) as exc:
                error = str(exc)
        add(row)
        out.append(record(line, cells, row, error))
    return "".join(out), tally


def _serve(connection, inherited: list, interpreter: Interpreter, fmt: JsonlFormat | CsvFormat) -> None:  # noqa: ANN001
    """A forked worker: chunks in, (text, tally) out, until it is sent None or the parent is gone.

    The pipe ends it inherited and does not use (the parent's, other workers') are closed first, so
    that when the parent dies, however it dies, the worker's ``recv`` sees the end of the pipe."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it closes our pipe
    for end in inherited:
        end.close()
    while True:
        try:
            chunk = connection.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        try:
            connection.send(("ok", *process(interpreter, fmt, chunk)))
        except (BrokenPipeError, EOFError, ConnectionResetError):
            return
        except Exception as exc:  # a bug: the parent reports it as an internal error
            connection.send(("fail", f"{type(exc).__name__}: {exc}", None))


class Workers:
    """Forked worker processes fed round-robin, one chunk each at a time, read back in order.

    No helper threads: the parent parses CSV and writes results while the workers interpret.
    One chunk in flight per worker means a send never waits on a worker that is itself waiting
    to hand back a result, so the pipes cannot deadlock, and memory stays bounded.
    """

    def __init__(self, count: int, interpreter: Interpreter, fmt: JsonlFormat | CsvFormat) -> None:
        import gc
        import multiprocessing

        context = multiprocessing.get_context("fork")
        gc.freeze()  # keep the collector from touching, and so copying, the pages the workers share
        self.connections, self.processes = [], []
        for _ in range(count):
            mine, theirs = context.Pipe()
            inherited = [*self.connections, mine]  # what a fork copies that is not the worker's own
            process_ = context.Process(target=_serve, args=(theirs, inherited, interpreter, fmt), daemon=True)
            process_.start()
            theirs.close()
            self.connections.append(mine)
            self.processes.append(process_)
        self.busy: deque[int] = deque()  # workers holding a chunk, oldest first
        self.next = 0

    def submit(self, chunk: list[Record]) -> tuple[str, Tally] | None:
        """Hand a chunk to the next worker; if it was busy, first return its (older) result."""
        worker, result = self.next, None
        if worker in self.busy:
            result = self.collect()
        self.connections[worker].send(chunk)
        self.busy.append(worker)
        self.next = (worker + 1) % len(self.connections)
        return result

    def collect(self) -> tuple[str, Tally]:
        status, text, tally = self.connections[self.busy.popleft()].recv()
        if status != "ok":
            raise RuntimeError(f"batch worker failed: {text}")
        return text, tally

    def close(self, finished: bool) -> None:
        """Let idle workers exit; if the run was cut short (say stdout closed), stop them at once."""
        for connection, process_ in zip(self.connections, self.processes):
            if finished:
                connection.send(None)
                process_.join()
            else:
                process_.terminate()


def _chunks(records: Iterator[Record], lines: Lines) -> Iterator[list[Record]]:
    """Records in lists of at most CHUNK records and about CHUNK_CHARS characters of input."""
    chunk: list[Record] = []
    mark = lines.chars
    for record in records:
        chunk.append(record)
        if len(chunk) == CHUNK or lines.chars - mark > CHUNK_CHARS:
            yield chunk
            chunk, mark = [], lines.chars
    if chunk:
        yield chunk


def workers() -> int:
    """Worker processes for a large batch: B12_WORKERS, else one per core (at most 4);
    1 (serial) where fork is not available."""
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    configured = os.environ.get("B12_WORKERS", "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return int(configured)
    return max(1, min(4, os.cpu_count() or 1))


def _say(text: str) -> None:
    """Write to stderr if there is one: a closed or missing stderr never stops the data."""
    err = sys.stderr
    if err is None:
        return
    try:
        err.write(text)
        err.flush()
    except (OSError, ValueError):
        pass


def _is_terminal(stream) -> bool:  # noqa: ANN001
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False


class Progress:
    """A Rich progress display on stderr (never stdout), only when stderr is a terminal."""

    def __init__(self) -> None:
        self.bar = None
        if _is_terminal(sys.stderr):
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


class Output:
    """stdout for records. Where its encoding cannot take every character (say ASCII), characters
    it lacks are written as backslash escapes instead of stopping the run (JSONL uses ``\\u``
    escapes itself, so its records stay exact)."""

    def __init__(self) -> None:
        self.stream = sys.stdout
        encoding = getattr(self.stream, "encoding", None) or "utf-8"
        try:
            self.encoding = codecs.lookup(encoding).name
        except LookupError:
            self.encoding = "ascii"
        self.unicode = self.encoding.startswith("utf")

    def write(self, text: str) -> None:
        if not self.unicode:
            text = text.encode(self.encoding, "backslashreplace").decode(self.encoding)
        self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def _header(records: Iterator[Record], path: str) -> list[str]:
    first = next(records, None)
    if first is None:
        raise UsageError(f"--input {path!r} is empty; expected a CSV header and rows")
    line, header, error = first
    if error is not None:
        raise UsageError(f"--input {path!r}: the header (line {line}) cannot be read: {error}")
    if _not_utf8("".join(header)):
        raise UsageError(f"--input {path!r}: the header is not UTF-8 text; save the file as UTF-8")
    return header


def _formatter(fmt: str, columns: Columns, out: Output, options: BatchOptions) -> JsonlFormat | CsvFormat:
    if fmt == "jsonl":
        return JsonlFormat(columns, ascii_only=not out.unicode)
    return CsvFormat(columns, safe=options.csv_safe)


def run(thresholds: Thresholds, path: str, fmt: str, options: BatchOptions) -> int:
    csv.field_size_limit(FIELD_LIMIT)
    with _open(path) as source:
        lines = Lines(source)
        records = _records(lines)
        columns = map_columns(_header(records, path), options.columns, options.units)
        for warning in columns.warnings:
            _say(f"b12: warning: {warning}\n")
        lines.width, lines.max_cells = len(columns.names), max(MAX_CELLS, len(columns.names))
        out = Output()
        formatter = _formatter(fmt, columns, out, options)
        interpreter = Interpreter(thresholds, columns, options, formatter.marker)
        out.write(formatter.header())
        tally = _stream(_chunks(records, lines), interpreter, formatter, out)
    _summary(thresholds, interpreter.scheme, tally, options.pregnant)
    if tally.errors:
        return ExitCode.ROWS_INVALID
    return ExitCode.CHECK_FAILED if options.check and tally.abnormal else ExitCode.OK


def _settle() -> None:
    """Before a large input: what is loaded so far (modules, knowledge base) lives as long as the run,
    so the cyclic garbage collector is told to stop re-scanning it (``gc.freeze``), and it runs less
    often; per-row objects are still freed as soon as they are done with."""
    import gc

    gc.freeze()
    # Rows make many small containers that reference counting frees at once (they form no cycles);
    # a young-generation collection every 700 of them would only re-scan the memos' live entries.
    gc.set_threshold(100_000, 50, 100)


def _stream(chunks: Iterator[list[Record]], interpreter: Interpreter, formatter, out: Output) -> Tally:  # noqa: ANN001
    """Chunks in order to stdout. A second chunk means a large input: from then on the chunks
    are shared out to forked workers, and results are written in input order."""
    tally = Tally(interpreter.check)
    first = next(chunks, None)
    if first is None:
        return tally
    second = next(chunks, None)
    count = workers() if second is not None else 1
    if second is not None:
        _settle()
    pool = Workers(count, interpreter, formatter) if count > 1 else None  # before any progress thread
    progress = Progress()

    def emit(result: tuple[str, Tally] | None) -> None:
        if result is not None:
            out.write(result[0])
            tally.merge(result[1])
            progress.update(tally.rows)

    finished = False
    try:
        for chunk in chain((first,), () if second is None else (second,), chunks):
            emit(process(interpreter, formatter, chunk) if pool is None else pool.submit(chunk))
        while pool is not None and pool.busy:
            emit(pool.collect())
        out.flush()
        finished = True
    finally:
        progress.stop()
        if pool is not None:
            pool.close(finished)
    return tally


def _summary(thresholds: Thresholds, scheme, tally: Tally, pregnant: bool) -> None:  # noqa: ANN001
    counts = ", ".join(f"{v} {tally.verdicts[v]}" for v in reversed(VERDICTS))
    pregnancy = f" {thresholds.messages['note-pregnancy'].cited()}" if pregnant else ""
    from b12cli.layout import plural

    _say(f"b12: {plural(tally.rows, 'row')}: {counts}, {plural(tally.errors, 'error')}; scheme {scheme.id} "
         f"(sources: {', '.join(scheme.sources)}).{pregnancy} {thresholds.disclaimer}\n")
