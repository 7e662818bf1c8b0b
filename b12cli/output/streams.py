"""The streams output goes to, read once: whether each is a terminal, what it can encode, whether
colour is wanted. Writing to stderr never fails a run (a full or closed stderr costs only the
message); writing data to stdout fails with ``OutputError`` (exit 74), except a closed pipe, which
is the reader's choice. JSON is always valid UTF-8 or ASCII."""

from __future__ import annotations

import codecs
import json
import os
import sys
from typing import Any


def encoding_of(stream: Any) -> str:
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name
    except LookupError:
        return "ascii"


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
            text = text.encode(encoding_of(err), "backslashreplace").decode(encoding_of(err))
        err.write(text)
        err.flush()
    except (OSError, ValueError, UnicodeError):
        pass


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
