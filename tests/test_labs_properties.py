"""Invariants of the lab interpreter, checked with hypothesis."""

from __future__ import annotations

import math
from functools import cache

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
