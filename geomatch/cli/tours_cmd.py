"""``geomatch tours``: museum and caravan schedules of a scenario, the VRPTW core, fleet sizing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from geomatch.model.scenario import Scenario
    from geomatch.solve.tours import ToursResult

__all__ = ["register", "tours_app"]

log = logging.getLogger("geomatch.cli")

tours_app = typer.Typer(
    help=(
        "Mobile science-museum visits and science-caravan day trips of a scenario "
        "(geomatch tours --scenario FILE --out DIR); subcommands: vrptw, fleet."
    ),
)


@tours_app.callback(invoke_without_command=True)
def tours(
    ctx: typer.Context,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Scenario TOML (or a name in solvers/).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder.")] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler (tcp://host:8786) for the provinces and counties; "
            "default: the scenario's tours.workers.",
        ),
    ] = None,
) -> None:
    """Schedule museum visits and caravan trips for every poor county of the scenario."""
    if ctx.invoked_subcommand is not None:
        return
    if scenario is None or out is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    from geomatch.dataset import load_dataset
    from geomatch.model.scenario import load_scenario
    from geomatch.progress import cli_progress
    from geomatch.scale.executor import open_executor
    from geomatch.solve.tours import run_tours_scenario

    sc = load_scenario(scenario)
    ds = load_dataset(root=sc.data_root)
    with (
        open_executor(scheduler=scheduler, workers=sc.tours.workers) as ex,
        cli_progress("tours") as progress,
    ):
        result = run_tours_scenario(ds, sc, progress=progress, executor=ex)
    _write_schedules(out, sc, ds.root, result)
    s = result.summary
    typer.echo(
        f"museum visits {s['museum_visits']} of {s['museum_visits_required']}, "
        f"caravan stops {s['caravan_stops_served']} of {s['caravan_stops']}, "
        f"unmet {s['unmet']}; written to {out}"
    )


def _write_schedules(out: Path, sc: Scenario, data: Path, result: ToursResult) -> None:
    """The tours' run tables (``museum_visits``, ``caravan_tours``, their ``unmet`` rows),
    ``tours_summary.json`` and ``manifest.json``, all-or-nothing."""
    from geomatch.manifest import build_manifest
    from geomatch.run_result import JSON_FILES, write_tables

    manifest = build_manifest(
        command="geomatch tours",
        inputs={"scenario": sc.source, "data": data},
        settings=sc.model_dump(exclude={"source"}),
        seed=sc.scenario.seed,
        scenario=sc.name,
    )
    write_tables(
        out,
        {
            "museum_visits": result.museum_visits,
            "caravan_tours": result.caravan_tours,
            "unmet": result.unmet,
        },
        {JSON_FILES["tours_summary"]: result.summary, JSON_FILES["manifest"]: manifest},
    )


@tours_app.command("vrptw")
def vrptw(
    solomon: Annotated[Path, typer.Option("--solomon", help="Instance in Solomon text format.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds.")] = 10.0,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="ortools, pyvrp, vroom or portfolio (default: portfolio if PyVRP is installed).",
        ),
    ] = "",
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Solve a standard VRPTW instance; writes routes.csv and summary.json."""
    import pandas as pd

    from geomatch.errors import InputError
    from geomatch.io.output import atomic_output_dir, write_csv, write_json
    from geomatch.solve.vrptw import read_solomon, solve_vrptw

    if backend not in ("", "ortools", "pyvrp", "vroom", "portfolio"):
        raise InputError(f"--backend must be ortools, pyvrp, vroom or portfolio, got {backend!r}")
    problem = read_solomon(solomon)
    sol = solve_vrptw(
        problem,
        time_limit_s=time_limit,
        backend=backend or None,  # type: ignore[arg-type]
        seed=seed,
    )
    rows = [
        {"vehicle": v + 1, "seq": k + 1, "stop_id": problem.node_ids[node]}
        for v, route in enumerate(sol.routes)
        for k, node in enumerate(route)
    ]
    with atomic_output_dir(out) as stage:
        write_csv(pd.DataFrame(rows, columns=["vehicle", "seq", "stop_id"]), stage / "routes.csv")
        write_json(
            {
                "instance": problem.name,
                "distance": round(sol.distance, 6),
                "vehicles": sol.vehicles,
                "feasible": sol.feasible and not sol.unserved,
                "unserved": len(sol.unserved),
                "violations": list(sol.violations),
                "seconds": round(sol.seconds, 3),
                "backend": sol.backend,
                "time_limit_s": time_limit,
            },
            stage / "summary.json",
        )
    typer.echo(
        f"{problem.name}: {sol.vehicles} vehicles, distance {sol.distance:.2f}, "
        f"feasible {sol.feasible and not sol.unserved} ({sol.backend}, {sol.seconds:.1f} s)"
    )


@tours_app.command("fleet")
def fleet(
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario TOML (or a name).")],
    province: Annotated[str, typer.Option("--province", help="Province adcode, e.g. 520000.")],
    max_sets: Annotated[int, typer.Option("--max-sets", help="Largest fleet tried.")] = 40,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds per fleet size tried.")
    ] = None,
) -> None:
    """How many exhibition sets does this province need for two visits in every poor county?"""
    from geomatch.dataset import load_dataset
    from geomatch.model.scenario import load_scenario
    from geomatch.solve.museum import min_fleet

    sc = load_scenario(scenario)
    ds = load_dataset(root=sc.data_root)
    res = min_fleet(ds, sc.tours, province, max_sets=max_sets, time_limit_s=time_limit)
    if res.sets is None:
        typer.echo(
            f"province {province}: no fleet up to {max_sets} sets covers every county "
            f"({res.reason})"
        )
        raise typer.Exit(3)
    typer.echo(
        f"province {province}: {res.sets} exhibition set(s) give every one of its "
        f"{res.counties} poor counties its {sc.tours.visits_per_county} visits"
        + (f" ({res.season_closed} visit(s) impossible in season)" if res.season_closed else "")
        + f"; workload bound {res.lower_bound}, fleets tried {list(res.tried)}"
    )


def register(app: typer.Typer) -> None:
    """Add ``geomatch tours``."""
    app.add_typer(tours_app, name="tours")
