"""`b12 labs --input FILE`: a CSV of results in, one record per data row out.

Streams: rows are read, interpreted and written a chunk at a time (in worker
processes for a large input), so memory does not grow with the file. A row that
cannot be interpreted becomes an error record and the rest carry on; nothing is
dropped or reordered. Rows are interpreted by the same ``labs.Assessor`` as a
single query.
"""

from __future__ import annotations

import csv
import io
import json
import json.encoder
import sys
from collections import deque
from itertools import chain
from typing import IO, Callable, Iterator, NamedTuple, TypeVar

from b12cli.errors import ExitCode, UsageError
from b12cli.kb import Thresholds
from b12cli.labs import Assessor, Core, is_abnormal, read_age, read_refs, read_scheme
from b12cli.units import MarkerValue, marker_reader, normalize_unit
from b12cli.vocab import CANONICAL, MARKER_STATUSES, MARKERS, VERDICTS

FIELD_LIMIT = 1 << 20  # a cell over 1 MiB is refused as that row's error
UNIT_COLUMNS = {"b12_unit": "b12", "mma_unit": "mma"}
KNOWN = (*MARKERS, "age", *UNIT_COLUMNS)
STATUS_COLUMNS = [f"{m}_status" for m in MARKERS] + ["verdict", "cb12", "cb12_category", "error"]
CHUNK = 2000  # records per unit of work; output is written a chunk at a time
MEMO_LIMIT = 8192  # entries per memo before it is emptied: lab values repeat; memory must not grow


class BatchOptions(NamedTuple):
    scheme: str
    refs: list[str]
    units: dict[str, str | None]
    pregnant: bool
    check: bool


class RowError(Exception):
    pass


class Columns(NamedTuple):
    names: list[str]  # as in the header, made unique so `input` keeps every cell
    positions: dict[str, int]  # known column (casefolded) -> position


class Row(NamedTuple):
    """What one data row gave: its results and the assessment (statuses, verdict, cB12)."""

    markers: dict[str, MarkerValue]
    core: Core

    @property
    def abnormal(self) -> bool:
        return is_abnormal(self.core.verdict, self.core.status.values())


def _columns(header: list[str]) -> Columns:
    positions: dict[str, int] = {}
    names: list[str] = []
    for i, raw in enumerate(header):
        key = raw.strip().casefold()
        if key in KNOWN:
            if key in positions:
                raise UsageError(f"the header has the column {key!r} twice (columns {positions[key] + 1} and {i + 1})")
            positions[key] = i
        name, n = raw, 2
        while name in names:
            name, n = f"{raw}_{n}", n + 1
        names.append(name)
    if not any(m in positions for m in MARKERS):
        shown = ", ".join(header)[:120] or "nothing"
        raise UsageError(f"the header has no marker column; expected at least one of {', '.join(MARKERS)} "
                         f"(got: {shown})")
    return Columns(names, positions)


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


def _not_utf8(cells: list[str]) -> bool:
    """True when a cell holds bytes that were not UTF-8 (cheap for ASCII rows)."""
    for cell in cells:
        if not cell.isascii():
            try:
                cell.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _blank(cells: list[str]) -> bool:
    """A blank line (csv gives [] or one whitespace cell); a row of empty cells is still a record."""
    return not cells or (len(cells) == 1 and not cells[0].strip())


def _records(reader) -> Iterator[tuple[int, list[str] | None, str | None]]:  # noqa: ANN001
    """(first line, cells, error) per non-blank record; a record csv cannot read comes with its error."""
    last = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield last + 1, None, f"cannot read this row as CSV ({exc})"
            last = reader.line_num
            continue
        start, last = last + 1, reader.line_num
        if not _blank(cells):
            yield start, cells, None


T = TypeVar("T")


def memoized(read: Callable[[str], T]) -> Callable[[str], T]:
    """The same reader, remembering recent cells: lab values repeat a lot across rows.
    Errors are not remembered (they raise each time); the memo is emptied when it fills."""
    memo: dict[str, T] = {}

    def read_memo(text: str) -> T:
        found = memo.get(text)
        if found is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            found = memo[text] = read(text)
        return found

    return read_memo


class Interpreter:
    """One row's cells in, a ``Row`` out; options that apply to every row are read once."""

    def __init__(self, thresholds: Thresholds, columns: Columns, options: BatchOptions) -> None:
        self.scheme = read_scheme(thresholds, options.scheme)
        self.assessor = Assessor(thresholds, self.scheme, read_refs(options.refs, options.units))
        self.units = options.units
        self.check = options.check
        self.width = len(columns.names)
        where = columns.positions
        self.markers = [(m, where[m]) for m in MARKERS if m in where]
        self.unit_columns = [(where[c], m) for c, m in UNIT_COLUMNS.items() if c in where]
        self.age_at = where.get("age")
        self.read_age = memoized(lambda text: read_age(text, "age"))
        self.readers: dict[tuple[str, str | None], Callable[[str], tuple[float, float]]] = {}
        self.plan = self._plan(self.units)  # per marker column: (marker, position, reader, unit)

    def _plan(self, units: dict[str, str | None]) -> list[tuple[str, int, Callable, str]]:
        plan = []
        for marker, i in self.markers:
            unit = units.get(marker)
            key = (marker, unit)
            if key not in self.readers:
                self.readers[key] = memoized(marker_reader(marker, unit, marker))
            plan.append((marker, i, self.readers[key], unit or CANONICAL[marker]))
        return plan

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
        markers: dict[str, MarkerValue] = {}
        for marker, i, read, _unit in plan:
            if i < n:
                text = cells[i]
                if text and not text.isspace():
                    markers[marker] = read(text)
        if not markers:
            raise RowError("no marker value in this row")
        at = self.age_at
        age = self.read_age(cells[at]) if at is not None and at < n and cells[at].strip() else None
        return Row(markers, self.assessor.assess(markers, age))


class JsonlFormat:
    """The compact record of the spec, one line each. The fixed parts are preformatted;
    floats use ``float.__repr__``, exactly as ``json`` writes them."""

    def __init__(self, columns: Columns) -> None:
        self.names, self.width = columns.names, len(columns.names)
        self.encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
        self.string = json.encoder.encode_basestring  # the C string encoder json itself uses
        self.template = "{" + ",".join(f"{self.string(name)}:%s" for name in self.names) + "}"
        self.head = {m: f'{{"marker":"{m}","canonical_value":' for m in MARKERS}
        self.tail = {m: {s: f',"canonical_unit":"{CANONICAL[m]}","status":"{s}","censored":' for s in MARKER_STATUSES}
                     for m in MARKERS}
        self.fragments: dict[tuple[str, float, str], str] = {}  # (marker, value, status) -> its JSON

    def header(self) -> str:
        return ""

    def _input(self, cells: list[str]) -> str:
        """``json.dumps(dict(zip(names, cells)))`` with the keys encoded once, not per row.
        Missing cells are empty; cells beyond the header are kept as ``_extra_N``."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        elif len(cells) > self.width:
            extra = {f"_extra_{i + 1}": cell for i, cell in enumerate(cells) if i >= self.width}
            return self.encode({**dict(zip(self.names, cells)), **extra})
        return self.template % tuple(map(self.string, cells))

    def record(self, line: int, cells: list[str], row: Row | None, error: str | None) -> str:
        if error is not None:
            return f'{{"line":{line},"input":{self._input(cells)},"error":{self.encode(error)}}}\n'
        core = row.core
        status, fragments = core.status, self.fragments
        if len(fragments) >= MEMO_LIMIT:
            fragments.clear()
        parts = []
        for m, mv in row.markers.items():
            key = (mv, status[m])
            part = fragments.get(key)
            if part is None:
                censored = "null" if mv.censored is None else f'"{mv.censored}"'
                part = fragments[key] = f"{self.head[m]}{mv.canonical!r}{self.tail[m][status[m]]}{censored}}}"
            parts.append(part)
        markers = ",".join(parts)
        c = core.cb12
        cb12 = "null" if c is None else f'{{"value":{c.value!r},"category":"{c.category}"}}'
        return (f'{{"line":{line},"input":{self._input(cells)},"markers":[{markers}],'
                f'"verdict":"{core.verdict}","cb12":{cb12}}}\n')


class CsvFormat:
    """The input columns plus statuses, verdict, cB12 and error."""

    def __init__(self, columns: Columns) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.names, self.width = columns.names, len(columns.names)

    def _take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text

    def header(self) -> str:
        self.writer.writerow(self.names + STATUS_COLUMNS)
        return self._take()

    def record(self, line: int, cells: list[str], row: Row | None, error: str | None) -> str:
        cells = (cells + [""] * (self.width - len(cells)))[: self.width]
        if error is not None:
            self.writer.writerow(cells + [""] * (len(STATUS_COLUMNS) - 1) + [error])
        else:
            core = row.core
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
            self.verdicts[row.core.verdict] += 1
            if self.check:
                self.abnormal += row.abnormal

    def merge(self, other: Tally) -> None:
        self.rows += other.rows
        self.errors += other.errors
        self.abnormal += other.abnormal
        for verdict, count in other.verdicts.items():
            self.verdicts[verdict] += count


Record = tuple[int, list[str], str | None]


def process(interpreter: Interpreter, fmt: JsonlFormat | CsvFormat, chunk: list[Record]) -> tuple[str, Tally]:
    """Interpret and format a chunk of records: their output text, in order, and their counts."""
    tally, out = Tally(interpreter.check), []
    interpret, record, add = interpreter.row, fmt.record, tally.add
    for line, cells, error in chunk:
        row = None
        if error is None and _not_utf8(cells):
            cells, error = [c.encode("utf-8", "replace").decode("utf-8") for c in cells], "row is not valid UTF-8 text"
        if error is None:
            try:
                row = interpret(cells)
            except (RowError, UsageError) as exc:
                error = str(exc)
        add(row)
        out.append(record(line, cells, row, error))
    return "".join(out), tally


def _serve(connection, interpreter: Interpreter, fmt: JsonlFormat | CsvFormat) -> None:  # noqa: ANN001
    """A forked worker: chunks in, (text, tally) out, until it is sent None."""
    while (chunk := connection.recv()) is not None:
        try:
            connection.send(("ok", *process(interpreter, fmt, chunk)))
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
            process_ = context.Process(target=_serve, args=(theirs, interpreter, fmt), daemon=True)
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


def _chunks(records: Iterator[tuple[int, list[str] | None, str | None]]) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for line, cells, error in records:
        chunk.append((line, cells or [], error))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
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


class Progress:
    """A Rich progress display on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self.bar = RichProgress(SpinnerColumn(), TextColumn("{task.completed} rows"), TimeElapsedColumn(),
                                    transient=True, redirect_stdout=False, redirect_stderr=False)
            self.task = self.bar.add_task("rows", total=None)
            self.bar.start()

    def update(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=rows)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _header(reader, path: str) -> list[str]:  # noqa: ANN001
    try:
        header = next((r for r in reader if not _blank(r)), None)
    except csv.Error as exc:
        raise UsageError(f"--input {path!r}: the header cannot be read as UTF-8 CSV text ({exc})") from None
    if header is None:
        raise UsageError(f"--input {path!r} is empty; expected a CSV header and rows")
    return header


def run(thresholds: Thresholds, path: str, fmt: str, options: BatchOptions) -> int:
    csv.field_size_limit(FIELD_LIMIT)
    with _open(path) as source:
        reader = csv.reader(source)
        header = _header(reader, path)
        if _not_utf8(header):
            raise UsageError(f"--input {path!r}: the header is not UTF-8 text; save the file as UTF-8")
        columns = _columns(header)
        interpreter = Interpreter(thresholds, columns, options)
        formatter = (JsonlFormat if fmt == "jsonl" else CsvFormat)(columns)
        sys.stdout.write(formatter.header())
        tally = _stream(_chunks(_records(reader)), interpreter, formatter)
    _summary(thresholds, interpreter.scheme, tally, options.pregnant)
    if tally.errors:
        return ExitCode.ROWS_INVALID
    return ExitCode.CHECK_FAILED if options.check and tally.abnormal else ExitCode.OK


def _stream(chunks: Iterator[list[Record]], interpreter: Interpreter, formatter) -> Tally:  # noqa: ANN001
    """Chunks in order to stdout. A second chunk means a large input: from then on the chunks
    are shared out to forked workers, and results are written in input order."""
    tally, out = Tally(interpreter.check), sys.stdout
    first = next(chunks, None)
    if first is None:
        return tally
    count = workers() if len(first) == CHUNK else 1
    pool = Workers(count, interpreter, formatter) if count > 1 else None  # before any progress thread
    progress = Progress()

    def emit(result: tuple[str, Tally] | None) -> None:
        if result is not None:
            out.write(result[0])
            tally.merge(result[1])
            progress.update(tally.rows)

    finished = False
    try:
        for chunk in chain((first,), chunks):
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
    sys.stderr.write(
        f"b12: {tally.rows} rows: {counts}, errors {tally.errors}; scheme {scheme.id} "
        f"(sources: {', '.join(scheme.sources)}).{pregnancy} {thresholds.disclaimer}\n"
    )
