"""The command layer: parse options, call one core function, hand the result to a renderer.

Every failure becomes one line on stderr and an exit code in one place, ``exit_code_for``,
called where the command actually runs (``B12Group.invoke``) and, for what fails before a
command is chosen (a bad option of ``b12`` itself), around the whole run (``B12Group.main``).
Commands return their exit code.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Callable, List

import typer
from typer.core import TyperCommand, TyperGroup

from b12cli import __version__
from b12cli.errors import B12Error, ExitCode, UsageError
from b12cli.kb import KnowledgeBase
from b12cli.values import show

FORMATS = ("table", "json", "csv")
FOODS_ON_A_TERMINAL = 15  # table rows `foods` shows on a terminal without --all or --limit
INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
MAX_SEARCH_CHARS = 200  # a search is a few words; a longer text is a mistake and would only cost time


def _fail_line(message: str) -> None:
    text = " ".join(str(message).split())  # one line, whatever the message held
    sys.stderr.write(f"b12: error: {text}\n")


def _silence_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _usage_hint(exc: typer.TyperException, where: str = "b12") -> str:
    """The error and the help to read: the command's own (``where`` when the error does not say)."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else where
    option = getattr(exc, "option_name", None)  # set on Typer's "no such option" error
    if not option or ctx is None:
        return f"{exc.format_message()} (see '{path} --help')"
    command_name = ctx.info_name if ctx.parent is not None else None
    owners = [name for name in owners_of(option) if name != command_name]
    where = command_name or "b12 itself"
    if owners:
        see = path if command_name else f"b12 {owners[0]}"
        return f"{option} is not an option of {where}; it is an option of {', '.join(owners)} (see '{see} --help')"
    return f"{option} is not an option of {where}{_close_match(exc)} (see '{path} --help')"


def _close_match(exc: typer.TyperException) -> str:
    """Click's suggestions, kept only when one is a near spelling of the option."""
    import difflib

    option = getattr(exc, "option_name", "")
    near = difflib.get_close_matches(option, list(getattr(exc, "possibilities", None) or []), n=2, cutoff=0.8)
    return f"; did you mean {' or '.join(near)}?" if near else ""


def owners_of(option: str) -> list[str]:
    """The commands that have ``option`` (the whole app is assembled: only on this error path)."""
    group = typer.main.get_command(build_app())
    return [name for name, cmd in group.commands.items()
            if any(option in p.opts or option in p.secondary_opts for p in cmd.params)]


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
    if isinstance(exc, OSError) and exc.strerror:  # e.g. a full disk under the output
        _fail_line(f"cannot write the output ({exc.strerror})")
        return ExitCode.KNOWLEDGE_BASE
    if isinstance(exc, KeyboardInterrupt):
        _fail_line("interrupted (Ctrl-C); output may be incomplete")
        return INTERRUPTED
    if isinstance(exc, typer.Abort):
        _fail_line("aborted")
        return ExitCode.USAGE
    if isinstance(exc, typer.TyperException):  # Typer's usage errors: unknown option, missing value, ...
        _fail_line(_usage_hint(exc, where))
        return ExitCode.USAGE
    _fail_line(f"internal error: {type(exc).__name__}: {exc}")
    return ExitCode.KNOWLEDGE_BASE


class B12Group(TyperGroup):
    """The ``b12`` group: runs a command and turns whatever it raises into an exit code."""

    def format_help(self, ctx: typer.Context, formatter) -> None:  # noqa: ANN001
        word_types(self.get_params(ctx))
        tidy_help(lambda: TyperGroup.format_help(self, ctx, formatter))

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001
        args = show_completion_args(list(sys.argv[1:] if args is None else args))
        try:
            check_completion_request(os.environ)
            code = super().main(args=args or ["--help"], prog_name="b12", complete_var=complete_var,
                                standalone_mode=False, **extra)
            sys.stdout.flush()
        except (Exception, KeyboardInterrupt) as exc:  # before a command runs, or the final flush
            code = exit_code_for(exc)
        code = int(code) if isinstance(code, int) else ExitCode.OK
        if standalone_mode:
            sys.exit(code)
        return code

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        take_as_given(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> int:
        """Where a command runs: Typer's own handlers (which turn a closed pipe into exit 1)
        never see what it raises."""
        try:
            code = super().invoke(ctx)
            sys.stdout.flush()
        except (Exception, KeyboardInterrupt) as exc:
            return exit_code_for(exc, " ".join(filter(None, ("b12", ctx.invoked_subcommand))))
        return int(code) if isinstance(code, int) else ExitCode.OK


def take_as_given(params: list) -> None:
    """Text and flag parameters keep the value parsed from the command line: b12 reads every value
    itself, with its own messages, so Typer need not build a Pydantic validator for each one
    (that costs more start-up time than the whole answer)."""
    for param in params:
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        if getattr(param, "_runtime_param", False) is None and annotation in (str, bool, List[str]):
            param._runtime_param = AS_GIVEN


class _AsGiven:
    """Typer's coercion step for a text or flag parameter: the value as given, None when absent."""

    @staticmethod
    def coerce(value, param, ctx):  # noqa: ANN001, ANN205 - Typer's runtime-parameter protocol
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        return list(value) if isinstance(value, tuple) else value


AS_GIVEN = _AsGiven()


class B12Command(TyperCommand):
    """A command whose single-valued options may be given once: ``--b12 180 --b12 100`` is refused
    rather than silently taking the last value. Its values are taken as given (``take_as_given``)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        refuse_repeats(self.params, args)
        take_as_given(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def format_help(self, ctx: typer.Context, formatter) -> None:  # noqa: ANN001
        word_types(self.get_params(ctx))
        tidy_help(lambda: TyperCommand.format_help(self, ctx, formatter))


# ----------------------------------------------------------------- help: types as words, tidy lines


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
    import re

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


def word_types(params: list) -> None:
    """Help shows an option's value as a word (its metavar: NUMBER, UNIT, NAME) and nothing for a
    flag or an argument (its name is shown already), never a Python type such as <bool>."""
    for param in params:
        shown = param.metavar if param.param_type_name == "option" and not param.is_flag else None
        param.display_type_rich = lambda ctx, shown=shown: shown  # noqa: ARG005


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


COMMANDS: dict[str, Callable[..., None]] = {}
CONTEXT = {"help_option_names": ["-h", "--help"]}


def command(func: Callable[..., None]) -> Callable[..., None]:
    """Register a command; the Typer app is assembled by ``build_app``."""
    COMMANDS[func.__name__] = func
    return func


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"b12 {__version__}\n")
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """b12: vitamin B12 intakes, foods, medicines and lab results, with sources."""


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer app with every command, or only the one about to run (Typer builds the
    options of every registered command before it parses, which costs start-up time)."""
    application = typer.Typer(
        cls=B12Group,
        add_completion=only is None,  # --install-completion/--show-completion belong to b12 itself
        context_settings=CONTEXT,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        help="b12: an offline reference and lab-value interpreter for vitamin B12. Every fact cites its source.",
        epilog="Exit codes: 0 answered, 1 knowledge-base error, 2 invalid input, 3 --check found something, "
        "4 batch rows invalid.",
    )
    application.callback()(_root)
    for name, func in COMMANDS.items():
        if only is None or name == only:
            application.command(cls=B12Command, context_settings=CONTEXT)(func)
    return application


def _format(value: str, allowed: tuple[str, ...] = FORMATS) -> str:
    fmt = value.strip().casefold()
    if fmt not in allowed:
        raise UsageError(f"--format {show(value)} is not accepted; expected one of {', '.join(allowed)}")
    return fmt


def _emit(fmt: str, document: Callable[[], dict], table: Callable[[], None], csv_header: list[str]) -> None:
    from b12cli import render

    if fmt == "table":
        table()
    elif fmt == "csv":
        sys.stdout.write(render.csv_for(document(), csv_header))
    else:
        sys.stdout.write(render.dumps(document()) + "\n")


# ----------------------------------------------------------------- shell completion of values
# Called only while the shell asks for completions; the knowledge base is loaded then, never at start-up.


COMPLETE_VAR = "_B12_COMPLETE"  # Typer's name for b12's completion request: _{PROG}_COMPLETE


def check_completion_request(environ) -> None:  # noqa: ANN001 - os.environ or any mapping
    """bash asks for completions with COMP_WORDS and COMP_CWORD (the index of the word being
    completed); Typer reads them unchecked, so a missing or non-numeric one is refused here."""
    if environ.get(COMPLETE_VAR) != "complete_bash":
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


def _starting(words, incomplete: str) -> list[str]:  # noqa: ANN001 - any iterable of words
    key = incomplete.casefold()
    return sorted({w for w in words if w.casefold().startswith(key)}, key=str.casefold)


def complete_format(incomplete: str) -> list[str]:
    return _starting(FORMATS, incomplete)


def complete_labs_format(incomplete: str) -> list[str]:
    return _starting(FORMATS + ("jsonl",), incomplete)


def complete_b12_unit(incomplete: str) -> list[str]:
    from b12cli.units import FACTORS

    return _starting(FACTORS["b12"], incomplete)


def complete_mma_unit(incomplete: str) -> list[str]:
    from b12cli.units import FACTORS

    return _starting(FACTORS["mma"], incomplete)


def complete_scheme(incomplete: str) -> list[str]:
    return _starting(KnowledgeBase().thresholds.schemes, incomplete)


def complete_ref(incomplete: str) -> list[str]:
    from b12cli.vocab import MARKERS

    return _starting([f"{m}=" for m in MARKERS], incomplete)


def complete_sort(incomplete: str) -> list[str]:
    return _starting(("mcg", "per100g", "name"), incomplete)


def complete_topic(incomplete: str) -> list[str]:
    return _starting([t.id for t in KnowledgeBase().topics], incomplete)


def complete_medicine(incomplete: str) -> list[str]:
    classes = KnowledgeBase().medications.classes
    return _starting([n for c in classes for n in c.generic_names + c.brand_names if " " not in n], incomplete)


def complete_food_word(incomplete: str) -> list[str]:
    foods = KnowledgeBase().foods.foods
    words = {w.strip(",()").casefold() for f in foods for w in f.name.split()}
    return _starting([w for w in words if len(w) > 2 and w.isalpha()], incomplete)


def _risk_names(records) -> list[str]:  # noqa: ANN001 - risk symptoms or factors
    return [name for r in records for name in (r.id, *r.aliases)]


def complete_symptom(incomplete: str) -> list[str]:
    return _starting(_risk_names(KnowledgeBase().risk.symptoms), incomplete)


def complete_factor(incomplete: str) -> list[str]:
    return _starting(_risk_names(KnowledgeBase().risk.factors), incomplete)


def complete_diet(incomplete: str) -> list[str]:
    from b12cli.risk import DIETS

    return _starting(DIETS, incomplete)


def complete_intake_food(incomplete: str) -> list[str]:
    """Food ids, the everyday words of intake.yaml and one-word aliases; nothing once ':' (servings) is typed."""
    if ":" in incomplete:
        return []
    kb = KnowledgeBase()
    words = [f.id for f in kb.foods.foods] + [d.word for d in kb.intake.defaults if " " not in d.word]
    words += [a.casefold() for f in kb.foods.foods for a in f.aliases if " " not in a]
    return _starting(words, incomplete)


FORMAT_HELP = "Output: table, json or csv."
FormatOpt = typer.Option("table", "--format", "-f", help=FORMAT_HELP, metavar="FORMAT",
                         autocompletion=complete_format)


@command
def rda(
    age: str | None = typer.Option(None, "--age", help="Age in years (decimals allowed, 0-125).", metavar="YEARS"),
    months: str | None = typer.Option(None, "--months", help="Age in completed months (0 or more).",
                                      metavar="MONTHS"),
    pregnant: bool = typer.Option(False, "--pregnant", help="Show the pregnancy row."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="Show the breastfeeding row."),
    fmt: str = FormatOpt,
) -> None:
    """Recommended daily B12 intake (mcg/day) by life stage.

    \b
    Examples:
      b12 rda                       # every life stage
      b12 rda --age 70              # one row, with the note for adults over 50
      b12 rda --months 8            # an infant, in completed months
      b12 rda --pregnant --age 30 --format json
    """
    from b12cli import rda as core
    from b12cli.values import parse_age, parse_months

    fmt = _format(fmt)
    if age is not None and months is not None:
        raise UsageError("--age and --months cannot be combined; give one")
    when = parse_age(age) if age is not None else parse_months(months) if months is not None else None
    result = core.recommend(KnowledgeBase().intakes, when, pregnant, breastfeeding)
    from b12cli import render

    _emit(fmt, lambda: render.rda_json(result), lambda: _tables().rda(result), render.CSV_HEADERS["rda"])


def _tables():
    from b12cli import tables

    return tables


@command
def foods(
    vegan: bool = typer.Option(False, "--vegan", help="Only foods suitable for vegans."),
    vegetarian: bool = typer.Option(False, "--vegetarian", help="Only foods suitable for vegetarians."),
    fortified: bool = typer.Option(False, "--fortified", help="Only fortified foods."),
    search: str | None = typer.Option(None, "--search", help="Words to find in name, category or notes.",
                                      metavar="TEXT", autocompletion=complete_food_word),
    min_mcg: str | None = typer.Option(None, "--min-mcg", help="At least this many mcg per serving.",
                                       metavar="NUMBER"),
    sort: str = typer.Option("mcg", "--sort", help="Order: mcg (largest first), per100g or name (A-Z).",
                             metavar="KEY", autocompletion=complete_sort),
    limit: str | None = typer.Option(None, "--limit", help="Show at most this many foods (1 or more).",
                                     metavar="COUNT"),
    show_all: bool = typer.Option(False, "--all", help="Show every matching food (a terminal shows "
                                  f"{FOODS_ON_A_TERMINAL} unless --all or --limit is given)."),
    include_zero: bool = typer.Option(False, "--include-zero", help="Also list foods with no B12."),
    age: str | None = typer.Option(None, "--age", help="Add servings needed for this age's intake.",
                                   metavar="YEARS"),
    pregnant: bool = typer.Option(False, "--pregnant", help="Count servings against the pregnancy intake."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding",
                                       help="Count servings against the breastfeeding intake."),
    fmt: str = FormatOpt,
) -> None:
    """Foods that supply B12, per serving and per 100 g, with %DV (Daily Value 2.4 mcg).

    \b
    Examples:
      b12 foods --vegan
      b12 foods --search salmon --format json
      b12 foods --age 70 --sort per100g --limit 10
      b12 foods --all | less        # every food (a terminal shows the first 15)
    """
    from b12cli import foods as core
    from b12cli import render
    from b12cli.values import parse_non_negative, parse_positive_int

    fmt = _format(fmt)
    if show_all and limit is not None:
        raise UsageError(f"--limit {show(limit)} and --all cannot be combined; use --all to see every food, or "
                         "--limit N for the first N (see 'b12 foods --help')")
    kb = KnowledgeBase()
    target, older = _foods_target(kb, age, pregnant, breastfeeding)
    query = core.FoodQuery(
        vegan=vegan, vegetarian=vegetarian, fortified=fortified, search=search,
        min_mcg=parse_non_negative(min_mcg, "--min-mcg") if min_mcg is not None else None,
        sort=sort.strip().casefold(), limit=parse_positive_int(limit, "--limit") if limit is not None else None,
        include_zero=include_zero, rda_mcg=target.mcg_per_day if target else None, older_adult=older, target=target,
    )
    result = core.select(kb.foods, query)
    cap = None if show_all or limit is not None or not sys.stdout.isatty() else FOODS_ON_A_TERMINAL
    _emit(fmt, lambda: render.foods_json(result), lambda: _tables().foods(result, cap), render.foods_csv_header(result))
    if fmt == "csv" and target is not None:  # CSV rows are foods: a note on the target itself goes to stderr
        sys.stderr.write("".join(f"Note: {note}\n" for note in target.notes))


def _foods_target(kb: KnowledgeBase, age: str | None, pregnant: bool, breastfeeding: bool):  # noqa: ANN202
    """The intake that servings are counted against (or None), and whether the age is over 50."""
    from b12cli import foods as core
    from b12cli.rda import OLDER_ADULT_MONTHS, recommend, tables_start_note
    from b12cli.values import parse_age

    when = parse_age(age) if age is not None else None
    if when is None and not (pregnant or breastfeeding):
        return None, False
    result = recommend(kb.intakes, when, pregnant, breastfeeding)
    (row,) = result.items
    note = tables_start_note(kb.intakes, when, result.condition)
    target = core.Target(row.mcg_per_day, row.id, row.life_stage, when.years if when else None, result.condition,
                         (note,) if note else ())
    return target, bool(when and when.months >= OLDER_ADULT_MONTHS and result.condition == "none")


@command
def meds(
    names: List[str] | None = typer.Argument(None, help="Generic or brand names to look up; one argument may hold "
                                             "several (a, b / a + b / a and b); '-' reads names from stdin, one a "
                                             "line.", metavar="NAME", autocompletion=complete_medicine),
    check: bool = typer.Option(False, "--check", help="Exit 3 when any name is a listed medicine; a near-miss "
                               "spelling is refused (exit 2)."),
    fmt: str = FormatOpt,
) -> int:
    """Medicines that can lower B12; look up generic, brand, salt-form or combination names.

    \b
    Examples:
      b12 meds                      # every listed class
      b12 meds omeprazole Pepcid aspirin
      b12 meds "metformin hydrochloride" Janumet Losec
      b12 meds metformin --check    # exit 3 when a name is listed
    """
    from b12cli import meds as core
    from b12cli import render

    fmt = _format(fmt)
    asked = list(names or [])
    if "-" in asked:
        if len(asked) > 1:
            raise UsageError("'-' (read names from stdin) cannot be combined with names on the command line")
        text = sys.stdin.read(core.MAX_STDIN_CHARS + 1)
        if len(text) > core.MAX_STDIN_CHARS:
            raise UsageError(f"standard input holds more than {core.MAX_STDIN_CHARS} characters; expected "
                             "medicine names, one a line")
        asked = core.read_names(text.splitlines())
    result = core.lookup(KnowledgeBase().medications, asked)
    if check and core.typo_error(result):
        raise UsageError(core.typo_error(result))
    header = render.CSV_HEADERS["meds-list" if result.results is None else "meds-lookup"]
    _emit(fmt, lambda: render.meds_json(result), lambda: _tables().meds(result), header)
    return ExitCode.CHECK_FAILED if check and result.any_match else ExitCode.OK


@command
def labs(
    b12: str | None = typer.Option(None, "--b12", help="Serum (total) B12 value.", metavar="NUMBER"),
    b12_unit: str | None = typer.Option(None, "--b12-unit", help="pg/mL (default), ng/L or pmol/L.",
                                        metavar="UNIT", autocompletion=complete_b12_unit),
    holotc: str | None = typer.Option(None, "--holotc", help="Active B12 (holoTC) in pmol/L.", metavar="NUMBER"),
    mma: str | None = typer.Option(None, "--mma", help="Methylmalonic acid value.", metavar="NUMBER"),
    mma_unit: str | None = typer.Option(None, "--mma-unit", help="umol/L (default) or nmol/L.", metavar="UNIT",
                                        autocompletion=complete_mma_unit),
    hcy: str | None = typer.Option(None, "--hcy", help="Homocysteine in umol/L.", metavar="NUMBER"),
    age: str | None = typer.Option(None, "--age", help="Age in years (needed for cB12).", metavar="YEARS"),
    scheme: str = typer.Option("documents", "--scheme", help="Threshold scheme: documents or nice.",
                               metavar="NAME", autocompletion=complete_scheme),
    ref: List[str] | None = typer.Option(None, "--ref", metavar="MARKER=RANGE", autocompletion=complete_ref,
                                         help="Your laboratory's range as printed: b12=232-1245 pg/mL, "
                                         "mma=0-378 nmol/L, hcy=<15 (repeatable; without a unit, in the "
                                         "marker's unit)."),
    check: bool = typer.Option(False, "--check", help="Exit 3 unless deficiency is unlikely and all are normal."),
    pregnant: bool = typer.Option(False, "--pregnant", help="Add the note on B12 in pregnancy."),
    input_file: str | None = typer.Option(None, "--input", "-i", help="CSV file of results ('-' for stdin).",
                                          metavar="FILE"),
    fmt: str | None = typer.Option(None, "--format", "-f", help="table, json or csv; jsonl or csv with --input.",
                                   metavar="FORMAT", autocompletion=complete_labs_format),
    column: List[str] | None = typer.Option(None, "--column", metavar="MARKER=HEADER",
                                            help="With --input: the column that holds a marker (or age, b12_unit, "
                                            "mma_unit), e.g. b12='Serum B12 result' (repeatable)."),
    csv_safe: bool = typer.Option(False, "--csv-safe", help="With --input and --format csv: put a ' before "
                                  "input cells that start with = + - @ tab or CR, so spreadsheets show them as text."),
) -> int:
    """Interpret B12, holoTC, MMA and homocysteine results, alone and together.

    \b
    Examples:
      b12 labs --b12 180 --mma 0.5
      b12 labs --b12 133 --b12-unit pmol/L --holotc 40 --scheme nice
      b12 labs --b12 250 --ref b12=200-900 --check
      b12 labs --input results.csv --format jsonl > out.jsonl
    """
    from b12cli import labs as core

    units = core.read_units({"b12": b12_unit, "mma": mma_unit})
    raw = {"b12": b12, "holotc": holotc, "mma": mma, "hcy": hcy}
    if input_file is not None:
        return _labs_batch(input_file, raw, age, fmt, {"scheme": scheme, "refs": list(ref or []), "units": units,
                           "pregnant": pregnant, "check": check, "csv_safe": csv_safe, "columns": list(column or [])})
    if csv_safe or column:
        raise UsageError(f"{'--csv-safe' if csv_safe else '--column'} applies only to --input")
    fmt = _format(fmt or "table", FORMATS + ("jsonl",))
    query = core.LabQuery(core.read_markers(raw, units), core.read_age(age), scheme,
                          core.read_refs(list(ref or []), units), pregnant)
    if not query.markers:
        raise UsageError("no marker given; expected at least one of --b12, --holotc, --mma, --hcy (or --input FILE)")
    thresholds = KnowledgeBase().thresholds
    result = core.interpret(thresholds, query)
    _emit_labs(fmt, result, lambda: _tables().labs(result, core.read_scheme(thresholds, scheme), query.refs))
    return ExitCode.CHECK_FAILED if check and result.abnormal else ExitCode.OK


def _labs_batch(path: str, raw: dict, age: str | None, fmt: str | None, settings: dict) -> int:
    """`labs --input`: the options that apply to every row (``settings``: BatchOptions fields), then the run."""
    from b12cli import batch
    from b12cli.columns import read_overrides

    given = [f"--{m}" for m, v in raw.items() if v is not None]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be combined with --input; put values in the file")
    if age is not None:
        raise UsageError("--age cannot be combined with --input; use an age column in the file")
    fmt = _format(fmt or "jsonl", ("jsonl", "csv"))
    if settings["csv_safe"] and fmt != "csv":
        raise UsageError("--csv-safe applies only to --format csv")
    options = batch.BatchOptions(**{**settings, "columns": read_overrides(settings["columns"])})
    return batch.run(KnowledgeBase().thresholds, path, fmt, options)


def _emit_labs(fmt: str, result, table: Callable[[], None]) -> None:  # noqa: ANN001 - a labs.LabAssessment
    """json/table/csv as everywhere; jsonl is the same document on one line; csv is a row per marker."""
    from b12cli import render

    document = render.labs_json(result)
    if fmt == "jsonl":
        sys.stdout.write(render.dumps(document, compact=True) + "\n")
        return
    rows = {"items": [dict(m, verdict=document["verdict"]) for m in document["markers"]]}
    _emit(fmt, lambda: document if fmt == "json" else rows, table,
          render.CSV_HEADERS["labs"] + ["verdict"])


@command
def about(
    topic: str | None = typer.Argument(None, help="A topic id, e.g. symptoms.", metavar="TOPIC",
                                       autocompletion=complete_topic),
    fmt: str = FormatOpt,
) -> None:
    """What the documents teach, topic by topic, each point with its sources.

    \b
    Examples:
      b12 about                     # the topics
      b12 about symptoms
      b12 about safety --format json
    """
    from b12cli import about as core
    from b12cli import render

    fmt = _format(fmt)
    result = core.about(KnowledgeBase().topics, topic)
    header = render.CSV_HEADERS["about-list" if result.topic is None else "about-topic"]
    _emit(fmt, lambda: render.about_json(result), lambda: _tables().about(result), header)


@command
def search(
    words: List[str] = typer.Argument(..., help="Words to find (all must appear).", metavar="WORD"),
    fmt: str = FormatOpt,
) -> None:
    """Search topics, foods and medicines; says where each match was found.

    \b
    Examples:
      b12 search tingling
      b12 search nitrous oxide
      b12 search liver --format csv
    """
    from b12cli import render
    from b12cli import search as core

    fmt = _format(fmt)
    text = " ".join(words)
    if len(text) > MAX_SEARCH_CHARS:
        raise UsageError(f"search text of {len(text)} characters is too long; expected a few words "
                         f"(at most {MAX_SEARCH_CHARS} characters)")
    result = core.search(KnowledgeBase(), text)
    _emit(fmt, lambda: render.search_json(result), lambda: _tables().search(result), render.CSV_HEADERS["search"])


@command
def sources(fmt: str = FormatOpt) -> None:
    """Every source the knowledge base cites.

    \b
    Examples:
      b12 sources
      b12 sources --format json
    """
    from b12cli import render

    fmt = _format(fmt)
    items = list(KnowledgeBase().sources.values())
    _emit(fmt, lambda: render.sources_json(items), lambda: _tables().sources(items), render.CSV_HEADERS["sources"])


# ----------------------------------------------------------------- decision commands: risk, absorb, intake


def _split_names(values: List[str] | None, option: str) -> tuple[str, ...]:
    """Repeatable options that also take comma-separated lists: --meds a,b --meds c. No empty names."""
    from b12cli.values import show

    names = []
    for value in values or []:
        parts = [part.strip() for part in value.split(",")]
        if not all(parts):
            raise UsageError(f"{option} {show(value)} holds an empty name; expected NAME or NAME,NAME")
        names += parts
    return tuple(names)


@command
def risk(
    symptom: List[str] | None = typer.Option(None, "--symptom", "-s", metavar="NAME",
                                             help="A symptom or sign (repeatable); --list shows the names.",
                                             autocompletion=complete_symptom),
    factor: List[str] | None = typer.Option(None, "--factor", metavar="NAME",
                                            help="A risk factor (repeatable); --list shows the names.",
                                            autocompletion=complete_factor),
    age: str | None = typer.Option(None, "--age", metavar="YEARS", help="Age in years; over 65 adds older age."),
    diet: str | None = typer.Option(None, "--diet", metavar="DIET", help="vegan or vegetarian: adds that factor.",
                                    autocompletion=complete_diet),
    meds: List[str] | None = typer.Option(None, "--meds", metavar="NAME,...",
                                          help="Medicines taken (generic or brand, comma-separated); listed ones "
                                          "add their factor.", autocompletion=complete_medicine),
    pregnant: bool = typer.Option(False, "--pregnant", help="Adds pregnancy as a factor."),
    list_all: bool = typer.Option(False, "--list", help="List every symptom and factor, with sources."),
    check: bool = typer.Option(False, "--check", help="Exit 3 unless the advice is not_indicated."),
    fmt: str = FormatOpt,
) -> int:
    """Should B12 be tested? NICE NG239: at least one symptom AND one risk factor.

    Advice: urgent, test, consider or not_indicated, with the matched reasons and sources.

    \b
    Examples:
      b12 risk --symptom tingling --factor metformin
      b12 risk --symptom fatigue --age 70 --diet vegan
      b12 risk --symptom numbness --meds omeprazole,Glucophage -f json
      b12 risk --list
    """
    from b12cli import render
    from b12cli import risk as core
    from b12cli.values import parse_years

    fmt = _format(fmt)
    kb = KnowledgeBase()
    if list_all:
        listing = core.listing(kb.risk)
        return _emit(fmt, lambda: render.risk_list_json(listing), lambda: _tables().risk_list(listing),
                     render.CSV_HEADERS["risk-list"])
    query = core.RiskQuery(_split_names(symptom, "--symptom"), _split_names(factor, "--factor"),
                           parse_years(age) if age is not None else None,
                           diet.strip().casefold() if diet is not None else None, _split_names(meds, "--meds"),
                           pregnant)
    result = core.assess(kb.risk, kb.medications if query.meds else None, query)
    rows = {"items": render.risk_json(result)["items"] or [{"advice": result.advice}]}
    _emit(fmt, lambda: render.risk_json(result) if fmt == "json" else rows, lambda: _tables().risk(result),
          render.CSV_HEADERS["risk"])
    return ExitCode.CHECK_FAILED if check and result.advice != "not_indicated" else ExitCode.OK


@command
def absorb(
    dose: str = typer.Option(..., "--dose", metavar="MCG", help="One oral dose in mcg (above 0)."),
    per_day: str = typer.Option("1", "--per-day", metavar="N",
                                help="Doses a day, at least 4 hours apart (1-6); each is absorbed as the first."),
    weekly: bool = typer.Option(False, "--weekly", help="One dose a week: show the daily average."),
    no_intrinsic_factor: bool = typer.Option(False, "--no-intrinsic-factor",
                                             help="Pernicious anaemia or stomach surgery: passive absorption only."),
    fmt: str = FormatOpt,
) -> None:
    """How much B12 one oral dose delivers, on a cited model (IOM 1998).

    Published points (50% of 1 mcg, 20% of 5 mcg, just over 5% of 25 mcg) are interpolated; above them
    the intrinsic-factor route is full and 1% more is absorbed passively.

    \b
    Examples:
      b12 absorb --dose 1000
      b12 absorb --dose 1000 --no-intrinsic-factor
      b12 absorb --dose 2.5 --per-day 2
      b12 absorb --dose 2500 --weekly --format json
    """
    from b12cli import absorb as core
    from b12cli import render
    from b12cli.values import parse_number, parse_positive_int

    fmt = _format(fmt)
    query = core.AbsorbQuery(parse_number(dose, "--dose", "a dose in mcg above 0"),
                             parse_positive_int(per_day, "--per-day"), weekly, not no_intrinsic_factor)
    result = core.estimate(KnowledgeBase().absorption, query)
    _emit(fmt, lambda: render.absorb_json(result), lambda: _tables().absorb(result), render.CSV_HEADERS["absorb"])


@command
def intake(
    foods: List[str] | None = typer.Argument(None, metavar="FOOD[:SERVINGS]...",
                                             help="Food ids or names, each with servings (default 1, e.g. egg:2).",
                                             autocompletion=complete_intake_food),
    supplement: List[str] | None = typer.Option(None, "--supplement", metavar="MCG",
                                                help="A supplement dose in mcg (repeatable)."),
    age: str | None = typer.Option(None, "--age", metavar="YEARS", help="Age in years: sets the target."),
    months: str | None = typer.Option(None, "--months", metavar="N", help="Age in completed months."),
    pregnant: bool = typer.Option(False, "--pregnant", help="Target for pregnancy."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="Target for breastfeeding."),
    meals: str | None = typer.Option(None, "--meals", metavar="N",
                                     help="Split the food B12 over N meals (1-6) for the absorbed estimate."),
    no_intrinsic_factor: bool = typer.Option(False, "--no-intrinsic-factor",
                                             help="Pernicious anaemia or stomach surgery: passive absorption only."),
    fmt: str = FormatOpt,
) -> None:
    """The day's B12 from foods and supplements, against the target for your age.

    \b
    Examples:
      b12 intake salmon egg:2 --age 30
      b12 intake beef-liver --age 70
      b12 intake milk:2 breakfast-cereal-fortified-25-dv --supplement 250
      b12 intake nutritional-yeast-fortified --no-intrinsic-factor -f json
    """
    from b12cli import intake as core
    from b12cli import render
    from b12cli.values import parse_age, parse_months, parse_number, parse_positive_int

    fmt = _format(fmt)
    if age is not None and months is not None:
        raise UsageError("--age and --months cannot be combined; give one")
    kb = KnowledgeBase()
    query = core.IntakeQuery(
        tuple(foods or ()), tuple(parse_number(s, "--supplement", "a dose in mcg above 0") for s in supplement or ()),
        parse_age(age) if age is not None else parse_months(months) if months is not None else None,
        pregnant, breastfeeding, parse_positive_int(meals, "--meals") if meals is not None else None,
        not no_intrinsic_factor)
    result = core.day(kb.foods, kb.intake, kb.intakes, kb.absorption, query)
    _emit(fmt, lambda: render.intake_json(result), lambda: _tables().intake(result), render.CSV_HEADERS["intake"])


# ----------------------------------------------------------------- history


@command
def history(
    path: str = typer.Argument(..., help="FHIR R4 JSON (Bundle or resource), NDJSON, a folder of .json files, "
                               "or a CSV file; '-' for stdin.", metavar="PATH"),
    scheme: str = typer.Option("documents", "--scheme", help="Threshold scheme: documents or nice.",
                               metavar="NAME"),
    pregnant: bool = typer.Option(False, "--pregnant", help="Add the note on B12 in pregnancy."),
    no_lab_ranges: bool = typer.Option(False, "--no-lab-ranges",
                                       help="Ignore each result's own laboratory range (FHIR referenceRange)."),
    date_column: str = typer.Option("date", "--date", help="CSV: the date column.", metavar="COLUMN"),
    id_column: str = typer.Option("id", "--id", help="CSV: the person column (one person when absent).",
                                  metavar="COLUMN"),
    check: bool = typer.Option(False, "--check", help="Exit 3 if any person's latest panel is abnormal."),
    fmt: str = FormatOpt,
) -> int:
    """Results over time: one panel per person and date, and a trend per marker.

    \b
    Examples:
      b12 history export.json                  # a FHIR R4 Bundle
      b12 history portal-download/             # a folder of .json files
      b12 history results.csv --date drawn --id patient
    """
    from b12cli import history as core
    from b12cli import render

    fmt = _format(fmt)
    kb = KnowledgeBase()
    options = core.HistoryOptions(scheme, pregnant, not no_lab_ranges, date_column, id_column)
    result = core.history(kb.thresholds, kb.loinc, path, options)
    document = render.history_json(result) if fmt != "table" else {}
    _emit(fmt, lambda: document if fmt == "json" else {"items": render.history_rows(document)},
          lambda: _tables().history(result), render.CSV_HEADERS["history"])
    for problem in result.errors:
        sys.stderr.write(f"b12: history: error: {problem.where.describe()}: {problem.reason}\n")
    sys.stderr.write(core.summary_line(result) + "\n")
    if result.errors:
        return ExitCode.ROWS_INVALID
    return ExitCode.CHECK_FAILED if check and result.latest_abnormal else ExitCode.OK


SHELLS = ("bash", "zsh", "fish")


def complete_shell(incomplete: str) -> list[str]:
    return _starting(SHELLS, incomplete)


@command
def completion(
    shell: str = typer.Argument(..., help="bash, zsh or fish.", metavar="SHELL", autocompletion=complete_shell),
) -> None:
    """Print the shell completion script for bash, zsh or fish.

    \b
    Examples:
      b12 completion bash >> ~/.bashrc
      b12 completion zsh > ~/.zfunc/_b12
      b12 completion fish > ~/.config/fish/completions/b12.fish
    """
    from typer._completion_shared import get_completion_script  # Typer's own script for its protocol

    name = shell.strip().casefold()
    if name not in SHELLS:
        raise UsageError(f"shell {show(shell)} is not supported; expected one of {', '.join(SHELLS)}")
    sys.stdout.write(get_completion_script(prog_name="b12", complete_var=COMPLETE_VAR, shell=name).strip() + "\n")


def show_completion_args(args: list[str]) -> list[str]:
    """``b12 --show-completion SHELL`` (or ``=SHELL``) is ``b12 completion SHELL``: Typer's own option
    takes no value (it detects the shell) and would ignore the one given."""
    if args and args[0].split("=", 1)[0] == "--show-completion":
        shell = args[0].partition("=")[2] or (args[1] if len(args) > 1 else "")
        if shell:
            return ["completion", shell]
    return args


app = build_app()


def _prepare_streams() -> None:
    """Streams that cannot fail the answer: a closed stderr is replaced by /dev/null (the data
    still comes out), a closed stdout too (with a warning: the answer goes nowhere, the exit code
    stays right), and characters the terminal's encoding lacks are escaped, not fatal."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr.write("b12: warning: standard output is closed; the answer is discarded\n")
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").replace("-", "").lower() != "utf8":
            stream.reconfigure(errors="backslashreplace")


def main() -> None:
    """Console entry point: assemble only the command named on the command line."""
    _prepare_streams()
    _completion_instruction()
    name = show_completion_args(sys.argv[1:])[0] if len(sys.argv) > 1 else None
    build_app(name if name in COMMANDS else None)()


def _completion_instruction() -> None:
    """Accept both spellings of a completion request: Typer's ``source_bash`` and Click's ``bash_source``."""
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction and instruction.split("_", 1)[0] in ("bash", "zsh", "fish", "powershell", "pwsh"):
        shell, _, action = instruction.partition("_")
        os.environ[COMPLETE_VAR] = f"{action}_{shell}"
