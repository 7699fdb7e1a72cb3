"""The command line's options for the analyst's formats (registers/formats.py), shared by `virkning validate`,
`evaluate` and `monitor`: each is checked where it is parsed, so a wrong value is a usage error (exit 2) that says
what is expected."""

from __future__ import annotations

import functools
import inspect
from typing import Optional

import typer

from virkning.registers import formats


def _checked(check):
    def callback(value):
        if value is None or value == []:
            return value
        try:
            return [check(v) for v in value] if isinstance(value, list) else check(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc).split(" expected ", 1)[-1].join(("expected ", ""))) from None

    return callback


ENCODING = typer.Option(None, "--encoding", callback=_checked(formats.check_encoding),
                        help="Text encoding of CSV (and SAS) files: utf-8 (the default), cp1252, latin-1, another "
                             "codec name, or auto (UTF-8 if the file is, else cp1252); in evaluate and monitor it "
                             "overrides the design's data.encoding.")
DELIMITER = typer.Option(None, "--delimiter", callback=_checked(formats.check_delimiter),
                         help="CSV column separator: ',' ';' tab '|' (or comma, semicolon, tab, pipe); default ',' "
                              "(';' with --decimal ',').")
DECIMAL = typer.Option(None, "--decimal", callback=_checked(formats.check_decimal),
                       help="Decimal mark of numbers in CSV files: '.' or ',' (or point, comma).")
COLUMN = typer.Option(None, "--column", metavar="NAME=name", callback=_checked(formats.parse_column),
                      help="Rename a column of the files to the contract's name: NAME_IN_FILE=contract_name "
                           "(PNR=person_id), or TABLE.NAME=... for one table (benefits.UGE=week); repeatable; in evaluate "
                           "and monitor added to the design's data.columns.")


def fields(encoding: Optional[str], delimiter: Optional[str], decimal: Optional[str], column) -> dict:
    """The given options as LoadOptions fields (those not given are left to the design or the defaults)."""
    out = {"encoding": encoding, "delimiter": delimiter, "decimal": decimal, "columns": tuple(column or ())}
    return {k: v for k, v in out.items() if v not in (None, ())}


_PARAMS = (("encoding", ENCODING, Optional[str]), ("delimiter", DELIMITER, Optional[str]),
           ("decimal", DECIMAL, Optional[str]), ("column", COLUMN, Optional[list[str]]))


def with_format_options(command):
    """A command with the four format options added to its own: it runs inside `formats.overriding`, so every load
    options it builds (`Design.load_options()`, or `formats.apply_overrides(LoadOptions(...))`) carry them."""
    signature = inspect.signature(command)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
             for name, option, annotation in _PARAMS]

    @functools.wraps(command)
    def run(*args, **kwargs):
        given = {name: kwargs.pop(name, None) for name, _, _ in _PARAMS}
        with formats.overriding(**fields(given["encoding"], given["delimiter"], given["decimal"], given["column"])):
            return command(*args, **kwargs)

    run.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])
    return run
