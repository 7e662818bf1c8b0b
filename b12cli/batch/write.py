"""Writing a batch: JSON Lines (or one JSON document) and CSV, a chunk at a time, and the streams they go to."""

from __future__ import annotations

import csv
import io
import json
from typing import Callable

from b12cli.batch.interpret import Chunk
from b12cli.inputs import csv_rows
from b12cli.inputs.columns import Columns, unique_names
from b12cli.output import documents

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
        by_scheme = [c.by_scheme if c is not None else "null" for c in chunk.combinations]
        out = list(map(documents.ROW_RECORD.__mod__, zip(lines, echoes, markers, chunk.verdicts, by_scheme, chunk.cb12,
                                                          flags)))
        for k, error in enumerate(chunk.errors):
            if error is not None:
                out[k] = documents.ERROR_RECORD % (lines[k], echoes[k], self.encode(error))
            elif chunk.marker_errors[k] is not None:  # a row read without a bad marker cell: which, and why
                errors = [{"marker": marker, "error": text} for marker, text in chunk.marker_errors[k]]
                out[k] = f'{out[k][:-1]},"errors":{self.encode(errors)}}}'

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
                                 + [chunk.verdicts[k], *chunk.combinations[k].readings, cb12,
                                    chunk.cb12_categories[k] or "", "true" if chunk.urgent[k] else "false",
                                    "; ".join(f"{m}: {e}" for m, e in chunk.marker_errors[k] or ())])


# ----------------------------------------------------------------- the run


