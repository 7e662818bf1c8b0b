"""A one-line picture of a lab value among the bands of its scheme. Plain numbers in, text out.

    gauge([("deficient", -inf, 150), ("low", 150, 200), ("normal", 200, 914), ("high", 914, inf)], 180, 60)
    '[-- deficient --|150|--- low *--|200|----- normal -----|914|--- high ---]'

Each band gets a field of about equal width (so short bands stay readable), labelled with its
status; the edges between bands are printed as numbers in the unit of the value. The value is
drawn as ``*`` (``●`` in Unicode) at its place inside its band; a value beyond the drawn extent
of an open-ended band is clamped to the end and the bracket becomes an arrow (``<``/``>``).
``ref_low``/``ref_high`` (the person's own range, same unit) are drawn as ``(`` and ``)``.
``censored`` ``"<"`` or ``">"`` (a result reported as below/above a limit) draws the whole interval
it could be in (``=``, ``═`` in Unicode, over the bands' fill, labels kept), the marker at the limit.
No Rich here: ``draw`` also returns where each band sits, for colouring.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

Segment = tuple[str, float, float]  # (status, lower, upper); -inf/inf for open ends


class Chars(NamedTuple):
    fill: str
    marker: str
    left: str
    right: str
    below: str
    above: str
    span: str  # the interval a limit (<150) could be in


ASCII = Chars("-", "*", "[", "]", "<", ">", "=")
UNICODE = Chars("─", "●", "[", "]", "◀", "▶", "═")


class Drawn(NamedTuple):
    text: str
    spans: tuple[tuple[int, int, str], ...]  # (start, end, status) of each band's field
    marker: int  # index of the value marker in text


def edge_text(x: float) -> str:
    """An edge as a person reads it: 150, 111, 0.4, 0.21 (three significant digits at most)."""
    if x == int(x) and abs(x) < 1e9:
        return str(int(x))
    if abs(x) >= 100:
        return str(round(x))
    return f"{x:.3g}"


def extent(segments: Sequence[Segment], i: int) -> tuple[float, float]:
    """The drawn range of band i: an open end is drawn as far from the edge as the edge is from zero
    (or as wide as the neighbouring band when that is not positive)."""
    _, lo, hi = segments[i]
    if math.isinf(lo) and math.isinf(hi):
        return 0.0, 1.0
    if math.isinf(lo):
        span = hi if hi > 0 else _neighbour_span(segments, i + 1)
        return hi - span, hi
    if math.isinf(hi):
        span = lo if lo > 0 else _neighbour_span(segments, i - 1)
        return lo, lo + span
    return lo, hi


def _neighbour_span(segments: Sequence[Segment], j: int) -> float:
    if 0 <= j < len(segments):
        _, lo, hi = segments[j]
        if not math.isinf(lo) and not math.isinf(hi) and hi > lo:
            return hi - lo
    return 1.0


def holding(segments: Sequence[Segment], value: float) -> int:
    """The band holding ``value`` when bands include their lower edge (the caller may know better)."""
    for i, (_, lo, hi) in enumerate(segments):
        if lo <= value < hi:
            return i
    return 0 if value < segments[0][1] else len(segments) - 1


def _place(segments: Sequence[Segment], i: int, value: float, width: int) -> tuple[int, int]:
    """(offset inside band i's field, -1/0/1 for clamped below/inside/clamped above)."""
    lo, hi = extent(segments, i)
    fraction = (value - lo) / (hi - lo) if hi > lo else 0.5
    clamp = -1 if fraction < 0 else 1 if fraction > 1 else 0
    return min(width - 1, max(0, int(fraction * width))), clamp


def _field_widths(labels: list[str], room: int) -> tuple[list[int], list[str]]:
    """Widths of the band fields and the labels that fit them: full words with room around them,
    full words, the first three letters, else none."""
    n = len(labels)
    for shown, pad, bare in ((labels, 4, 3), (labels, 2, 3), ([x[:3] for x in labels], 2, 3), ([""] * n, 0, 3),
                             ([""] * n, 0, 1)):
        need = [len(x) + pad if x else bare for x in shown]
        if sum(need) <= room or not any(shown):
            spare = max(0, room - sum(need))
            widths = [need[k] + spare // n + (1 if k < spare % n else 0) for k in range(n)]
            return widths, shown
    raise AssertionError("unreachable")  # pragma: no cover


def _field(label: str, width: int, fill: str, reserved: set[int]) -> list[str]:
    """A band's field: fill characters with the label where it does not cover a reserved
    place (the value or an end of the person's range); centred if possible."""
    chars = [fill] * width
    text = f" {label} " if label else ""
    if not text:
        return chars
    centre = (width - len(text)) // 2
    starts = sorted(range(width - len(text) + 1), key=lambda s: abs(s - centre))
    start = next((s for s in starts if not reserved & set(range(s, s + len(text)))), None)
    if start is not None:
        chars[start:start + len(text)] = list(text)
    return chars


def draw(segments: Sequence[Segment], value: float, width: int, ref_low: float | None = None,
         ref_high: float | None = None, censored: str | None = None, at: int | None = None,
         chars: Chars = ASCII) -> Drawn:
    """The gauge and where its parts are. ``at``: the index of the band that holds the value
    (when the caller's bands include an upper edge, a value on that edge belongs below it)."""
    edges = [edge_text(seg[2]) for seg in segments[:-1]]
    room = width - 2 - sum(len(e) + 2 for e in edges)
    widths, labels = _field_widths([s[0] for s in segments], room)
    i = holding(segments, value) if at is None else at
    offset, clamp = _place(segments, i, value, widths[i])
    marks = {(i, offset): chars.marker}
    for ref, sign in ((ref_low, "("), (ref_high, ")")):
        if ref is not None:
            k = holding(segments, ref if sign == "(" else math.nextafter(ref, -math.inf))
            marks.setdefault((k, _place(segments, k, ref, widths[k])[0]), sign)
    out: list[str] = [chars.below if clamp < 0 else chars.left]
    spans, marker = [], 0
    for k, seg in enumerate(segments):
        start = len(out)
        field = _field(labels[k], widths[k], chars.fill, {o for (j, o) in marks if j == k})
        for (j, o), sign in marks.items():
            if j == k:
                field[o] = sign
        out.extend(field)
        spans.append((start, len(out), seg[0]))
        marker = start + offset if k == i else marker
        if k < len(edges):
            out.extend(f"|{edges[k]}|")
    out.append(chars.above if clamp > 0 else chars.right)
    if censored in ("<", ">"):  # the interval the value could be in, over the bands' fill
        inside = range(1, marker) if censored == "<" else range(marker + 1, len(out) - 1)
        fields = [range(start, end) for start, end, _ in spans]
        for k in inside:
            if out[k] == chars.fill and any(k in f for f in fields):
                out[k] = chars.span
    return Drawn("".join(out), tuple(spans), marker)


def gauge(segments: Sequence[Segment], value: float, width: int, ref_low: float | None = None,
          ref_high: float | None = None, censored: str | None = None, at: int | None = None,
          unicode: bool = False) -> str:
    """The gauge line alone (see the module text)."""
    return draw(segments, value, width, ref_low, ref_high, censored, at, UNICODE if unicode else ASCII).text
