"""The shared words: status and verdict words, source kinds, and the one record type for a cited
text. A leaf module: everything that needs these words imports them from here. Markers are not
here: they are data (``data/markers.yaml``, read as a ``markers.Registry``)."""

from __future__ import annotations

from typing import NamedTuple

# Marker statuses, from the worst deficiency side to the high side.
MARKER_STATUSES = ("deficient", "low", "indeterminate", "normal", "high")
BORDERLINE = ("low", "indeterminate")
CB12_CATEGORIES = ("probable_deficiency", "possible_deficiency", "low", "adequate", "elevated")

LIKELY, POSSIBLE, UNLIKELY = "deficiency_likely", "deficiency_possible", "deficiency_unlikely"
VERDICTS = (UNLIKELY, POSSIBLE, LIKELY)  # from best to worst
VERDICT_WORDS = {LIKELY: "Deficiency likely", POSSIBLE: "Deficiency possible", UNLIKELY: "Deficiency unlikely"}


def words(token: str) -> str:
    """A status or verdict token as words: deficiency_likely -> Deficiency likely."""
    return VERDICT_WORDS.get(token) or token.replace("_", " ")


def prose(text: str) -> str:
    """Verdict tokens inside a sentence as words (deficiency_likely -> deficiency likely)."""
    for token, said in VERDICT_WORDS.items():
        text = text.replace(token, said.lower())
    return text[:1].upper() + text[1:]

DOCUMENT_IDS = ("doc-recovery", "doc-reverse", "doc-overview", "doc-two-causes", "doc-harvard")
SOURCE_KINDS = ("document", "fact-sheet", "guideline", "paper", "database", "laboratory", "drug-label")


class Cited(NamedTuple):
    """A piece of text and the ids of the sources it rests on: a topic point, a reason, a next step."""

    text: str
    sources: tuple[str, ...]
