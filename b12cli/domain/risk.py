"""`b12 risk`: whether a B12 test is advised (NICE NG239), and how soon care is needed.

Two decisions are made apart (data/risk.yaml says how, and every record says who lists it):

* ``testing`` -- NICE's rule as its summaries give it: ``offer_test`` when a symptom and a factor
  that both count for the rule are given; ``consider_test`` when a symptom and a factor are given
  but not both on NICE's lists; ``symptoms_only``, ``factors_only`` or ``not_indicated`` otherwise.
* ``urgency`` -- from the symptoms alone, raised by factors: the most pressing symptom's own
  urgency (``urgent``, ``prompt``, ``routine``); a factor that escalates (nitrous oxide) raises any
  symptom to ``prompt``, or to ``urgent`` when the symptom is itself prompt or urgent (nerves, mind);
  pregnancy or breastfeeding raises any symptom to ``prompt``. ``none`` without a symptom.

The headline (``advice``) is the more pressing of the two: ``urgent``, ``prompt``, ``test``
(offer_test), ``consider`` (the other testing words) or ``not_indicated``. Each matched factor
brings its own advice (what to do about it), whatever the testing rule says.

Factors can also be added by shortcuts: an age above the older-age factor's ``min_age_years``,
``--diet``, ``--pregnant``, and medicines resolved by the ``meds`` look-up and mapped to factors by
medication class.
"""

from __future__ import annotations

from typing import NamedTuple

from b12cli.domain.model import Medications, Message, Risk, RiskFactor, RiskSymptom
from b12cli.domain.names import Index
from b12cli.domain.text import show
from b12cli.errors import UsageError

ADVICE = ("urgent", "prompt", "test", "consider", "not_indicated")
TESTING = ("offer_test", "consider_test", "symptoms_only", "factors_only", "not_indicated")
URGENCY = ("urgent", "prompt", "routine", "none")
DIETS = ("vegan", "vegetarian")
NICE_MIN_AGE_YEARS = 16  # NG239 covers people over 16
# Factors whose advice, in pregnancy or while breastfeeding, becomes: take B12 for the baby's sake.
LOW_INTAKE_FACTORS = frozenset({"vegan-diet", "vegetarian-diet", "few-animal-foods", "unfortified-diet"})
NITROUS_FACTORS = frozenset({"nitrous-oxide", "medical-nitrous-oxide"})
# Factor advice shown first: what matters most to act on.
ADVICE_ORDER = ("advice-vegan-pregnant", "advice-nitrous-oxide", "advice-no-if", "advice-medical-nitrous-oxide")


class RiskQuery(NamedTuple):
    symptoms: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    age_years: float | None = None
    diet: str | None = None
    meds: tuple[str, ...] = ()
    pregnant: bool = False
    breastfeeding: bool = False
    taking_b12: bool = False


class Reason(NamedTuple):
    kind: str  # symptom | factor
    id: str
    name: str
    given_as: str  # what added it, e.g. "--symptom tingeling", "--age 70", "--meds metformin"
    urgency: str | None  # a symptom's own urgency (urgent | prompt | routine); None for a factor
    escalates: str | None  # a factor's effect on the urgency of a symptom; None for a symptom
    counts_for_testing: bool
    listed_by: tuple[str, ...]
    text: str
    sources: tuple[str, ...]


class FactorAdvice(NamedTuple):
    factors: tuple[str, ...]  # the matched factor ids it answers
    message: Message


class MedicineCheck(NamedTuple):
    query: str
    listed_as: str | None  # the name as the medicines list spells it
    class_id: str | None
    factor_id: str | None  # the risk factor it adds, if any
    suggestions: tuple[str, ...]
    note: str | None


class RiskResult(NamedTuple):
    query: RiskQuery
    advice: str  # one of ADVICE: the headline
    summary: Message  # the headline's text
    testing: str  # one of TESTING
    testing_text: Message
    urgency: str  # one of URGENCY
    urgency_text: Message | None  # None when no symptom was given
    reasons: tuple[Reason, ...]
    factor_advice: tuple[FactorAdvice, ...]
    on_b12: Message | None  # what testing means for someone already taking B12
    first_test: Message | None  # None when no test is suggested
    if_indeterminate: Message | None  # None unless the first test is a B12 test
    medicines: tuple[MedicineCheck, ...]
    notes: tuple[str, ...]
    disclaimer: str


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


def _add(reasons: dict[str, Reason], kind: str, record, given_as: str) -> None:  # noqa: ANN001 - symptom or factor
    symptom = kind == "symptom"
    reasons.setdefault(f"{kind}:{record.id}", Reason(
        kind, record.id, record.name, given_as, record.urgency if symptom else None,
        None if symptom else record.escalates, record.counts_for_testing, record.listed_by, record.text,
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


def _testing(symptoms: list[Reason], factors: list[Reason]) -> str:
    if symptoms and factors:
        counts = any(r.counts_for_testing for r in symptoms) and any(r.counts_for_testing for r in factors)
        return "offer_test" if counts else "consider_test"
    return "symptoms_only" if symptoms else "factors_only" if factors else "not_indicated"


def _urgency(q: RiskQuery, symptoms: list[Reason], factors: list[Reason]) -> str:
    if not symptoms:
        return "none"
    rank = {word: i for i, word in enumerate(URGENCY)}
    own = min((r.urgency for r in symptoms), key=rank.__getitem__)
    raised = [own]
    nerves = own in ("urgent", "prompt")
    for factor in factors:
        if factor.escalates == "urgent_with_neurological":
            raised.append("urgent" if nerves else "prompt")
        elif factor.escalates == "prompt":
            raised.append("prompt")
    if q.pregnant or q.breastfeeding:
        raised.append("prompt")
    return min(raised, key=rank.__getitem__)


def _urgency_text(risk: Risk, q: RiskQuery, urgency: str, symptoms: list[Reason],
                  factors: list[Reason]) -> Message | None:
    m = risk.messages
    if urgency == "none":
        return None
    if urgency == "urgent":
        own_urgent = any(r.urgency == "urgent" for r in symptoms)
        nitrous = any(f.escalates == "urgent_with_neurological" for f in factors)
        if nitrous and not own_urgent:
            return m["urgency-urgent-nitrous"]
        return _joined("urgency-urgent", m["urgency-urgent"], m["urgency-urgent-nitrous"]) if nitrous \
            else m["urgency-urgent"]
    if urgency == "prompt" and not any(r.urgency == "prompt" for r in symptoms) and (q.pregnant or q.breastfeeding):
        return m["urgency-prompt-pregnancy"]
    return m[f"urgency-{urgency}"]


def _joined(id_: str, *messages: Message) -> Message:
    sources = tuple(dict.fromkeys(s for x in messages for s in x.sources))
    return Message(id_, " ".join(x.text for x in messages), sources)


def _factor_advice(risk: Risk, q: RiskQuery, factors: list[Reason]) -> tuple[FactorAdvice, ...]:
    by_id = {f.id: f for f in risk.factors}
    answers: dict[str, list[str]] = {}
    baby = q.pregnant or q.breastfeeding or any(by_id[r.id].pregnancy for r in factors)
    for reason in factors:
        advice = by_id[reason.id].advice
        if baby and reason.id in LOW_INTAKE_FACTORS:
            advice = "advice-vegan-pregnant"
        if advice is not None:
            answers.setdefault(advice, []).append(reason.id)
    order = {id_: i for i, id_ in enumerate(ADVICE_ORDER)}
    ranked = sorted(answers, key=lambda id_: order.get(id_, len(order)))
    return tuple(FactorAdvice(tuple(answers[id_]), risk.messages[id_]) for id_ in ranked)


def _summary(risk: Risk, advice: str, testing: Message, urgency: Message | None,
             factor_advice: tuple[FactorAdvice, ...], testing_word: str) -> Message:
    """The headline's text: how soon, when that is the more pressing; otherwise the testing rule, or,
    for factors alone, what to do about the most important factor."""
    if advice in ("urgent", "prompt") and urgency is not None:
        return urgency
    if testing_word == "factors_only" and factor_advice:
        return factor_advice[0].message
    return testing


def _tests(risk: Risk, q: RiskQuery, symptoms: list[Reason],
           factor_ids: set[str]) -> tuple[Message | None, Message | None]:
    if not symptoms:  # no test is suggested without a symptom
        return None, None
    m = risk.messages
    if factor_ids & NITROUS_FACTORS:  # the first test is homocysteine or MMA: nothing left to settle with MMA
        return m["first-test-nitrous-oxide"], None
    first = m["first-test-pregnancy"] if q.pregnant or "pregnancy" in factor_ids else m["first-test"]
    return first, m["if-indeterminate"]


def _notes(risk: Risk, q: RiskQuery, urgency: str) -> tuple[str, ...]:
    m = risk.messages
    notes = [m["rule"].cited(), m["lists-not-checked"].cited()]
    if urgency in ("urgent", "prompt"):
        notes.append(m["urgency-is-our-reading"].cited())
    if q.age_years is not None and q.age_years < NICE_MIN_AGE_YEARS:
        notes.append(m["under-16"].cited())
    older = next(f for f in risk.factors if f.min_age_years is not None)
    if q.age_years is not None and 50 < q.age_years <= (older.min_age_years or 0):
        notes.append(m["over-50-absorption"].cited())
    return tuple(notes)


def _headline(testing: str, urgency: str) -> str:
    if urgency in ("urgent", "prompt"):
        return urgency
    return {"offer_test": "test", "not_indicated": "not_indicated"}.get(testing, "consider")


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
    symptoms = [r for r in matched if r.kind == "symptom"]
    factors = [r for r in matched if r.kind == "factor"]
    testing = _testing(symptoms, factors)
    urgency = _urgency(q, symptoms, factors)
    advice = _headline(testing, urgency)
    m = risk.messages
    testing_text = m[f"testing-{testing.replace('_test', '').replace('_', '-')}"]
    urgency_text = _urgency_text(risk, q, urgency, symptoms, factors)
    factor_advice = _factor_advice(risk, q, factors)
    first, indeterminate = _tests(risk, q, symptoms, {r.id for r in factors})
    return RiskResult(q, advice, _summary(risk, advice, testing_text, urgency_text, factor_advice, testing),
                      testing, testing_text, urgency, urgency_text, matched, factor_advice,
                      m["taking-b12"] if q.taking_b12 else None, first, indeterminate, medicines,
                      _notes(risk, q, urgency), m["disclaimer"].text)
