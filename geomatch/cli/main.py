"""``geomatch`` — the command line's entry point.

:func:`main` runs the typer application (:mod:`geomatch.cli.app`); commands import
what they need when they run, so ``geomatch pair`` on small files starts in a fraction
of a second. Exit codes: 0 done; 2 bad input (the message names file, row and column);
3 infeasible as asked (the message names the binding constraint); 1 anything else.
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import NoReturn

from geomatch.errors import GeomatchError

__all__ = ["main", "run"]

log = logging.getLogger("geomatch.cli")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (also used by ``python -m geomatch``).

    Parameters
    ----------
    argv
        Arguments without the program name (default ``sys.argv[1:]``).
    """
    args = sys.argv[1:] if argv is None else [str(a) for a in argv]
    return _run_app(args)


def run() -> NoReturn:
    """The ``geomatch`` console script (and ``python -m geomatch``): :func:`main`, then exit.

    What a command leaves behind is freed by the process's exit. Moving it out of the
    collector's reach first (``gc.freeze``) spares the interpreter's shutdown a last full
    collection over every pandas, numpy and pyarrow object: measured 0.12 s of each
    command on small files (0.80 → 0.68 s for ``geomatch pair`` on 2,500 needs).
    """
    code = main()
    gc.freeze()
    sys.exit(code)


def _run_app(args: list[str]) -> int:
    import typer

    from geomatch.cli.app import app_for

    try:
        app_for(args)(args=args, standalone_mode=False)
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
    run()
