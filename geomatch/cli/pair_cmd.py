"""``geomatch pair``: pair helpers with needs (a scenario, or bring-your-own CSV files).

::

    geomatch pair --scenario solvers/national.toml --out DIR
    geomatch pair --helpers H.csv --needs N.csv [--arcs A.csv] [--require-all]
                  [--time-limit S] [--locks L.csv] [--previous P.csv] --out DIR

Writes ``pairings.csv``, ``unmet.csv``, ``summary.json`` and ``manifest.json`` into
``DIR`` all-or-nothing. Exit codes: 0 done, 2 bad input (file, row, column named, nothing
written), 3 infeasible as asked (the binding constraint named), 1 anything else.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["AllowUnknown", "register"]

#: ``--allow-unknown`` of ``pair`` and ``check`` (the category vocabulary's escape).
AllowUnknown = Annotated[
    bool,
    typer.Option(
        "--allow-unknown",
        help="未知类别/专长作为独立类别（只与自身匹配）而不报错。",
    ),
]

log = logging.getLogger("geomatch.cli")


def register(app: typer.Typer) -> None:
    """Add ``pair`` to the ``geomatch`` app."""

    @app.command()
    def pair(
        out: Annotated[Path, typer.Option("--out", help="Output folder.")],
        scenario: Annotated[
            str | None,
            typer.Option(
                "--scenario",
                help="Scenario TOML (or a name in solvers/). Alone: pair its dataset; "
                "with --helpers/--needs: use its [pairing] settings on those files.",
            ),
        ] = None,
        helpers: Annotated[
            Path | None, typer.Option("--helpers", help="helpers.csv (helper_id, capacity, …).")
        ] = None,
        needs: Annotated[
            Path | None, typer.Option("--needs", help="needs.csv (need_id, …).")
        ] = None,
        arcs: Annotated[
            Path | None,
            typer.Option(
                "--arcs",
                help="arcs.csv (helper_id, need_id, cost[, load]); without it candidates "
                "come from lon/lat and attributes.",
            ),
        ] = None,
        require_all: Annotated[
            bool, typer.Option("--require-all", help="Every need must be paired (else exit 3).")
        ] = False,
        time_limit: Annotated[
            float | None, typer.Option("--time-limit", help="Solver time limit, seconds.")
        ] = None,
        locks: Annotated[
            Path | None,
            typer.Option("--locks", help="need_id, helper_id pairs to keep as they are."),
        ] = None,
        previous: Annotated[
            Path | None,
            typer.Option(
                "--previous",
                help="A previous pairings.csv: changing one of its pairs costs change_penalty.",
            ),
        ] = None,
        allow_unknown: AllowUnknown = False,
    ) -> None:
        """Pair eastern helpers with western needs at minimum cost (exact min-cost flow,
        CP-SAT for per-pair loads and side constraints)."""
        from geomatch.errors import InputError
        from geomatch.io import read_arcs, read_helpers, read_needs, read_table
        from geomatch.io.output import atomic_output_dir
        from geomatch.manifest import build_manifest
        from geomatch.model.pairing_outputs import summary_line
        from geomatch.model.pairing_settings import PairingSettings
        from geomatch.model.scenario import load_scenario
        from geomatch.progress import cli_progress
        from geomatch.solve.pairing import (
            pair_from_locations,
            run_pairing_scenario,
            solve_pairing,
            write_pairing_outputs,
        )

        if (helpers is None) != (needs is None):
            raise InputError(
                "give both --helpers and --needs (or only --scenario)",
                column="--helpers" if helpers is None else "--needs",
            )
        if scenario is None and helpers is None:
            raise InputError(
                "give --scenario FILE or --helpers H.csv --needs N.csv", column="--scenario"
            )
        if arcs is not None and helpers is None:
            raise InputError("--arcs needs --helpers and --needs", column="--arcs")
        sc = load_scenario(scenario) if scenario is not None else None
        settings = sc.pairing if sc is not None else PairingSettings(relation_mode="ignore")
        if time_limit is not None:
            if time_limit <= 0:
                raise InputError(
                    f"--time-limit must be > 0, got {time_limit}", column="--time-limit"
                )
            settings = settings.model_copy(update={"time_limit_s": time_limit})
        inputs: dict[str, str | Path] = {}
        # read and validate everything before any work
        lock_df = previous_df = None
        if locks is not None:
            lock_df = read_table(locks)
            lock_df.attrs["source"] = str(locks)
            inputs["locks"] = locks
        if previous is not None:
            previous_df = read_table(previous)
            previous_df.attrs["source"] = str(previous)
            inputs["previous"] = previous
        if helpers is not None and needs is not None:
            h = read_helpers(helpers, allow_unknown=allow_unknown)
            n = read_needs(needs, allow_unknown=allow_unknown)
            inputs.update({"helpers": helpers, "needs": needs})
            a = None
            if arcs is not None:
                a = read_arcs(arcs, helper_ids=h["helper_id"], need_ids=n["need_id"])
                inputs["arcs"] = arcs
            if settings.relation_mode == "hard":
                settings = settings.model_copy(update={"relation_mode": "ignore"})
                log.warning(
                    "relation_mode = 'hard' needs the east–west table; ignored for "
                    "bring-your-own files"
                )
            with cli_progress("pairing") as progress:
                if a is None:
                    result = pair_from_locations(
                        h,
                        n,
                        settings.model_copy(update={"relation_mode": "ignore"}),
                        require_all=require_all,
                        locks=lock_df,
                        previous=previous_df,
                        progress=progress,
                        seed=sc.scenario.seed if sc is not None else 0,
                    )
                else:
                    result = solve_pairing(
                        h,
                        n,
                        a,
                        settings,
                        require_all=require_all,
                        locks=lock_df,
                        previous=previous_df,
                        progress=progress,
                        arcs_given=True,
                        seed=sc.scenario.seed if sc is not None else 0,
                    )
        else:
            assert sc is not None
            from geomatch.dataset import load_dataset

            ds = load_dataset(root=sc.data_root)
            inputs["dataset"] = ds.root
            if time_limit is not None:
                sc = sc.model_copy(update={"pairing": settings})
            with cli_progress("pairing") as progress:
                if lock_df is None and previous_df is None and not require_all:
                    result = run_pairing_scenario(ds, sc, progress=progress)
                else:
                    import pandas as pd

                    rel = ds.pairing_relations
                    result = pair_from_locations(
                        pd.DataFrame(ds.helpers.drop(columns="geometry", errors="ignore")),
                        pd.DataFrame(ds.needs.drop(columns="geometry", errors="ignore")),
                        sc.pairing,
                        relations=None if rel is None else pd.DataFrame(rel),
                        require_all=require_all,
                        locks=lock_df,
                        previous=previous_df,
                        progress=progress,
                        seed=sc.scenario.seed,
                    )
        with atomic_output_dir(out) as stage:
            write_pairing_outputs(result, stage)
            from geomatch.io.output import write_json

            write_json(
                build_manifest(
                    command="geomatch pair",
                    inputs=inputs,
                    settings=settings.model_dump(),
                    seed=sc.scenario.seed if sc is not None else None,
                    scenario=sc.name if sc is not None else None,
                    extra={"summary": result.summary},
                ),
                stage / "manifest.json",
            )
        s = result.summary
        typer.echo(summary_line(s, out))
