"""The streams output goes to, read once: whether each is a terminal, what it can encode, whether
colour is wanted. Writing to stderr never fails a run (a full or closed stderr costs only the
message); writing data to stdout fails with ``OutputError`` (exit 74), except a closed pipe, which
is the reader's choice. JSON is always valid UTF-8 or ASCII."""

from __future__ import annotations

import codecs
import json
import os
import re
import sys
from typing import Any


def encoding_of(stream: Any) -> str:
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name
    except LookupError:
        return "ascii"


# Typographic characters as a terminal without them shows them: "10–30%" reads "10-30%", not "10\u201330%".
ASCII_FOLD = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2018": "'",
              "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2264": "<=", "\u2265": ">=", "\u00b5": "u",
              "\u03bc": "u", "\u00d7": "x", "\u2026": "...", "\u2192": "->", "\u2022": "*", "\u00a0": " ",
              "\u00b7": "-", "\u00b0": " deg", "\u2248": "~", "\u00bd": "1/2", "\u2009": " ", "\u202f": " "}
FOLD_ERRORS = "b12-fold"  # an encoding error handler: ASCII_FOLD, then accents dropped, then a \u escape


def _fold(error: UnicodeError) -> tuple[str, int]:
    import unicodedata

    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start:error.end]:
        plain = ASCII_FOLD.get(char)
        if plain is None:
            stripped = "".join(c for c in unicodedata.normalize("NFKD", char) if c.isascii())
            plain = stripped or (f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
        out.append(plain)
    return "".join(out), error.end


codecs.register_error(FOLD_ERRORS, _fold)


def is_utf8(stream: Any) -> bool:
    return encoding_of(stream).startswith("utf-8")


def is_terminal(stream: Any) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False


def no_color() -> bool:
    return os.environ.get("NO_COLOR", "") != ""


def say(text: str) -> None:
    """Write to stderr if there is one; a closed, full or broken stderr never stops the run or changes
    its exit code."""
    err = sys.stderr
    if err is None:
        return
    try:
        if not is_utf8(err):
            text = text.encode(encoding_of(err), FOLD_ERRORS).decode(encoding_of(err))
        err.write(text)
        err.flush()
    except (OSError, ValueError, UnicodeError):
        pass


SUMMARY_WIDTH = 100  # summary lines on stderr are wrapped here (or at a narrower terminal's width)


def wrapped(line: str) -> str:
    """A summary line wrapped at word boundaries, continuation lines indented by two spaces, so a
    summary reads in a terminal and in a log alike."""
    import shutil
    import textwrap

    width = SUMMARY_WIDTH
    if is_terminal(sys.stderr) or os.environ.get("COLUMNS", "").isdigit():
        width = max(20, min(width, shutil.get_terminal_size((SUMMARY_WIDTH, 24)).columns))
    glue = "\ue000"  # a number is never parted from the word after it: "5 errors"
    held = re.sub(r"(?<=\d) ", glue, line)
    lines = textwrap.wrap(held, width, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines).replace(glue, " ") or line


def write_out(text: str) -> None:
    """Records to stdout, whole: Ctrl-C or SIGTERM during the write takes effect after it. Written
    to the file descriptor directly: Python's buffered writer can drop the rest of a large write
    that a signal interrupts, even when the handler lets it go on."""
    from b12cli.signals import whole

    out = sys.stdout
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None  # a stream without a descriptor (a test's capture): written as it is
    with whole():
        if fd is None:
            out.write(text)
            out.flush()
            return
        out.flush()
        data = memoryview(text.encode(encoding_of(out), getattr(out, "errors", None) or "strict"))
        while data:
            data = data[os.write(fd, data):]


def has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def dumps(document: Any, compact: bool = False) -> str:
    """JSON text that any stdout can carry: characters outside ASCII are escaped when stdout cannot
    encode them, and a lone surrogate (a byte that was not UTF-8) is always written as its escape."""
    kwargs: dict[str, Any] = {"separators": (",", ":")} if compact else {"indent": 2}
    text = json.dumps(document, ensure_ascii=not is_utf8(sys.stdout), allow_nan=False, **kwargs)
    if has_surrogates(text):
        text = json.dumps(document, ensure_ascii=True, allow_nan=False, **kwargs)
    return text


class Items:
    """A list in a JSON document written by ``json_pieces`` one element at a time."""

    def __init__(self, items: Any) -> None:
        self.items = items


def json_pieces(fields: list[tuple[str, Any]]) -> Any:
    """The text of ``dumps(dict(fields))`` in pieces, where a value that is ``Items`` is written one
    element at a time (a document of any length without holding it) and a value that is a function
    is called when its turn comes. Byte for byte what ``dumps`` writes for the whole document."""
    yield "{"
    for k, (key, value) in enumerate(fields):
        yield ("," if k else "") + f"\n  {dumps(key)}: "
        if callable(value):
            value = value()  # worked out only now: a count that the items before it complete
        if not isinstance(value, Items):
            yield dumps(value).replace("\n", "\n  ")
            continue
        first = True
        for item in value.items:
            yield ("[" if first else ",") + "\n    " + dumps(item).replace("\n", "\n    ")
            first = False
        yield "[]" if first else "\n  ]"
    yield "\n}" if fields else "}"
