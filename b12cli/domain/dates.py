"""Dates and times as exports print them, for `history`: the day of a draw and its time.

* ISO: ``2024-03-13``, ``2024-03``, ``2024``, and with a time after a space or ``T`` (``2024-03-13 17:03``,
  ``2024-03-13T17:03:05.123+01:00``, ``...Z``). A time is kept as written (hh:mm); zones are not converted.
* Day, month and year with ``/``, ``.`` or ``-`` (``13/03/2024``, ``3.4.2024``), optionally with a time.
  Which number is the day is decided by ``--date-format`` (DMY or MDY), or by the file itself: one date
  whose first number is over 12 makes it DMY, one whose second is, MDY. Until then a date that could be
  read both ways (``03/04/2024``) is *ambiguous*: ``read_day`` says so and the reader decides at the end
  of the file, or refuses the rows, never guessing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from b12cli.errors import UsageError

DATE_FORMATS = ("DMY", "MDY", "YMD")
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
                  r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
                      r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:\s*([AaPp])\.?[Mm]\.?)?"
                      r"(Z|[+-]\d{2}:?\d{2})?)?")
_YMD_SLASH = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


class Moment(NamedTuple):
    day: str  # YYYY, YYYY-MM or YYYY-MM-DD
    time: str | None  # hh:mm as written, None without a time
    zoned: bool  # the text gave a time zone (or none was needed: no time)


class Ambiguous(NamedTuple):
    """A date that reads as two real days (``03/04/2024``): the day-first and the month-first reading."""

    dmy: Moment
    mdy: Moment
    text: str


def parse_date_format(text: str | None) -> str | None:
    if text is None:
        return None
    key = text.strip().upper().replace("/", "").replace("-", "")
    aliases = {"DDMMYYYY": "DMY", "MMDDYYYY": "MDY", "YYYYMMDD": "YMD"}
    key = aliases.get(key, key)
    if key not in DATE_FORMATS:
        raise UsageError(f"--date-format {text!r} is not accepted; expected DMY (13/03/2024), MDY (03/13/2024) or "
                         "YMD (2024/03/13)")
    return key


def _real(year: str, month: str | None, day: str | None, text: str) -> str:
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise UsageError(f"date {text!r} is not a real date") from None
    return "-".join(p for p in (year, month, day) if p)


def _clock(hour: str | None, minute: str | None, meridian: str | None, text: str) -> str | None:
    if hour is None:
        return None
    h, m = int(hour), int(minute)
    if meridian:
        if not 1 <= h <= 12:
            raise UsageError(f"date {text!r} has an hour {h} with AM/PM; expected 1 to 12")
        h = h % 12 + (12 if meridian.lower() == "p" else 0)
    if h > 23 or m > 59:
        raise UsageError(f"date {text!r} has no such time of day")
    return f"{h:02d}:{m:02d}"


def _year_first(raw: str) -> Moment | None:
    match = _ISO.fullmatch(raw)
    if match:
        year, month, day, hour, minute, _, zone = match.groups()
        if hour is not None and day is None:
            raise UsageError(f"date {raw!r} has a time but no day")
        return Moment(_real(year, month, day, raw), _clock(hour, minute, None, raw), hour is None or zone is not None)
    match = _YMD_SLASH.fullmatch(raw)
    if match:
        year, month, day, hour, minute, _ = match.groups()
        return Moment(_real(year, f"{int(month):02d}", f"{int(day):02d}", raw), _clock(hour, minute, None, raw),
                      hour is None)
    return None


def read_day(text: str, date_format: str | None = None) -> Moment | Ambiguous:
    """The day (and time) a text names; ``Ambiguous`` for a day-month order the text cannot settle."""
    raw = text.strip()
    found = _year_first(raw)
    if found is not None:
        return found
    match = _NUMERIC.fullmatch(raw)
    if not match:
        raise UsageError(f"date {raw!r} is not a date b12 reads; expected YYYY-MM-DD (with an optional time, e.g. "
                         "2024-03-13 17:03), or DD/MM/YYYY or MM/DD/YYYY with --date-format")
    first, second, year, hour, minute, _, meridian, zone = match.groups()
    clock = _clock(hour, minute, meridian, raw)
    zoned = hour is None or zone is not None

    def moment(day: str, month: str) -> Moment:
        return Moment(_real(year, f"{int(month):02d}", f"{int(day):02d}", raw), clock, zoned)

    order = date_format
    if order == "YMD":
        raise UsageError(f"date {raw!r} does not start with a year, as --date-format YMD says")
    if order is None:
        if int(first) > 12 >= int(second):
            order = "DMY"
        elif int(second) > 12 >= int(first):
            order = "MDY"
        elif first == second:
            return moment(first, second)
        else:
            return Ambiguous(moment(first, second), moment(second, first), raw)
    return moment(first, second) if order == "DMY" else moment(second, first)


def order_shown(text: str) -> str | None:
    """DMY or MDY when a numeric date settles the order by itself (a number over 12), else None."""
    match = _NUMERIC.fullmatch(text.strip())
    if not match:
        return None
    first, second = int(match.group(1)), int(match.group(2))
    if first > 12 >= second:
        return "DMY"
    if second > 12 >= first:
        return "MDY"
    return None
