"""The compiled cache is never trusted blindly: an entry that does not verify, has the wrong
shape, belongs to someone else, sits in a folder others can write, or is not a regular file
is ignored and rebuilt from the YAML; the answer stays right."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from b12cli.inputs import files
from b12cli.kb import cache as cachemod
from tests.conftest import REPO

LABS = ("labs", "--b12", "100", "--format", "json")


def cache() -> Path:
    return Path(os.environ["B12_CACHE_DIR"])


def b12_status(b12) -> str:
    result = b12(*LABS)
    assert result.exit_code == 0, result.stderr
    return result.json()["markers"][0]["status"]


def thresholds_entry(b12) -> Path:
    """Run once so that the cache holds thresholds; its file."""
    assert b12_status(b12) == "deficient"
    (path,) = cache().glob("thresholds-*.json")
    return path


def normal_everywhere(data: dict) -> dict:
    """Every 'deficient' band made 'normal': B12 100 pg/mL would then read as normal."""
    text = json.dumps(data).replace('"status": "deficient"', '"status": "normal"')
    assert text != json.dumps(data)
    return json.loads(text)


def plant(path: Path, payload: object) -> None:
    """Rewrite a cache entry with a new payload and a digest that matches it."""
    header = json.loads(path.read_bytes().partition(b"\n")[0])
    body = json.dumps(payload).encode()
    header.update(payload_sha256=hashlib.sha256(body).hexdigest(), payload_bytes=len(body))
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)


def payload(path: Path) -> dict:
    return json.loads(path.read_bytes().partition(b"\n")[2])


def test_cache_folder_and_files_are_private(b12, tmp_path, monkeypatch):
    monkeypatch.setenv("B12_CACHE_DIR", str(tmp_path / "new" / "b12"))
    thresholds_entry(b12)
    assert stat.S_IMODE((tmp_path / "new" / "b12").stat().st_mode) == 0o700
    entries = list(cache().iterdir())
    assert {f.name.split("-")[0] for f in entries} == {"markers", "sources", "thresholds", "rules"}
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in entries)


def test_a_verifying_private_entry_is_used(b12):
    """The premise of the tests below: a planted entry that passes every check is believed."""
    path = thresholds_entry(b12)
    plant(path, normal_everywhere(payload(path)))
    assert b12_status(b12) == "normal"


def test_an_edited_band_does_not_verify_and_is_rebuilt(b12):
    path = thresholds_entry(b12)
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r'"status":\s*"deficient"', '"status": "normal"', text)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    assert b12_status(b12) == "deficient"
    assert "deficient" in path.read_text(encoding="utf-8")  # rewritten from the YAML


@pytest.mark.parametrize("shape", [{}, {"schemes": 3}, {"schema_version": 1, "schemes": [{"id": "x"}]}])
def test_a_verifying_entry_of_the_wrong_shape_is_rebuilt(b12, shape):
    path = thresholds_entry(b12)
    plant(path, shape)
    assert b12_status(b12) == "deficient"
    assert b12_status(b12) == "deficient"  # and not broken forever: the entry was rewritten
    assert "schemes" in payload(path) and payload(path) != shape


@pytest.mark.parametrize("content", [b"", b"[]\n[]", b"{}", b"\n{}", b"not json\n{}", b"\xff\xfe", b"{}\n" * 3])
def test_a_damaged_entry_is_rebuilt(b12, content):
    path = thresholds_entry(b12)
    path.write_bytes(content)
    assert b12_status(b12) == "deficient"
    assert payload(path)["schemes"]


def test_an_entry_owned_by_someone_else_is_not_used(b12, monkeypatch):
    path = thresholds_entry(b12)
    plant(path, normal_everywhere(payload(path)))
    monkeypatch.setattr(os, "getuid", lambda: os.stat(path).st_uid + 1)
    assert b12_status(b12) == "deficient"


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602])
def test_an_entry_others_can_write_is_not_used(b12, mode):
    """0o620 (writable by the group only) kills mutation M55, which trusted a group-writable entry."""
    path = thresholds_entry(b12)
    plant(path, normal_everywhere(payload(path)))
    path.chmod(mode)
    assert b12_status(b12) == "deficient"


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o707])
def test_a_folder_others_can_write_is_not_used(b12, mode):
    path = thresholds_entry(b12)
    plant(path, normal_everywhere(payload(path)))
    cache().chmod(mode)
    assert b12_status(b12) == "deficient"
    assert len(list(cache().iterdir())) == 4  # nothing new written there either


def test_a_symlinked_entry_is_not_followed(b12, tmp_path):
    path = thresholds_entry(b12)
    plant(path, normal_everywhere(payload(path)))
    elsewhere = tmp_path / "planted.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert b12_status(b12) == "deficient"
    assert not path.is_symlink()  # replaced by a fresh entry; the link's target is untouched
    assert payload(elsewhere)["schemes"][0]["markers"]["b12"]["bands"][0]["status"] == "normal"


def test_writing_never_follows_a_symlink_planted_in_the_folder(b12, tmp_path):
    path = thresholds_entry(b12)
    name = path.name
    for entry in cache().iterdir():
        entry.unlink()
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (cache() / name).symlink_to(victim)
    for guess in (f"{name[:-5]}.{os.getpid()}.tmp", f".{name}.tmp", f"{name}.tmp"):
        (cache() / guess).symlink_to(victim)
    assert b12_status(b12) == "deficient"
    assert victim.read_text() == "keep"
    assert (cache() / name).is_file() and not (cache() / name).is_symlink()


def test_the_code_fingerprint_follows_every_byte_of_the_code(tmp_path):
    package = tmp_path / "b12cli"
    shutil.copytree(REPO / "b12cli", package)
    before = cachemod.fingerprint_of(package)
    assert before == cachemod.fingerprint_of(package)
    seen = {before}
    for name in ("kb/cache.py", "kb/validate.py", "kb/schema.py", "domain/bands.py", "kb/yamlsafe.py"):
        with (package / name).open("a", encoding="utf-8") as fh:
            fh.write("\n# changed\n")
        seen.add(cachemod.fingerprint_of(package))
    (package / "domain" / "vocab.py").write_text("MARKER_STATUSES = ()\n", encoding="utf-8")
    seen.add(cachemod.fingerprint_of(package))
    assert len(seen) == 7


def test_a_code_change_never_reuses_an_old_entry(b12, monkeypatch):
    path = thresholds_entry(b12)
    plant(path, normal_everywhere(payload(path)))
    monkeypatch.setattr(cachemod, "_fingerprint", ["some other code"])
    assert b12_status(b12) == "deficient"


def test_every_module_that_shapes_cached_data_is_fingerprinted():
    code = ("import sys, b12cli.kb, b12cli.kb.validate, b12cli.kb.yamlsafe;"
            "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.startswith('b12cli.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    package = REPO / "b12cli"
    loaded = {Path(f).resolve().relative_to(package).as_posix() for f in done.stdout.split()}
    # errors.py only names exceptions; the loader, the record builders and the record types do not shape the
    # cached data (the validated mappings), and inputs/files.py only reads bytes
    unshaping = {"__init__.py", "errors.py", "kb/__init__.py", "kb/build.py", "domain/__init__.py", "domain/model.py",
                 "domain/rules.py", "inputs/__init__.py", "inputs/files.py"}
    assert loaded - unshaping <= set(cachemod.CODE_FILES)


@pytest.mark.parametrize(("value", "cached"), [("0", True), ("", True), ("false", True), ("No", True),
                                                ("off", True), ("1", False), ("true", False), ("YES", False)])
def test_b12_no_cache_values(b12, monkeypatch, value, cached):
    monkeypatch.setenv("B12_NO_CACHE", value)
    assert b12_status(b12) == "deficient"
    assert bool(list(cache().glob("thresholds-*.json"))) is cached


def test_empty_b12_data_dir_means_the_bundled_data(b12, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # an empty folder: reading it would fail
    monkeypatch.setenv("B12_DATA_DIR", "")
    assert b12("rda").exit_code == 0
    assert b12_status(b12) == "deficient"


def run_labs(env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b12cli", *LABS], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=REPO)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_device_as_cache_entry_neither_hangs_nor_is_read(b12):
    path = thresholds_entry(b12)
    path.unlink()
    os.mkfifo(path)
    done = run_labs(dict(os.environ))  # a FIFO would block a plain open() for ever: timeout fails the test
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["markers"][0]["status"] == "deficient"
    with pytest.raises(files.Unusable):
        files.read_regular(Path(os.devnull), 100)


def test_size_cap_on_reads(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"#" * 101)
    assert files.read_regular(big, limit=101) == b"#" * 101
    with pytest.raises(files.Unusable, match="larger than"):
        files.read_regular(big, limit=100)


@pytest.mark.slow
def test_twenty_parallel_first_runs_agree(tmp_path):
    env = {**os.environ, "B12_CACHE_DIR": str(tmp_path / "shared-cache")}
    cmd = [sys.executable, "-m", "b12cli", *LABS]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
             for _ in range(20)]
    results = [(p.communicate(timeout=300), p.returncode) for p in procs]
    assert all(code == 0 for _, code in results), [err for (_, err), _ in results]
    outputs = {out for (out, _), _ in results}
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["markers"][0]["status"] == "deficient"
    names = sorted(p.name for p in (tmp_path / "shared-cache").iterdir())
    assert [n.split("-")[0] for n in names] == ["markers", "rules", "sources", "thresholds"]  # no temporary files left
    again = run_labs(env)
    assert again.returncode == 0 and json.loads(again.stdout)["markers"][0]["status"] == "deficient"


def test_an_entry_over_the_size_cap_is_not_written(b12, monkeypatch):
    monkeypatch.setattr(cachemod, "MAX_FILE_BYTES", 1000)
    assert b12_status(b12) == "deficient"
    assert list(cache().iterdir()) == []
