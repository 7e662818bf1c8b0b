"""The shape and meaning of ``rules.yaml``, the verdict table: every state and group a condition
names exists, every step a rule names exists, every given state has a "settled" sentence, and the
rules' ``overrides`` name later rules. Whether the table covers every combination exactly is a
test (``tests/test_rules.py``): that takes an enumeration, not a load-time check."""

from __future__ import annotations

import re
from typing import Any

from b12cli.domain.vocab import VERDICTS
from b12cli.kb import schema as S


def _state(value: Any, path: str) -> str:
    """A state: a word, or a YAML boolean for a flag (read as "true"/"false")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return S.ident(value, path)


def _allowed(value: Any, path: str) -> Any:
    """A condition's value: a list of states, or the name of a group."""
    if isinstance(value, list):
        return S.list_of(_state, 1)(value, path)
    return S.ident(value, path)


def _rule_id(value: Any, path: str) -> str:
    """A rule's id as clinicians quote it: R and two digits (R05)."""
    if not isinstance(value, str) or not re.fullmatch(r"R[0-9]{2}", value):
        raise S.ShapeError(path, f"expected a rule id such as R05, got {S.describe(value)}")
    return value


_CONDITION = S.mapping_of(S.ident, _allowed)
_SHOW_WHEN = S.fields(when=S.optional(_CONDITION, {}), any=S.optional(S.list_of(_CONDITION, 1), []))
_RULE = S.fields(id=_rule_id, name=S.ident, when=S.optional(_CONDITION, {}),
                 any=S.optional(S.list_of(_CONDITION, 1), []),
                 verdict=S.one_of(*VERDICTS), overrides=S.optional(S.list_of(_rule_id), []), reason=S.text,
                 steps=S.list_of(S.ident), sources=S.SOURCES, note=S.optional(S.text, None))
_STEP = S.fields(id=S.ident, text=S.text, asks_for=S.list_of(S.ident), urgent=S.optional(S.boolean, False),
                 show_when=S.optional(_SHOW_WHEN, None), sources=S.SOURCES)
_NOTE = S.fields(id=S.ident, when=S.optional(_CONDITION, {}), any=S.optional(S.list_of(_CONDITION, 1), []),
                 text=S.text, sources=S.SOURCES)
_CITED = S.fields(text=S.text, sources=S.SOURCES)
_FAR = S.fields(above=S.positive, kind=S.one_of("source figure", "project choice"), sources=S.SOURCES, note=S.text)
_EGFR_BAND = S.fields(state=S.ident, range=S.text)

RULES_SHAPE = S.fields(
    schema_version=S.integer,
    verdicts=S.list_of(S.one_of(*VERDICTS), 3),
    states=S.mapping_of(S.ident, S.list_of(_state, 2)),
    context=S.mapping_of(S.ident, S.list_of(_state, 2)),
    egfr_bands=S.fields(unit=S.text, plausible=S.list_of(S.positive, 2), bands=S.list_of(_EGFR_BAND, 1),
                        sources=S.SOURCES),
    groups=S.mapping_of(S.ident, S.list_of(_state, 1)),
    far_edges=S.mapping_of(S.ident, _FAR),
    rules=S.list_of(_RULE, 1),
    cb12_map=S.mapping_of(S.ident, S.one_of(*VERDICTS)),
    cb12_note=S.text,
    cb12_sources=S.SOURCES,
    steps=S.list_of(_STEP, 1),
    extra_steps=S.list_of(S.ident),
    settled=S.mapping_of(S.ident, S.mapping_of(_state, _CITED)),
    notes=S.list_of(_NOTE),
)


def _check_condition(data: dict, condition: dict, path: str) -> None:
    domains = {**data["states"], **data["context"]}
    for var, allowed in condition.items():
        if var not in domains:
            raise S.ShapeError(f"{path}.{var}", f"no such marker or context item (expected one of "
                                                f"{', '.join(domains)})")
        if isinstance(allowed, str):  # a group: the states of it that the variable has (at least one)
            if allowed not in data["groups"]:
                raise S.ShapeError(f"{path}.{var}", f"no group {allowed!r} (groups: {', '.join(data['groups'])})")
            if not set(data["groups"][allowed]) & set(domains[var]):
                raise S.ShapeError(f"{path}.{var}", f"the group {allowed!r} holds no state of {var}")
            continue
        for state in allowed:
            if state not in domains[var]:
                raise S.ShapeError(f"{path}.{var}", f"{state!r} is not a state of {var} "
                                                    f"(expected one of {', '.join(domains[var])})")


def _check_conditions(data: dict, record: dict, path: str) -> None:
    _check_condition(data, record.get("when", {}), f"{path}.when")
    for k, group in enumerate(record.get("any", [])):
        _check_condition(data, group, f"{path}.any[{k}]")


def check_rules(data: dict) -> None:
    if data["verdicts"] != list(reversed(VERDICTS)):
        raise S.ShapeError("verdicts", f"expected {', '.join(reversed(VERDICTS))} (most cautious first)")
    S.unique(data["rules"], "id", "rules")
    S.unique(data["steps"], "id", "steps")
    S.unique(data["notes"], "id", "notes")
    _check_rule_list(data)
    _check_steps(data)
    for i, note in enumerate(data["notes"]):
        _check_conditions(data, note, f"notes[{i}]")
    _check_settled(data)
    for state in {b["state"] for b in data["egfr_bands"]["bands"]} ^ (set(data["context"]["egfr"]) - {"not_given"}):
        raise S.ShapeError("egfr_bands", f"the eGFR state {state!r} must be both a band and a context state")


def _check_rule_list(data: dict) -> None:
    order = [r["id"] for r in data["rules"]]
    steps = {s["id"] for s in data["steps"]}
    for i, rule in enumerate(data["rules"]):
        path = f"rules[{i}]"
        _check_conditions(data, rule, path)
        for later in rule["overrides"]:
            if later not in order or order.index(later) <= i:
                raise S.ShapeError(f"{path}.overrides", f"{later!r} is not a rule after {rule['id']}")
        for step in rule["steps"]:
            if step not in steps:
                raise S.ShapeError(f"{path}.steps", f"no step {step!r}")


def _check_steps(data: dict) -> None:
    steps = {s["id"] for s in data["steps"]}
    for i, step in enumerate(data["steps"]):
        if step["show_when"] is not None:
            _check_conditions(data, step["show_when"], f"steps[{i}].show_when")
        for var in step["asks_for"]:
            if var not in data["states"] and var not in ("egfr", "nitrous_oxide"):
                raise S.ShapeError(f"steps[{i}].asks_for", f"{var!r} is not a marker, egfr or nitrous_oxide")
    for k, step in enumerate(data["extra_steps"]):
        if step not in steps:
            raise S.ShapeError(f"extra_steps[{k}]", f"no step {step!r}")


def _check_settled(data: dict) -> None:
    """Every state a result can be in, and every eGFR band, says what it settles."""
    for var, states in [*data["states"].items(), ("egfr", data["context"]["egfr"])]:
        for state in states:
            if state != "not_given" and state not in data["settled"].get(var, {}):
                raise S.ShapeError(f"settled.{var}", f"no sentence for {state!r}")
