"""The application: assembles the Typer app from the command modules and holds the one error
boundary, ``exit_code_for``, which turns whatever a run raises into one line on stderr and an exit
code. It is called where a command actually runs (``B12Group.invoke``) and, for what fails before a
command is chosen, around the whole run (``B12Group.main``). ``--traceback`` (or ``B12_DEBUG=1``)
prints the traceback of an internal error as well.

A command returns an ``output.formats.Result``; ``emit`` writes it. Only the command about to run is
imported and built, so start-up pays for one command's options.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from typing import Callable

import typer

from b12cli import __version__
from b12cli.errors import B12Error, ExitCode
from b12cli.typer_compat import B12Command, HelpfulGroup, options_of, owners_of

# name -> module under b12cli.commands; a module's function of the same name is the command, or its
# ``build()`` makes it (labs: one option per marker of the registry)
COMMANDS = ("labs", "read", "history", "risk", "rda", "foods", "intake", "absorb", "meds", "about", "search", "sources",
            "rules", "completion")
CONTEXT = {"help_option_names": ["-h", "--help"]}
DEBUG = {"on": False}  # --traceback or B12_DEBUG=1


def _fail_line(message: str) -> None:
    from b12cli.output.streams import say

    text = " ".join(str(message).split())  # one line, whatever the message held
    say(f"b12: error: {text}\n")


def _silence_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _usage_hint(exc: typer.TyperException, where: str = "b12") -> str:
    """The error and the help to read: the command's own (``where`` when the error does not say)."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else where
    option = getattr(exc, "option_name", None)  # set on Typer's "no such option" error
    if not option or ctx is None:
        return f"{exc.format_message()} (see '{path} --help')"
    command_name = ctx.info_name if ctx.parent is not None else None
    try:
        owners = [name for name in owners_of(build_app(), option) if name != command_name]
    except B12Error:  # the knowledge base cannot be read: no other command to point to
        owners = []
    place = command_name or "b12 itself"
    if owners:
        see = path if command_name else f"b12 {owners[0]}"
        return f"{option} is not an option of {place}; it is an option of {', '.join(owners)} (see '{see} --help')"
    from b12cli.domain.names import did_you_mean

    near = did_you_mean(options_of(build_app(command_name), command_name), option)
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    return f"{option} is not an option of {place}{hint} (see '{path} --help')"


def exit_code_for(exc: BaseException, where: str = "b12") -> int:
    """The one mapping from an exception to a message on stderr and an exit code."""
    if isinstance(exc, B12Error):
        _fail_line(str(exc))
        return exc.exit_code
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:  # the reader went away: not our failure
        _silence_stdout()
        return ExitCode.OK
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF):
        _fail_line(f"cannot write the output ({exc.strerror})")
        return ExitCode.OUTPUT_FAILED
    if isinstance(exc, KeyboardInterrupt):
        _fail_line("interrupted; the output may be incomplete")
        return ExitCode.INTERRUPTED
    if isinstance(exc, typer.Abort):
        _fail_line("aborted")
        return ExitCode.USAGE
    if isinstance(exc, typer.TyperException):  # Typer's usage errors: unknown option, missing value, ...
        _fail_line(_usage_hint(exc, where))
        return ExitCode.USAGE
    if DEBUG["on"]:
        import traceback

        from b12cli.output.streams import say

        say("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    hint = "" if DEBUG["on"] else " (run again with --traceback to see where)"
    _fail_line(f"internal error: {type(exc).__name__}: {exc}{hint}; please report it")
    return ExitCode.INTERNAL


class B12Group(HelpfulGroup):
    """The ``b12`` group: runs a command, writes its result and turns whatever it raises into an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001
        from b12cli.commands.completion import COMPLETE_VAR

        args = show_completion_args(list(sys.argv[1:] if args is None else args))
        try:
            check_completion_request(os.environ, COMPLETE_VAR)
            code = super().main(args=args or ["--help"], prog_name="b12", complete_var=complete_var,
                                standalone_mode=False, **extra)
            sys.stdout.flush()
        except (Exception, KeyboardInterrupt) as exc:  # before a command runs, or the final flush
            code = exit_code_for(exc)
        code = int(code) if isinstance(code, int) else ExitCode.OK
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: typer.Context) -> int:
        """Where a command runs: Typer's own handlers (which turn a closed pipe into exit 1) never see
        what it raises."""
        from b12cli.output.formats import Result, emit

        try:
            result = super().invoke(ctx)
            code = emit(result) if isinstance(result, Result) else result
            sys.stdout.flush()
        except (Exception, KeyboardInterrupt) as exc:
            return exit_code_for(exc, " ".join(filter(None, ("b12", ctx.invoked_subcommand))))
        return int(code) if isinstance(code, int) else ExitCode.OK


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"b12 {__version__}\n")
        raise typer.Exit(0)


def _traceback(value: bool) -> None:
    if value:
        DEBUG["on"] = True


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    traceback: bool = typer.Option(False, "--traceback", callback=_traceback, is_eager=True,
                                   help="Show the traceback of an internal error (also B12_DEBUG=1)."),
) -> None:
    """b12: vitamin B12 intakes, foods, medicines and lab results, with sources."""


ROOT_HELP = """b12: an offline reference and lab-value interpreter for vitamin B12. Every fact cites its source.

\b
Start here:
  b12 labs --b12 180 --mma 0.5       what your results mean
  b12 risk --symptom tingling --age 70   should you be tested
  b12 rda --age 70                   how much you need a day
  b12 foods --vegan                  where to get it
  b12 meds omeprazole metformin      whether a medicine interferes
"""
EPILOG = ("Exit codes: 0 answered, 1 knowledge-base error, 2 invalid input, 3 --check found something, 4 some rows or "
          "records invalid, 70 internal error, 74 output could not be written, 130 interrupted.")


def command_function(name: str) -> Callable:
    module = importlib.import_module(f"b12cli.commands.{name}")
    build = getattr(module, "build", None)
    return build() if build is not None else getattr(module, name)


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer app with every command, or only the one about to run."""
    application = typer.Typer(
        cls=B12Group,
        add_completion=only is None,  # --install-completion/--show-completion belong to b12 itself
        context_settings=CONTEXT,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        help=ROOT_HELP,
        epilog=EPILOG,
    )
    application.callback()(_root)
    for name in COMMANDS:
        if only is None or name == only:
            application.command(name=name, cls=B12Command, context_settings=CONTEXT)(command_function(name))
    return application


# ----------------------------------------------------------------- shell completion requests


def check_completion_request(environ, complete_var: str) -> None:  # noqa: ANN001 - os.environ or any mapping
    """bash asks for completions with COMP_WORDS and COMP_CWORD (the index of the word being
    completed); Typer reads them unchecked, so a missing or non-numeric one is refused here. An
    instruction Typer does not know is refused in b12's words."""
    from b12cli.domain.text import show
    from b12cli.errors import UsageError

    instruction = environ.get(complete_var)
    if instruction is None:
        return
    known = [f"{action}_{shell}" for shell in ("bash", "zsh", "fish", "powershell", "pwsh")
             for action in ("complete", "source")]
    if instruction not in known:
        raise UsageError(f"shell completion: {complete_var} {show(instruction)} is not a completion request; "
                         "expected e.g. complete_bash or source_bash ('b12 completion bash' prints the script)")
    if instruction != "complete_bash":
        return
    for name in ("COMP_WORDS", "COMP_CWORD"):
        if name not in environ:
            raise UsageError(f"shell completion: {name} is not set; bash sets COMP_WORDS and COMP_CWORD "
                             "while completing a b12 command line")
    cword = environ["COMP_CWORD"]
    if not (cword.isascii() and cword.isdigit()):
        raise UsageError(f"shell completion: COMP_CWORD {show(cword)} is not a word number; "
                         "bash sets it to a whole number (0, 1, 2, ...) while completing")
    if len(cword) > 4000:  # Python's int() refuses longer digit strings; no command line has that many words
        raise UsageError(f"shell completion: COMP_CWORD is a number of {len(cword):,} digits, too large to be "
                         "the number of a word")


def show_completion_args(args: list[str]) -> list[str]:
    """``b12 --show-completion SHELL`` (or ``=SHELL``) is ``b12 completion SHELL``: Typer's own option
    takes no value (it detects the shell) and would ignore the one given."""
    if args and args[0].split("=", 1)[0] == "--show-completion":
        shell = args[0].partition("=")[2] or (args[1] if len(args) > 1 else "")
        if shell:
            return ["completion", shell]
    return args


def completion_instruction(complete_var: str) -> None:
    """Accept both spellings of a completion request: Typer's ``source_bash`` and Click's ``bash_source``."""
    instruction = os.environ.get(complete_var)
    if instruction and instruction.split("_", 1)[0] in ("bash", "zsh", "fish", "powershell", "pwsh"):
        shell, _, action = instruction.partition("_")
        os.environ[complete_var] = f"{action}_{shell}"


def prepare_streams() -> None:
    """Streams that cannot fail the answer: a closed stderr is replaced by /dev/null (the data still
    comes out), a closed stdout too (with a warning: the answer goes nowhere, the exit code stays
    right), and characters the terminal's encoding lacks are folded to ASCII (a dash for an en dash) or
    escaped, never fatal."""
    from b12cli.output.streams import FOLD_ERRORS

    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr.write("b12: warning: standard output is closed; the answer is discarded\n")
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=FOLD_ERRORS)


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command named in ``args`` (every command when none is named)."""
    name = next((a for a in args if not a.startswith("-")), None)
    return build_app(name if name in COMMANDS else None)


def run(argv: list[str]) -> None:
    """Build only the command named on the command line and run it."""
    from b12cli.commands.completion import COMPLETE_VAR

    if os.environ.get("B12_DEBUG", "") not in ("", "0") or "--traceback" in argv:
        DEBUG["on"] = True
    prepare_streams()
    completion_instruction(COMPLETE_VAR)
    args = show_completion_args(argv)
    try:
        app = app_for(args)
    except (Exception, KeyboardInterrupt) as exc:  # building a command can read the knowledge base
        sys.exit(exit_code_for(exc))
    app(args=args)
