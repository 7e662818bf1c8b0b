"""Text that came from a person or a file, made safe to print: one line, no control characters,
a readable length. Every value quoted in an error and every id or file name echoed to a terminal
goes through here, so a record cannot forge a line or send a terminal escape."""

from __future__ import annotations

SHOW_CHARS = 40  # a quoted value in an error message
PRINT_CHARS = 120  # an id, a name or a file name echoed from a file


def printable(text: str, limit: int = PRINT_CHARS) -> str:
    """``text`` with every character that is not printable written as its escape (``\\x1b``, ``\\n``,
    ``\\u2028``, ``\\udcff`` for a byte that was not UTF-8), cut to ``limit`` characters with "..."."""
    cut = text[:limit]
    shown = cut if cut.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    return shown + ("..." if len(text) > limit else "")


def show(text: str) -> str:
    """A value for an error message, quoted, on one line and short: ``'18\\x000'``, ``'aaaa...'``."""
    cut = text[:SHOW_CHARS] + ("..." if len(text) > SHOW_CHARS else "")
    return repr(cut)
