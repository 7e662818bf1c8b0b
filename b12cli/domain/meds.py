"""`b12 meds`: medicines that can lower B12, and name look-ups.

A name asked about is normalised (case, spaces, trademark signs), split into
several names where it holds a list ("metformin, omeprazole", "a + b", "a/b",
"a and b"), and looked up: as written, then with salt or ester words and dosage
forms taken off ("metformin hydrochloride ER" -> metformin), then as a
combination product whose listed ingredients each match.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from b12cli.domain.model import Combination, MedicationClass, Medications
from b12cli.domain.names import MAX_NAME_CHARS, is_typo, ratio
from b12cli.domain.names import edit_distance as edit_distance
from b12cli.domain.text import show
from b12cli.errors import UsageError

# Words that name a salt, ester or hydrate of a base drug, not a different drug.
SALT_WORDS = frozenset("""
    hydrochloride hcl hydrobromide hbr magnesium sodium potassium calcium mesylate besylate maleate succinate
    tartrate fumarate citrate sulfate sulphate phosphate acetate bromide dihydrate trihydrate monohydrate
    hemihydrate sesquihydrate anhydrous strontium
""".split())
# Words that name a dosage form or release, again not a different drug.
FORM_WORDS = frozenset("""
    delayed-release extended-release modified-release sustained-release controlled-release immediate-release
    delayed extended modified sustained controlled immediate release er xr sr dr mr xl la cr ir ec odt
    tablet tablets tab tabs capsule capsules cap caps oral suspension solution liquid chewable dispersible
    gastro-resistant mups fastab otc rx 24hr 12hr mg mcg g ml
    gastro resistant orally disintegrating orodispersible effervescent granules sachet sachets powder
""".split())
# Words that mark an over-the-counter pack, strength or flavour of the same medicine ("Pepcid AC", "Tagamet HB",
# "Nexium Control", "Zantac 360 Maximum Strength"): not a different drug either.
PACK_WORDS = frozenset("""
    ac hb otc control maximum max extra strength regular original cool mint relief 24hr 24h 12hr 12h hour hours
""".split())
_STRENGTH = re.compile(r"^\d+(?:\.\d+)?(?:mg|mcg|g|ml|%)?$")
_NUM = r"\d+(?:[.,]\d+)?"
_UNIT = r"(?:mg|mcg|µg|μg|ug|g|ml|iu|units?|%)"
# Strengths, concentrations and pack counts, taken out of an argument before it is split into names:
# "50/1000", "50 mg/1000 mg", "100mg/5ml", "500 mg", "0.5%", "x28", "28 tablets". A bare number stays
# ("Zantac 360" needs it), and so does a number joined to letters ("B12").
STRENGTHS = re.compile(
    rf"(?<![^\W\d_]){_NUM}\s*{_UNIT}?(?:\s*/\s*{_NUM}\s*{_UNIT}?)+(?![^\W\d_])"
    rf"|(?<![^\W\d_]){_NUM}\s*{_UNIT}(?![^\W\d_])"
    rf"|\b(?:x\s*{_NUM}|{_NUM}\s*x)\b"
    rf"|\b{_NUM}\s*(?:tablets?|tabs?|capsules?|caps?|sachets?|doses?|pack)\b",
    re.IGNORECASE)
# A list of names: , + ; & and the word "and"; a slash only between letters (a slash between numbers was a strength).
_SPLIT = re.compile(r"\s*(?:[,+;&]|\band\b|(?<=[^\W\d_])\s*/\s*(?=[^\W\d_]))\s*", re.IGNORECASE)
_MARKS = re.compile("[\u00ae\u2122\u00a9\u2120\u00b0]")
_BRACKETED = re.compile(r"^(?P<outer>[^()\[\]]*)[(\[](?P<inner>[^()\[\]]*)[)\]](?P<rest>[^()\[\]]*)$")
SUGGEST_RATIO = 0.8  # a suggestion shares the first letter and is this similar (difflib ratio), or is a typo


class Match(NamedTuple):
    name: str  # the name as the reference spells it
    matched_as: str  # generic | brand | "salt form of NAME" | "dosage form of NAME" | "ingredient of BRAND (...)"
    med_class: MedicationClass

    @property
    def generic(self) -> str | None:
        """The generic name matched (for a brand, the generic it contains)."""
        return self.med_class.generic_for(self.name)


class LookupResult(NamedTuple):
    query: str  # one name (an argument may hold several)
    match: Match | None  # for a combination: its first listed ingredient
    suggestions: tuple[str, ...]
    note: str | None  # why an unlisted name is not the last word, or a note on this name (e.g. withdrawn)
    argument: str = ""  # the argument the name came from, as typed
    also: tuple[Match, ...] = ()  # a combination's other listed ingredients
    ingredients: tuple[str, ...] | None = None  # a combination's ingredients, listed or not
    typo: bool = False  # unlisted, but with a suggestion: a near miss of a listed name (refused by --check)

    @property
    def matches(self) -> tuple[Match, ...]:
        return ((self.match,) if self.match else ()) + self.also


class MedsResult(NamedTuple):
    classes: tuple[MedicationClass, ...]  # the listing (no names asked)
    results: tuple[LookupResult, ...] | None  # one per name asked, in order
    notes: tuple[str, ...]

    @property
    def any_match(self) -> bool:
        return any(r.match for r in self.results or ())

    @property
    def near_misses(self) -> tuple[LookupResult, ...]:
        """Unlisted names that look like a typo of a listed one."""
        return tuple(r for r in self.results or () if r.match is None and r.typo)


def normalise(name: str) -> str:
    """Casefolded, trademark signs and stray punctuation removed, spaces collapsed."""
    text = unicodedata.normalize("NFKC", _MARKS.sub(" ", name)).casefold()
    text = re.sub(r"[()\[\]{}\"'`.:!?*\-\u2010-\u2013]", " ", text)  # hyphens and dashes read as spaces
    return " ".join(text.split())


def without_strengths(argument: str) -> str:
    """The argument, normalised, with strengths and pack counts taken out ("Janumet XR 50/1000" -> "Janumet XR")."""
    text = " ".join(unicodedata.normalize("NFKC", _MARKS.sub(" ", argument)).split())
    return " ".join(STRENGTHS.sub(" ", text).split())


def split_names(argument: str) -> list[str]:
    """One argument as one or more names, as typed: strengths out, then split on , + ; &, the word 'and',
    and a slash between words."""
    return [part.strip() for part in _SPLIT.split(without_strengths(argument)) if normalise(part)]


def is_a_name(part: str) -> bool:
    """Whether a word is left once form and pack words, strengths and bare numbers are removed: '1000 mg
    tablets' or 'XR' alone describes a pack, not a medicine ('calcium' alone is still a name)."""
    return any(word not in FORM_WORDS and word not in PACK_WORDS and not _STRENGTH.match(word)
               for word in normalise(part).split())


def base_name(key: str, keep_numbers: bool = False) -> tuple[str, bool]:
    """The name with salt, ester, dosage-form and pack words removed, and whether a salt word was removed.
    With keep_numbers, bare numbers stay (a brand such as "Zantac 360" keeps its number)."""
    kept, salt = [], False
    for word in key.split():
        if word in SALT_WORDS:
            salt = True
        elif keep_numbers and word.isdigit():
            kept.append(word)
        elif word not in FORM_WORDS and word not in PACK_WORDS and not _STRENGTH.match(word):
            kept.append(word)
    return " ".join(kept), salt


class _Index(NamedTuple):
    names: dict[str, Match]  # normalised generic and brand names
    combos: dict[str, Combination]  # normalised combination brands
    generics: dict[str, Match]  # normalised generic names only
    others: dict[str, Match]  # other names people use ("laughing gas"), matched as the generic they name


def _index(meds: Medications) -> _Index:
    names: dict[str, Match] = {}
    generics: dict[str, Match] = {}
    others: dict[str, Match] = {}
    for cls in meds.classes:
        for name in cls.generic_names:
            names[normalise(name)] = generics[normalise(name)] = Match(name, "generic", cls)
        for name in cls.brand_names:
            names[normalise(name)] = Match(name, "brand", cls)
            names.setdefault(base_name(normalise(name))[0], Match(name, "brand", cls))  # "Trokendi XR" as "trokendi"
        for other, generic in cls.other_names.items():
            others[normalise(other)] = Match(generic, f"other name of {generic}", cls)
    combos: dict[str, Combination] = {}
    for combo in meds.combinations:
        combos[normalise(combo.brand)] = combo
        combos.setdefault(base_name(normalise(combo.brand))[0], combo)
    return _Index(names, combos, generics, others)


def _name_note(match: Match) -> str | None:
    for note in match.med_class.name_notes:
        if any(normalise(n) == normalise(match.name) for n in note.names):
            return f"{note.text} (sources: {', '.join(note.sources)})"
    return None


def _combination(index: _Index, combo: Combination, query: str, argument: str) -> LookupResult | None:
    label = f"ingredient of {combo.brand} ({' + '.join(combo.ingredients)})"
    found = [index.generics[normalise(i)] for i in combo.ingredients if normalise(i) in index.generics]
    if not found:
        return None
    matches = tuple(Match(m.name, label, m.med_class) for m in found)
    notes = [n for n in (_name_note(m) for m in found) if n]
    where = (f"{combo.brand} is a combination product ({combo.region}); check the active ingredients on the pack "
             f"(sources: {', '.join(combo.sources)})")  # says so where formulations vary by country
    return LookupResult(query, matches[0], (), notes[0] if notes else where, argument, matches[1:],
                        combo.ingredients)


def _direct(index: _Index, key: str, query: str, argument: str) -> LookupResult | None:
    """A name as written, a combination, or a name with salt, form and pack words taken off."""
    match = index.names.get(key)
    if match:
        return LookupResult(query, match, (), _name_note(match), argument)
    other = index.others.get(key)
    if other:
        return LookupResult(query, other, (), _name_note(other), argument)
    for keep_numbers in (True, False):  # "Zantac 360 Maximum Strength" is Zantac 360 before it is Zantac
        base, salt = base_name(key, keep_numbers)
        combo = index.combos.get(key) or index.combos.get(base)
        result = _combination(index, combo, query, argument) if combo else None
        if result:
            return result
        match = (index.names.get(base) or index.others.get(base)) if base and base != key else None
        if match:
            found = Match(match.name, f"{'salt' if salt else 'dosage'} form of {match.name}", match.med_class)
            return LookupResult(query, found, (), _name_note(match), argument)
    return None


def _bracketed(index: _Index, query: str, argument: str) -> LookupResult | None:
    """"omeprazole (Losec)": a generic with a brand in brackets, or the other way round. The name outside the
    brackets is looked up first; a listed name inside them is used when the outside is not listed."""
    parts = _BRACKETED.match(" ".join(query.split()))
    if not parts:
        return None
    outer = normalise(f"{parts['outer']} {parts['rest']}")
    for key in (outer, normalise(parts["inner"])):
        result = _direct(index, key, query, argument) if key else None
        if result:
            return result
    return None


def suggest(index_keys: dict[str, str], typed: str) -> tuple[str, ...]:
    """Listed names close to what was typed: a slip of the keyboard (is_typo), or the same first letter and a
    difflib ratio of at least SUGGEST_RATIO. Different medicines with similar endings (lamotrigine and
    famotidine) are not suggested, so that with --check every suggestion can be refused as a typo."""
    if not typed or len(typed) > MAX_NAME_CHARS:
        return ()
    close = [k for k in index_keys if is_typo(typed, k)
             or (k[:1] == typed[:1] and 2 * min(len(k), len(typed)) / (len(k) + len(typed)) >= SUGGEST_RATIO
                 and ratio(typed, k) >= SUGGEST_RATIO)]
    close.sort(key=lambda k: (edit_distance(typed, k), -ratio(typed, k), k))
    return tuple(dict.fromkeys(index_keys[k] for k in close[:3]))


def _lookup_one(index: _Index, query: str, argument: str, not_listed: str) -> LookupResult:
    key = normalise(query)
    result = _direct(index, key, query, argument) or _bracketed(index, query, argument)
    if result:
        return result
    spellings = {k: m.name for k, m in index.names.items()} | {k: c.brand for k, c in index.combos.items()}
    spelled = suggest(spellings, base_name(key)[0] or key)
    return LookupResult(query, None, spelled, not_listed, argument, typo=bool(spelled))


MAX_ARGUMENT_CHARS = 200  # one argument may hold several names ("metformin, omeprazole"); a list is not longer


def lookup(meds: Medications, names: list[str]) -> MedsResult:
    notes = (meds.messages["do-not-stop"].cited(),)
    if not names:
        return MedsResult(meds.classes, None, notes)
    index = _index(meds)
    not_listed = meds.messages["not-listed"].cited()
    results: list[LookupResult] = []
    dropped: list[str] = []
    for argument in names:
        if len(argument) > MAX_ARGUMENT_CHARS:
            raise UsageError(f"medication name {show(argument)} is {len(argument):,} characters long; expected a "
                             f"generic or brand name (at most {MAX_ARGUMENT_CHARS} characters)")
        if not normalise(argument):
            raise UsageError(f"medication name {show(argument)} is empty; expected a generic or brand name")
        results.extend(_lookup_argument(index, argument, not_listed, dropped))
    if dropped and not results:
        raise UsageError(f"{show(dropped[0])} is a strength, release form or pack size, not a medicine name; "
                         "expected a generic or brand name (for example 'metformin' or 'Janumet XR 50/1000')")
    if dropped:
        notes = (f"{', '.join(show(d) for d in dict.fromkeys(dropped))}: a strength, release form or pack size, "
                 "not a medicine name, so it was left out.", *notes)
    return MedsResult(meds.classes, tuple(results), notes)


def _lookup_argument(index: _Index, argument: str, not_listed: str, dropped: list[str]) -> list[LookupResult]:
    """One argument: as a whole first ("gas and air", "Janumet XR 50/1000"), then name by name. Parts that are
    only a strength or pack description are left out (and named in ``dropped``)."""
    whole = without_strengths(argument)
    if whole != argument.strip() and not is_a_name(whole):
        dropped.append(argument.strip())
        return []
    found = _direct(index, normalise(whole), whole, argument) if whole else None
    if found:
        return [found]
    parts = split_names(argument)
    if not parts:
        raise UsageError(f"medication name {show(argument)} is empty; expected a generic or brand name")
    out = []
    for part in parts:
        if is_a_name(part):
            out.append(_lookup_one(index, part, argument, not_listed))
        else:
            dropped.append(part)
    return out


MAX_STDIN_CHARS = 1 << 20  # `b12 meds -`: a list of medicines, never a stream without end


def read_names(lines: list[str]) -> list[str]:
    """Names from stdin, one a line; blank lines and lines starting with # are skipped."""
    names = [line.strip() for line in lines]
    names = [n for n in names if n and not n.startswith("#")]
    if not names:
        raise UsageError("no medication names on standard input; expected one name a line")
    return names


def typo_error(result: MedsResult) -> str | None:
    """With --check, an unlisted name that looks like a typo of a listed one is refused."""
    misses = result.near_misses
    if not misses:
        return None
    first = misses[0]
    hint = " or ".join(first.suggestions)
    more = f" ({len(misses) - 1} more name(s) like it)" if len(misses) > 1 else ""
    return (f"{show(first.query)} is not listed; did you mean {hint}?{more} With --check a near miss is refused "
            "so that a typo cannot pass; without --check, unlisted names are reported, not refused")
