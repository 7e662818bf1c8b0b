"""Plain-text layout for tables: columns fitted to the width without ever breaking a word.

No Rich here: cells are strings (or ``(text, style)`` pairs), lines come out as
lists of ``(text, style)`` pieces that ``tables.py`` turns into Rich ``Text``.
Every renderer uses the same few functions:

- ``fit_widths(columns, rows, width)``: column widths that fit, or None when the
  longest word of some column cannot fit (then use the list layout);
- ``grid(columns, rows, width)`` / ``blocks(columns, rows, width)``: table lines,
  or one block per row for narrow terminals; ``layout(...)`` picks one;
- ``Footnotes``: source ids become short numbers in the table and one list under it;
- ``wrap(text, width, first, rest)``: wrap at spaces only.

Words and ids are never split: text is wrapped at spaces (never at hyphens) and a
word longer than the width is left whole on its own line.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from typing import NamedTuple, Sequence, Union

Cell = Union[str, tuple[str, str]]  # text, or (text, style name)
Piece = tuple[str, str]  # (text, style); style "" is plain
Line = list[Piece]

GAP = 2  # spaces between columns
NARROW = 60  # below this many columns, tables become lists


class Column(NamedTuple):
    title: str
    grow: float = 1.0  # share of spare width, relative to other columns (long names get more)
    align: str = "left"  # or "right"
    nowrap: bool = False  # short cells such as "133 pmol/L": kept on one line


def cell_text(cell: Cell) -> str:
    return cell[0] if isinstance(cell, tuple) else cell


def cell_style(cell: Cell) -> str:
    return cell[1] if isinstance(cell, tuple) else ""


_QUANTITY = re.compile(r"(\d) (?=(?:g|mg|mcg|oz|cup|cups|pg/mL|ng/L|pmol/L|umol/L|nmol/L|mcg/day|months?|years?)\b)")


def cells(text: str) -> int:
    """The columns ``text`` takes on a terminal: two for a wide character (CJK, most emoji), none for
    a combining mark, one for the rest (a person id or a file name may hold any of them)."""
    if text.isascii():
        return len(text)
    return sum(1 if _one_column(c) else 0 if unicodedata.combining(c) else 2 for c in text)


def _one_column(char: str) -> bool:
    return not unicodedata.combining(char) and unicodedata.east_asian_width(char) not in "WF"


_SPACES = re.compile(r"[\t\n\x0b\x0c\r ]+")  # what textwrap breaks at (not the no-break space)


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Lines of ``text`` no wider than ``width`` where possible, broken at spaces only, and never
    between a number and its unit (``85 g``, ``180 pg/mL``)."""
    if not text.strip():
        return [first.rstrip()] if first.strip() else [""]
    kept = _QUANTITY.sub("\\1\u00a0", text)
    if kept.isascii() or all(_one_column(c) for c in kept):
        lines = textwrap.wrap(kept, max(1, width), initial_indent=first, subsequent_indent=rest,
                              break_long_words=False, break_on_hyphens=False) or [""]
    else:
        lines = _wrap_wide(kept, max(1, width), first, rest)
    return [line.replace("\u00a0", " ") for line in lines]


def _wrap_wide(text: str, width: int, first: str, rest: str) -> list[str]:
    """``wrap`` for text with wide characters, measured in terminal columns."""
    lines, line, empty = [], first, True
    for word in _SPACES.split(text.strip()):
        if not empty and cells(line) + 1 + cells(word) > width:
            lines.append(line)
            line, empty = rest + word, False
        else:
            line, empty = (line + word if empty else f"{line} {word}"), False
    return lines + [line]


def longest_word(text: str) -> int:
    """The widest piece ``wrap`` will not break (a word, or a number with its unit)."""
    return max((cells(w) for w in re.split(r"[ \t\n]+", _QUANTITY.sub("\\1\u00a0", text))), default=0)


def fit_widths(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int,
               gap: int = GAP) -> list[int] | None:
    """Widths for the columns within ``width``, or None if even one word per line cannot fit.

    Each column gets at least its longest word (and header word); spare room goes first to
    columns whose natural width is not met, in proportion to ``grow``. Short columns keep their
    header on one line when that does not make the table taller."""
    n = len(columns)
    texts = [[cell_text(r[i]) for r in rows] for i in range(n)]
    content = [max([cells(t) for t in col] + [longest_word(c.title), 1]) for c, col in zip(columns, texts)]
    least = [content[i] if c.nowrap else max([longest_word(t) for t in col] + [longest_word(c.title)])
             for i, (c, col) in enumerate(zip(columns, texts))]
    room = width - gap * (n - 1)
    if sum(least) > room:
        return None
    natural = [max(w, len(c.title)) for w, c in zip(content, columns)]
    if sum(natural) <= room:  # everything on one line, headers too
        return natural
    plain = content if sum(content) <= room else _share(columns, least, content, room)
    headed = [max(w, len(c.title)) if c.nowrap else w for w, c in zip(least, columns)]
    if sum(headed) > room:
        return plain
    headed = _share(columns, headed, [max(w, h) for w, h in zip(content, headed)], room)
    return headed if height(columns, rows, headed) <= height(columns, rows, plain) else plain


def height(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], widths: list[int]) -> int:
    """How many lines a table takes with these widths (header included)."""
    lines = max(len(wrap(c.title, w)) for c, w in zip(columns, widths))
    for row in rows:
        lines += max(len(wrap(cell_text(cell), w)) for cell, w in zip(row, widths))
    return lines


def _share(columns: Sequence[Column], least: list[int], natural: list[int], room: int) -> list[int]:
    """Columns that fit within their fair share get their natural width; the others share what
    is left in proportion to ``grow``, each keeping at least its longest word."""
    widths = list(natural)
    open_ = set(range(len(columns)))
    left = room
    changed = True
    while changed and open_:
        changed = False
        total = sum(columns[i].grow for i in open_)
        for i in sorted(open_):
            if natural[i] <= left * columns[i].grow / total:
                open_.discard(i)
                left -= natural[i]
                changed = True
                break
    for i in open_:
        widths[i] = least[i]
    spare = left - sum(least[i] for i in open_)
    total = sum(columns[i].grow for i in open_) or 1
    for i in sorted(open_):
        widths[i] += min(natural[i] - least[i], int(spare * columns[i].grow / total))
    extra = room - sum(widths)
    for i in sorted(open_, key=lambda k: -columns[k].grow):  # rounding leftovers to the longest texts
        add = min(extra, natural[i] - widths[i])
        widths[i] += add
        extra -= add
    return widths


def _pad(text: str, width: int, align: str) -> str:
    pad = " " * max(0, width - cells(text))
    return pad + text if align == "right" else text + pad


def grid(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], widths: list[int],
         after: Sequence[list[Line]] | None = None, header_style: str = "bold", rule: str = "─") -> list[Line]:
    """Table lines: a header, a rule, then each row's cells wrapped in their columns
    (plus any ``after[i]`` lines under row i). Lines carry no trailing spaces."""
    heads = [wrap(c.title, widths[i]) for i, c in enumerate(columns)]
    lines: list[Line] = [_joined([(h[k] if k < len(h) else "", header_style) for h in heads], widths, columns)
                         for k in range(max(len(h) for h in heads))]
    lines.append([(rule * (sum(widths) + GAP * (len(widths) - 1)), "")])
    for r, row in enumerate(rows):
        wrapped = [wrap(cell_text(cell), widths[i]) for i, cell in enumerate(row)]
        for k in range(max(len(w) for w in wrapped)):
            lines.append(_joined([(w[k] if k < len(w) else "", cell_style(row[i])) for i, w in enumerate(wrapped)],
                                 widths, columns))
        if after and after[r]:
            lines.extend(after[r])
    return lines


def _joined(pieces: list[Piece], widths: list[int], columns: Sequence[Column]) -> Line:
    """One table line: cells padded to their width and separated by the gap, trailing blanks dropped."""
    last = max((i for i, (text, _) in enumerate(pieces) if text), default=-1)
    line: Line = []
    for i, (text, style) in enumerate(pieces[: last + 1]):
        padded = text if i == last and columns[i].align != "right" else _pad(text, widths[i], columns[i].align)
        line.append((padded, style))
        if i < last:
            line.append((" " * GAP, ""))
    return line


def blocks(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int,
           after: Sequence[list[Line]] | None = None, title_style: str = "bold") -> list[Line]:
    """The list layout: one block per row, its first cell as a heading and every other
    non-empty cell as ``Title: value`` wrapped under it; a blank line between blocks."""
    lines: list[Line] = []
    for r, row in enumerate(rows):
        if r:
            lines.append([])
        lines.extend([(text, title_style or cell_style(row[0]))] for text in wrap(cell_text(row[0]), width))
        for column, cell in zip(columns[1:], row[1:]):
            text = cell_text(cell)
            if not text:
                continue
            label = f"  {column.title}: "
            parts = wrap(text, width, label, "    ")
            if cells(parts[0]) > width:  # a long word (a URL): start it on its own line
                lines.extend([(t, "")] for t in wrap(label.strip(), width, "  ", "  "))
                label, parts = "", wrap(text, width, "    ", "    ")
            for k, part in enumerate(parts):
                if k == 0 and label:
                    lines.append([(label, ""), (part[len(label):], cell_style(cell))])
                else:
                    lines.append([(part, cell_style(cell))])
        if after and after[r]:
            lines.extend(after[r])
    return lines


def layout(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int,
           after: Sequence[list[Line]] | None = None, rule: str = "─") -> list[Line]:
    """A table when it fits without breaking words and the terminal is not narrow; else a list."""
    widths = fit_widths(columns, rows, width) if width >= NARROW else None
    if widths is None:
        return blocks(columns, rows, width, after)
    return grid(columns, rows, widths, after, rule=rule)


class Footnotes:
    """Source ids as short numbers: ``ref(("a", "b"))`` gives ``"1,2"`` in a cell and
    ``lines(width)`` lists ``[1] a  [2] b`` under the table (numbered in order of first use)."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def ref(self, sources: Sequence[str]) -> str:
        for source in sources:
            self.numbers.setdefault(source, len(self.numbers) + 1)
        return ",".join(str(self.numbers[s]) for s in sources)

    def lines(self, width: int, title: str = "Sources:") -> list[str]:
        if not self.numbers:
            return []
        entries = [f"[{n}] {source}" for source, n in self.numbers.items()]
        if cells(f"{title} {entries[0]}") > width:  # a narrow terminal: the title on a line of its own
            return [title, *pack(entries, width, "  ", "  ")]
        entries[0] = f"{title} {entries[0]}"
        return pack(entries, width, "  ")


def pack(entries: Sequence[str], width: int, indent: str = "  ", first: str = "") -> list[str]:
    """Entries (each kept whole) packed onto lines of at most ``width``, two spaces apart; the first
    line starts with ``first``, later ones with ``indent``."""
    lines: list[str] = []
    current = first
    for entry in entries:
        candidate = f"{current}  {entry}" if current.strip() else current + entry
        if current.strip() and cells(candidate) > width:
            lines.append(current)
            current = indent + entry
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def paragraph(text: str, width: int, indent: str = "  ", style: str = "") -> list[Line]:
    """A paragraph under a row (e.g. what a medicine does), wrapped at spaces and indented."""
    return [[(t, style)] for t in wrap(text, width, indent, indent + "  ")]


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``1 match``, ``3 matches``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
