"""One table from ``--format`` to a writer, and the ``Result`` every command returns.

A command builds a ``Result``: its JSON document, its CSV rows and header, its table renderer, the
lines it has to say on stderr, and its exit code. ``emit`` writes it in the format asked for; no
command writes to stdout itself. A streaming command (``labs --input``) hands over a ``stream``
function instead, which writes as it reads and returns the exit code.
"""

from __future__ import annotations

import csv
import io
import sys
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from b12cli.domain.text import show
from b12cli.errors import ExitCode, UsageError
from b12cli.output.streams import dumps, say, write_out

FORMATS = ("table", "json", "csv")


class Result(NamedTuple):
    format: str  # one of the command's formats, already checked
    document: Callable[[], dict] | None = None  # the JSON document
    rows: Callable[[], list[dict]] | None = None  # CSV rows (dicts keyed by ``csv_header``)
    csv_header: tuple[str, ...] = ()
    table: Callable[[], None] | None = None  # the human renderer (writes stdout itself, through Rich)
    stderr: Callable[[], Iterable[str]] | None = None  # lines for stderr after the data (errors, a summary)
    exit_code: int = ExitCode.OK
    jsonl: Callable[[], Iterable[dict]] | None = None  # records for --format jsonl, where a command has them
    stream: Callable[[], int] | None = None  # writes as it reads; returns the exit code


def read_format(value: str | None, allowed: tuple[str, ...] = FORMATS, default: str = "table") -> str:
    fmt = (value if value is not None else default).strip().casefold()
    if fmt not in allowed:
        raise UsageError(f"--format {show(value or '')} is not accepted; expected one of {', '.join(allowed)}")
    return fmt


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        value += 0.0  # never -0.0
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(v) for v in value)
    return str(value)


def csv_text(header: Iterable[str], rows: Iterable[dict]) -> str:
    """Rows as CSV under ``header`` (a missing key is an empty cell); an empty list keeps its header."""
    return "".join(csv_pieces(header, rows))


def csv_pieces(header: Iterable[str], rows: Iterable[dict], step: int = 500) -> Iterator[str]:
    """``csv_text`` a few hundred rows at a time, for output written as it is made."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = list(header)
    writer.writerow(header)
    for k, row in enumerate(rows, 1):
        writer.writerow([cell(row.get(key)) for key in header])
        if k % step == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _write(text: str) -> None:
    write_out(text)


def _json(result: Result) -> None:
    _write(dumps(result.document()) + "\n")


def _jsonl(result: Result) -> None:
    records = result.jsonl() if result.jsonl is not None else [result.document()]
    _write("".join((r if isinstance(r, str) else dumps(r, compact=True)) + "\n" for r in records))


def _csv(result: Result) -> None:
    _write(csv_text(result.csv_header, result.rows()))


def _table(result: Result) -> None:
    result.table()


WRITERS: dict[str, Callable[[Result], None]] = {"json": _json, "jsonl": _jsonl, "csv": _csv, "table": _table}


def emit(result: Result) -> int:
    """Write ``result`` in its format, then its stderr lines; the command's exit code."""
    if result.stream is not None:
        return result.stream()
    WRITERS[result.format](result)
    sys.stdout.flush()
    if result.stderr is not None:
        for line in result.stderr():
            say(line + "\n")
    return result.exit_code
