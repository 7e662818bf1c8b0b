"""`b12 risk`: whether a B12 test is advised, following NICE NG239.

NICE's rule (as summarised by the BMJ): test when there is at least one common symptom or
sign AND at least one common risk factor. The advice is the first that applies:

* ``urgent`` -- the rule is met and a matched symptom is neurological, or a matched factor is
  marked ``prompt`` (nitrous oxide). This escalation is this reference's reading of its sources
  (nerve damage can become permanent when treatment is late), and the output says so; the advice
  text names the cause (``advice-urgent-neurological``, ``advice-urgent-<factor id>``). Pregnancy
  with a symptom is ``test`` with a note to tell the midwife promptly: no cited source calls it urgent;
* ``test`` -- the rule is met;
* ``consider`` -- symptoms without a factor, or factors without a symptom;
* ``not_indicated`` -- nothing was given.

Symptoms and factors come from data/risk.yaml. Factors can also be added by shortcuts: an age
above the older-age factor's ``min_age_years``, ``--diet``, ``--pregnant``, and medicines
resolved by the ``meds`` look-up and mapped to factors by medication class.
"""

from __future__ import annotations

from typing import NamedTuple

from b12cli.domain.model import Medications, Message, Risk, RiskFactor, RiskSymptom
from b12cli.domain.names import Index
from b12cli.domain.text import show
from b12cli.errors import UsageError

ADVICE = ("urgent", "test", "consider", "not_indicated")
DIETS = ("vegan", "vegetarian")
NICE_MIN_AGE_YEARS = 16  # NG239 covers people over 16


class RiskQuery(NamedTuple):
    symptoms: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    age_years: float | None = None
    diet: str | None = None
    meds: tuple[str, ...] = ()
    pregnant: bool = False


class Reason(NamedTuple):
    kind: str  # symptom | factor
    id: str
    name: str
    given_as: str  # what added it, e.g. "--symptom tingeling", "--age 70", "--meds metformin"
    flag: bool  # neurological (symptom) or prompt (factor)
    text: str
    sources: tuple[str, ...]


class MedicineCheck(NamedTuple):
    query: str
    listed_as: str | None  # the name as the medicines list spells it
    class_id: str | None
    factor_id: str | None  # the risk factor it adds, if any
    suggestions: tuple[str, ...]
    note: str | None


class RiskResult(NamedTuple):
    query: RiskQuery
    advice: str  # one of ADVICE
    summary: Message
    reasons: tuple[Reason, ...]
    first_test: Message | None  # None when no test is suggested
    if_indeterminate: Message | None
    seek_care_promptly: tuple[Message, ...]
    medicines: tuple[MedicineCheck, ...]
    notes: tuple[str, ...]


class RiskList(NamedTuple):
    symptoms: tuple[RiskSymptom, ...]
    factors: tuple[RiskFactor, ...]
    notes: tuple[str, ...]


def _index(records) -> Index:  # noqa: ANN001 - symptoms or factors
    return Index((record, (record.id, *record.aliases)) for record in records)


def find(records, name: str, option: str, other=(), other_option: str = ""):  # noqa: ANN001, ANN201
    """A symptom or factor by id or alias; otherwise a UsageError naming the nearest ones
    (or the other option, when the name is in the other list)."""
    index = _index(records)
    if not name.strip(" -_"):
        raise UsageError(f"{option} {show(name)} is empty; expected a name ('b12 risk --list' shows them)")
    found = index.find(name)
    if found is not None:
        return found
    if _index(other).find(name) is not None:
        raise UsageError(f"{option} {show(name)} is not known, but it is listed for {other_option}; "
                         f"use {other_option} {name.strip()}")
    ids = [r.id for r in index.near(name)]
    hint = f"did you mean: {', '.join(ids)}?" if ids else f"expected one of {', '.join(r.id for r in records)}"
    raise UsageError(f"{option} {show(name)} is not known; {hint} ('b12 risk --list' shows every name)")


def listing(risk: Risk) -> RiskList:
    m = risk.messages
    return RiskList(risk.symptoms, risk.factors, (m["rule"].cited(), m["lists-not-checked"].cited()))


def _add(reasons: dict[str, Reason], kind: str, record, given_as: str) -> None:  # noqa: ANN001
    flag = record.neurological if kind == "symptom" else record.prompt
    reasons.setdefault(f"{kind}:{record.id}", Reason(kind, record.id, record.name, given_as, flag, record.text,
                                                     record.sources))


def _shortcut_factors(risk: Risk, q: RiskQuery, reasons: dict[str, Reason]) -> None:
    for factor in risk.factors:
        if factor.min_age_years is not None and q.age_years is not None and q.age_years > factor.min_age_years:
            _add(reasons, "factor", factor, f"--age {q.age_years:g}")
        if factor.diet is not None and factor.diet == q.diet:
            _add(reasons, "factor", factor, f"--diet {q.diet}")
        if factor.pregnancy and q.pregnant:
            _add(reasons, "factor", factor, "--pregnant")


def _medicines(risk: Risk, meds: Medications, names: tuple[str, ...],
               reasons: dict[str, Reason]) -> tuple[MedicineCheck, ...]:
    if not names:
        return ()
    from b12cli.domain import meds as meds_core

    by_class = {cls: f for f in risk.factors for cls in f.medication_classes}
    checks = []
    for result in meds_core.lookup(meds, list(names)).results or ():
        if result.match is None and result.suggestions:  # a near miss: refused, as --symptom and --factor typos are
            raise UsageError(f"--meds {show(result.query)} is not listed; did you mean "
                             f"{' or '.join(result.suggestions)}? (a name with no near miss is reported, not refused)")
        if result.match is None:
            checks.append(MedicineCheck(result.query, None, None, None, result.suggestions,
                                        risk.messages["medicine-not-listed"].cited()))
            continue
        cls = result.match.med_class.id
        factor = by_class.get(cls)
        if factor is not None:
            _add(reasons, "factor", factor, f"--meds {result.query}")
        note = None if factor else risk.messages["medicine-not-a-factor"].cited()
        checks.append(MedicineCheck(result.query, result.match.name, cls, factor.id if factor else None, (), note))
    return tuple(checks)


def _advice(reasons: tuple[Reason, ...]) -> str:
    symptoms = [r for r in reasons if r.kind == "symptom"]
    factors = [r for r in reasons if r.kind == "factor"]
    if symptoms and factors:
        return "urgent" if any(r.flag for r in reasons) else "test"
    return "consider" if symptoms or factors else "not_indicated"


def _urgent_summary(risk: Risk, reasons: tuple[Reason, ...]) -> Message:
    """The advice text names what made it urgent: a nerve symptom, a prompt factor, or both (texts joined)."""
    causes = ["advice-urgent-neurological"] if any(r.kind == "symptom" and r.flag for r in reasons) else []
    causes += [f"advice-urgent-{r.id}" for r in reasons if r.kind == "factor" and r.flag]
    messages = [risk.messages[c] for c in dict.fromkeys(causes)]
    if len(messages) == 1:
        return messages[0]
    return Message("advice-urgent", " ".join(m.text for m in messages),
                   tuple(dict.fromkeys(s for m in messages for s in m.sources)))


def _summary(risk: Risk, advice: str, reasons: tuple[Reason, ...]) -> Message:
    if advice == "urgent":
        return _urgent_summary(risk, reasons)
    if advice == "consider":
        only = "symptoms" if any(r.kind == "symptom" for r in reasons) else "factors"
        return risk.messages[f"advice-consider-{only}"]
    return risk.messages[f"advice-{advice.replace('_', '-')}"]


def _tests(risk: Risk, advice: str, ids: set[str], pregnant: bool) -> tuple[Message | None, Message | None]:
    if "symptom" not in ids:  # no test is suggested without a symptom
        return None, None
    m = risk.messages
    if "factor:nitrous-oxide" in ids:
        first = m["first-test-nitrous-oxide"]
    elif pregnant:
        first = m["first-test-pregnancy"]
    else:
        first = m["first-test"]
    return first, m["if-indeterminate"]


def _prompt(risk: Risk, reasons: tuple[Reason, ...], ids: set[str]) -> tuple[Message, ...]:
    m = risk.messages
    has_symptom = "symptom" in ids
    out = []
    if any(r.kind == "symptom" and r.flag for r in reasons):
        out.append(m["prompt-neurological"])
    if has_symptom and "factor:pregnancy" in ids:
        out.append(m["prompt-pregnancy"])
    if has_symptom and "factor:nitrous-oxide" in ids:
        out.append(m["prompt-nitrous-oxide"])
    return tuple(out)


def _notes(risk: Risk, q: RiskQuery, advice: str, factor_ids: frozenset[str] = frozenset()) -> tuple[str, ...]:
    m = risk.messages
    notes = [m["rule"].cited(), m["lists-not-checked"].cited()]
    if advice == "urgent":
        notes.append(m["urgency-is-our-reading"].cited())
    elif advice == "test" and (q.pregnant or "pregnancy" in factor_ids):
        notes.append(m["pregnancy-not-urgent"].cited())
    if q.age_years is not None and q.age_years < NICE_MIN_AGE_YEARS:
        notes.append(m["under-16"].cited())
    older = next(f for f in risk.factors if f.min_age_years is not None)
    if q.age_years is not None and 50 < q.age_years <= (older.min_age_years or 0):
        notes.append(m["over-50-absorption"].cited())
    return tuple(notes)


def assess(risk: Risk, meds: Medications, q: RiskQuery) -> RiskResult:
    if q.diet is not None and q.diet not in DIETS:
        raise UsageError(f"--diet {show(q.diet)} is not accepted; expected one of {', '.join(DIETS)}")
    reasons: dict[str, Reason] = {}
    for name in q.symptoms:
        _add(reasons, "symptom", find(risk.symptoms, name, "--symptom", risk.factors, "--factor"),
             f"--symptom {name}")
    for name in q.factors:
        _add(reasons, "factor", find(risk.factors, name, "--factor", risk.symptoms, "--symptom"),
             f"--factor {name}")
    _shortcut_factors(risk, q, reasons)
    medicines = _medicines(risk, meds, q.meds, reasons)
    matched = tuple(reasons.values())
    advice = _advice(matched)
    ids = set(reasons) | {r.kind for r in matched}
    first, indeterminate = _tests(risk, advice, ids, q.pregnant or "factor:pregnancy" in ids)
    return RiskResult(q, advice, _summary(risk, advice, matched), matched, first, indeterminate,
                      _prompt(risk, matched, ids), medicines,
                      _notes(risk, q, advice, frozenset(r.id for r in matched if r.kind == "factor")))
