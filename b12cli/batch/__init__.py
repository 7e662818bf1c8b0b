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

import sys
from collections import Counter
from itertools import islice
from typing import Iterator

from b12cli.batch.interpret import (
    CHUNK,
    CHUNK_CHARS,
    FORMATS,
    BatchOptions,
    Chunk,
    Interpreter,
    RowError,
)
from b12cli.batch.write import CsvFormat, JsonlFormat
from b12cli.domain.labs import is_abnormal
from b12cli.domain.model import Thresholds
from b12cli.domain.text import printable
from b12cli.domain.vocab import VERDICTS
from b12cli.errors import ExitCode, UsageError
from b12cli.inputs import csv_rows
from b12cli.inputs.columns import Columns, map_columns
from b12cli.output.streams import encoding_of, is_terminal, is_utf8, say, wrapped, write_out

__all__ = ["CHUNK", "CHUNK_CHARS", "FORMATS", "BatchOptions", "Chunk", "CsvFormat", "Interpreter", "JsonlFormat",
           "Tally", "process", "run"]


class Tally:
    """Counts for the summary and the exit code. Abnormal rows are counted only when --check asked."""

    def __init__(self, check: bool = False) -> None:
        self.rows = self.errors = self.abnormal = self.urgent = self.partial = 0
        self.verdicts = dict.fromkeys(VERDICTS, 0)
        self.kinds: Counter[str] = Counter()  # errors by kind, for the summary
        self.check = check

    def add(self, chunk: Chunk) -> None:
        counts = Counter(chunk.verdicts)
        self.rows += len(chunk.verdicts)
        self.errors += counts.pop(None, 0)
        for verdict, count in counts.items():
            self.verdicts[verdict] += count
        self.urgent += sum(chunk.urgent)
        self.partial += len(chunk.marker_errors) - chunk.marker_errors.count(None)
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
            kind = "unreadable record" if error else "not UTF-8"
            error = error or "row is not valid UTF-8 text"
        else:
            kind = "unreadable record"
        if error is None:
            try:
                chunk.put(k, interpreter.row(cells))
            except RowError as exc:
                error, kind = str(exc), exc.kind
            except UsageError as exc:
                error, kind = str(exc), "invalid value"
        if error is not None:
            tally.kinds[kind] += 1
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
        write_out(text)  # a chunk's records are written whole, even if Ctrl-C or SIGTERM comes meanwhile

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
        raw_width = len(header)
        records, header, gathered = _long(registry, header, source.records, options)
        columns = map_columns(registry, header, options.columns, options.units, source.dialect.describe())
        for warning in columns.warnings:
            say(f"b12: warning: {warning}\n")
        source.lines.width = raw_width
        source.lines.max_cells = max(csv_rows.MAX_CELLS, raw_width)
        out = Output()
        interpreter = Interpreter(thresholds, columns, options, source.dialect, ascii_only=not out.unicode)
        formatter = _formatter(fmt, columns, interpreter, options)
        out.write(formatter.header())
        tally = _stream(_chunks(records, source.lines), interpreter, formatter, out, options.check)
        out.write(formatter.footer())
        out.flush()
    finally:
        if path != "-":
            binary.close()
    _summary(thresholds, interpreter.judge, tally, options.context.pregnant, gathered, interpreter.zero_ranges)
    if tally.errors or tally.partial:
        return ExitCode.ROWS_INVALID
    return ExitCode.CHECK_FAILED if options.check and tally.abnormal else ExitCode.OK


def _long(registry, header: list[str], records: Iterator[csv_rows.Record], options: BatchOptions):  # noqa: ANN001, ANN202
    """A long-format file (one test per row) as wide panels, else the records as they are."""
    from b12cli.inputs import long

    asked = options.long or long.LongRequest()
    layout = long.layout_of(registry, header, asked, options.loinc, options.not_markers)
    if layout is None:
        if asked.codes:
            raise UsageError("--code applies only to a long-format file (one test per row)")
        return records, header, None
    tally = long.Tally()
    gathered = long.gather(registry, layout, records, tally)
    return gathered.records, gathered.header, tally


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


def scheme_line(thresholds: Thresholds, judge) -> str:  # noqa: ANN001 - a labs.Judge
    """Which scheme decided: the one named, or every one (the most cautious verdict), with sources."""
    if judge.chosen:
        scheme = judge.scheme
        return f"scheme {scheme.id} decides (sources: {', '.join(scheme.sources)})."
    schemes = " and ".join(thresholds.schemes)
    lab = ", and your laboratory's ranges" if judge.refs else ""
    return f"verdict: the most cautious of the {schemes} schemes{lab}; markers shown by the {judge.scheme.id} scheme."


def _summary(thresholds: Thresholds, judge, tally: Tally, pregnant: bool,  # noqa: ANN001 - a labs.Judge
             gathered=None, zero_ranges: int = 0) -> None:  # noqa: ANN001 - a long.Tally for a long-format file
    from b12cli.domain.history import plural

    counts = ", ".join(f"{tally.verdicts[v]:,} {v}" for v in reversed(VERDICTS))
    lines = [f"b12: {plural(tally.rows, 'row')}: {counts}; {plural(tally.urgent, 'urgent row')}; "
             f"{plural(tally.errors, 'error')}.", f"b12: {scheme_line(thresholds, judge)}"]
    if zero_ranges:
        lines.insert(1, f"b12: {plural(zero_ranges, 'range cell')} printed 0-0, which some exports write for no "
                        "range, read as no range.")
    if tally.partial:
        lines.insert(1, f"b12: {plural(tally.partial, 'row')} with a marker cell that could not be read: the "
                        "row's other markers were read and its record lists the errors (--strict makes such a row "
                        "an error).")
    if tally.kinds:
        ranked = sorted(tally.kinds.items(), key=lambda kc: (-kc[1], kc[0]))
        kinds = ", ".join(f"{count:,} {kind}" for kind, count in ranked)
        lines.insert(1, f"b12: errors by kind: {kinds} (each is an error record in the output).")
    if gathered is not None:
        lines[1:1] = [f"b12: {note}" for note in gathered.notes()]
        if not tally.rows:
            lines.insert(2, "b12: no test in the file is a B12 marker by its name or LOINC code; give a local code "
                            "with --code MARKER=CODE (e.g. --code b12=51010) or name the columns with --test-column.")
    if pregnant:
        note = next(n for n in thresholds.rules.notes if n.id == "note-pregnancy")
        lines.append(f"b12: {note.text} (sources: {', '.join(note.sources)})")
    lines.append(f"b12: {thresholds.disclaimer}")
    say("".join(wrapped(line) + "\n" for line in lines))


