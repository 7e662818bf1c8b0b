"""Invariants of the lab interpreter, checked with hypothesis."""

from __future__ import annotations

import csv
import io
import json
import math
from functools import cache
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b12cli import labs
from b12cli.kb import KnowledgeBase, bundled_data_dir
from b12cli.units import CANONICAL, FACTORS, PLAUSIBLE, from_canonical, to_canonical

RANK = labs.SEVERITY


@cache
def thresholds():
    """Loaded on first use inside a test (with its isolated cache), never at import time."""
    return KnowledgeBase(bundled_data_dir()).thresholds


def value(marker):
    low, high = PLAUSIBLE[marker]
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def panel():
    """Some markers (at least one), an optional adult age, and a scheme."""
    return st.fixed_dictionaries(
        {m: st.one_of(st.none(), value(m)) for m in labs.MARKERS}
    ).filter(lambda d: any(v is not None for v in d.values()))


def verdict(values: dict, age: float | None, scheme: str) -> str:
    markers = {m: labs.MarkerValue(m, v, CANONICAL[m], v)
               for m, v in values.items() if v is not None}
    query = labs.LabQuery(markers, age, scheme)
    return labs.Assessor(thresholds(), thresholds().schemes[scheme]).assess(query.markers, query.age).verdict


@given(values=panel(), age=st.one_of(st.none(), st.floats(18, 125)), scheme=st.sampled_from(["documents", "nice"]),
       factor=st.floats(min_value=0.05, max_value=1.0), marker=st.sampled_from(labs.MARKERS))
def test_worse_markers_never_improve_the_verdict(values, age, scheme, factor, marker):
    if values[marker] is None:
        return
    before = verdict(values, age, scheme)
    worse = dict(values)
    low, high = PLAUSIBLE[marker]
    if marker in ("b12", "holotc"):  # direct markers: lower is worse
        worse[marker] = max(low, values[marker] * factor)
    else:  # functional markers: higher is worse
        worse[marker] = min(high, values[marker] / factor)
    assert RANK[verdict(worse, age, scheme)] >= RANK[before]


@given(data=st.data())
def test_unit_round_trip(data):
    marker = data.draw(st.sampled_from(labs.MARKERS))
    unit = data.draw(st.sampled_from(list(FACTORS[marker])))
    x = data.draw(st.floats(min_value=1e-3, max_value=1e6, allow_nan=False))
    back = from_canonical(marker, to_canonical(marker, x, unit), unit)
    assert back == pytest.approx(x, rel=1e-10)


def _inside(interval, x: float) -> bool:
    """The test's own reading of an interval (independent of the production lookup)."""
    above = x > interval.lower or (interval.lower_inclusive and x == interval.lower)
    below = x < interval.upper or (interval.upper_inclusive and x == interval.upper)
    return above and below


@given(values=panel(), scheme=st.sampled_from(["documents", "nice"]), data=st.data(),
       marker=st.sampled_from(labs.MARKERS), nudge=st.sampled_from([-1, 0, 1]))
def test_the_production_lookup_finds_the_one_band_holding_each_value(values, scheme, data, marker, nudge):
    """``band_for`` (what single queries and batch rows use) picks the band whose interval holds
    the value, and no other band holds it: at random values and at every edge and its neighbours."""
    bands = thresholds().schemes[scheme].markers
    edges = sorted({e for b in bands[marker].bands for e in (b.interval.lower, b.interval.upper) if math.isfinite(e)})
    edge = data.draw(st.sampled_from(edges))
    probes = [(m, v) for m, v in values.items() if v is not None]
    probes.append((marker, edge if nudge == 0 else math.nextafter(edge, math.inf * nudge)))
    for m, v in probes:
        found = bands[m].band_for(v)
        assert _inside(found.interval, v)
        assert [b for b in bands[m].bands if _inside(b.interval, v)] == [found]


# ----------------------------------------------------------------- batch rows read as single queries


def _cell_texts(marker: str, scheme: str, unit: str):
    """A result for ``marker`` as a laboratory might print it in ``unit``: at a band edge of the scheme
    (canonical or as published), just beside one, or anywhere plausible; sometimes only as a limit."""
    bands = thresholds().schemes[scheme].markers[marker]
    scales = [bands.scale(u) for u in FACTORS[marker]]
    edges = sorted({from_canonical(marker, e, unit) if s.unit == CANONICAL[marker] else e
                    for s in scales if s.unit in (unit, CANONICAL[marker])
                    for b in s.bands for e in (b.interval.lower, b.interval.upper) if math.isfinite(e)})
    low, high = (from_canonical(marker, x, unit) for x in PLAUSIBLE[marker])
    number = st.one_of(st.sampled_from(edges), st.sampled_from(edges).map(lambda e: e * 1.01),
                       st.sampled_from(edges).map(lambda e: e * 0.99), st.floats(low, high))
    shown = number.filter(lambda x: low <= x <= high).map(lambda x: f"{x:.4g}")
    sign = st.sampled_from(["", "", "", "", "<", ">", "<=", ">="])
    given = st.tuples(sign, shown).map("".join)
    return st.one_of(st.just(""), given, given, given)


@st.composite
def batch_case(draw):
    scheme = draw(st.sampled_from(["documents", "nice"]))
    units = {m: draw(st.sampled_from(list(FACTORS[m]))) for m in labs.MARKERS}
    refs = draw(st.sampled_from([[], ["b12=200-900 pg/mL"],
                                 ["holotc=35-150 pmol/L", "mma=0-0.4 umol/L", "hcy=<15 umol/L"]]))
    texts = {m: _cell_texts(m, scheme, units[m]) for m in labs.MARKERS}
    ages = st.sampled_from(["", "17", "18", "40", "70.5", "95"])
    rows = draw(st.lists(st.tuples(*texts.values(), ages), min_size=1, max_size=40))
    return scheme, units, refs, rows


@given(case=batch_case())
def test_every_batch_row_reads_as_the_same_single_query(case):
    """A batch works each combination of findings out once and keeps a cell's reading across rows
    (``batch.Interpreter``); each row must still say exactly what ``labs.interpret`` says of it alone."""
    from b12cli import batch
    from b12cli.columns import map_columns
    from b12cli.errors import UsageError

    scheme, units, refs, rows = case
    columns = map_columns([*labs.MARKERS, "age"], {}, units)
    options = batch.BatchOptions(scheme, refs, units, False, False)
    records = [(n, list(row), None) for n, row in enumerate(rows, 2)]
    outputs = []
    for fmt in batch.JsonlFormat(columns), batch.CsvFormat(columns):
        outputs.append(batch.process(batch.Interpreter(thresholds(), columns, options, fmt.marker), fmt, records)[0])
        with mock.patch.object(batch, "MEMO_LIMIT", 2), mock.patch.object(batch, "DECISION_LIMIT", 2):
            forgetful = batch.Interpreter(thresholds(), columns, options, fmt.marker)  # memos that forget at once
            assert batch.process(forgetful, fmt, records)[0] == outputs[-1]
    jsonl, table = map(json.loads, outputs[0].splitlines()), csv.DictReader(io.StringIO(outputs[1]), fieldnames=[
        *labs.MARKERS, "age", *batch.STATUS_COLUMNS])
    for row, record, written in zip(rows, jsonl, table, strict=True):
        raw = {m: t or None for m, t in zip(labs.MARKERS, row)}
        try:
            query = labs.LabQuery(labs.read_markers(raw, units), labs.read_age(row[-1] or None, "age"), scheme,
                                  labs.read_refs(refs, units))
            single = labs.interpret(thresholds(), query) if query.markers else None
        except UsageError:
            single = None
        if single is None:
            assert "error" in record, (row, record)
            continue
        statuses = {r.marker: r.status for r in single.markers}
        assert {m["marker"]: m["status"] for m in record["markers"]} == statuses, row
        assert {m: written[f"{m}_status"] for m in labs.MARKERS if written[f"{m}_status"]} == statuses, row
        assert written["verdict"] == single.verdict, row
        assert record["verdict"] == single.verdict, row
        expected = None if single.cb12 is None else {"value": single.cb12.value, "category": single.cb12.category}
        assert record["cb12"] == expected, row
