"""Bounded property tests, one per reader of other people's files (CSV, NDJSON, a FHIR JSON
document): whatever surrounds them, the good records are all read, each bad one is one error
on its own line, and nothing raises. These are the attacks that found D2, D3 and C1, made cheap
enough to run on every change."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12cli.inputs import fhir

BOUNDED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text that has broken readers before: separators, CR, NUL, line breaks that are not LF, escapes.
HOSTILE = st.text(alphabet=st.sampled_from(list(",;\t\r\x00\x0b\x0c\x1c\x85\u2028\u2029\x1b'<>=é漢 abc0123.-")),
                  max_size=30)


def _observation(i: int, note: str) -> dict:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"}], "text": note},
            "subject": {"reference": f"Patient/p{i}"}, "effectiveDateTime": "2024-01-01",
            "valueQuantity": {"value": 200 + i, "unit": "pg/mL"}}


@BOUNDED
@given(rows=st.lists(st.one_of(st.none(), HOSTILE), min_size=1, max_size=25), unclosed=st.booleans())
def test_csv_every_good_row_is_read_whatever_lies_between(b12, tmp_path, rows, unclosed):
    lines, good = ["id,date,b12,note"], []
    for i, hostile in enumerate(rows):
        if hostile is None:
            lines.append(f"p{i},2024-01-01,{200 + i},ok")
            good.append(f"p{i}")
        else:
            lines.append(hostile)
    if unclosed:
        lines.insert(2, 'x,2024-01-01,180,"never closed')
    path = tmp_path / "rows.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    result = b12("history", str(path), "--format", "json")
    assert result.exit_code in (0, 2, 4) and "internal error" not in result.stderr
    if result.exit_code == 2:
        return  # a hostile header line cannot be read: one usage error, nothing else
    people = {p["id"] for p in result.json()["people"]}
    assert set(good) <= people


@BOUNDED
@given(lines=st.lists(st.one_of(st.tuples(st.just("good"), HOSTILE), st.tuples(st.just("bad"), HOSTILE)),
                      min_size=1, max_size=20))
def test_ndjson_good_lines_are_read_and_each_bad_line_is_its_own_error(b12, tmp_path, lines):
    text, good, bad = [], {}, set()
    for number, (kind, note) in enumerate(lines, 1):
        if kind == "good":
            text.append(json.dumps(_observation(number, note), ensure_ascii=False))  # U+2028 and U+0085 unescaped
            good[f"Patient/p{number}"] = number
        else:
            text.append(note)
            if note.strip(" \t\r"):
                bad.add(number)
    path = tmp_path / "export.ndjson"
    path.write_bytes(("\n".join(text) + "\n").encode("utf-8"))
    result = b12("history", str(path), "--format", "json")
    if not good and not bad:  # blank lines only: an empty export
        assert result.exit_code == 2 and "is empty" in result.stderr
        return
    document = result.json()
    read = {p["id"]: p["panels"][0]["sources"][0]["line"] for p in document["people"]}
    assert read == good
    assert {e["line"] for e in document["errors"]} == bad
    assert result.exit_code == (4 if bad else 0)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | HOSTILE,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE, inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(JSON_VALUES, max_size=6), extra=st.dictionaries(st.sampled_from(["id", "meta", "total"]),
                                                                        JSON_VALUES, max_size=2),
       indent=st.sampled_from([None, 0, 2]), cut=st.integers(0, 400))
def test_a_bundle_read_entry_by_entry_is_the_bundle_read_whole(entries, extra, indent, cut):
    """The streaming reader of a JSON document yields what parsing it whole yields; cut anywhere,
    it yields the entries before the cut and then one error, and never raises."""
    bundle = {"resourceType": "Bundle", "type": "collection", **extra,
              "entry": [{"resource": e} if k % 2 == 0 else e for k, e in enumerate(entries)]}
    text = json.dumps(bundle, indent=indent)
    whole = list(fhir._document(fhir.loads(text), "f", None))
    assert list(fhir.document_items(text, "f")) == whole
    broken = list(fhir.document_items(text[:cut], "f"))
    if cut < len(text.rstrip()):
        assert isinstance(broken[-1], fhir.Problem) and broken[:-1] == whole[:len(broken) - 1]
