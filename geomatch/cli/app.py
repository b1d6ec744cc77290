"""The typer application behind ``geomatch``.

Each command group lives in its own module and registers itself on :data:`app`
(``register(app)``). :func:`geomatch.cli.main.main` runs it and maps geomatch's named
errors to exit codes.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Annotated

import typer

from geomatch import __version__
from geomatch.logs import configure_logging, verbosity

__all__ = ["app", "app_for"]

app = typer.Typer(
    name="geomatch",
    help=(
        "Pairing and coverage platform for science-and-technology poverty relief "
        "(科技助力精准扶贫): pair eastern helpers with western needs, schedule science "
        "caravans and mobile science-museum tours, draw coverage maps and exports."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

log = logging.getLogger("geomatch.cli")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"geomatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Global options."""
    configure_logging(verbosity(quiet=quiet, verbose=verbose))


def _register_all() -> None:
    from geomatch.cli import (
        bench_cmd,
        check_cmd,
        cycle_cmd,
        data_cmd,
        demo_cmd,
        pair_cmd,
        records_cmd,
        render_cmd,
        service_cmd,
        sweep_cmd,
        tours_cmd,
    )

    for module in (
        data_cmd,
        demo_cmd,
        check_cmd,
        pair_cmd,
        tours_cmd,
        render_cmd,
        bench_cmd,
        service_cmd,
        cycle_cmd,
        records_cmd,
        sweep_cmd,
    ):
        module.register(app)


_register_all()


def app_for(args: Sequence[str]) -> typer.Typer:
    """:data:`app` with only the command that ``args`` run (all of them for help, for no
    command and for a name that is not one).

    typer builds the parameters of every command before it runs one — 50 ms of each
    ``geomatch pair`` on small files for geomatch's forty commands; a run needs its own.
    """
    name = next((a for a in args if not a.startswith("-")), None)
    before = args[: list(args).index(name)] if name is not None else args
    if name is None or "--help" in before:
        return app
    commands = [
        c
        for c in app.registered_commands
        if (c.name or typer.main.get_command_name(getattr(c.callback, "__name__", ""))) == name
    ]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = commands, groups
    return one
