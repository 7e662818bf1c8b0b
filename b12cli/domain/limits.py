"""A result reported as a limit ("<150", "≤0.40", "> or = 2000", "GREATER THAN 2000"): the one
place that knows the signs. Command-line values, ``--ref`` ranges, batch cells, history CSV cells
and FHIR comparators all read them here. A limit is kept as its sign, one of ``SIGNS``."""

from __future__ import annotations

import math
import re

SIGNS = ("<", "<=", ">=", ">")  # as FHIR R4 writes them, and as JSON carries them
_SPELLINGS = {"<": "<", "<=": "<=", "=<": "<=", "\u2264": "<=", "\u2a7d": "<=",
              ">": ">", ">=": ">=", "=>": ">=", "\u2265": ">=", "\u2a7e": ">="}
# Signs and words as laboratories print them, longest first. One pass, no nested repetition.
_LEADING = re.compile(
    r"(?:(?P<sign>[<>]\s*or\s*=|<=|=<|>=|=>|[<>\u2264\u2265\u2a7d\u2a7e])"
    r"|(?P<word>(?:less|greater)\s+than(?:\s+or\s+equal(?:\s+to)?)?))[ \t]*",
    re.IGNORECASE,
)


def split_limit(text: str) -> tuple[str | None, str]:
    """(sign, rest) for a text that starts with a limit, else (None, text): ``("<=", "0.40")`` from
    ``"< or =0.40"``, ``">"`` from ``"GREATER THAN 2000"``. Leading spaces are allowed."""
    start = len(text) - len(text.lstrip())
    if start == len(text) or text[start].isdigit():  # the common case, decided at once
        return None, text
    match = _LEADING.match(text, start)
    if match is None:
        return None, text
    sign, word = match.group("sign"), match.group("word")
    if sign is not None:
        key = sign.replace(" ", "").replace("\t", "").replace("or", "")
        found = _SPELLINGS[key]
    else:
        lower = " ".join(word.casefold().split())
        found = ("<" if lower.startswith("less") else ">") + ("=" if "equal" in lower else "")
    return found, text[match.end():]


def is_below(sign: str) -> bool:
    return sign[0] == "<"


def includes_edge(sign: str) -> bool:
    return sign.endswith("=")


def span(sign: str, x: float) -> tuple[float, bool, float, bool]:
    """Where the true value of a positive quantity reported as ``sign x`` can lie:
    (lower, lower included, upper, upper included)."""
    if is_below(sign):
        return 0.0, False, x, includes_edge(sign)
    return x, includes_edge(sign), math.inf, False


def settled_order(first: tuple[str | None, float], latest: tuple[str | None, float]) -> str:
    """"up", "down", "unchanged" or "uncertain" between two results, each (sign or None, value)."""
    (s1, v1), (s2, v2) = first, latest
    if s1 is None and s2 is None:
        return "up" if v2 > v1 else "down" if v2 < v1 else "unchanged"
    lo1, lo1_in, hi1, hi1_in = span(s1, v1) if s1 else (v1, True, v1, True)
    lo2, lo2_in, hi2, hi2_in = span(s2, v2) if s2 else (v2, True, v2, True)
    if lo2 > hi1 or (lo2 == hi1 and not (lo2_in and hi1_in)):
        return "up"
    if hi2 < lo1 or (hi2 == lo1 and not (hi2_in and lo1_in)):
        return "down"
    return "uncertain"
