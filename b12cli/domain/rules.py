"""The verdict as a table (``data/rules.yaml``): each result's state, the context, and an ordered
list of cited rules, the first that holds deciding. Everything here reads states (words), never
numbers: ``labs`` turns each result into its state under a scheme and hands the states over.

A variable is a marker id (b12, holotc, mma, hcy, folate) or a context item (egfr, taking_b12,
nitrous_oxide, pregnant); its states are listed in the table. A marker not given is
``not_given``; a flag is ``true`` or ``false``.
"""

from __future__ import annotations

from itertools import product
from typing import Iterable, Mapping, NamedTuple

from b12cli.domain.bands import Cuts, locate
from b12cli.domain.vocab import VERDICTS, Cited

NOT_GIVEN = "not_given"
CONTEXT = ("egfr", "taking_b12", "nitrous_oxide", "pregnant")
CAUTION = {v: i for i, v in enumerate(VERDICTS)}  # unlikely 0, possible 1, likely 2


class Condition(NamedTuple):
    """``when``: every (variable, allowed states) holds; ``any``: at least one group of them holds
    (an empty ``any`` holds)."""

    when: tuple[tuple[str, frozenset[str]], ...] = ()
    any: tuple[tuple[tuple[str, frozenset[str]], ...], ...] = ()

    def holds(self, states: Mapping[str, str]) -> bool:
        if not all(states[var] in allowed for var, allowed in self.when):
            return False
        return not self.any or any(all(states[var] in allowed for var, allowed in group) for group in self.any)

    def variables(self) -> set[str]:
        return {var for var, _ in self.when} | {var for group in self.any for var, _ in group}


class Rule(NamedTuple):
    id: str
    name: str
    condition: Condition
    verdict: str
    overrides: tuple[str, ...]  # later rules this one deliberately wins over (the coverage test checks it)
    reason: str
    steps: tuple[str, ...]
    sources: tuple[str, ...]
    note: str | None
    when: str  # the condition in words, with the table's group names ("mma raised and hcy raised")


class RuleStep(NamedTuple):
    id: str
    text: str
    asks_for: tuple[str, ...]  # left out when any of these was given (a marker, egfr or nitrous_oxide)
    urgent: bool
    show_when: Condition | None
    sources: tuple[str, ...]


class RuleNote(NamedTuple):
    id: str
    condition: Condition
    text: str
    sources: tuple[str, ...]


class FarEdge(NamedTuple):
    """Above ``above`` (canonical unit) a raised result is "far above" its edge: state very_high."""

    marker: str
    above: float
    kind: str  # "source figure" or "project choice"
    sources: tuple[str, ...]
    note: str


class EgfrBands(NamedTuple):
    unit: str
    plausible: tuple[float, float]
    states: tuple[str, ...]  # in the order of ``cuts``
    cuts: Cuts
    sources: tuple[str, ...]

    def state(self, egfr: float | None) -> str:
        return NOT_GIVEN if egfr is None else self.states[locate(self.cuts, egfr)]


class Rules(NamedTuple):
    states: dict[str, tuple[str, ...]]  # every variable, markers then context, and its states
    egfr: EgfrBands
    far_edges: dict[str, FarEdge]
    rules: tuple[Rule, ...]  # ordered: the first that holds decides
    cb12_map: dict[str, str]  # cB12 category -> verdict
    cb12_note: Cited
    steps: dict[str, RuleStep]
    extra_steps: tuple[str, ...]
    settled: dict[str, dict[str, Cited]]  # variable -> state -> what that result settles
    notes: tuple[RuleNote, ...]
    groups: dict[str, tuple[str, ...]] = {}  # the names conditions use for sets of states (raised: high, very_high)

    @property
    def markers(self) -> tuple[str, ...]:
        return tuple(v for v in self.states if v not in CONTEXT)

    def first(self, states: Mapping[str, str]) -> Rule:
        """The rule that decides one combination of states."""
        return next(rule for rule in self.rules if rule.condition.holds(states))

    def matching(self, states: Mapping[str, str]) -> list[Rule]:
        """Every rule that holds for one combination (the coverage test reads this)."""
        return [rule for rule in self.rules if rule.condition.holds(states)]


class Reading(NamedTuple):
    """One scheme's reading: the verdict, the rule that gave it and the states it was given for (for a
    limit that spans bands, the combination that gave the most cautious verdict)."""

    scheme: str
    verdict: str
    rule: Rule
    states: Mapping[str, str]


def read(rules: Rules, scheme: str, possible: Mapping[str, Iterable[str]], context: Mapping[str, str]) -> Reading:
    """The verdict of one scheme: ``possible`` gives each marker's states (one, or several for a limit
    that spans bands; a marker the table does not name is left out). Every combination is looked up
    and the most cautious verdict kept (the first such combination on a tie)."""
    names = [m for m in rules.markers if m in possible]
    choices = [sorted(set(possible[m])) for m in names]
    best: Reading | None = None
    for combination in product(*choices):
        states = {m: NOT_GIVEN for m in rules.markers}
        states.update(zip(names, combination))
        states.update(context)
        rule = rules.first(states)
        if best is None or CAUTION[rule.verdict] > CAUTION[best.verdict]:
            best = Reading(scheme, rule.verdict, rule, states)
    assert best is not None  # product() of non-empty choices yields at least one combination
    return best


def most_cautious(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=CAUTION.__getitem__)


def given(states: Mapping[str, str]) -> set[str]:
    """What a step's ``asks_for`` is compared with: the markers given, eGFR when given, nitrous oxide
    when the person said they use it."""
    found = {var for var, state in states.items() if var not in CONTEXT and state != NOT_GIVEN}
    if states.get("egfr", NOT_GIVEN) != NOT_GIVEN:
        found.add("egfr")
    if states.get("nitrous_oxide") == "true":
        found.add("nitrous_oxide")
    return found


def steps_for(rules: Rules, rule: Rule, states: Mapping[str, str]) -> list[RuleStep]:
    """The rule's steps, then the extra steps whose condition holds; none that asks for a result
    already given."""
    have = given(states)
    found = []
    for step_id in (*rule.steps, *rules.extra_steps):
        step = rules.steps[step_id]
        if step_id in rules.extra_steps and step.show_when is None:
            continue
        if step.show_when is not None and not step.show_when.holds(states):
            continue
        if have & set(step.asks_for) or step in found:
            continue
        found.append(step)
    return found


def notes_for(rules: Rules, states: Mapping[str, str]) -> list[RuleNote]:
    return [note for note in rules.notes if note.condition.holds(states)]


def settled_for(rules: Rules, states: Mapping[str, str]) -> list[tuple[str, Cited]]:
    """One sentence per given result (and eGFR): what it settles, whatever the verdict."""
    return [(var, rules.settled[var][state]) for var, state in states.items()
            if state != NOT_GIVEN and var in rules.settled and state in rules.settled[var]]
