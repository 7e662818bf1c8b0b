"""`b12 labs`: interpret lab results, one query or a whole CSV file.

Its marker options come from the marker registry (``data/markers.yaml``): one value option per
marker (with its aliases, such as ``--active-b12``) and a unit option for each marker with more than
one unit. ``build`` returns the function Typer reads.
"""

from __future__ import annotations

from typing import Any, Callable, List

import typer

from b12cli.commands.options import (
    age_option,
    context_options,
    file_argument,
    format_option,
    input_option,
    kb,
    long_options,
    one_file,
    read_context,
    read_long,
    scheme_option,
    starting,
    tables,
)
from b12cli.errors import ExitCode, UsageError
from b12cli.output.formats import Result, read_format

SINGLE_FORMATS = ("table", "json", "csv", "jsonl", "html")
HELP = """Interpret B12, active B12 (holoTC), MMA and homocysteine results, alone and together.

\b
Examples:
  b12 labs --b12 180 --mma 0.5
  b12 labs --b12 133 --b12-unit pmol/L --holotc 40 --scheme nice
  b12 labs --b12 250 --ref b12=200-900 --check
  b12 labs --input results.csv --format jsonl > out.jsonl
"""


def complete_ref(incomplete: str) -> list[str]:
    return starting([f"{m}=" for m in kb().markers.ids], incomplete)


def _unit_completer(marker_id: str) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        return starting(kb().markers.get(marker_id).unit_names, incomplete)

    return complete


def param_name(marker_id: str, unit: bool = False) -> str:
    return f"m_{marker_id.replace('-', '_')}" + ("_unit" if unit else "")


def marker_parameters(registry) -> list[tuple[str, Any, Any]]:  # noqa: ANN001 - a markers.Registry
    """One value option per marker and one unit option per marker with several units."""
    params = []
    for m in registry.markers:
        units = " or ".join(m.unit_names)
        params.append((param_name(m.id), str | None, typer.Option(
            None, *m.options, metavar="NUMBER",
            help=f"{m.name}, in {m.canonical_unit if len(m.units) == 1 else units}; a limit such as "
                 f"{m.limit_example.split(' or ')[0]} is accepted.")))
        if m.unit_option:
            shown = [f"{u} (default)" if u == m.canonical_unit else u for u in m.unit_names]
            params.append((param_name(m.id, unit=True), str | None, typer.Option(
                None, m.unit_option, metavar="UNIT", autocompletion=_unit_completer(m.id),
                help=f"{', '.join(shown[:-1])} or {shown[-1]}.")))
    return params


def labs(
    file: str | None = file_argument("A CSV file of results, the same as --input FILE."),
    age: str | None = age_option("Age in years (needed for cB12)."),
    scheme: str | None = scheme_option(),
    ref: List[str] | None = typer.Option(None, "--ref", metavar="MARKER=RANGE", autocompletion=complete_ref,
                                         help="Your laboratory's range as printed: b12=232-1245 pg/mL, "
                                         "mma=0-378 nmol/L, hcy=<15 (repeatable; without a unit, in the "
                                         "marker's unit)."),
    check: bool = typer.Option(False, "--check", help="Exit 3 unless deficiency is unlikely and all are normal."),
    pregnant: bool = typer.Option(False, "--pregnant", help="You are pregnant: serum B12 falls in pregnancy, "
                                  "and a possible deficiency is looked at promptly."),
    input_file: str | None = input_option("CSV file of results ('-' for stdin); also taken as FILE."),
    fmt: str | None = format_option("table, json, csv, jsonl or html (with --input: jsonl, json or csv).", None),
    column: List[str] | None = typer.Option(None, "--column", metavar="MARKER=HEADER",
                                            help="With --input: the column that holds a marker (or age, or a "
                                            "marker's unit), e.g. b12='Serum B12 result' (repeatable)."),
    delimiter: str | None = typer.Option(None, "--delimiter", metavar="CHAR",
                                         help="With --input: comma, semicolon or tab (found from the header when "
                                         "not given)."),
    csv_safe: bool = typer.Option(False, "--csv-safe", help="With --input and --format csv: put a ' before "
                                  "input cells that start with = + - @ tab or CR, so spreadsheets show them as text."),
    strict: bool = typer.Option(False, "--strict", help="With --input: a marker cell that cannot be read makes "
                                "its whole row an error (by default the row keeps its other markers)."),
    **values: str | None,
) -> Result:
    base = kb()
    registry = base.markers
    raw = {m.id: values.get(param_name(m.id)) for m in registry.markers}
    units_given = {m.id: values.get(param_name(m.id, unit=True)) for m in registry.markers if m.unit_option}
    from b12cli.domain import labs as core

    units = core.read_units(registry, units_given)
    context = read_context(values.get("egfr"), bool(values.get("taking_b12")), bool(values.get("nitrous_oxide")),
                           pregnant)
    input_file = one_file(file, input_file)
    asked = read_long(values)
    if input_file is not None:
        return _batch(base, input_file, raw, age, fmt, scheme, list(ref or []), units, context, check, csv_safe,
                      list(column or []), delimiter, asked, strict)
    for flag, given in (("--csv-safe", csv_safe), ("--column", column), ("--delimiter", delimiter),
                        ("--strict", strict),
                        ("--long, --test-column, --code and the like", asked)):
        if given:
            raise UsageError(f"{flag} applies only to --input")
    fmt = read_format(fmt, SINGLE_FORMATS)
    return single(base, raw, units, age, scheme, list(ref or []), context, check, fmt)


def single(base, raw: dict[str, str | None], units: dict[str, str | None], age: str | None,  # noqa: ANN001
           scheme: str | None, refs: list[str], context, check: bool, fmt: str) -> Result:  # noqa: ANN001
    from b12cli.domain import labs as core
    from b12cli.domain.numbers import parse_age
    from b12cli.domain.ranges import no_range, read_refs
    from b12cli.output import documents

    registry = base.markers
    markers = core.read_markers(registry, raw, units)
    if not markers:
        options = ", ".join(m.option for m in registry.markers)
        raise UsageError(f"no marker given; expected at least one of {options} (or --input FILE)")
    empty = [r for r in refs if no_range(r)]  # 0-0: how some exports write "no range"
    query = core.LabQuery(markers, parse_age(age) if age is not None else None, scheme,
                          read_refs(registry, [r for r in refs if r not in empty], units), context.pregnant, context,
                          tuple(m for m in markers if units.get(m) is None))
    thresholds = base.thresholds
    result = core.interpret(thresholds, query)
    code = ExitCode.CHECK_FAILED if check and result.abnormal else ExitCode.OK
    given = {m: text for m, text in raw.items() if text is not None}
    given.update({f"{m}_unit": u for m, u in units.items() if u is not None})
    if age is not None:
        given["age"] = age
    if context.egfr is not None:
        given["egfr"] = raw_egfr(context)
    said = [f"Note: --ref {r!r} is 0 to 0, which some exports write for no range; it is left out." for r in empty]
    if fmt == "html":
        return Result(fmt, stream=lambda: _html(base, result, scheme, code, said))
    document = lambda: documents.labs_json(result)  # noqa: E731
    return Result(fmt, document, lambda: [documents.labs_row_csv(registry.ids, given, result)],
                  (*given, *(f"{m}_status" for m in registry.ids), *documents.LABS_CSV_STATUS),
                  lambda: tables().labs(result, registry, core.read_scheme(thresholds, scheme), query.refs),
                  exit_code=code, jsonl=lambda: [_row_record(given, result)],
                  stderr=lambda: said)


def _html(base, result, scheme: str | None, code: int, said: list[str]) -> int:  # noqa: ANN001 - kb, assessment
    """The page for one query (``--format html``), then its notes on stderr and its exit code."""
    import sys

    from b12cli.domain.labs import read_scheme
    from b12cli.output import html
    from b12cli.output.streams import say, write_out

    write_out(html.labs_page(result, base.markers, read_scheme(base.thresholds, scheme), base.sources))
    sys.stdout.flush()
    for line in said:
        say(line + "\n")
    return code


def raw_egfr(context) -> str:  # noqa: ANN001 - a labs.Context
    return f"{context.egfr:g}"


def _row_record(given: dict[str, str], result) -> Any:  # noqa: ANN001 - a labs.LabAssessment
    """A single query as a batch row record (``line`` null, ``input`` the values as given): the same bytes
    from ``"markers"`` on as the batch writes for the same values."""
    from b12cli.output import documents
    from b12cli.output.streams import dumps

    def enc(obj: object) -> str:
        return dumps(obj, compact=True)

    cb12 = "null" if result.cb12 is None else enc(documents.cb12_json(result.cb12))
    return RawJson(documents.row_record(None, enc(given), [enc(documents.marker_json(m)) for m in result.markers],
                                       result.verdict, enc(documents.verdicts_json(result.by_scheme)), cb12,
                                       result.urgent))


class RawJson(str):
    """JSON text already encoded: ``emit`` writes it as it is."""


def _batch(base, path: str, raw: dict, age: str | None, fmt: str | None, scheme: str | None,  # noqa: ANN001
           refs: list[str], units: dict, context, check: bool, csv_safe: bool, columns: list[str],  # noqa: ANN001
           delimiter: str | None, asked=None, strict: bool = False) -> Result:  # noqa: ANN001 - a long.LongRequest
    """`labs --input`: the options that apply to every row, then the run."""
    from b12cli import batch
    from b12cli.inputs.columns import read_overrides
    from b12cli.inputs.csv_rows import parse_delimiter

    registry = base.markers
    given = [registry.get(m).option for m, v in raw.items() if v is not None]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be combined with --input; put values in the file")
    if age is not None:
        raise UsageError("--age cannot be combined with --input; use an age column in the file")
    fmt = read_format(fmt, batch.FORMATS, default="jsonl")
    if csv_safe and fmt != "csv":
        raise UsageError("--csv-safe applies only to --format csv")
    loinc = {code.casefold(): record.marker for code, record in base.loinc.codes.items()}
    options = batch.BatchOptions(scheme, refs, units, context, check, csv_safe, read_overrides(registry, columns),
                                 parse_delimiter(delimiter), strict, asked, loinc, base.loinc.not_markers)
    thresholds = base.thresholds
    return Result(fmt, stream=lambda: batch.run(thresholds, path, fmt, options))


def build() -> Callable[..., Result]:
    """``labs`` with an option per marker of the registry (Typer reads its signature)."""
    from b12cli.typer_compat import with_parameters

    command = with_parameters(labs, marker_parameters(kb().markers) + context_options() + long_options())
    command.__doc__ = HELP
    return command
