"""``geomatch check``: validate bring-your-own pairing files before a run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

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
    ) -> None:
        """Validate helpers/needs/arcs files: schema, ids, and codes known to the dataset.

        Exits 2 at the first problem with the file, row and column named.
        """
        from geomatch.errors import DatasetMissingError, InputError
        from geomatch.io import read_arcs, read_helpers, read_needs
        from geomatch.io.codes import check_known_codes, code_aliases

        if helpers is None and needs is None and arcs is None:
            raise InputError("give at least one of --helpers, --needs, --arcs")
        h = read_helpers(helpers) if helpers else None
        n = read_needs(needs) if needs else None
        if arcs:
            read_arcs(
                arcs,
                helper_ids=h["helper_id"] if h is not None else None,
                need_ids=n["need_id"] if n is not None else None,
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
