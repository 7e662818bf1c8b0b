"""Invariants of the lab interpreter, checked with hypothesis, and the oracle that holds every batch
row to the single query with the same values, byte for byte."""

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

from b12cli.domain import labs
from b12cli.domain.numbers import parse_age
from b12cli.kb import KnowledgeBase, bundled_data_dir

RANK = labs.SEVERITY
MARKERS = ("b12", "holotc", "mma", "hcy")


@cache
def base() -> KnowledgeBase:
    """Loaded on first use inside a test (with its isolated cache), never at import time."""
    return KnowledgeBase(bundled_data_dir())


def thresholds():
    return base().thresholds


def marker(marker_id):
    return thresholds().registry.get(marker_id)


def value(marker_id):
    low, high = marker(marker_id).plausible
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def panel():
    """Some markers (at least one), an optional adult age, and a scheme."""
    return st.fixed_dictionaries(
        {m: st.one_of(st.none(), st.deferred(lambda m=m: value(m))) for m in MARKERS}
    ).filter(lambda d: any(v is not None for v in d.values()))


def verdict(values: dict, age: float | None, scheme: str) -> str:
    markers = {m: labs.MarkerValue(m, v, marker(m).canonical_unit, v) for m, v in values.items() if v is not None}
    query_age = None if age is None else parse_age(repr(age))
    return labs.Judge(thresholds(), scheme).assess(markers, query_age).verdict


@given(values=panel(), age=st.one_of(st.none(), st.floats(18, 125)), scheme=st.sampled_from(["documents", "nice"]),
       factor=st.floats(min_value=0.05, max_value=1.0), marker_id=st.sampled_from(MARKERS))
def test_worse_markers_never_improve_the_verdict(values, age, scheme, factor, marker_id):
    if values[marker_id] is None:
        return
    before = verdict(values, age, scheme)
    worse = dict(values)
    low, high = marker(marker_id).plausible
    if marker(marker_id).role == "direct":  # lower is worse
        worse[marker_id] = max(low, values[marker_id] * factor)
    else:  # functional markers: higher is worse
        worse[marker_id] = min(high, values[marker_id] / factor)
    assert RANK[verdict(worse, age, scheme)] >= RANK[before]


@given(data=st.data())
def test_unit_round_trip(data):
    m = marker(data.draw(st.sampled_from(MARKERS)))
    unit = data.draw(st.sampled_from(m.unit_names))
    x = data.draw(st.floats(min_value=1e-3, max_value=1e6, allow_nan=False))
    assert m.from_canonical(m.to_canonical(x, unit), unit) == pytest.approx(x, rel=1e-10)


def _inside(interval, x: float) -> bool:
    """The test's own reading of an interval (independent of the production lookup)."""
    above = x > interval.lower or (interval.lower_inclusive and x == interval.lower)
    below = x < interval.upper or (interval.upper_inclusive and x == interval.upper)
    return above and below


@given(values=panel(), scheme=st.sampled_from(["documents", "nice"]), data=st.data(),
       marker_id=st.sampled_from(MARKERS), nudge=st.sampled_from([-1, 0, 1]))
def test_the_production_lookup_finds_the_one_band_holding_each_value(values, scheme, data, marker_id, nudge):
    """``band_for`` (what single queries and batch rows use) picks the band whose interval holds
    the value, and no other band holds it: at random values and at every edge and its neighbours."""
    bands = thresholds().schemes[scheme].markers
    edges = sorted({e for b in bands[marker_id].bands for e in (b.interval.lower, b.interval.upper)
                    if math.isfinite(e)})
    edge = data.draw(st.sampled_from(edges))
    probes = [(m, v) for m, v in values.items() if v is not None]
    probes.append((marker_id, edge if nudge == 0 else math.nextafter(edge, math.inf * nudge)))
    for m, v in probes:
        found = bands[m].band_for(v)
        assert _inside(found.interval, v)
        assert [b for b in bands[m].bands if _inside(b.interval, v)] == [found]


# ----------------------------------------------------------------- batch rows read as single queries


def _cell_texts(marker_id: str, scheme: str, unit: str):
    """A result for ``marker_id`` as a laboratory might print it in ``unit``: at a band edge of the scheme
    (canonical or as published), just beside one, or anywhere plausible; sometimes only as a limit."""
    m = marker(marker_id)
    bands = thresholds().schemes[scheme].markers[marker_id]
    scales = [bands.scale(u) for u in m.unit_names]
    edges = sorted({m.from_canonical(e, unit) if s.unit == m.canonical_unit else e
                    for s in scales if s.unit in (unit, m.canonical_unit)
                    for b in s.bands for e in (b.interval.lower, b.interval.upper) if math.isfinite(e)})
    low, high = (m.from_canonical(x, unit) for x in m.plausible)
    number = st.one_of(st.sampled_from(edges), st.sampled_from(edges).map(lambda e: e * 1.01),
                       st.sampled_from(edges).map(lambda e: e * 0.99), st.floats(low, high))
    shown = number.filter(lambda x: low <= x <= high).map(lambda x: f"{x:.4g}")
    sign = st.sampled_from(["", "", "", "", "<", ">", "<=", ">="])
    given = st.tuples(sign, shown).map("".join)
    return st.one_of(st.just(""), given, given, given)


# Values that round to a cB12 of zero, once with each sign (the 0.6.2 batch wrote -0.0 for both).
ZERO_CB12_ROWS = [("1161.5", "35.9", "0.36", "22.4", "77"), ("897.3", "70.4", "0.52", "24.2", "79")]


@st.composite
def batch_case(draw):
    scheme = draw(st.sampled_from([None, "documents", "nice"]))  # None: every scheme reads, the most cautious wins
    units = {m: draw(st.sampled_from(marker(m).unit_names)) for m in MARKERS}
    refs = draw(st.sampled_from([[], ["b12=200-900 pg/mL"],
                                 ["holotc=35-150 pmol/L", "mma=0-0.4 umol/L", "hcy=<15 umol/L"]]))
    texts = {m: _cell_texts(m, scheme or "nice", units[m]) for m in MARKERS}
    ages = st.sampled_from(["", "17", "18", "40", "70.5", "95", "17.99999999999999999"])
    rows = draw(st.lists(st.tuples(*texts.values(), ages), min_size=1, max_size=40))
    if units["b12"] == "pg/mL" and units["mma"] == "umol/L":
        rows += draw(st.sampled_from([[], ZERO_CB12_ROWS]))
    return scheme, units, refs, rows


def _single_record(scheme, units, refs, row) -> str | None:
    """What ``b12 labs --format jsonl`` writes for the row's values alone (None: the query is refused)."""
    from b12cli.commands.labs import single
    from b12cli.errors import UsageError
    from b12cli.output.formats import WRITERS

    raw = {m: t or None for m, t in zip(MARKERS, row)}
    if not any(raw.values()):
        return None
    try:
        result = single(base(), raw, units, row[-1] or None, scheme, refs, labs.Context(), False, "jsonl")
    except UsageError:
        return None
    out = io.StringIO()
    with mock.patch("sys.stdout", out):
        WRITERS["jsonl"](result)
    return out.getvalue()


def _computed(record: str) -> str:
    """A row record from ``"markers"`` on: what was computed, apart from the line and the input echo."""
    return record[record.index('"markers":'):]


@given(case=batch_case())
def test_every_batch_row_writes_the_bytes_of_the_same_single_query(case):
    """Each batch row ends in exactly the bytes a single query with the same values writes (markers,
    verdict, cB12, urgency), whatever the memos remember or forget; its CSV statuses say the same."""
    from b12cli import batch
    from b12cli.batch import interpret
    from b12cli.inputs.columns import map_columns
    from b12cli.inputs.csv_rows import Dialect

    scheme, units, refs, rows = case
    registry = thresholds().registry
    columns = map_columns(registry, [*MARKERS, "age"], {}, units)
    options = batch.BatchOptions(scheme, refs, units, labs.Context(), False)
    records = [(n, list(row), None) for n, row in enumerate(rows, 2)]
    dialect = Dialect(",", False, False)
    outputs = []
    for make in (lambda i: batch.JsonlFormat(columns, i.encode), lambda i: batch.CsvFormat(columns, registry.ids)):
        interpreter = batch.Interpreter(thresholds(), columns, options, dialect, ascii_only=False)
        outputs.append(batch.process(interpreter, make(interpreter), records, batch.Tally()))
        with mock.patch.object(interpret, "CELL_MEMO", 1), mock.patch.object(interpret, "DECISION_MEMO", 1):
            forgetful = batch.Interpreter(thresholds(), columns, options, dialect, ascii_only=False)
            assert batch.process(forgetful, make(forgetful), records, batch.Tally()) == outputs[-1]
    from b12cli.output.documents import LABS_CSV_STATUS

    header = [*MARKERS, "age", *(f"{m}_status" for m in registry.ids), *LABS_CSV_STATUS]
    table = csv.DictReader(io.StringIO(outputs[1]), fieldnames=header)
    for row, record, written in zip(rows, outputs[0].splitlines(), table, strict=True):
        single = _single_record(scheme, units, refs, row)
        if single is None:
            assert '"error":' in record, (row, record)
            continue
        assert _computed(record) + "\n" == _computed(single), row
        assert "-0.0" not in record
        document = json.loads(record)
        statuses = {m["marker"]: m["status"] for m in document["markers"]}
        assert {m: written[f"{m}_status"] for m in MARKERS if written[f"{m}_status"]} == statuses, row
        assert written["verdict"] == document["verdict"], row
