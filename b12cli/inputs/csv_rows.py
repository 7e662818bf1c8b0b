"""The one CSV reader, for ``labs --input`` and ``history``: bounded, recovering, and told apart
from the exports people have.

* Text: UTF-8 (with or without a BOM), or UTF-16 with its BOM. Bytes that are not UTF-8 become
  lone surrogates, so the row holding them is reported instead of stopping the run.
* Dialect: the delimiter is the one of comma, semicolon and tab that the header uses (or
  ``--delimiter``). Where it is not a comma, a decimal comma in a number (``180,5``) is read as a
  point (``Dialect.number``).
* Bounds: no row is ever held whole beyond ``MAX_ROW`` characters, and a quote that never closes
  costs only its own record: the lines after it are read again as records of their own. A record
  that cannot be read comes with its error, on the line it starts on; nothing is skipped silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
import sys
from collections import deque
from typing import IO, BinaryIO, Iterator, NamedTuple

from b12cli.domain.text import printable, show
from b12cli.errors import UsageError

FIELD_LIMIT = 1 << 20  # a cell over 1 MiB is refused as that record's error
MAX_ROW = 1 << 20  # characters in one record (all its lines); a longer one is that record's error
MAX_CELLS = 10_000  # cells in one record (or the header's width, if wider); more is that record's error
MAX_LINES = 1_000  # lines one quoted cell may span before its quote counts as never closed
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
SNIFF_LINES = 5  # data lines looked at, beside the header, when two delimiters could be meant

Record = tuple[int, list[str], "str | None"]  # (first line, cells, error)


class Dialect(NamedTuple):
    delimiter: str
    decimal_comma: bool  # a comma inside a number is its decimal point (the delimiter is not a comma)
    chosen: bool  # given with --delimiter, not detected

    @property
    def name(self) -> str:
        return DELIMITERS[self.delimiter]

    def number(self, text: str) -> str:
        """A cell's number as b12 reads numbers: ``180,5`` becomes ``180.5`` where commas are decimal."""
        if self.decimal_comma and "," in text and "." not in text and text.count(",") == 1:
            return text.replace(",", ".")
        return text

    def describe(self) -> str:
        how = "as given" if self.chosen else "found from the header; " + ", ".join(DELIMITERS.values()) + " are tried"
        return f"read as {self.name}-separated ({how})"


def parse_delimiter(text: str | None) -> str | None:
    """``--delimiter``: comma, semicolon or tab, by name or as the character itself."""
    if text is None:
        return None
    key = text if text in DELIMITERS else text.strip().casefold()
    for char, name in DELIMITERS.items():
        if key in (char, name, "\\t" if char == "\t" else name):
            return char
    raise UsageError(f"--delimiter {show(text)} is not accepted; expected comma, semicolon or tab")


# ----------------------------------------------------------------- opening


def open_binary(path: str, label: str, regular_only: bool = False) -> BinaryIO:
    """The bytes of a file, or of stdin for '-'. ``regular_only``: a FIFO or a device is refused
    (a folder reader must not block on one)."""
    if path == "-":
        stdin = sys.stdin
        if stdin is None or getattr(stdin, "buffer", None) is None:
            raise UsageError(f"{label} '-' reads standard input, but standard input is closed")
        return stdin.buffer
    if regular_only:  # checked before opening: opening a FIFO for reading would wait for a writer
        _refuse_special(path, label)
    try:
        stream = open(path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
    except FileNotFoundError:
        raise UsageError(f"{label} {printable(path)!r}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{label} {printable(path)!r} is a folder; expected a file") from None
    except OSError as exc:
        raise UsageError(f"{label} {printable(path)!r} cannot be read ({exc.strerror})") from None
    except ValueError:  # e.g. a NUL byte in the name
        raise UsageError(f"{label} {printable(path)!r} is not a usable file name") from None
    return stream


def _refuse_special(path: str, label: str) -> None:
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return  # open() says what is wrong
    if not regular:
        raise UsageError(f"{label} {printable(path)!r} is not a regular file (a pipe or a device)")


def text_of(binary: BinaryIO) -> IO[str]:
    """Text from bytes: UTF-16 when a UTF-16 BOM starts it, else UTF-8 (a UTF-8 BOM dropped)."""
    buffered = binary if hasattr(binary, "peek") else io.BufferedReader(binary)  # type: ignore[arg-type]
    start = buffered.peek(4)[:4]
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return io.TextIOWrapper(buffered, encoding="utf-16", errors="surrogateescape", newline="")
    return io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="surrogateescape", newline="")


def not_utf8(text: str) -> bool:
    """True when the text holds bytes that were not UTF-8 (read as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# ----------------------------------------------------------------- lines and records


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

    def peek(self, count: int) -> list[str]:
        """The first ``count`` physical lines (each cut at MAX_ROW), left to be read again."""
        while len(self.pending) < count:
            line = self.readline(self.limit)
            if not line:
                break
            self.pending.append(line)
            if not line.endswith(("\n", "\r")):  # the end, or a line cut at the limit: ``iterate`` reads on
                break
        return list(self.pending)[:count]

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


def _loose(line: str, delimiter: str) -> list[str]:
    """The cells of a record's first line as far as they can be read, to show with its error."""
    try:
        return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:
        return []


def records(lines: Lines, dialect: Dialect, after: int = 0) -> Iterator[Record]:
    """(first line, cells, error) per non-blank record after line ``after``. A record that csv cannot
    read, or that is too large, comes with its error; no line outside a closed quote is ever lost."""
    held = lines.held
    while True:
        reader = csv.reader(lines.iterate(after), delimiter=dialect.delimiter, strict=True)
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
            yield start, _loose(held[0], dialect.delimiter) if held else [], error
            after = lines.reread(start)


# ----------------------------------------------------------------- the dialect


def _outside_quotes(line: str, char: str) -> int:
    """How often ``char`` appears in a line outside double quotes."""
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def detect(lines: Lines, given: str | None) -> Dialect:
    """The delimiter the header uses: the only one of comma, semicolon and tab in it, else the one that
    splits the next lines into as many cells as the header (a comma inside a name such as 'Vitamin
    B12, serum' does not); a header with none of them is one column."""
    if given is not None:
        return Dialect(given, given != ",", True)
    sample = lines.peek(SNIFF_LINES + 1)
    if not sample:
        return Dialect(",", False, False)
    header = sample[0]
    counts = {d: _outside_quotes(header, d) for d in DELIMITERS}
    found = [d for d, n in counts.items() if n]
    if len(found) > 1:
        rows = sample[1:]
        steady = [d for d in found if rows and all(_outside_quotes(r, d) == counts[d] for r in rows if r.strip())]
        found = steady or found
        found.sort(key=lambda d: (-counts[d], list(DELIMITERS).index(d)))
    delimiter = found[0] if found else ","
    return Dialect(delimiter, delimiter != ",", False)


class CsvInput(NamedTuple):
    """An opened CSV source: its lines, its dialect, and its records from the first (the header) on."""

    lines: Lines
    dialect: Dialect
    records: Iterator[Record]


def read_csv(source: IO[str], delimiter: str | None = None) -> CsvInput:
    csv.field_size_limit(FIELD_LIMIT)
    lines = Lines(source)
    dialect = detect(lines, delimiter)
    return CsvInput(lines, dialect, records(lines, dialect))


def header_of(records: Iterator[Record], where: str) -> list[str]:
    """The header record, or a ``UsageError`` for an empty input or a header that cannot be read."""
    first = next(records, None)
    if first is None:
        raise UsageError(f"{where} is empty; expected a CSV header and rows")
    line, header, error = first
    if error is not None:
        raise UsageError(f"{where}: the header (line {line}) cannot be read: {error}")
    if not_utf8("".join(header)):
        raise UsageError(f"{where}: the header is not UTF-8 text; save the file as UTF-8")
    if "\x00" in "".join(header):
        raise UsageError(f"{where}: the header holds NUL characters, as UTF-16 text without a byte-order mark "
                         "does; save the file as UTF-8 (or as UTF-16 with its byte-order mark)")
    return header
