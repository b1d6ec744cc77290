"""``geomatch check``: validate bring-your-own pairing files before a run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geomatch.cli.pair_cmd import AllowUnknown

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("geomatch.cli")


def register(app: typer.Typer) -> None:
    """Add ``check`` to the ``geomatch`` app."""

    @app.command()
    def check(
        helpers: Annotated[Path | None, typer.Option(help="helpers.csv to validate.")] = None,
        needs: Annotated[Path | None, typer.Option(help="needs.csv to validate.")] = None,
        arcs: Annotated[Path | None, typer.Option(help="arcs.csv to validate.")] = None,
        data: Annotated[
            Path | None, typer.Option(help="Dataset folder for code checks (default: embedded).")
        ] = None,
        allow_unknown: AllowUnknown = False,
    ) -> None:
        """检查专家/需求/候选对文件：表头（含中文别名）、取值、类别词表、编号与区划代码。

        Reports every problem of every file (up to a limit per file) with file, row and
        column, and exits 2; nothing is written.
        """
        from geomatch.errors import DatasetMissingError, InputError
        from geomatch.io import read_arcs, read_helpers, read_needs
        from geomatch.io.codes import check_known_codes, code_aliases

        if helpers is None and needs is None and arcs is None:
            raise InputError("give at least one of --helpers, --needs, --arcs")
        errors: list[InputError] = []

        def attempt(read: Callable[[], pd.DataFrame]) -> pd.DataFrame | None:
            try:
                return read()
            except InputError as exc:
                errors.append(exc)
                return None

        h = attempt(lambda: read_helpers(helpers, allow_unknown=allow_unknown)) if helpers else None
        n = attempt(lambda: read_needs(needs, allow_unknown=allow_unknown)) if needs else None
        if arcs:
            attempt(
                lambda: read_arcs(
                    arcs,
                    helper_ids=h["helper_id"] if h is not None else None,
                    need_ids=n["need_id"] if n is not None else None,
                )
            )
        if len(errors) == 1:
            raise errors[0]
        if errors:
            first = errors[0]
            raise InputError(
                "problems in several files:\n" + "\n".join(str(e) for e in errors),
                file=first.file,
                row=first.row,
                column=first.column,
            )
        if n is not None and "adcode" in n.columns:
            from geomatch.dataset import load_dataset

            try:
                ds = load_dataset(root=data)
                known = set(ds.counties["adcode"].astype(str))
                aliases = code_aliases(ds.poor_counties)
            except DatasetMissingError as exc:
                log.warning("codes not checked: %s", exc)
            else:
                check_known_codes(
                    n, "adcode", known, file=needs, aliases=aliases, what="county code"
                )
        parts = [
            f"{label}: {len(df)} rows"
            for label, df in (("helpers", h), ("needs", n))
            if df is not None
        ]
        typer.echo("ok — " + ", ".join(parts) if parts else "ok")
