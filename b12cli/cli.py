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
    return f"{exc.format_message()} (see '{path} --help')"


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

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001
        args = list(sys.argv[1:] if args is None else args)
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
        add_completion=False,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        help="b12: an offline reference and lab-value interpreter for vitamin B12. Every fact cites its source.",
        epilog="Exit codes: 0 answered, 1 knowledge-base error, 2 invalid input, 3 --check found something, "
        "4 batch rows invalid.",
    )
    application.callback()(_root)
    for name, func in COMMANDS.items():
        if only is None or name == only:
            application.command(cls=B12Command)(func)
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


FORMAT_HELP = "Output: table, json or csv."
FormatOpt = typer.Option("table", "--format", "-f", help=FORMAT_HELP, metavar="FORMAT")


@command
def rda(
    age: str | None = typer.Option(None, "--age", help="Age in years (decimals allowed, 0-125).", metavar="YEARS"),
    months: str | None = typer.Option(None, "--months", help="Age in completed months (0 or more).", metavar="N"),
    pregnant: bool = typer.Option(False, "--pregnant", help="Show the pregnancy row."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="Show the breastfeeding row."),
    fmt: str = FormatOpt,
) -> None:
    """Recommended daily B12 intake (mcg/day) by life stage.

    Example: b12 rda --age 70
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
                                      metavar="TEXT"),
    min_mcg: str | None = typer.Option(None, "--min-mcg", help="At least this many mcg per serving.",
                                       metavar="N"),
    sort: str = typer.Option("mcg", "--sort", help="mcg (largest first), per100g or name (A-Z).", metavar="KEY"),
    limit: str | None = typer.Option(None, "--limit", help="Show at most N foods (N >= 1).", metavar="N"),
    include_zero: bool = typer.Option(False, "--include-zero", help="Also list foods with no B12."),
    age: str | None = typer.Option(None, "--age", help="Add servings needed for this age's intake.",
                                   metavar="YEARS"),
    fmt: str = FormatOpt,
) -> None:
    """Foods that supply B12, per serving and per 100 g, with %DV (Daily Value 2.4 mcg).

    Example: b12 foods --vegan
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
    _emit(fmt, lambda: render.foods_json(result), lambda: _tables().foods(result), render.CSV_HEADERS["foods"])


@command
def meds(
    names: List[str] | None = typer.Argument(None, help="Generic or brand names to look up.", metavar="NAME..."),
    check: bool = typer.Option(False, "--check", help="Exit 3 when any name is a listed medicine."),
    fmt: str = FormatOpt,
) -> int:
    """Medicines that can lower B12; look up generic or brand names.

    Example: b12 meds omeprazole Pepcid
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
    b12: str | None = typer.Option(None, "--b12", help="Serum (total) B12 value.", metavar="V"),
    b12_unit: str | None = typer.Option(None, "--b12-unit", help="pg/mL (default), ng/L or pmol/L.",
                                        metavar="UNIT"),
    holotc: str | None = typer.Option(None, "--holotc", help="Active B12 (holoTC) in pmol/L.", metavar="V"),
    mma: str | None = typer.Option(None, "--mma", help="Methylmalonic acid value.", metavar="V"),
    mma_unit: str | None = typer.Option(None, "--mma-unit", help="umol/L (default) or nmol/L.", metavar="UNIT"),
    hcy: str | None = typer.Option(None, "--hcy", help="Homocysteine in umol/L.", metavar="V"),
    age: str | None = typer.Option(None, "--age", help="Age in years (needed for cB12).", metavar="YEARS"),
    scheme: str = typer.Option("documents", "--scheme", help="Threshold scheme: documents or nice.",
                               metavar="NAME"),
    ref: List[str] | None = typer.Option(None, "--ref", metavar="MARKER=LOW-HIGH",
                                         help="Your laboratory's range, e.g. b12=200-900 (repeatable; in that "
                                         "marker's unit)."),
    check: bool = typer.Option(False, "--check", help="Exit 3 unless deficiency is unlikely and all are normal."),
    pregnant: bool = typer.Option(False, "--pregnant", help="Add the note on B12 in pregnancy."),
    input_file: str | None = typer.Option(None, "--input", "-i", help="CSV file of results ('-' for stdin).",
                                          metavar="FILE"),
    fmt: str | None = typer.Option(None, "--format", "-f", help="table, json or csv; jsonl or csv with --input.",
                                   metavar="FORMAT"),
) -> int:
    """Interpret B12, holoTC, MMA and homocysteine results, alone and together.

    Example: b12 labs --b12 180 --mma 0.5

    Batch: b12 labs --input results.csv --format jsonl
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
    topic: str | None = typer.Argument(None, help="A topic id, e.g. symptoms.", metavar="TOPIC"),
    fmt: str = FormatOpt,
) -> None:
    """What the documents teach, topic by topic, each point with its sources.

    Example: b12 about symptoms
    """
    from b12cli import about as core
    from b12cli import render

    fmt = _format(fmt)
    result = core.about(KnowledgeBase().topics, topic)
    header = render.CSV_HEADERS["about-list" if result.topic is None else "about-topic"]
    _emit(fmt, lambda: render.about_json(result), lambda: _tables().about(result), header)


@command
def search(
    words: List[str] = typer.Argument(..., help="Words to find (all must appear).", metavar="TEXT..."),
    fmt: str = FormatOpt,
) -> None:
    """Search topics, foods and medicines; says where each match was found.

    Example: b12 search tingling
    """
    from b12cli import render
    from b12cli import search as core

    fmt = _format(fmt)
    result = core.search(KnowledgeBase(), " ".join(words))
    _emit(fmt, lambda: render.search_json(result), lambda: _tables().search(result), render.CSV_HEADERS["search"])


@command
def sources(fmt: str = FormatOpt) -> None:
    """Every source the knowledge base cites.

    Example: b12 sources --format json
    """
    from b12cli import render

    fmt = _format(fmt)
    items = list(KnowledgeBase().sources.values())
    _emit(fmt, lambda: render.sources_json(items), lambda: _tables().sources(items), render.CSV_HEADERS["sources"])


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
    name = sys.argv[1] if len(sys.argv) > 1 else None
    build_app(name if name in COMMANDS else None)()
