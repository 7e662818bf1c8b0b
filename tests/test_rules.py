"""The verdict table (data/rules.yaml) is total and says what it means: every combination of
marker states and context is decided by a named rule (never the catch-all), every rule decides
some combination, every overlap is declared where a clinician can read it, no step asks for a
result that was given, and a worse result never gives a less cautious verdict."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict

import pytest
import yaml

from b12cli.domain.rules import CAUTION, NOT_GIVEN, given, notes_for, settled_for, steps_for
from b12cli.kb import KnowledgeBase, bundled_data_dir
from tests.conftest import DATA


def combinations(rules):
    names = list(rules.states)
    for values in itertools.product(*(rules.states[n] for n in names)):
        yield dict(zip(names, values))


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # module scope: before each test's own cache folder is set
        patch.setenv("B12_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return KnowledgeBase(bundled_data_dir()).rules


@pytest.fixture(scope="module")
def enumerated(table):
    """Every combination with the rules that hold for it (92,160 combinations)."""
    return [(states, table.matching(states)) for states in combinations(table)]


def test_every_combination_is_decided_by_a_named_rule(table, enumerated):
    catch_all = table.rules[-1]
    assert catch_all.condition.when == () and catch_all.condition.any == ()  # holds for everything
    assert len(enumerated) == 6 * 6 * 4 * 4 * 5 * 4 * 2 * 2 * 2
    gaps = [states for states, hits in enumerated if hits[0] is catch_all]
    assert not gaps, f"{len(gaps)} combinations reach the catch-all, e.g. {gaps[0]}"


def test_every_rule_decides_some_combination_and_every_overlap_is_declared(table, enumerated):
    first, needed = Counter(), defaultdict(set)
    for _, hits in enumerated:
        named = [r for r in hits if r is not table.rules[-1]]
        first[named[0].id] += 1
        needed[named[0].id].update(r.id for r in named[1:])
    unreachable = [r.id for r in table.rules[:-1] if not first[r.id]]
    assert not unreachable, f"rules that decide nothing: {unreachable}"
    for rule in table.rules[:-1]:
        undeclared, stale = needed[rule.id] - set(rule.overrides), set(rule.overrides) - needed[rule.id]
        assert not undeclared, f"{rule.id} wins over {sorted(undeclared)} without saying so"
        assert not stale, f"{rule.id} declares {sorted(stale)}, which it never meets"


def test_no_step_asks_for_a_result_that_was_given_and_every_step_is_used(table, enumerated):
    shown = set()
    for states, hits in enumerated:
        steps = steps_for(table, hits[0], states)
        have = given(states)
        for step in steps:
            assert not have & set(step.asks_for), (hits[0].id, step.id, states)
        shown.update(s.id for s in steps)
    assert set(table.steps) <= shown, f"steps never shown: {sorted(set(table.steps) - shown)}"


def test_every_note_can_fire_and_every_given_result_settles_something(table, enumerated):
    fired = set()
    for states, _ in enumerated:
        fired.update(n.id for n in notes_for(table, states))
        said = {var for var, _ in settled_for(table, states)}
        assert said == {var for var, state in states.items() if state != NOT_GIVEN and var in table.settled}
    assert fired == {n.id for n in table.notes}


WORSE = {"b12": ["high", "normal", "indeterminate", "low", "deficient"],
         "holotc": ["high", "normal", "indeterminate", "low", "deficient"],
         "mma": ["normal", "high", "very_high"], "hcy": ["normal", "high", "very_high"]}


def test_a_worse_result_never_gives_a_less_cautious_verdict(table, enumerated):
    """B12 or active B12 towards deficient, MMA or homocysteine towards very high: the verdict never
    becomes less cautious. (Folate, eGFR and pregnancy are left out on purpose: a low folate explains
    a raised homocysteine, a reduced eGFR tempers, pregnancy caps a total-B12-only verdict.)"""
    verdict = {tuple(states.values()): hits[0].verdict for states, hits in enumerated}
    names = list(table.states)
    problems = []
    for key, found in verdict.items():
        states = dict(zip(names, key))
        for marker, order in WORSE.items():
            state = states[marker]
            if state not in order or state == order[-1]:
                continue
            worse = dict(states, **{marker: order[order.index(state) + 1]})
            if CAUTION[verdict[tuple(worse.values())]] < CAUTION[found]:
                problems.append((states, marker))
    assert not problems, f"{len(problems)} cases, e.g. {problems[0]}"


def test_b12_rules_prints_every_row_with_its_sources(b12, table):
    document = b12("rules", "--format", "json").json()
    assert document["schema"] == "b12.rules/1"
    rows = document["items"]
    assert [r["id"] for r in rows] == [r.id for r in table.rules]
    for row, rule in zip(rows, table.rules):
        assert row["verdict"] == rule.verdict and row["sources"] == list(rule.sources) and row["reason"]
    csv = b12("rules", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("id,name,when,verdict") and len(csv) == len(table.rules) + 1
    text = b12("rules", env={"COLUMNS": "120"}).stdout
    assert "R05" in text and "both-functional-raised" in text


def _records(node):
    """Every mapping in a YAML document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _records(value)
    elif isinstance(node, list):
        for value in node:
            yield from _records(value)


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@pytest.mark.parametrize("name", ["rules.yaml", "thresholds.yaml", "markers.yaml", "topics.yaml"])
def test_bsh_2014_is_never_cited_as_current_guidance(name):
    """Review 0.6, F20: BSH says NICE NG239 superseded its 2014 guideline. Every record citing bsh-2014 also
    cites that page (bsh-2014-superseded), lists nice-ng239 first where it cites both, and a text naming BSH
    says it was superseded."""
    document = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    # note-own-range neither names BSH nor calls it guidance, and its sources go into the legend under the
    # labs table, which must fit 20 columns (see its comment in thresholds.yaml)
    cited = [r for r in _records(document)
             if "bsh-2014" in (r.get("sources") or []) and r.get("id") != "note-own-range"]
    for record in cited:
        sources = record["sources"]
        assert "bsh-2014-superseded" in sources, record
        if "nice-ng239" in sources:
            assert sources.index("nice-ng239") < sources.index("bsh-2014"), record
    for text in _strings(document):
        if re.search(r"\bBSH\b|Society for Haematology", text):
            assert "superseded by NICE NG239 in 2024" in text, text
