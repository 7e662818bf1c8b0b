"""The text of a report file, held in memory only: a text file (or stdin) as it is, or a PDF's text layer
through the optional ``pypdf`` (``pip install 'b12[pdf]'``), imported only when a PDF is read.

Bounded: a text of at most ``MAX_TEXT_BYTES``, a PDF of at most ``MAX_PDF_BYTES`` and ``MAX_PAGES`` pages,
read within ``TIME_LIMIT`` seconds where the platform has an alarm clock (a hostile PDF can make a parser
loop). A binary file that is not a PDF, a PDF without a text layer (a scan: there is no OCR) and a PDF that
cannot be opened are each one clear error. pypdf's own warnings are silenced: they could quote the file.
"""

from __future__ import annotations

import codecs
from contextlib import contextmanager
from typing import Iterator, NamedTuple

from b12cli.domain.text import printable
from b12cli.errors import UsageError
from b12cli.inputs import csv_rows

MAX_TEXT_BYTES = 1 << 20  # the text of a report is a few kilobytes
MAX_PDF_BYTES = 20 << 20
MAX_PAGES = 50
TIME_LIMIT = 30  # seconds for opening a PDF and taking its text
INSTALL = "pip install 'b12[pdf]'"
_WHITESPACE_CONTROLS = "\t\n\r\f\v"


class Loaded(NamedTuple):
    text: str
    kind: str  # "text" or "pdf"
    pages: int  # 0 for text


def label_of(path: str) -> str:
    return "standard input" if path == "-" else repr(printable(path))


def load(path: str) -> Loaded:
    """The text of a report: a file's, stdin's ('-'), or a PDF's text layer."""
    label = label_of(path)
    binary = csv_rows.open_binary(path, "FILE")  # a pipe is read as stdin is: bounded
    try:
        data = binary.read(MAX_PDF_BYTES + 1)
    finally:
        if path != "-":
            binary.close()
    if not data.strip():
        raise UsageError(f"{label} is empty; expected the text of a laboratory report, or a PDF of one")
    if is_pdf(data):
        if len(data) > MAX_PDF_BYTES:
            raise UsageError(f"{label} is a PDF over {MAX_PDF_BYTES >> 20} MiB; a laboratory report is far smaller "
                             "(save the page with the results)")
        text, pages = pdf_text(data, label)
        return Loaded(text, "pdf", pages)
    if path.casefold().endswith(".pdf"):
        raise UsageError(f"{label} is named .pdf but is not a PDF (it does not start with %PDF-)")
    if len(data) > MAX_TEXT_BYTES:
        raise UsageError(f"{label} is over {MAX_TEXT_BYTES >> 20} MiB; the text of a laboratory report is a few "
                         "kilobytes (copy the part with the results)")
    return Loaded(decode(data, label), "text", 0)


def is_pdf(data: bytes) -> bool:
    """A PDF starts with %PDF- (readers allow a little junk before it)."""
    return b"%PDF-" in data[:1024]


def decode(data: bytes, label: str) -> str:
    """UTF-8 (a BOM dropped), UTF-16 with its BOM, else Windows-1252 (as Windows editors save text); a file
    with NUL bytes or other control characters is binary, never read as text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = "\0"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace").replace("\ufffd", "\0")
    if any(c < " " and c not in _WHITESPACE_CONTROLS for c in text):
        raise UsageError(f"{label} is not text (it holds binary data) and not a PDF; expected the text of a "
                         "laboratory report (UTF-8), or a PDF of one")
    return text


# ----------------------------------------------------------------- PDF


class _TimeUp(BaseException):
    """Raised by the alarm clock; a BaseException, so that no ``except Exception`` in a parser swallows it."""


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    import signal
    import threading

    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def ring(signum: int, frame: object) -> None:  # noqa: ARG001 - a signal handler's signature
        raise _TimeUp

    before = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


@contextmanager
def _quiet() -> Iterator[None]:
    """pypdf's log records and warnings are not shown (they can quote the file)."""
    import logging
    import warnings

    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _pypdf(label: str):  # noqa: ANN202 - the pypdf module
    try:
        import pypdf
    except ImportError:
        raise UsageError(f"{label} is a PDF; reading PDFs needs the pdf extra: {INSTALL}") from None
    return pypdf


def pdf_text(data: bytes, label: str) -> tuple[str, int]:
    """The text layer of a PDF, its pages one after another, laid out as on the page (columns kept apart by
    spaces, as the report prints them); and the number of pages. Its modules are imported only here."""
    pypdf = _pypdf(label)
    try:
        with _quiet(), _time_limit(TIME_LIMIT):
            pages = _pages(pypdf, data, label)
            texts = [_page_text(page) for page in pages]
    except _TimeUp:
        raise UsageError(f"{label}: taking the text from this PDF took over {TIME_LIMIT} seconds; it was stopped "
                         "(copy the text of the report instead)") from None
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged or hostile PDF can fail anywhere inside the parser
        raise UsageError(f"{label} cannot be read as a PDF ({type(exc).__name__}); copy the text of the report "
                         "instead") from None
    text = "\n".join(texts)
    if len(text) > MAX_TEXT_BYTES:
        raise UsageError(f"{label}: the text of this PDF is over {MAX_TEXT_BYTES >> 20} MiB; a laboratory report is "
                         "a few kilobytes (save the pages with the results)")
    if not text.strip():
        raise UsageError(f"no text in this PDF ({label}): it is probably a scan, and b12 does no OCR; copy the "
                         "values from the report, or give them to b12 labs")
    return text, len(pages)


def _pages(pypdf, data: bytes, label: str) -> list:  # noqa: ANN001 - the pypdf module
    import io

    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise UsageError(f"{label} is a password-protected PDF; save it without the password, or copy its text")
    pages = list(reader.pages)
    if len(pages) > MAX_PAGES:
        raise UsageError(f"{label} has {len(pages):,} pages; b12 reads reports of at most {MAX_PAGES} pages (save "
                         "the pages with the results)")
    return pages


def _page_text(page) -> str:  # noqa: ANN001 - a pypdf PageObject
    """A page's text in layout mode (columns stay apart); the plain mode where layout mode fails."""
    try:
        return page.extract_text(extraction_mode="layout")
    except Exception:  # noqa: BLE001 - layout mode is the newer, less travelled path
        return page.extract_text()
