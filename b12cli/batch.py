"""`b12 labs --input FILE`: a CSV of results in, one record per data row out.

Streams: one row is read, interpreted and written before the next is read, so
memory does not grow with the file. A row that cannot be interpreted becomes an
error record and the rest carry on; nothing is dropped or reordered.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from dataclasses import dataclass
from typing import IO, Iterator

from b12cli.errors import ExitCode, UsageError
from b12cli.kb import Thresholds
from b12cli.labs import UNLIKELY, VERDICTS, LabQuery, assess, read_age, read_markers, read_refs, read_scheme
from b12cli.units import CANONICAL, MARKERS, normalize_unit

FIELD_LIMIT = 1 << 20  # a cell over 1 MiB is refused as that row's error
UNIT_COLUMNS = {"b12_unit": "b12", "mma_unit": "mma"}
KNOWN = (*MARKERS, "age", *UNIT_COLUMNS)
STATUS_COLUMNS = [f"{m}_status" for m in MARKERS] + ["verdict", "cb12", "cb12_category", "error"]
PROGRESS_EVERY = 2048


@dataclass(frozen=True, slots=True)
class BatchOptions:
    scheme: str
    refs: list[str]
    units: dict[str, str | None]
    pregnant: bool
    check: bool


class RowError(Exception):
    pass


@dataclass(slots=True)
class Columns:
    names: list[str]  # as in the header, made unique for the `input` mapping
    index: dict[str, int]  # known column (casefolded) -> position


def _columns(header: list[str]) -> Columns:
    index: dict[str, int] = {}
    names: list[str] = []
    for i, raw in enumerate(header):
        key = raw.strip().casefold()
        if key in KNOWN:
            if key in index:
                raise UsageError(f"the header has the column {key!r} twice (columns {index[key] + 1} and {i + 1})")
            index[key] = i
        name, n = raw, 2
        while name in names:
            name, n = f"{raw}_{n}", n + 1
        names.append(name)
    if not any(m in index for m in MARKERS):
        raise UsageError(f"the header has no marker column; expected at least one of {', '.join(MARKERS)} "
                         f"(got: {', '.join(h for h in header)[:120] or 'nothing'})")
    return Columns(names, index)


def _open(path: str) -> IO[str]:
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace", newline="")
    try:
        return open(path, encoding="utf-8-sig", errors="replace", newline="")
    except FileNotFoundError:
        raise UsageError(f"--input {path!r}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"--input {path!r} is a directory; expected a CSV file") from None
    except OSError as exc:
        raise UsageError(f"--input {path!r} cannot be read ({exc.strerror})") from None


def _records(reader) -> Iterator[tuple[int, list[str] | None, str | None]]:  # noqa: ANN001
    """(first line, cells, error) per non-blank record; a record csv cannot parse comes with its error."""
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
        if cells and any(c.strip() for c in cells):
            yield start, cells, None


class Interpreter:
    """Turns one row's cells into the compact record; shared by both output formats."""

    def __init__(self, thresholds: Thresholds, columns: Columns, options: BatchOptions) -> None:
        self.thresholds = thresholds
        self.scheme = read_scheme(thresholds, options.scheme)
        self.refs = read_refs(options.refs, options.units)
        self.units = options.units
        self.pregnant = options.pregnant
        self.columns = columns
        self.width = len(columns.names)

    def cell(self, cells: list[str], key: str) -> str | None:
        i = self.columns.index.get(key)
        if i is None or i >= len(cells):
            return None
        value = cells[i]
        return value if value.strip() else None

    def row(self, cells: list[str]) -> dict:
        if len(cells) > self.width:
            raise RowError(f"row has {len(cells)} fields but the header has {self.width}")
        if any("\ufffd" in c for c in cells):
            raise RowError("row is not valid UTF-8 text")
        units = dict(self.units)
        for column, marker in UNIT_COLUMNS.items():
            text = self.cell(cells, column)
            if text is not None:
                units[marker] = normalize_unit(marker, text, column)
        raw = {m: self.cell(cells, m) for m in MARKERS}
        markers = read_markers(raw, units, labels={m: m for m in MARKERS})
        if not markers:
            raise RowError("no marker value in this row")
        age = self.cell(cells, "age")
        query = LabQuery(markers, read_age(age) if age is not None else None, self.scheme.id, self.refs,
                         self.pregnant)
        core = assess(self.thresholds, self.scheme, query)
        return {
            "markers": [{"marker": m, "canonical_value": markers[m].canonical, "canonical_unit": CANONICAL[m],
                         "status": core.status[m]} for m in MARKERS if m in markers],
            "verdict": core.verdict,
            "cb12": None if core.cb12 is None else {"value": core.cb12.value, "category": core.cb12.category},
        }


def _input(columns: Columns, cells: list[str]) -> dict:
    names = columns.names
    out = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(names)}
    for j in range(len(names), len(cells)):
        out[f"_extra_{j + 1}"] = cells[j]
    return out


class JsonlWriter:
    def __init__(self, out: IO[str], columns: Columns) -> None:
        self.out, self.columns = out, columns
        self.dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode

    def write(self, line: int, cells: list[str], record: dict | None, error: str | None) -> None:
        body = {"line": line, "input": _input(self.columns, cells)}
        if error is None:
            body.update(record)
        else:
            body["error"] = error
        self.out.write(self.dumps(body) + "\n")


class CsvWriter:
    def __init__(self, out: IO[str], columns: Columns) -> None:
        self.writer = csv.writer(out, lineterminator="\n")
        self.width = len(columns.names)
        self.writer.writerow(columns.names + STATUS_COLUMNS)

    def write(self, line: int, cells: list[str], record: dict | None, error: str | None) -> None:
        row = (cells + [""] * (self.width - len(cells)))[: self.width]
        if error is not None:
            self.writer.writerow(row + [""] * (len(STATUS_COLUMNS) - 1) + [error])
            return
        status = {m["marker"]: m["status"] for m in record["markers"]}
        cb12 = record["cb12"] or {}
        self.writer.writerow(row + [status.get(m, "") for m in MARKERS]
                             + [record["verdict"], cb12.get("value", ""), cb12.get("category", ""), ""])


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
        if self.bar is not None and rows % PROGRESS_EVERY == 0:
            self.bar.update(self.task, completed=rows)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run(thresholds: Thresholds, path: str, fmt: str, options: BatchOptions) -> int:
    csv.field_size_limit(FIELD_LIMIT)
    with _open(path) as fh:
        reader = csv.reader(fh)
        header = next((r for r in reader if r and any(c.strip() for c in r)), None)
        if header is None:
            raise UsageError(f"--input {path!r} is empty; expected a CSV header and rows")
        columns = _columns(header)
        interpreter = Interpreter(thresholds, columns, options)
        out = sys.stdout
        writer = (JsonlWriter if fmt == "jsonl" else CsvWriter)(out, columns)
        verdicts: Counter[str] = Counter()
        rows = errors = abnormal = 0
        progress = Progress()
        try:
            for line, cells, error in _records(reader):
                record = None
                if error is None:
                    try:
                        record = interpreter.row(cells)
                    except (RowError, UsageError) as exc:
                        error = str(exc)
                rows += 1
                if error is None:
                    verdicts[record["verdict"]] += 1
                    abnormal += record["verdict"] != UNLIKELY or any(
                        m["status"] != "normal" for m in record["markers"])
                else:
                    errors += 1
                writer.write(line, cells or [], record, error)
                progress.update(rows)
            out.flush()
        finally:
            progress.stop()
    _summary(thresholds, interpreter, rows, verdicts, errors)
    if errors:
        return ExitCode.ROWS_INVALID
    return ExitCode.CHECK_FAILED if options.check and abnormal else ExitCode.OK


def _summary(thresholds: Thresholds, interpreter: Interpreter, rows: int, verdicts: Counter, errors: int) -> None:
    counts = ", ".join(f"{v} {verdicts[v]}" for v in reversed(VERDICTS))
    scheme = interpreter.scheme
    sys.stderr.write(
        f"b12: {rows} rows: {counts}, errors {errors}; scheme {scheme.id} "
        f"(sources: {', '.join(scheme.sources)}). {thresholds.disclaimer}\n"
    )
