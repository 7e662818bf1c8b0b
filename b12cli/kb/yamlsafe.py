"""Safe YAML reading: no tag ever constructs an object, duplicate keys are refused,
and an error names the key path where it happened.

Knowledge-base files are plain data, so before PyYAML builds anything the text is
checked in two cheap passes:

1. a scan of the text for nesting depth (block indentation, ``- `` markers and
   ``[``/``{`` brackets, counted conservatively) -- a deeply nested file is refused
   before any parser sees it, so it can never exhaust the C stack;
2. a walk over the parser's event stream (no objects built) that refuses any
   explicit tag (``!!int``, ``!!str``, ``!foo``, ``!!python/...``), any anchor or
   alias (so nothing can be amplified by references), any nesting deeper than
   ``MAX_DEPTH``, and any unquoted value that YAML 1.1 (PyYAML) and YAML 1.2 read
   differently (``1_000``, ``010``, ``0x10``, ``1:20``, ``yes``, ``1e3``, a date),
   naming the key path.

Only then is the document loaded with a strict safe loader.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml import YAMLError

from b12cli.domain.numbers import MAX_NUMBER_CHARS
from b12cli.domain.text import show

__all__ = ["MAX_DEPTH", "RefusedYAML", "YAMLError", "describe_error", "load", "scan_depth"]

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 64  # mappings and lists inside each other; the bundled files use at most 8
_PATH_BUDGET = 200_000  # nodes the error reporter may visit while looking for a key path
MAX_EVENTS = 250_000  # keys, values and brackets in one file; the bundled files hold at most about 2,100


class RefusedYAML(YAMLError):
    """Valid YAML that a knowledge-base file may not use (a tag, an anchor, too deep)."""

    def __init__(self, problem: str, path: str = "", line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = path
        self.line = line  # 1-based, or None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.path}: {self.problem}{where}" if self.path else f"{self.problem}{where}"


class StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader (C-accelerated when available) that refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (dict, list)):
                raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a scalar",
                                                        key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """Parse one knowledge-base document; raises ``YAMLError`` (``RefusedYAML`` for the limits above)."""
    check_breaks(text)
    scan_depth(text)
    check_events(text)  # after it, every plain scalar is text, a short decimal, true/false or null
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader


# ----------------------------------------------------------------- pass 1: nesting depth of the text

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLOCK_SCALAR = re.compile(r"(?:^|[\s:-])[|>][-+1-9]{0,2}\s*(?:#.*)?$")
_NODE_START = frozenset(":-?,[{")


class _DepthScan:
    """Conservative nesting depth of YAML text, line by line, without parsing it.

    Depth = open block indentation levels + ``- ``/``? `` markers opening the line + open flow
    brackets. Quoted strings and comments are skipped; a bracket or quote only counts where a
    node can start (not inside a plain word such as ``don't`` or ``see [1``).
    """

    def __init__(self) -> None:
        self.indents: list[int] = []
        self.flow = 0
        self.quote = ""  # the open quote character while inside a quoted scalar spanning lines
        self.block_indent: int | None = None  # inside a | or > block scalar deeper than this

    def line(self, raw: str) -> int:
        stripped = raw.lstrip(" ")
        indent = len(raw) - len(stripped)
        if self.block_indent is not None:
            if not stripped.strip() or indent > self.block_indent:
                return 0
            self.block_indent = None
        depth = 0
        if not self.quote and not self.flow:
            if not stripped.strip() or stripped.startswith("#"):
                return 0
            while self.indents and indent <= self.indents[-1]:
                self.indents.pop()
            self.indents.append(indent)
            markers = re.match(r"(?:[-?](?:\s+|$))*", stripped).group(0)
            depth = len(self.indents) + markers.count("-") + markers.count("?")
            if _BLOCK_SCALAR.search(stripped):
                self.block_indent = indent
        return max(depth, len(self.indents) + self._chars(stripped))

    def _chars(self, text: str) -> int:
        deepest, prev = self.flow, ""
        i = 0
        while i < len(text):
            ch = text[i]
            if self.quote:
                i = self._skip_quoted(text, i)
            elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
                break
            elif ch in "'\"" and (prev in _NODE_START or not prev):
                self.quote = ch
            elif ch in "[{" and (self.flow or prev in _NODE_START or not prev):
                self.flow += 1
                deepest = max(deepest, self.flow)
            elif ch in "]}" and self.flow:
                self.flow -= 1
            if not ch.isspace():
                prev = ch
            i += 1
        return deepest

    def _skip_quoted(self, text: str, i: int) -> int:
        """Index of the closing quote at or after ``i`` (the quote is then closed), else the end of the line."""
        while i < len(text):
            ch = text[i]
            if self.quote == '"' and ch == "\\":
                i += 2
                continue
            if ch == self.quote:
                if self.quote == "'" and text[i + 1:i + 2] == "'":
                    i += 2
                    continue
                self.quote = ""
                return i
            i += 1
        return i


def scan_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse text nested deeper than ``limit`` (raises ``RefusedYAML`` naming the line)."""
    scan = _DepthScan()
    for number, raw in enumerate(_LINE_BREAK.split(text), 1):  # lines as YAML and editors count them
        if scan.line(raw.replace("\t", " ")) > limit:
            raise RefusedYAML(f"nested more than {limit} levels deep", line=number)


# ----------------------------------------------------------------- pass 2: the parser's events


_TAG = "tag:yaml.org,2002:"
_RESOLVER = yaml.resolver.Resolver()
# The plain forms both YAML versions read alike; anything else PyYAML would read as a number, a
# boolean or a date (or YAML 1.2 would read as a number) is refused rather than guessed.
_PLAIN_ALIKE = {
    _TAG + "int": re.compile(r"[-+]?(?:0|[1-9][0-9]*)"),
    _TAG + "float": re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+][0-9]+)?"),
    _TAG + "bool": re.compile(r"true|True|TRUE|false|False|FALSE"),
    _TAG + "null": re.compile(r"|~|null|Null|NULL"),
}
_YAML12_INT = re.compile(r"[-+]?[0-9]+")
_YAML12_NUMBER = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+")
_NOT_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)")
# Characters YAML 1.1 takes as line breaks and YAML 1.2 as ordinary text
_YAML11_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAK_NAMES = {"\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}


def _yaml12_number(value: str) -> int | float | None:
    """What YAML 1.2's core schema reads ``value`` as, if a number (it is at most MAX_NUMBER_CHARS long)."""
    if not _YAML12_NUMBER.fullmatch(value):
        return None
    if value.startswith(("0o", "0x")):
        return int(value[2:], 8 if value[1] == "o" else 16)
    return int(value, 10) if _YAML12_INT.fullmatch(value) else float(value)


def _decimal(number: int | float) -> str:
    """The number as a plain decimal that both YAML versions read alike."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        number = int(number)
    text = repr(number)
    return text.replace("e", ".0e", 1) if "e" in text and "." not in text else text


def _reading(number: int | float | None) -> str:
    return "text" if number is None else f"the number {_decimal(number)}"


def ambiguous_plain(value: str, key: bool = False) -> str | None:
    """Why an unquoted scalar (a mapping key when ``key``) is refused, or None: YAML 1.1 (PyYAML)
    and YAML 1.2 read it differently, or it is a number that is not a plain finite decimal."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    kind = tag[len(_TAG):] if tag.startswith(_TAG) else tag
    numeric = kind in ("int", "float") or (kind == "str" and _YAML12_NUMBER.fullmatch(value) is not None)
    if kind == "str" and not numeric:  # text to both versions: nearly every scalar
        return None
    alike = _PLAIN_ALIKE.get(tag)
    if alike is not None and alike.fullmatch(value) and not (numeric and len(value) > MAX_NUMBER_CHARS):
        return None
    shown = show(value)
    if numeric and len(value) > MAX_NUMBER_CHARS:
        return f"unquoted number {shown} is {len(value):,} characters long (at most {MAX_NUMBER_CHARS})"
    try:
        old = yaml.load(value, Loader=_Base) if kind in ("int", "float") else None  # noqa: S506 - a SafeLoader
    except ValueError:  # PyYAML's pattern admits it, its constructor cannot read it: 0x_, 0b_
        return (f"unquoted {shown} is not a number YAML 1.1 can read; write a plain decimal, "
                "or quote it if text is meant")
    new = _yaml12_number(value)
    if _NOT_FINITE.fullmatch(value) or any(isinstance(n, float) and not math.isfinite(n) for n in (old, new)):
        return f"unquoted {shown} is not a finite number; quote it if text is meant"
    if numeric:
        meant = new if new is not None else old
        if old == new:
            problem = f"unquoted {shown} is {_reading(new)} but not written as a plain decimal"
        else:
            problem = f"unquoted {shown} is {_reading(old)} to YAML 1.1 but {_reading(new)} to YAML 1.2"
        return f"{problem}; {'quote it' if key else f'write {_decimal(meant)}, or quote it if text is meant'}"
    if kind == "bool":
        advice = "quote it" if key else "write true or false, or quote it if text is meant"
        return f"unquoted {shown} is true/false to YAML 1.1 but text to YAML 1.2; {advice}"
    if kind == "timestamp":
        return f"unquoted {shown} is a date to YAML 1.1 but text to YAML 1.2; quote it"
    return f"unquoted {shown} has a special meaning in YAML 1.1 ({kind}); quote it"


def check_breaks(text: str) -> None:
    """Refuse NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR: line breaks to YAML 1.1, text to YAML 1.2."""
    found = _YAML11_BREAKS.search(text)
    if found:
        char = found.group()
        line = len(_LINE_BREAK.findall(text, 0, found.start())) + 1
        raise RefusedYAML(f"character U+{ord(char):04X} ({_BREAK_NAMES[char]}) ends a line in YAML 1.1 but not in "
                          "YAML 1.2; replace it with an ordinary line break or a space", line=line)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


class _Frame:
    __slots__ = ("is_map", "key", "path", "want_key", "index")

    def __init__(self, path: str, is_map: bool) -> None:
        self.path, self.is_map = path, is_map
        self.key, self.want_key, self.index = "?", True, 0


class _EventWalk:
    """Follows the key path through the event stream; refuses tags, anchors, aliases, depth and
    unquoted values whose meaning depends on the YAML version."""

    def __init__(self, limit: int) -> None:
        self.stack: list[_Frame] = []
        self.limit = limit

    def path(self, event: Any) -> str:
        if not self.stack:
            return ""
        top = self.stack[-1]
        if not top.is_map:
            return f"{top.path}[{top.index}]"
        key = (event.value if isinstance(event, yaml.ScalarEvent) else "?") if top.want_key else top.key
        return f"{top.path}.{key}" if top.path else str(key)

    def done(self, scalar: str | None) -> None:
        """A node finished: move its parent on to the next key, value or item."""
        if not self.stack:
            return
        top = self.stack[-1]
        if not top.is_map:
            top.index += 1
        elif top.want_key:
            top.key, top.want_key = ("?" if scalar is None else scalar), False
        else:
            top.want_key = True

    def event(self, event: Any) -> None:
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent):
            raise RefusedYAML(f"aliases (*{event.anchor}) are not allowed", self.path(event), line)
        if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            if event.anchor is not None:
                raise RefusedYAML(f"anchors (&{event.anchor}) are not allowed", self.path(event), line)
            if event.tag is not None:
                raise RefusedYAML(f"tag not allowed: {_tag_name(event.tag)}", self.path(event), line)
        if isinstance(event, yaml.ScalarEvent):
            top = self.stack[-1] if self.stack else None
            is_key = top is not None and top.is_map and top.want_key
            problem = ambiguous_plain(event.value, is_key) if event.implicit[0] else None
            if problem:
                raise RefusedYAML(problem, self.path(event), line)
            self.done(event.value)
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(self.stack) >= self.limit:
                raise RefusedYAML(f"nested more than {self.limit} levels deep", self.path(event), line)
            self.stack.append(_Frame(self.path(event), isinstance(event, yaml.MappingStartEvent)))
        elif isinstance(event, yaml.CollectionEndEvent):
            self.stack.pop()
            self.done(None)


def check_events(text: str, limit: int = MAX_DEPTH) -> None:
    """Walk the parser's events (nothing is constructed); raises ``RefusedYAML`` or ``YAMLError``."""
    walk = _EventWalk(limit)
    for count, event in enumerate(yaml.parse(text, Loader=_Base), 1):
        if count > MAX_EVENTS:
            raise RefusedYAML(f"more than {MAX_EVENTS:,} values and keys (near line {event.start_mark.line + 1}); "
                              "a knowledge-base file is far smaller")
        walk.event(event)


# ----------------------------------------------------------------- error messages


def _path_to(root: yaml.Node, line: int, column: int) -> str | None:
    """The key path of the node that starts at (line, column), found without constructing anything.

    Iterative, visits each node once and at most ``_PATH_BUDGET`` nodes, so a hostile document
    (aliases, deep nesting) cannot make the error reporter slow."""
    todo: list[tuple[yaml.Node, str]] = [(root, "")]
    seen: set[int] = set()
    while todo and len(seen) < _PATH_BUDGET:
        node, path = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if path and (node.start_mark.line, node.start_mark.column) == (line, column):
            return path
        todo.extend(reversed(_children(node, path)))
    return None


def _children(node: yaml.Node, path: str) -> list[tuple[yaml.Node, str]]:
    if isinstance(node, yaml.SequenceNode):
        return [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    if not isinstance(node, yaml.MappingNode):
        return []
    found = []
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
        sub = f"{path}.{key}" if path else str(key)
        found += [(key_node, sub), (value_node, sub)]
    return found


def describe_error(text: str, exc: Exception) -> str:
    """'path.to.key: problem (line N)' where the path can be found, else 'line N: problem'."""
    if isinstance(exc, RefusedYAML):
        return str(exc)
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return f"invalid YAML: {problem}"
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    path = None
    if isinstance(exc, yaml.constructor.ConstructorError):
        try:
            root = yaml.compose(text, Loader=_Base)
        except YAMLError:
            root = None
        path = _path_to(root, mark.line, mark.column) if root is not None else None
    problem = problem.replace("could not determine a constructor for the tag", "tag not allowed:")
    return f"{path}: {problem} ({where})" if path else f"invalid YAML at {where}: {problem}"
