"""Finding a record by what a person typed: the one place for name keys, exact look-up and "did you
mean". Used by meds, foods and intake, risk, about, search and the command line's own options.

Every search here is bounded: a typed name longer than ``MAX_NAME_CHARS`` gets no suggestions, and
candidates whose length alone rules out a match are skipped before any comparison, so a hostile
100,000-character name costs no more than a short one.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Generic, Iterable, TypeVar

T = TypeVar("T")
MAX_NAME_CHARS = 100  # a name, a symptom or a topic is a few words; longer text gets no suggestions
_PUNCTUATION = re.compile(r"[\s_\-\u2010-\u2015()\[\]{}\"'`.,:;!?*/\\]+")


def key(text: str) -> str:
    """A name as it is compared: Unicode-normalised, case folded, accents dropped, punctuation and spaces
    as one dash, apostrophes dropped ("Brain fog" -> "brain-fog", "pins_and_needles" -> "pins-and-needles",
    "Sjögren's" -> "sjogrens")."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("\u2019", "")  # crohn's, crohns
    if not folded.isascii():
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return "-".join(part for part in _PUNCTUATION.split(folded) if part)


class Index(Generic[T]):
    """Records by every name they go by (first come wins); ``find`` is an exact look-up by ``key``."""

    def __init__(self, entries: Iterable[tuple[T, Iterable[str]]]) -> None:
        self.records: dict[str, T] = {}
        for record, names in entries:
            for name in names:
                self.records.setdefault(key(name), record)

    def find(self, text: str) -> T | None:
        return self.records.get(key(text))

    def near(self, text: str, n: int = 4, cutoff: float = 0.6) -> list[T]:
        """Records whose names are close to ``text``, nearest first, each once."""
        found = close(key(text), list(self.records), n=n * 3, cutoff=cutoff)
        return list(dict.fromkeys(self.records[k] for k in found))[:n]


def _could_reach(a: str, b: str, cutoff: float) -> bool:
    """Whether difflib's ratio of two texts could reach ``cutoff`` at all, from their lengths alone."""
    la, lb = len(a), len(b)
    return la + lb > 0 and 2 * min(la, lb) / (la + lb) >= cutoff


def close(typed: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """``difflib.get_close_matches``, bounded: nothing for a text over MAX_NAME_CHARS, and candidates
    that cannot reach ``cutoff`` by length are never compared."""
    if not typed or len(typed) > MAX_NAME_CHARS:
        return []
    scored = []
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(typed)
    for candidate in candidates:
        if not _could_reach(typed, candidate, cutoff):
            continue
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
            if ratio >= cutoff:
                scored.append((ratio, candidate))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [c for _, c in scored[:n]]


def ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of two neighbouring letters needed to turn a into b."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def is_typo(typed: str, listed: str) -> bool:
    """Close enough to be a slip of the keyboard: one edit for short names, two for longer ones. Real,
    different names with similar spellings (lamotrigine and famotidine) are further apart than that."""
    allowed = 1 if len(listed) <= 6 else 2
    if abs(len(typed) - len(listed)) > allowed or len(typed) > MAX_NAME_CHARS:
        return False
    return edit_distance(typed, listed) <= allowed


def did_you_mean(options: Iterable[str], typed: str, cutoff: float = 0.8) -> list[str]:
    """Near spellings of a command-line option, case-insensitively (``--holoTC`` -> ``--holotc``)."""
    lowered = {o.casefold(): o for o in options}
    exact = lowered.get(typed.casefold())
    if exact is not None:
        return [exact]
    return [lowered[k] for k in close(typed.casefold(), list(lowered), n=2, cutoff=cutoff)]
