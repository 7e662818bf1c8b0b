"""`b12 history` on FHIR exports as they come: 0-0 ranges, FHIR R4 XML, files a folder does not read,
limits written as text (valueString) and the laboratory's own flag (interpretation).

Every fixture under fixtures/fhir/ is written by hand for these tests, with made-up patients."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from b12cli.inputs import fhir, results
from tests.conftest import bundle, without_sources, write

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fhir"
PANELS_JSON = FIXTURES / "panels.json"
PANELS_XML = FIXTURES / "panels.xml"
LOINC = "http://loinc.org"
CODES = {"2132-9": "b12", "14685-2": "b12", "13965-9": "hcy", "13964-2": "mma", "72160-5": "holotc"}
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
WHERE = fhir.Where("f", None, None)


def observation(code: str = "2132-9", when: str = "2024-01-15", **extra) -> dict:  # noqa: ANN003
    resource = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": LOINC, "code": code}]},
                "subject": {"reference": "Patient/t-1"}, "effectiveDateTime": when,
                "valueQuantity": {"value": 300, "unit": "pg/mL"}}
    resource.update(extra)
    return {k: v for k, v in resource.items() if v is not None}


XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def xml_observation(value: str = '<valueQuantity><value value="300"/><unit value="pg/mL"/></valueQuantity>',
                    when: str = "2024-01-15") -> str:
    return ('<Observation><status value="final"/><code><coding><system value="http://loinc.org"/>'
            '<code value="2132-9"/></coding></code><subject><reference value="Patient/t-1"/></subject>'
            f'<effectiveDateTime value="{when}"/>{value}</Observation>')


def xml_bundle(*resources: str, kind: str = "collection") -> str:
    entries = "".join(f"<entry><resource>{r}</resource></entry>" for r in resources)
    return f'{XML_HEAD}<Bundle xmlns="http://hl7.org/fhir"><type value="{kind}"/>{entries}</Bundle>\n'


# ----------------------------------------------------------------- 1. a range of 0-0 is no range


def test_a_zero_zero_range_is_no_range_with_one_note(b12):
    run = b12("history", str(FIXTURES / "zero_range.json"), "--format", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["errors"] == [] and doc["used"] == 3
    [person] = doc["people"]
    assert [p["date"] for p in person["panels"]] == ["2022-06-01", "2022-12-07"]
    markers = [m for p in person["panels"] for m in p["markers"]]
    assert [(m["marker"], m["status"], m["lab_flag"]) for m in markers] == [
        ("b12", "normal", None), ("hcy", "normal", None), ("b12", "normal", None)]
    assert not any("laboratory's range" in m["reference"] for m in markers)
    said = [n for n in doc["notes"] if "0-0" in n]
    assert len(said) == 1 and "read as no range" in said[0]
    assert "0-0" not in run.stderr  # one note, not a line per result


def test_a_zero_zero_range_note_is_shown_once_in_the_table(b12):
    run = b12("history", str(FIXTURES / "zero_range.json"))
    assert run.exit_code == 0
    assert run.stderr.count("0-0") == 1 and "No B12 results" not in run.stdout + run.stderr


@pytest.mark.parametrize("ends", [{"low": 0, "high": 0}, {"low": 0}, {"high": 0}])
def test_every_end_zero_is_no_range(registry, ends):
    ref = [{k: {"value": v, "unit": "pg/mL"} for k, v in ends.items()}]
    reading = fhir.read_observation(observation(referenceRange=ref), WHERE, CODES, LOINC, registry)
    assert (reading.ref_low, reading.ref_high, reading.zero_range) == (None, None, True)
    observed = results._observed_from(registry, reading, True)
    assert observed.ref is None


def test_a_range_from_zero_with_a_high_end_is_still_a_range(registry):
    ref = [{"low": {"value": 0, "unit": "umol/L"}, "high": {"value": 15, "unit": "umol/L"}}]
    resource = observation("13965-9", valueQuantity={"value": 12, "unit": "umol/L"}, referenceRange=ref)
    reading = fhir.read_observation(resource, WHERE, CODES, LOINC, registry)
    assert (reading.ref_low, reading.ref_high, reading.zero_range) == (0, 15, False)


def test_no_lab_ranges_adds_no_zero_range_note(b12):
    doc = b12("history", str(FIXTURES / "zero_range.json"), "--no-lab-ranges", "--format", "json").json()
    assert not any("0-0" in n for n in doc["notes"])


# ----------------------------------------------------------------- 2. FHIR R4 XML


def test_the_same_resources_as_json_and_as_xml_give_the_same_panels(b12):
    runs = [b12("history", str(path), "--format", "json") for path in (PANELS_JSON, PANELS_XML)]
    assert [r.exit_code for r in runs] == [0, 0], runs[1].stderr
    as_json, as_xml = (r.json() for r in runs)
    assert without_sources(as_xml)["people"] == without_sources(as_json)["people"]
    for key in ("used", "skipped", "skipped_reasons", "errors", "notes"):
        assert as_xml[key] == as_json[key], key
    assert [p["id"] for p in as_xml["people"]] == ["Patient/w-204", "Patient/w-518"]
    assert len(as_xml["people"][0]["panels"]) == 2 and as_xml["skipped"] == 2
    censored = [(m["marker"], m["censored"], m["value"], m["unit"]) for p in as_xml["people"][0]["panels"]
                for m in p["markers"]]
    assert censored == [("b12", None, 310.0, "pg/mL"), ("mma", None, 0.52, "umol/L"),
                        ("b12", "<", 111.0, "pmol/L"), ("hcy", ">", 30.0, "umol/L")]


@pytest.mark.parametrize("path", [PANELS_JSON, PANELS_XML])
def test_the_interpretation_code_reaches_the_panel_as_printed_flag(b12, path):
    """Kept through history's compact store to the marker object, in JSON and XML alike."""
    doc = b12("history", str(path), "--format", "json").json()
    flags = [(m["marker"], m["printed_flag"]) for p in doc["people"][0]["panels"] for m in p["markers"]]
    assert flags == [("b12", "N"), ("mma", "H"), ("b12", "L"), ("hcy", None)]


def test_xml_sources_name_the_bundle_entry(b12):
    doc = b12("history", str(PANELS_XML), "--format", "json").json()
    sources = [(Path(s["file"]).name, s["entry"]) for p in doc["people"][0]["panels"] for s in p["sources"]]
    assert sources == [("panels.xml", "entry[0]"), ("panels.xml", "entry[1]"), ("panels.xml", "entry[2]"),
                       ("panels.xml", "entry[3]")]


def test_a_single_xml_observation_is_read(b12):
    run = b12("history", str(FIXTURES / "observation.xml"), "--format", "json")
    assert run.exit_code == 0, run.stderr
    [panel] = run.json()["people"][0]["panels"]
    [b12_marker] = panel["markers"]
    assert (panel["date"], b12_marker["value"], b12_marker["censored"], b12_marker["lab_flag"]) == \
        ("2024-03-12", 2000.0, ">", "high")
    assert "your laboratory's range 197-771 pg/mL" in b12_marker["reference"]


@pytest.mark.parametrize("name", ["export.txt", "export"])
def test_a_named_file_starting_with_a_tag_is_read_as_xml(b12, tmp_path, name):
    text = "\ufeff \n\n" + (FIXTURES / "observation.xml").read_text(encoding="utf-8")
    run = b12("history", write(tmp_path, name, text), "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["used"] == 1


@pytest.mark.parametrize("name", ["export.ndjson", "export.json"])
def test_a_json_name_wins_over_a_leading_tag(b12, tmp_path, name):
    text = "<not json\n" + json.dumps(observation()) + "\n"
    doc = b12("history", write(tmp_path, name, text), "--format", "json").json()
    assert all("XML" not in e["reason"] for e in doc["errors"]) and doc["errors"]
    assert doc["errors"][0]["reason"].startswith("not JSON")


def test_stdin_starting_with_a_tag_is_read_as_xml(b12):
    run = b12("history", "-", "--format", "json", input=PANELS_XML.read_bytes())
    assert run.exit_code == 0, run.stderr
    assert run.json()["used"] == 5


def test_a_folder_reads_its_xml_files(b12, tmp_path):
    (tmp_path / "sep").mkdir()
    shutil.copy(FIXTURES / "observation.xml", tmp_path / "sep" / "b12.xml")
    write(tmp_path, "hcy.json", observation("13965-9", when="2024-03-12",
                                            subject={"reference": "Patient/k-77"},
                                            valueQuantity={"value": 9, "unit": "umol/L"}))
    doc = b12("history", str(tmp_path), "--format", "json").json()
    [panel] = doc["people"][0]["panels"]
    assert [m["marker"] for m in panel["markers"]] == ["b12", "hcy"] and doc["errors"] == []
    assert not any(n.startswith("Not read from the folder") for n in doc["notes"])


def test_a_billion_laughs_file_is_refused_at_once(b12):
    started = time.perf_counter()
    run = b12("history", str(FIXTURES / "laughs.xml"), "--format", "json")
    assert time.perf_counter() - started < 10
    assert run.exit_code == 4
    [error] = run.json()["errors"]
    assert "DOCTYPE declaration is refused" in error["reason"] and error["line"] == 3
    assert "ha" * 10 not in run.stdout + run.stderr


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE Observation [<!ENTITY who SYSTEM "{secret}">]>',
    '<!DOCTYPE Observation SYSTEM "{secret}">',
    '<!DOCTYPE Observation [<!ENTITY % p SYSTEM "{secret}"> %p;]>',
], ids=["external-entity", "external-dtd", "parameter-entity"])
def test_an_external_entity_is_refused_and_the_file_never_read(b12, tmp_path, doctype):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7731", encoding="utf-8")
    body = xml_observation().replace('value="Patient/t-1"', 'value="&who;"') if "who" in doctype else \
        xml_observation()
    text = XML_HEAD + doctype.format(secret=secret.as_uri()) + "\n" + \
        body.replace("<Observation>", '<Observation xmlns="http://hl7.org/fhir">')
    run = b12("history", write(tmp_path, "x.xml", text), "--format", "json")
    assert run.exit_code == 4
    assert "TOP-SECRET" not in run.stdout + run.stderr
    assert "DOCTYPE declaration is refused" in run.json()["errors"][0]["reason"]


def test_an_entity_without_a_declaration_is_not_well_formed(b12, tmp_path):
    text = xml_bundle(xml_observation().replace('value="Patient/t-1"', 'value="&who;"'))
    run = b12("history", write(tmp_path, "x.xml", text), "--format", "json")
    assert run.exit_code == 4
    assert "not well-formed XML (undefined entity" in run.json()["errors"][0]["reason"]


@pytest.mark.parametrize(("text", "reason", "line"), [
    (XML_HEAD + "<html><body>hello</body></html>", "not FHIR XML: the root element <html> is in no namespace", 2),
    (XML_HEAD + '<svg xmlns="http://www.w3.org/2000/svg"/>', "in the namespace http://www.w3.org/2000/svg", 2),
    (XML_HEAD + '<Bundle xmlns="http://hl7.org/fhir">\n<type value="collection"/>\n<entry>', "no element found", 4),
    (XML_HEAD + '<Observation xmlns="http://hl7.org/fhir"><status value="final"></Observation>', "mismatched tag", 2),
    ("<" + "a " * 10, "not well-formed XML", 1),
    (xml_bundle(xml_observation(), kind="history"), 'Bundle type "history" is not read', 2),
    (XML_HEAD + '<Bundle xmlns="http://hl7.org/fhir"><type value="batch"/><entry><resource><Observation>'
     + "<code>" * 70, "nested deeper than 64", 2),
], ids=["html", "svg", "broken-off", "mismatched", "garbage", "bundle-type", "deep"])
def test_a_file_that_is_not_fhir_xml_is_one_error_with_its_line(b12, tmp_path, text, reason, line):
    run = b12("history", write(tmp_path, "x.xml", text), "--format", "json")
    assert run.exit_code == 4
    [error] = run.json()["errors"]
    assert reason in error["reason"] and error["line"] == line


@pytest.mark.parametrize(("value", "reason"), [
    ('<valueQuantity><value value="abc"/><unit value="pg/mL"/></valueQuantity>',
     'valueQuantity.value is a string "abc"'),
    ('<valueQuantity><value value="1e400"/><unit value="pg/mL"/></valueQuantity>', "not a finite number"),
    ('<valueQuantity><value value="300"/></valueQuantity>', "has no unit"),
    ('<valueQuantity><value value="300"/><value value="301"/><unit value="pg/mL"/></valueQuantity>',
     "valueQuantity.value is a list"),
    ("", "no value; expected valueQuantity"),
], ids=["text", "overflow", "no-unit", "twice", "none"])
def test_a_bad_xml_observation_is_an_error_and_the_rest_carry_on(b12, tmp_path, value, reason):
    text = xml_bundle(xml_observation(when="2024-04-20"), xml_observation(value))
    run = b12("history", write(tmp_path, "b.xml", text), "--format", "json")
    assert run.exit_code == 4
    doc = run.json()
    [error] = doc["errors"]
    assert reason in error["reason"] and error["entry"] == "entry[1]"
    assert [p["date"] for p in doc["people"][0]["panels"]] == ["2024-04-20"]


def test_an_entry_with_two_resources_is_an_error(b12, tmp_path):
    text = xml_bundle(xml_observation() + xml_observation(when="2024-02-02"))
    doc = b12("history", write(tmp_path, "b.xml", text), "--format", "json").json()
    assert [(e["entry"], e["reason"]) for e in doc["errors"]] == [
        ("entry[0]", "the entry's resource holds more than one resource")]


def test_xml_elements_become_the_json_shape():
    from b12cli.inputs import fhir_xml

    text = xml_bundle(xml_observation('<valueQuantity><value value="-0.5e2"/><comparator value="&lt;="/>'
                                      '<unit value="pg/mL"/></valueQuantity>'
                                      '<referenceRange><low><value value="200"/></low><text value="x"/>'
                                      '</referenceRange><note><text value="a"/></note><status value="x"/>'))
    [(resource, where)] = list(fhir_xml.document_items(text.encode("utf-8"), "f"))
    assert where == fhir.Where("f", None, "entry[0]")
    assert resource["resourceType"] == "Observation"
    assert resource["valueQuantity"] == {"value": -50.0, "comparator": "<=", "unit": "pg/mL"}
    assert resource["referenceRange"] == [{"low": {"value": 200.0}, "text": "x"}]
    assert resource["code"] == {"coding": [{"system": LOINC, "code": "2132-9"}]}
    assert resource["note"] == [{"text": "a"}] and resource["status"] == ["final", "x"]


# ----------------------------------------------------------------- 3. files a folder does not read


def test_files_a_folder_does_not_read_are_named_and_counted(b12, tmp_path):
    write(tmp_path, "b.json", observation())
    for name in ("notes.txt", "results.csv", "scan.pdf"):
        write(tmp_path, name, "x")
    run = b12("history", str(tmp_path), "--format", "json")
    assert run.exit_code == 0
    [note] = [n for n in run.json()["notes"] if n.startswith("Not read from the folder")]
    assert "(3 files; only .json, .ndjson and .xml files are read)" in note
    for name in ("notes.txt", "results.csv", "scan.pdf"):
        assert f"{tmp_path / name} (not a .json, .ndjson or .xml file)" in note
    table = b12("history", str(tmp_path))
    assert "3 files" in table.stderr and "scan.pdf" in table.stderr


def test_a_folder_of_files_it_does_not_read_says_so(b12, tmp_path):
    write(tmp_path, "export.txt", "hello")
    run = b12("history", str(tmp_path))
    assert run.exit_code == 0
    assert "Not read from the folder (1 file;" in run.stderr and "export.txt" in run.stderr


def test_names_of_files_not_read_are_printed_safely(b12, tmp_path):
    write(tmp_path, "a\x1b[2Jb.txt", "x")
    run = b12("history", str(tmp_path), "--format", "json")
    [note] = [n for n in run.json()["notes"] if n.startswith("Not read from the folder")]
    assert "a\\x1b[2Jb.txt" in note and "\x1b" not in note
    assert "\x1b" not in b12("history", str(tmp_path)).stderr


def test_files_of_the_read_kinds_that_cannot_be_read_are_errors(b12, tmp_path):
    write(tmp_path, "b.json", observation())
    (tmp_path / "gone.xml").symlink_to(tmp_path / "missing.xml")
    write(tmp_path, "page.xml", "<html><body/></html>")
    run = b12("history", str(tmp_path), "--format", "json")
    assert run.exit_code == 4
    reasons = {Path(e["file"]).name: e["reason"] for e in run.json()["errors"]}
    assert "expected a FHIR JSON, NDJSON or XML file" in reasons["gone.xml"]
    assert reasons["page.xml"].startswith("not FHIR XML")
    assert "gone.xml" in run.stderr and "page.xml" in run.stderr


# ----------------------------------------------------------------- 4. valueString limits


@pytest.mark.parametrize(("code", "text", "ref_unit", "expected"), [
    ("72160-5", ">20", "pmol/L", (20.0, ">", "pmol/L")),
    ("2132-9", "<150", "pg/mL", (150.0, "<", "pg/mL")),
    ("13964-2", "< or = 0.40", "umol/L", (0.4, "<=", "umol/L")),
    ("13964-2", "<= 400", "nmol/L", (400.0, "<=", "nmol/L")),
    ("2132-9", "<150 pg/mL", None, (150.0, "<", "pg/mL")),
    ("14685-2", "GREATER THAN 1476 pmol/L", None, (1476.0, ">", "pmol/L")),
    ("2132-9", "180", "pg/mL", (180.0, None, "pg/mL")),
], ids=["holotc", "b12", "mma-or-equal", "mma-nmol", "unit-in-text", "words", "number"])
def test_a_limit_in_value_string_is_a_censored_value(registry, code, text, ref_unit, expected):
    ref = None if ref_unit is None else [{"high": {"value": 900 if code == "2132-9" else 40, "unit": ref_unit}}]
    resource = observation(code, valueQuantity=None, valueString=text, referenceRange=ref)
    reading = fhir.read_observation(resource, WHERE, CODES, LOINC, registry)
    assert isinstance(reading, fhir.Reading), reading
    assert (reading.value, reading.comparator, reading.unit) == expected


def test_a_value_string_limit_is_read_as_labs_reads_it(b12, tmp_path):
    ref = [{"low": {"value": 200, "unit": "pg/mL"}, "high": {"value": 900, "unit": "pg/mL"}}]
    path = write(tmp_path, "b.json", bundle(observation(valueQuantity=None, valueString="<150", referenceRange=ref)))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    [marker] = run.json()["people"][0]["panels"][0]["markers"]
    labs = b12("labs", "--b12", "<150", "--ref", "b12=200-900", "--format", "json").json()["markers"][0]
    assert marker == labs


@pytest.mark.parametrize(("text", "ref", "reason"), [
    ("see comment", [{"high": {"value": 900, "unit": "pg/mL"}}], "valueString 'see comment' is not a number"),
    (">20", None, "valueString '>20' has no unit"),
    ("<150 mg/dL", None, "'mg/dL' in '150 mg/dL' is not a known unit"),
    ("<", [{"high": {"value": 900, "unit": "pg/mL"}}], "is not a number"),
    ("<5", [{"high": {"value": 900, "unit": "pg/mL"}}], "outside the plausible range"),
], ids=["words", "no-unit", "unknown-unit", "sign-only", "implausible"])
def test_a_value_string_that_is_not_a_number_or_limit_is_an_error(b12, tmp_path, text, ref, reason):
    path = write(tmp_path, "b.json", bundle(observation(when="2024-04-20"),
                                            observation(valueQuantity=None, valueString=text, referenceRange=ref)))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 4
    [error] = run.json()["errors"]
    assert reason in error["reason"] and error["entry"] == "entry[1]"


# ----------------------------------------------------------------- 5. the laboratory's own flag


@pytest.mark.parametrize(("interpretation", "flag"), [
    ([{"coding": [{"system": V3, "code": "H"}]}], "H"),
    ([{"coding": [{"system": V3, "code": "LL"}]}], "LL"),
    ({"coding": [{"system": "http://hl7.org/fhir/v2/0078", "code": "A"}]}, "A"),
    ([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0078", "code": "N"}]}], "N"),
    ([{"coding": [{"system": "http://example.org/flags", "code": "H"}]}], None),
    ([{"coding": [{"code": "L"}]}], None),
    ([{"text": "high"}, {"coding": [{"system": V3, "code": "POS"}, {"system": V3, "code": "HH"}]}], "HH"),
    (None, None),
], ids=["H", "LL", "dstu2-object", "v2-0078", "other-system", "no-system", "second", "none"])
def test_the_interpretation_code_is_kept_as_written(registry, interpretation, flag):
    resource = observation(interpretation=interpretation)
    reading = fhir.read_observation(resource, WHERE, CODES, LOINC, registry)
    assert reading.flag == flag
    assert results._observed_from(registry, reading, True).value.flag == flag


@pytest.mark.parametrize("interpretation", ["H", [{"coding": {"code": "H"}}], ["H"]])
def test_a_malformed_interpretation_is_an_error(registry, interpretation):
    record = fhir.read_observation(observation(interpretation=interpretation), WHERE, CODES, LOINC, registry)
    assert isinstance(record, fhir.Problem) and "interpretation" in record.reason


def test_the_flag_never_changes_the_reading(b12):
    doc = b12("history", str(PANELS_JSON), "--format", "json").json()
    first = {m["marker"]: m for m in doc["people"][0]["panels"][0]["markers"]}
    assert (first["b12"]["status"], first["b12"]["lab_flag"]) == ("normal", "within")  # the lab said N
    assert (first["mma"]["status"], first["mma"]["lab_flag"]) == ("high", "high")  # the lab said H
