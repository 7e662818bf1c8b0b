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


def _usage_hint(exc: typer.TyperException) -> str:
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "b12"
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


def exit_code_for(exc: BaseException) -> int:
    """The one mapping from an exception to a message on stderr and an exit code."""
    if isinstance(exc, B12Error):
        _fail_line(str(exc))
        return exc.exit_code
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:  # the reader went away: not our failure
        _silence_stdout()
        return ExitCode.OK
    if isinstance(exc, KeyboardInterrupt):
        _fail_line("interrupted (Ctrl-C); output may be incomplete")
        return INTERRUPTED
    if isinstance(exc, typer.Abort):
        _fail_line("aborted")
        return ExitCode.USAGE
    if isinstance(exc, typer.TyperException):  # Typer's usage errors: unknown option, missing value, ...
        _fail_line(_usage_hint(exc))
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
        """Where a command runs: Typer's own handlers (which turn a closed pipe into exit 1)
        never see what it raises."""
        try:
            code = super().invoke(ctx)
            sys.stdout.flush()
        except (Exception, KeyboardInterrupt) as exc:
            return exit_code_for(exc)
        return int(code) if isinstance(code, int) else ExitCode.OK


class B12Command(TyperCommand):
    """A command whose single-valued options may be given once: ``--b12 180 --b12 100`` is refused
    rather than silently taking the last value."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        refuse_repeats(self.params, args)
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
    from b12cli.rda import OLDER_ADULT_MONTHS, stage_for
    from b12cli.values import parse_age, parse_non_negative, parse_positive_int

    fmt = _format(fmt)
    kb = KnowledgeBase()
    when = parse_age(age) if age is not None else None
    query = core.FoodQuery(
        vegan=vegan, vegetarian=vegetarian, fortified=fortified, search=search,
        min_mcg=parse_non_negative(min_mcg, "--min-mcg") if min_mcg is not None else None,
        sort=sort.strip().casefold(), limit=parse_positive_int(limit, "--limit") if limit is not None else None,
        include_zero=include_zero, rda_mcg=stage_for(kb.intakes, when.months).mcg_per_day if when else None,
        older_adult=bool(when and when.months >= OLDER_ADULT_MONTHS),
    )
    result = core.select(kb.foods, query)
    cap = None if show_all or limit is not None or not sys.stdout.isatty() else FOODS_ON_A_TERMINAL
    _emit(fmt, lambda: render.foods_json(result), lambda: _tables().foods(result, cap), render.CSV_HEADERS["foods"])


@command
def meds(
    names: List[str] | None = typer.Argument(None, help="Generic or brand names to look up.", metavar="NAME",
                                             autocompletion=complete_medicine),
    check: bool = typer.Option(False, "--check", help="Exit 3 when any name is a listed medicine."),
    fmt: str = FormatOpt,
) -> int:
    """Medicines that can lower B12; look up generic or brand names.

    \b
    Examples:
      b12 meds                      # every listed class
      b12 meds omeprazole Pepcid aspirin
      b12 meds metformin --check    # exit 3 when a name is listed
    """
    from b12cli import meds as core
    from b12cli import render

    fmt = _format(fmt)
    result = core.lookup(KnowledgeBase().medications, list(names or []))
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
    ref: List[str] | None = typer.Option(None, "--ref", metavar="MARKER=LOW-HIGH", autocompletion=complete_ref,
                                         help="Your laboratory's range, e.g. b12=200-900 (repeatable; in that "
                                         "marker's unit)."),
    check: bool = typer.Option(False, "--check", help="Exit 3 unless deficiency is unlikely and all are normal."),
    pregnant: bool = typer.Option(False, "--pregnant", help="Add the note on B12 in pregnancy."),
    input_file: str | None = typer.Option(None, "--input", "-i", help="CSV file of results ('-' for stdin).",
                                          metavar="FILE"),
    fmt: str | None = typer.Option(None, "--format", "-f", help="table, json or csv; jsonl or csv with --input.",
                                   metavar="FORMAT", autocompletion=complete_labs_format),
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
        return _labs_batch(input_file, raw, age, scheme, list(ref or []), units, pregnant, check, fmt)
    fmt = _format(fmt or "table", FORMATS + ("jsonl",))
    query = core.LabQuery(core.read_markers(raw, units), core.read_age(age), scheme,
                          core.read_refs(list(ref or []), units), pregnant)
    if not query.markers:
        raise UsageError("no marker given; expected at least one of --b12, --holotc, --mma, --hcy (or --input FILE)")
    thresholds = KnowledgeBase().thresholds
    result = core.interpret(thresholds, query)
    _emit_labs(fmt, result, lambda: _tables().labs(result, core.read_scheme(thresholds, scheme), query.refs))
    return ExitCode.CHECK_FAILED if check and result.abnormal else ExitCode.OK


def _labs_batch(path: str, raw: dict, age: str | None, scheme: str, refs: list[str], units: dict, pregnant: bool,
                check: bool, fmt: str | None) -> int:
    """`labs --input`: the options that apply to every row, then the batch run."""
    from b12cli import batch

    given = [f"--{m}" for m, v in raw.items() if v is not None]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be combined with --input; put values in the file")
    if age is not None:
        raise UsageError("--age cannot be combined with --input; use an age column in the file")
    fmt = _format(fmt or "jsonl", ("jsonl", "csv"))
    options = batch.BatchOptions(scheme, refs, units, pregnant, check)
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
    result = core.search(KnowledgeBase(), " ".join(words))
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
    sys.stdout.write(get_completion_script(prog_name="b12", complete_var="_B12_COMPLETE", shell=name).strip() + "\n")


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
    instruction = os.environ.get("_B12_COMPLETE")
    if instruction and instruction.split("_", 1)[0] in ("bash", "zsh", "fish", "powershell", "pwsh"):
        shell, _, action = instruction.partition("_")
        os.environ["_B12_COMPLETE"] = f"{action}_{shell}"
