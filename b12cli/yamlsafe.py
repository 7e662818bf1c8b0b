"""Safe YAML reading: no tag ever constructs an object, duplicate keys are refused,
and an error names the key path where it happened."""

from __future__ import annotations

from typing import Any

import yaml
from yaml import YAMLError

__all__ = ["YAMLError", "describe_error", "load"]

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader


def _path_to(node: yaml.Node, line: int, column: int, path: str = "") -> str | None:
    """The key path of the node that starts at (line, column), found without constructing anything."""
    mark = node.start_mark
    if (mark.line, mark.column) == (line, column) and path:
        return path
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            sub = f"{path}.{key}" if path else str(key)
            if (key_node.start_mark.line, key_node.start_mark.column) == (line, column):
                return sub
            found = _path_to(value_node, line, column, sub)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _path_to(item, line, column, f"{path}[{i}]")
            if found:
                return found
    return None


def describe_error(text: str, exc: Exception) -> str:
    """'path.to.key: problem (line N)' where the path can be found, else 'line N: problem'."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return f"invalid YAML: {problem}"
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    path = None
    if isinstance(exc, yaml.constructor.ConstructorError):
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except YAMLError:
            root = None
        path = _path_to(root, mark.line, mark.column) if root is not None else None
    problem = problem.replace("could not determine a constructor for the tag", "tag not allowed:")
    return f"{path}: {problem} ({where})" if path else f"invalid YAML at {where}: {problem}"
