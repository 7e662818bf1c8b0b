"""A small, strict shape checker for the knowledge-base files.

A spec is a callable ``spec(value, path) -> value`` that raises ``ShapeError``
naming the dotted path of the first bad value. Mappings must have exactly the
declared keys: a missing key and an unknown key are both errors.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

Spec = Callable[[Any, str], Any]

_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


class ShapeError(Exception):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def describe(value: Any) -> str:
    """Name a value for an error message: its YAML type and a short preview."""
    if value is None:
        return "null"
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)
    if isinstance(value, (list, dict)):
        return kind
    preview = repr(value)
    return f"{kind} {preview[:40]}"


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ShapeError(path, f"expected a non-empty string, got {describe(value)}")
    return value


def ident(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ShapeError(path, f"expected an id (lowercase letters, digits, '-'), got {describe(value)}")
    return value


def number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ShapeError(path, f"expected a finite number, got {describe(value)}")
    return float(value)


def non_negative(value: Any, path: str) -> float:
    value = number(value, path)
    if value < 0:
        raise ShapeError(path, f"expected a number >= 0, got {value!r}")
    return value


def positive(value: Any, path: str) -> float:
    value = number(value, path)
    if value <= 0:
        raise ShapeError(path, f"expected a number above 0, got {value!r}")
    return value


_OPTION = re.compile(r"^--[a-z0-9]+(?:-[a-z0-9]+)*$")


def option(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _OPTION.match(value):
        raise ShapeError(path, f"expected a long option such as --b12, got {describe(value)}")
    return value


def integer(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShapeError(path, f"expected an integer, got {describe(value)}")
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ShapeError(path, f"expected true or false, got {describe(value)}")
    return value


def nullable(spec: Spec) -> Spec:
    def check(value: Any, path: str) -> Any:
        return None if value is None else spec(value, path)

    return check


def one_of(*choices: str) -> Spec:
    def check(value: Any, path: str) -> str:
        if value not in choices:
            raise ShapeError(path, f"expected one of {', '.join(choices)}, got {describe(value)}")
        return value

    return check


def list_of(spec: Spec, min_len: int = 0) -> Spec:
    def check(value: Any, path: str) -> list:
        if not isinstance(value, list):
            raise ShapeError(path, f"expected a list, got {describe(value)}")
        if len(value) < min_len:
            raise ShapeError(path, f"expected at least {min_len} entries, got {len(value)}")
        return [spec(item, f"{path}[{i}]") for i, item in enumerate(value)]

    return check


def mapping_of(key: Spec, value: Spec) -> Spec:
    """A mapping whose keys and values each meet a spec (any number of entries)."""

    def check(data: Any, path: str) -> dict:
        if not isinstance(data, dict):
            raise ShapeError(path, f"expected a mapping, got {describe(data)}")
        return {key(k, join(path, str(k))): value(v, join(path, str(k))) for k, v in data.items()}

    return check


class optional:  # noqa: N801 - reads as a spec, like the functions beside it
    """A key that may be left out; when it is, the value is ``default``."""

    def __init__(self, spec: Spec, default: Any) -> None:
        self.spec, self.default = spec, default

    def __call__(self, value: Any, path: str) -> Any:
        return self.spec(value, path)


def fields(**specs: Spec) -> Spec:
    """A mapping with exactly these keys (those marked ``optional`` may be left out)."""

    def check(value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            raise ShapeError(path or "(top level)", f"expected a mapping, got {describe(value)}")
        for key in value:
            if key not in specs:
                raise ShapeError(join(path, str(key)), f"unknown key (expected: {', '.join(specs)})")
        out = {}
        for key, spec in specs.items():
            if key not in value:
                if isinstance(spec, optional):
                    default = spec.default
                    out[key] = default.copy() if isinstance(default, (list, dict)) else default
                    continue
                raise ShapeError(join(path, key), "missing key")
            out[key] = spec(value[key], join(path, key))
        return out

    return check


SOURCES = list_of(ident, min_len=1)
NOTES = list_of(text)
MESSAGE = fields(id=ident, text=text, sources=SOURCES)
MESSAGES = list_of(MESSAGE)


def unique(items: list[dict], key: str, path: str, fold: Callable[[str], str] = str) -> None:
    """Refuse two records that share ``key`` (compared after ``fold``)."""
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        value = fold(item[key])
        if value in seen:
            raise ShapeError(f"{path}[{i}].{key}", f"duplicate {value!r} (also at {path}[{seen[value]}])")
        seen[value] = i


def require_ids(messages: list[dict], required: tuple[str, ...], path: str) -> None:
    unique(messages, "id", path)
    have = {m["id"] for m in messages}
    for wanted in required:
        if wanted not in have:
            raise ShapeError(path, f"missing message with id {wanted!r}")
