"""The compiled cache of the knowledge base: each validated YAML file kept as JSON, keyed by a
hash of its bytes and of the code that validates it, so later runs skip YAML entirely.

A cache entry is used only when its header is exactly the one expected and the payload's digest
matches; anything else (edited, truncated, wrong shape, another user's, a FIFO, a symlink, too big)
is ignored and rebuilt from the YAML. The digest catches edits and damage; the ownership and
permission checks keep other users out. It saves 10-18 ms per command (YAML parsing and
validation of the files a command reads), about a tenth of a whole run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from pathlib import Path

from b12cli import __version__
from b12cli.inputs.files import Unusable, private, read_regular

MAX_FILE_BYTES = 8 * 1024 * 1024  # cap on a cache file
MAX_YAML_BYTES = 2 * 1024 * 1024  # cap on a YAML source file (the bundled ones are under 40 KB)
CACHE_FORMAT = "b12-cache/2"
# Modules whose code shapes the cached data; their bytes make up the code fingerprint, so any
# change to them misses old caches without anyone bumping a constant.
CODE_FILES = ("kb/cache.py", "kb/validate.py", "kb/validate_rules.py", "kb/schema.py", "kb/yamlsafe.py",
              "domain/bands.py",
              "domain/vocab.py", "domain/numbers.py", "domain/text.py", "domain/markers.py")
_CACHE_OFF_NOT = ("", "0", "false", "no", "off")  # B12_NO_CACHE values that leave the cache on


def cache_dir() -> Path | None:
    """Where compiled files go: None when ``B12_NO_CACHE`` is set to anything but 0/false/no/off/empty."""
    if os.environ.get("B12_NO_CACHE", "").strip().casefold() not in _CACHE_OFF_NOT:
        return None
    configured = os.environ.get("B12_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "b12"


def _usable_cache_dir(create: bool) -> Path | None:
    """The cache folder if it is a folder of ours that others cannot write to (created 0700)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if create:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.stat(folder)
    except (OSError, ValueError, RecursionError):  # a path too deep for makedirs only costs speed
        return None
    return folder if stat.S_ISDIR(st.st_mode) and private(st) else None


_fingerprint: list[str] = []


def fingerprint_of(folder: Path) -> str:
    """A hash of the cache format, the package version and the bytes of ``CODE_FILES`` in ``folder``."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}".encode())
    for name in CODE_FILES:
        try:
            code = (folder / name).read_bytes()
        except OSError:
            code = b"(absent)"
        digest.update(name.encode() + b"\0" + hashlib.sha256(code).digest())
    return digest.hexdigest()


def code_fingerprint() -> str:
    """``fingerprint_of`` this package's folder, computed once per process."""
    if not _fingerprint:
        _fingerprint.append(fingerprint_of(Path(__file__).resolve().parent.parent))
    return _fingerprint[0]


def cache_header(name: str, raw: bytes) -> dict:
    return {"format": CACHE_FORMAT, "file": name, "source_sha256": hashlib.sha256(raw).hexdigest(),
            "code": code_fingerprint()}


def _cache_name(header: dict) -> str:
    key = hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest()[:32]
    return f"{header['file']}-{key}.json"


def read_cache(header: dict) -> dict | None:
    """The cached data for ``header``, or None if there is none that verifies."""
    folder = _usable_cache_dir(create=False)
    if folder is None:
        return None
    try:
        blob = read_regular(folder / _cache_name(header), MAX_FILE_BYTES, private_only=True)
    except (OSError, Unusable):
        return None
    head, _, payload = blob.partition(b"\n")
    expected = {**header, "payload_sha256": hashlib.sha256(payload).hexdigest(), "payload_bytes": len(payload)}
    try:
        if json.loads(head) != expected:
            return None
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def write_cache(header: dict, data: dict) -> None:
    """Write atomically: a private temporary file in the same folder (O_EXCL, no symlink followed),
    then a rename over the final name. Failure only costs speed."""
    folder = _usable_cache_dir(create=True)
    if folder is None:
        return
    try:
        payload = json.dumps(data, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return
    head = {**header, "payload_sha256": hashlib.sha256(payload).hexdigest(), "payload_bytes": len(payload)}
    blob = json.dumps(head).encode() + b"\n" + payload
    if len(blob) > MAX_FILE_BYTES:
        return
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{header['file']}-", suffix=".tmp", dir=folder)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, folder / _cache_name(header))
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


# ----------------------------------------------------------------- reading and validating a file
