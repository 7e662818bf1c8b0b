"""Charts of one marker's results over time: the geometry (shared by the terminal and the HTML page)
and the terminal drawing. No Rich here: lines are (text, style name) pieces, as ``layout`` has them.

The value axis is the scheme's bands, each drawn the same height (so a narrow band stays
readable), with positions to scale inside a band; an open-ended band is drawn as far beyond its
edge as the edge is from zero (``gauge``). This is an absolute scale: the same value sits at the
same height for every person, so a 5% change never fills the chart. The time axis is to scale
(a date without a day sits in the middle of its month or year). Each step between two results
carries its significance (``variation``), drawn under the time axis at the middle of the step.

    B12 (pg/mL), bands of the documents scheme
         high |
          914 +..........................................
              |                                    *
       normal |              *
          200 +..........................................
          low |*
          150 +..........................................
    deficient |
              +------------------------------------------
                     ^+85%              =+37%
               2024-01-10                      2024-09-10
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

from b12cli.domain.units import fmt
from b12cli.domain.variation import day_number
from b12cli.output.gauge import edge_text, extent

Segment = tuple[str, float, float]  # (status, lower, upper) in the chart's unit; -inf/inf for open ends
Piece = tuple[str, str]
Line = list[Piece]

MARKS = {  # significance -> (unicode, ascii, words)
    "significant_rise": ("\u25b2", "^", "real rise"),
    "significant_fall": ("\u25bc", "v", "real fall"),
    "within_variation": ("\u2248", "=", "within variation"),
    "not_comparable": ("\u00d7", "x", "not comparable"),
    "unknown_variation": ("?", "?", "no reference change value"),
}
MIN_PLOT = 24  # narrower than this, no chart (the steps in words still say it all)


class Point(NamedTuple):
    x: float  # 0 (first date) to 1 (latest)
    y: float  # band space: band index + place inside it (0 to 1)
    band: int
    value: float  # in the chart's unit
    comparator: str | None
    status: str
    date: str


class Geometry(NamedTuple):
    unit: str
    segments: list[Segment]
    points: list[Point]


def chart_unit(trend) -> str:  # noqa: ANN001 - a history.Trend
    """The unit of every result when they share one, else the canonical unit."""
    units = {e.unit for e in trend.ends}
    return units.pop() if len(units) == 1 else trend.unit


def place(scheme, marker, segments: list[Segment], end, unit: str) -> tuple[int, float, float]:  # noqa: ANN001
    """Where a result sits: (index of the band holding it, its place inside that band from 0 to 1, its value
    in ``unit``). ``end`` is a ``variation.End`` (value, comparator, shown, unit). A limit such as <150 is
    placed just inside the side it points to; a value beyond an open band's drawn extent at its end."""
    value = end.shown if end.unit == unit else marker.from_canonical(end.value, unit)
    band = scheme.markers[marker.id].drawn_band(unit, value, end.value, end.comparator)
    lo, hi = extent(segments, band)
    return band, min(1.0, max(0.0, (value - lo) / (hi - lo))) if hi > lo else 0.5, value


def geometry(trend, scheme, marker) -> Geometry:  # noqa: ANN001 - history.Trend, model.Scheme, markers.Marker
    unit = chart_unit(trend)
    segments = scheme.markers[marker.id].segments(marker, unit)
    days = [day_number(e.date) for e in trend.ends]
    if None in days or max(days) == min(days):  # unreadable or equal dates: evenly spaced
        xs = [k / max(1, len(days) - 1) for k in range(len(days))]
    else:
        xs = [(d - days[0]) / (days[-1] - days[0]) for d in days]
    points = []
    for x, end in zip(xs, trend.ends):
        band, inside, value = place(scheme, marker, segments, end, unit)
        points.append(Point(x, band + inside, band, value, end.comparator, end.status, end.date))
    return Geometry(unit, segments, points)


# ----------------------------------------------------------------- the terminal


def _columns(xs: Sequence[float], width: int) -> list[int]:
    """A column for each point, to scale, each to the right of the one before where there is room."""
    cols = [round(x * (width - 1)) for x in xs]
    for k in range(1, len(cols)):
        cols[k] = max(cols[k], cols[k - 1] + 1)
    for k in range(len(cols) - 1, -1, -1):  # pushed past the end: back from the right
        limit = width - 1 if k == len(cols) - 1 else cols[k + 1] - 1
        cols[k] = max(0, min(cols[k], limit))
    return cols


def _put(row: list[str], at: int, text: str) -> bool:
    """Write ``text`` at ``at`` if it fits there over blanks only."""
    if at < 0 or at + len(text) > len(row) or any(c != " " for c in row[at:at + len(text)]):
        return False
    row[at:at + len(text)] = list(text)
    return True


def _labels(cols: list[int], texts: list[str], width: int, align: str = "centre") -> str:
    row = [" "] * width
    order = [0, len(cols) - 1, *range(1, len(cols) - 1)] if align == "ends" else range(len(cols))
    for k in dict.fromkeys(order):
        text = texts[k]
        if not text:
            continue
        if align == "ends" and k == 0:
            at = cols[k]
        elif align == "ends" and k == len(cols) - 1:
            at = cols[k] - len(text) + 1
        else:
            at = cols[k] - len(text) // 2
        at = max(0, min(at, width - len(text)))
        if not _put(row, at, text + (" " if at + len(text) < width else "")) and not _put(row, at, text):
            short = texts[k][:1] if align == "centre" else ""
            if short:
                _put(row, max(0, min(cols[k], width - 1)), short)
    return "".join(row).rstrip()


def text_chart(trend, scheme, marker, width: int, unicode: bool,  # noqa: ANN001 - as in ``geometry``
               style: Callable[[str], str]) -> list[Line]:
    """The chart as lines of (text, style) pieces, at most ``width`` characters; [] when it cannot fit."""
    g = geometry(trend, scheme, marker)
    n = len(g.segments)
    labels = [s[0].replace("_", " ") for s in g.segments]
    edges = [edge_text(s[2]) for s in g.segments[:-1]]
    gutter = max(len(t) for t in labels + edges) + 1
    plot = width - gutter - 1
    if plot < MIN_PLOT:
        return []
    rows = 2 if n > 3 else 3
    v, cross, dots, corner, rule = ("\u2502", "\u253c", "\u2504", "\u2514", "\u2500") if unicode else \
        ("|", "+", ".", "+", "-")
    cols = _columns([p.x for p in g.points], plot)
    grid: dict[tuple[int, int], Point] = {}
    for p, col in zip(g.points, cols):
        inside = p.y - p.band
        grid[(p.band * rows + min(rows - 1, int(inside * rows)), col)] = p
    lines: list[Line] = []
    for band in range(n - 1, -1, -1):
        for r in range(rows - 1, -1, -1):
            name = labels[band] if r == rows // 2 else ""
            lines.append([(name.rjust(gutter - 1) + " ", style(g.segments[band][0])), (v, "dim")]
                         + _plotted(grid, band * rows + r, plot, unicode, style))
        if band:
            lines.append([(edges[band - 1].rjust(gutter - 1) + " ", "dim"), (cross + dots * plot, "dim")])
    lines.append([(" " * gutter, ""), (corner + rule * plot, "dim")])
    lines += _under(trend, cols, gutter, plot, unicode)
    return [_trimmed(line) for line in lines]


def _plotted(grid: dict, row: int, plot: int, unicode: bool, style: Callable[[str], str]) -> Line:
    pieces: Line = []
    cursor = 0
    for (r, col), p in sorted(grid.items(), key=lambda item: item[0][1]):
        if r != row:
            continue
        mark = p.comparator[0] if p.comparator else ("\u25cf" if unicode else "*")
        pieces += [(" " * (col - cursor), ""), (mark, f"bold {style(p.status)}".strip())]
        cursor = col + 1
    return pieces + [(" " * (plot - cursor), "")]


def _under(trend, cols: list[int], gutter: int, plot: int, unicode: bool) -> list[Line]:  # noqa: ANN001
    """The step marks at the middle of each step, then the dates at their points."""
    mids = [(a + b) // 2 for a, b in zip(cols, cols[1:])]
    marks = [MARKS[s.significance][0 if unicode else 1] + (f"{s.change_percent:+.0f}%"
                                                          if s.change_percent is not None else "")
             for s in trend.steps]
    pad = " " * (gutter + 1)
    out: list[Line] = []
    if mids:
        out.append([(pad, ""), (_labels(mids, marks, plot), "bold")])
    out.append([(pad, ""), (_labels(cols, [e.date for e in trend.ends], plot, "ends"), "dim")])
    return out


def _trimmed(line: Line) -> Line:
    """No line ends in spaces."""
    while line and not line[-1][0].rstrip():
        line = line[:-1]
    if line:
        text, style = line[-1]
        line = line[:-1] + [(text.rstrip(), style)]
    return line


def legend(significances: Sequence[str], unicode: bool) -> str:
    """The marks used, in words: "▲ real rise, ≈ within variation"."""
    return ", ".join(f"{MARKS[s][0 if unicode else 1]} {MARKS[s][2]}" for s in dict.fromkeys(significances))


def title(label: str, unit: str, scheme_id: str, limits) -> str:  # noqa: ANN001 - a variation.Limits or None
    chance = (f"; real change beyond {limits.fall:.0f}%/+{limits.rise:.0f}% ({limits.confidence_percent:g}%)"
              if limits else "; no reference change value held")
    return f"{label} ({unit}), {scheme_id} bands{chance}"


def step_text(step, unit: str, marker) -> str:  # noqa: ANN001 - a variation.Step, markers.Marker
    """One step in words, in the chart's unit: "2024-01-10 -> 2024-05-10: 162 -> 300 pg/mL, +85%, real rise"."""
    def shown(e) -> str:  # noqa: ANN001
        value = e.shown if e.unit == unit else marker.from_canonical(e.value, unit)
        return f"{e.comparator or ''}{fmt(value)}"

    pct = f", {step.change_percent:+.1f}%" if step.change_percent is not None else ""
    return (f"{step.start.date} \u2192 {step.end.date}: {shown(step.start)} \u2192 {shown(step.end)} {unit}{pct}, "
            f"{MARKS[step.significance][2]}")
