"""Text-only PDF files made in the tests, so that no PDF (and no writer library) has to be shipped.

Each page is a list of rows from the top; a row is one string, or a list of cells set at the x positions
of ``columns`` (a report laid out in a table). The text is in Helvetica, one of the fonts every PDF
reader has built in (nothing is embedded), encoded as WinAnsi, so that accents, the micro sign and the
German sharp s come through. ``blank`` makes a page with no text at all, as a scanned page has.
"""

from __future__ import annotations

import re
import zlib
from typing import Sequence, Union

Row = Union[str, Sequence[str]]
A4 = (595, 842)


def _escaped(text: str) -> bytes:
    """A PDF string literal: WinAnsi bytes, brackets and backslashes escaped, anything outside printable
    ASCII written as a three-digit octal escape."""
    body = bytearray()
    for code in text.encode("cp1252"):
        if code in b"()\\":
            body += b"\\" + bytes([code])
        elif 0x20 <= code <= 0x7E:
            body.append(code)
        else:
            body += b"\\%03o" % code
    return b"(" + bytes(body) + b")"


def _content(rows: Sequence[Row], columns: Sequence[float], size: float, leading: float) -> bytes:
    """The drawing operators of one page: every run of text placed by an absolute text matrix."""
    ops = [b"BT", b"/F1 %g Tf" % size]
    y = A4[1] - 60
    for row in rows:
        cells = [row] if isinstance(row, str) else list(row)
        for x, cell in zip(columns, cells):
            if cell:
                ops.append(b"1 0 0 1 %g %g Tm %s Tj" % (x, y, _escaped(cell)))
        y -= leading
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


class _Objects:
    """Numbered objects, written in order with a cross-reference table of their byte offsets."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def reserve(self) -> int:
        self.bodies.append(b"null")
        return len(self.bodies)

    def put(self, body: bytes, number: int | None = None) -> int:
        if number is None:
            number = self.reserve()
        self.bodies[number - 1] = body
        return number

    def stream(self, data: bytes, compress: bool) -> int:
        extra = b""
        if compress:
            data, extra = zlib.compress(data), b" /Filter /FlateDecode"
        return self.put(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data))

    def file(self, root: int) -> bytes:
        out = bytearray(b"%PDF-1.4\n%\xb5\xb6\xb7\xb8\n")  # a comment of high bytes: "binary inside"
        where = []
        for number, body in enumerate(self.bodies, 1):
            where.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        table = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.bodies) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in where)  # each entry 20 bytes
        out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(self.bodies) + 1, root,
                                                                                      table)
        return bytes(out)


def make_pdf(pages: Sequence[Sequence[Row]], columns: Sequence[float] = (50,), size: float = 9,
             leading: float = 13, compress: bool = False) -> bytes:
    """A PDF of ``pages``; an empty page list item (``[]``) is a page without any text."""
    objects = _Objects()
    root, tree = objects.reserve(), objects.reserve()
    font = objects.put(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for rows in pages:
        content = objects.stream(_content(rows, columns, size, leading), compress)
        kids.append(objects.put(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 "
                                b"%d 0 R >> >> /Contents %d 0 R >>" % (tree, A4[0], A4[1], font, content)))
    objects.put(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)),
                tree)
    objects.put(b"<< /Type /Catalog /Pages %d 0 R >>" % tree, root)
    return objects.file(root)


def report_pdf(text: str, columns: Sequence[float] = (40, 190, 260, 330, 420, 500), **options: float) -> bytes:
    """A one-page PDF of a report's text, laid out as a table: each line's cells (split at runs of two or
    more spaces) set at the x positions of ``columns``; a blank line stays a blank row."""
    rows: list[Row] = []
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip()) if line.strip() else []
        assert len(cells) <= len(columns), f"more cells than columns in {line!r}"
        rows.append(cells)
    return make_pdf([rows], columns, **options)
