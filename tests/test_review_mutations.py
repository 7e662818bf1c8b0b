"""The hand mutations of the 0.6.2 code review that the suite let through (M08, M24, M27, M34, M38, M40,
M46, M48, M55), each held by a test here that names it (M27 and M55 sit with their neighbours in
test_batch.py and test_cache.py). Each test fails when its mutation is applied to the code it guards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_history import bundle, observation, write


def labs(b12, *args) -> dict:
    result = b12("labs", *args, "--format", "json")
    assert result.exit_code in (0, 3), result.stderr
    return result.json()


def test_m08_a_limit_at_or_below_an_edge_includes_the_edge(b12):
    """M08 read ``<=150`` as ``<150``: 150 itself (low under the documents' bands) was never probed."""
    (at_or_below,) = labs(b12, "--b12", "<=150")["markers"]
    (below,) = labs(b12, "--b12", "<150")["markers"]
    assert at_or_below["status"] == "deficient" and at_or_below["could_be"] == ["low", "deficient"]
    assert below["status"] == "deficient" and below["could_be"] == []
    (above,) = labs(b12, "--b12", ">=914")["markers"]  # the same at the top edge: 914 itself is normal
    assert above["could_be"] == ["normal", "high"]


def test_m40_a_limit_beside_an_own_range_probes_the_range_ends(b12):
    """M40 did not probe the own range's ends: below 300 with a range from 290, 290-300 reads normal."""
    (found,) = labs(b12, "--b12", "<300", "--ref", "b12=290-900")["markers"]
    assert "normal" in found["could_be"] and found["status"] == "deficient"


def test_m46_no_scheme_is_listed_twice_among_the_other_readings(b12):
    """M46 let one scheme appear twice in other_schemes."""
    for args in (["--holotc", "28", "--ref", "holotc=>37.5"], ["--b12", "210", "--ref", "b12=250-900"],
                 ["--b12", "160", "--ref", "b12=100-914"]):
        for found in labs(b12, *args)["markers"]:
            schemes = [o["scheme"] for o in found["other_schemes"]]
            assert len(schemes) == len(set(schemes)), (args, schemes)


@pytest.mark.parametrize(("column", "order", "shown"), [
    ("mma", ("0.4", "0.402"), ("0.4 umol/L", "0.402 umol/L")),  # across a band edge
    ("mma", ("0.402", "0.4"), ("0.4 umol/L", "0.402 umol/L")),
    ("b12", ("500", "501"), ("500 pg/mL", "501 pg/mL")),  # 0.2% apart, the same band: still two results
])
def test_m24_d1_two_close_results_in_one_unit_are_never_merged(b12, column, order, shown):
    """M24 folded results within 5% (and 0.6.2 within 0.5%): two different values in one unit on one day are
    two results; whichever order the rows come in, the day is an error naming both, and the exit code is 4."""
    text = f"id,date,{column}\n" + "".join(f"p1,2024-01-01,{v}\n" for v in order)
    result = b12("history", "-", "--check", "--format", "json", input=text)
    assert result.exit_code == 4
    (error,) = result.json()["errors"]
    assert shown[0] in error["reason"] and shown[1] in error["reason"]


def test_m24_the_same_result_in_two_units_is_folded_only_within_rounding(b12, tmp_path):
    """180 pg/mL and 133 pmol/L (180.27 pg/mL) are one result written twice; 180 pg/mL and 138 pmol/L (187 pg/mL,
    4% apart, the same band) are two, which a 5% tolerance (M24) would have folded."""
    same = bundle(observation(value=180, unit="pg/mL"), observation(value=133, unit="pmol/L"))
    close = bundle(observation(value=180, unit="pg/mL"), observation(value=138, unit="pmol/L"))
    folded = b12("history", write(tmp_path, "same.json", same), "--format", "json")
    assert folded.exit_code == 0 and len(folded.json()["people"][0]["panels"]) == 1
    refused = b12("history", write(tmp_path, "close.json", close), "--format", "json")
    assert refused.exit_code == 4 and "2 different B12 results" in refused.json()["errors"][0]["reason"]


@pytest.mark.parametrize("other", [None, (200, 900)])
def test_m48_the_same_value_with_another_laboratory_range_is_another_result(b12, tmp_path, other):
    """M48 folded the same value with and without a laboratory range as one result; 0.6.2 also folded two
    different ranges (D1). Under 300-900, 250 pg/mL is low; without a range, or under 200-900, it is not."""
    def ranged(low, high):  # noqa: ANN001, ANN202
        return observation(value=250, referenceRange=[{"low": {"value": low}, "high": {"value": high}}])

    second = observation(value=250) if other is None else ranged(*other)
    for first, last in ((ranged(300, 900), second), (second, ranged(300, 900))):  # in either order
        result = b12("history", write(tmp_path, "r.json", bundle(first, last)), "--format", "json")
        assert result.exit_code == 4 and "lab range 300-900 pg/mL" in result.json()["errors"][0]["reason"]


def test_m38_a_history_limit_keeps_its_sign(b12):
    """M38 recorded ``<=`` as ``<``: the sign is kept, and a change from <=150 to 150 is uncertain, not up."""
    text = "id,date,b12\np1,2024-01-01,<=150\np1,2024-02-01,150\np2,2024-01-01,<150\np2,2024-02-01,150\n"
    document = b12("history", "-", "--format", "json", input=text).json()
    first, second = document["people"]
    assert first["panels"][0]["markers"][0]["censored"] == "<="
    assert [first["trend"][0]["direction"], second["trend"][0]["direction"]] == ["uncertain", "up"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_m34_a_failed_write_exits_74_with_one_line(tmp_path):
    """M34 exited 2 for a full disk under the output; a failed write is exit 74, never a usage error."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "b12cli", "rda"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60, cwd=REPO)
    assert done.returncode == 74
    assert done.stderr.startswith("b12: error: cannot write the output") and done.stderr.count("\n") == 1
    with open("/dev/full", "w") as full:
        batch = subprocess.run([sys.executable, "-m", "b12cli", "labs", "--input", "-"], input="b12\n180\n" * 1,
                               stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, cwd=REPO)
    assert batch.returncode == 74, batch.stderr


def test_the_json_of_a_panel_is_the_json_of_the_single_query(b12):
    """One marker shape: a history panel's markers are exactly what ``labs`` writes for the same values."""
    panel = b12("history", "-", "--format", "json", input="id,date,b12,mma\np,2024-01-01,180,0.5\n").json()
    single = labs(b12, "--b12", "180", "--mma", "0.5")
    assert json.dumps(panel["people"][0]["panels"][0]["markers"]) == json.dumps(single["markers"])
