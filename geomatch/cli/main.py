"""``geomatch`` — the command line.

Each command group lives in its own module and registers itself on :data:`app`
(``register(app)``). :func:`main` maps geomatch's named errors to exit codes:
0 done; 2 bad input (the message names file, row and column); 3 infeasible as asked
(the message names the binding constraint); 1 anything else.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from geomatch import __version__
from geomatch.errors import GeomatchError
from geomatch.logs import configure_logging

__all__ = ["app", "main"]

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
    configure_logging(-1 if quiet else (1 if verbose else 0))


def _register_all() -> None:
    from geomatch.cli import (
        bench_cmd,
        check_cmd,
        data_cmd,
        demo_cmd,
        pair_cmd,
        render_cmd,
        service_cmd,
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
    ):
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (also used by ``python -m geomatch``)."""
    try:
        app(args=argv, standalone_mode=False)
    except GeomatchError as exc:
        kind = type(exc).__name__
        typer.secho(f"error ({kind}): {exc}", err=True, fg=typer.colors.RED)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except Exception as exc:
        # click's (or typer's vendored click's) usage errors carry show() and exit_code
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return code
        log.exception("unexpected error")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
