"""`b12 meds`: medicines that can lower B12, and name look-ups."""

from __future__ import annotations

import difflib
from typing import NamedTuple

from b12cli.errors import UsageError
from b12cli.kb import MedicationClass, Medications
from b12cli.values import show


class Match(NamedTuple):
    name: str  # the name as the reference spells it
    matched_as: str  # generic | brand
    med_class: MedicationClass


class LookupResult(NamedTuple):
    query: str
    match: Match | None
    suggestions: tuple[str, ...]
    note: str | None


class MedsResult(NamedTuple):
    classes: tuple[MedicationClass, ...]  # the listing (no names asked)
    results: tuple[LookupResult, ...] | None  # one per name asked, in order
    notes: tuple[str, ...]

    @property
    def any_match(self) -> bool:
        return any(r.match for r in self.results or ())


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def _index(meds: Medications) -> dict[str, Match]:
    index: dict[str, Match] = {}
    for cls in meds.classes:
        for name in cls.generic_names:
            index[_key(name)] = Match(name, "generic", cls)
        for name in cls.brand_names:
            index[_key(name)] = Match(name, "brand", cls)
    return index


def lookup(meds: Medications, names: list[str]) -> MedsResult:
    notes = (meds.messages["do-not-stop"].cited(),)
    if not names:
        return MedsResult(meds.classes, None, notes)
    index = _index(meds)
    not_listed = meds.messages["not-listed"]
    results = []
    for query in names:
        key = _key(query)
        if not key:
            raise UsageError(f"medication name {show(query)} is empty; expected a generic or brand name")
        match = index.get(key)
        if match:
            results.append(LookupResult(query, match, (), None))
            continue
        close = difflib.get_close_matches(key, list(index), n=3, cutoff=0.75)
        results.append(LookupResult(query, None, tuple(index[c].name for c in close), not_listed.cited()))
    return MedsResult(meds.classes, tuple(results), notes)
