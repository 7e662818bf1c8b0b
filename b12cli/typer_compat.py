"""Every use of Typer's (and its bundled Click's) internals, in one place, for the Typer versions
``pyproject.toml`` pins; ``tests/test_typer_compat.py`` holds each patched behaviour.

* ``take_as_given``: text and flag parameters keep the value parsed from the command line (b12
  reads every value itself, with its own messages), so Typer builds no Pydantic validator for
  them: that costs more start-up time than the whole answer (``param._runtime_param``).
* ``word_types``: help shows an option's value as its metavar word (NUMBER, UNIT), never a Python
  type (``param.display_type_rich``).
* ``tidy_help``: help text without trailing spaces, and without any style with ``NO_COLOR``.
* ``refuse_repeats``: a single-valued option given twice is refused (Click keeps the last).
* ``with_parameters``: a command function whose options are built at run time from data (``labs``
  takes one option per marker of the registry): Typer reads ``__signature__``.
* ``completion_script``: Typer's own completion script for b12's completion variable.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from typing import Any, Callable, List

import typer
from typer.core import TyperCommand, TyperGroup

from b12cli.domain.text import show
from b12cli.errors import UsageError

TESTED_TYPER = ("0.29",)  # the minor versions these shims are tested with (pyproject pins the same range)


# ----------------------------------------------------------------- values as given


class _AsGiven:
    """Typer's coercion step for a text or flag parameter: the value as given, None when absent."""

    @staticmethod
    def coerce(value, param, ctx):  # noqa: ANN001, ANN205 - Typer's runtime-parameter protocol
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        return list(value) if isinstance(value, tuple) else value


AS_GIVEN = _AsGiven()


def take_as_given(params: list) -> None:
    for param in params:
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        if getattr(param, "_runtime_param", False) is None and annotation in (str, bool, List[str]):
            param._runtime_param = AS_GIVEN


# ----------------------------------------------------------------- help


class _HelpCapture:
    """Collects help text while looking like the real stdout (a terminal or not, its encoding)."""

    def __init__(self, real) -> None:  # noqa: ANN001
        self.real, self.parts = real, []
        self.encoding = getattr(real, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return bool(getattr(self.real, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self.real.fileno()


def tidy_help(render: Callable[[], None]) -> None:
    """Run a help renderer, then write its text without trailing spaces on any line, and without
    any style at all when NO_COLOR is set."""
    real = sys.stdout
    capture = _HelpCapture(real)
    sys.stdout = capture
    try:
        render()
    finally:
        sys.stdout = real
    text = "".join(capture.parts)
    if os.environ.get("NO_COLOR", ""):
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    text = re.sub(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", r"\1", text, flags=re.M)
    real.write(re.sub(r"\n{3,}", "\n\n", text))


NARROW = 60  # below this many columns, help is Click's plain layout: Rich's boxes cut option names


def help_width() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def plain_help(command, ctx: typer.Context, formatter) -> None:  # noqa: ANN001
    """Click's plain help layout (the class under Typer's), for narrow terminals: option names are
    never cut, descriptions wrap under them, and examples stay on one line each for copying."""
    typer_class = TyperGroup if isinstance(command, TyperGroup) else TyperCommand
    formatter.width = max(help_width() - 2, 20)  # Click would not go below 50
    super(typer_class, command).format_help(ctx, _Stacked(formatter))


class _Stacked:
    """A Click help formatter whose option descriptions go under the option names, indented, so
    each line has the width for its words; command names (short) keep their description beside."""

    def __init__(self, formatter) -> None:  # noqa: ANN001
        self._formatter = formatter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._formatter, name)

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:  # noqa: ANN001, ARG002
        rows = list(rows)
        options = any(first.startswith("-") for first, _ in rows)
        self._formatter.write_dl(rows, col_max=2 if options else 12, col_spacing=col_spacing)


def word_types(params: list) -> None:
    for param in params:
        shown = param.metavar if param.param_type_name == "option" and not param.is_flag else None
        param.display_type_rich = lambda ctx, shown=shown: shown  # noqa: ARG005


# ----------------------------------------------------------------- options given twice


def refuse_repeats(params: list, args: list[str]) -> None:
    """A ``UsageError`` when a single-valued option appears twice in ``args``."""
    valued = {name: p for p in params if p.param_type_name == "option" and not p.is_flag and not p.multiple
              for name in p.opts}
    seen: dict[str, str] = {}
    i = 0
    while i < len(args) and args[i] != "--":
        arg = args[i]
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]
        param = valued.get(name) if arg.startswith("-") else None
        i += 1
        if param is None:
            continue
        attached = "=" in arg if arg.startswith("--") else len(arg) > 2
        value = (arg.split("=", 1)[1] if arg.startswith("--") else arg[2:]) if attached else \
            (args[i] if i < len(args) else "")
        i += 0 if attached else 1
        if param.name in seen:
            raise UsageError(f"{name} is given twice ({show(seen[param.name])} and {show(value)}); give it once")
        seen[param.name] = value


# ----------------------------------------------------------------- the command classes


class B12Command(TyperCommand):
    """A command whose single-valued options may be given once, whose values are taken as given,
    and whose help is tidy."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        refuse_repeats(self.params, args)
        take_as_given(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def format_help(self, ctx: typer.Context, formatter) -> None:  # noqa: ANN001
        word_types(self.get_params(ctx))
        if help_width() < NARROW:
            plain_help(self, ctx, formatter)
            return
        tidy_help(lambda: TyperCommand.format_help(self, ctx, formatter))


class HelpfulGroup(TyperGroup):
    """The group's own help and parsing, tidied as commands' are."""

    def format_help(self, ctx: typer.Context, formatter) -> None:  # noqa: ANN001
        word_types(self.get_params(ctx))
        if help_width() < NARROW:
            plain_help(self, ctx, formatter)
            return
        tidy_help(lambda: TyperGroup.format_help(self, ctx, formatter))

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        take_as_given(self.get_params(ctx))
        return super().parse_args(ctx, args)


# ----------------------------------------------------------------- parameters built at run time


def with_parameters(func: Callable[..., Any], extra: list[tuple[str, Any, Any]]) -> Callable[..., Any]:
    """``func`` (which takes ``**values``) with extra keyword parameters (name, annotation, typer.Option)
    placed before its own, so Typer builds an option for each."""
    own = [p for p in inspect.signature(func).parameters.values() if p.kind != inspect.Parameter.VAR_KEYWORD]
    built = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
             for name, annotation, option in extra]
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

    def wrapper(**values: Any) -> Any:
        return func(**values)

    wrapper.__name__, wrapper.__doc__, wrapper.__module__ = func.__name__, func.__doc__, func.__module__
    wrapper.__signature__ = inspect.Signature(built + own)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in built + own}
    return wrapper


# ----------------------------------------------------------------- completion


def completion_script(shell: str, complete_var: str) -> str:
    """Typer's own completion script for its protocol, for b12."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="b12", complete_var=complete_var, shell=shell).strip() + "\n"


def owners_of(app: typer.Typer, option: str) -> list[str]:
    """The commands of a built app that have ``option``."""
    group = typer.main.get_command(app)
    return [name for name, cmd in group.commands.items()
            if any(option in p.opts or option in p.secondary_opts for p in cmd.params)]


def options_of(app: typer.Typer, command: str | None) -> list[str]:
    """Every option name of one command (or of b12 itself), for "did you mean"."""
    group = typer.main.get_command(app)
    target = group.commands.get(command) if command else group
    return [o for p in getattr(target, "params", []) for o in (*p.opts, *p.secondary_opts)]
