"""The shared vocabulary: marker ids, their canonical units and labels, status and verdict words,
and the one record type for a cited text. A leaf module: it imports nothing from b12cli, and
everything that needs these words imports them from here, so each is defined once."""

from __future__ import annotations

from typing import NamedTuple

MARKERS = ("b12", "holotc", "mma", "hcy")
DIRECT = ("b12", "holotc")  # measure B12 itself
FUNCTIONAL = ("mma", "hcy")  # rise when B12 is short in the cells
CANONICAL = {"b12": "pg/mL", "holotc": "pmol/L", "mma": "umol/L", "hcy": "umol/L"}
LABELS = {"b12": "B12", "holotc": "holoTC", "mma": "MMA", "hcy": "Homocysteine"}
NAMES = {"b12": "Serum B12", "holotc": "Active B12 (holoTC)", "mma": "Methylmalonic acid (MMA)",
         "hcy": "Homocysteine"}

# Marker statuses, from the worst deficiency side to the high side.
MARKER_STATUSES = ("deficient", "low", "indeterminate", "normal", "high")
BORDERLINE = ("low", "indeterminate")
CB12_CATEGORIES = ("probable_deficiency", "possible_deficiency", "low", "adequate", "elevated")

LIKELY, POSSIBLE, UNLIKELY = "deficiency_likely", "deficiency_possible", "deficiency_unlikely"
VERDICTS = (UNLIKELY, POSSIBLE, LIKELY)  # from best to worst

DOCUMENT_IDS = ("doc-recovery", "doc-reverse", "doc-overview", "doc-two-causes", "doc-harvard")
SOURCE_KINDS = ("document", "fact-sheet", "guideline", "paper", "database", "laboratory", "drug-label")


class Cited(NamedTuple):
    """A piece of text and the ids of the sources it rests on: a topic point, a reason, a next step."""

    text: str
    sources: tuple[str, ...]
