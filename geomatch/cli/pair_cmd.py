"""``geomatch pair``: pair helpers with needs (a scenario, or bring-your-own CSV files).

::

    geomatch pair --scenario solvers/national.toml --out DIR
    geomatch pair --helpers H.csv --needs N.csv [--arcs A.csv] [--require-all]
                  [--time-limit S] [--locks L.csv] [--previous P.csv] --out DIR

Writes the pairing's run tables ``pairings.csv``, ``unmet.csv``, ``unmet_summary.csv``
with ``summary.json`` and ``manifest.json`` into ``DIR`` all-or-nothing
(:func:`geomatch.run_result.write_run`: a run folder ``read_run`` reads). Exit codes: 0
done, 2 bad input (file, row, column named, nothing written), 3 infeasible as asked (the
binding constraint named), 1 anything else.

The command reads as its steps: check the options (:func:`_check_options`), read and
validate every input before any work (:func:`_read_inputs`), pair the files or the
scenario's dataset (:func:`_pair_files`, :func:`_pair_scenario`), write the run folder
(:func:`_write_run`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

    from geomatch.dataset import Dataset
    from geomatch.model.pairing_settings import PairingSettings
    from geomatch.model.scenario import Scenario
    from geomatch.progress import ProgressCallback
    from geomatch.solve.pairing import PairingResult

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


@dataclass(frozen=True)
class _Files:
    """The bring-your-own files, read and validated."""

    helpers: pd.DataFrame
    needs: pd.DataFrame
    arcs: pd.DataFrame | None


@dataclass(frozen=True)
class _Inputs:
    """Everything ``geomatch pair`` was given, read and validated before any work.

    Attributes
    ----------
    scenario
        The scenario (``--scenario``), or ``None``.
    settings
        The pairing settings in force (the scenario's, ``--time-limit`` applied; for
        files, ``relation_mode`` never ``hard``).
    locks, previous
        ``--locks`` and ``--previous`` tables (their file in ``attrs["source"]``).
    files
        The bring-your-own helpers, needs and arcs, or ``None`` for the scenario's dataset.
    paths
        Role → path of each input, for the manifest (in the order they were read).
    """

    scenario: Scenario | None
    settings: PairingSettings
    locks: pd.DataFrame | None
    previous: pd.DataFrame | None
    files: _Files | None
    paths: dict[str, str | Path] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        """The scenario's seed (0 without a scenario)."""
        return self.scenario.scenario.seed if self.scenario is not None else 0


@dataclass(frozen=True)
class _Paired:
    """The pairing and the dataset it was made on (``None`` for bring-your-own files)."""

    result: PairingResult
    dataset: Dataset | None


def _check_options(
    scenario: str | None, helpers: Path | None, needs: Path | None, arcs: Path | None
) -> None:
    """The combinations of input options ``pair`` accepts (else ``InputError``)."""
    from geomatch.errors import InputError

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


def _settings(
    sc: Scenario | None, time_limit: float | None, rounds: int | None, gap: float | None
) -> PairingSettings:
    """The scenario's pairing settings (defaults without one) with ``--time-limit``,
    ``--rounds`` (0: no round budget, until the proof or the time limit) and ``--gap``."""
    from geomatch.errors import InputError
    from geomatch.model.pairing_settings import PairingSettings

    settings = sc.pairing if sc is not None else PairingSettings(relation_mode="ignore")
    update: dict[str, float | int | None] = {}
    if time_limit is not None:
        if time_limit <= 0:
            raise InputError(f"--time-limit must be > 0, got {time_limit}", column="--time-limit")
        update["time_limit_s"] = time_limit
    if rounds is not None:
        if rounds < 0:
            raise InputError(f"--rounds must be ≥ 0, got {rounds}", column="--rounds")
        update["max_rounds"] = rounds or None
    if gap is not None:
        if not 0 <= gap < 1:
            raise InputError(f"--gap must be in [0, 1), got {gap}", column="--gap")
        update["relative_gap"] = gap
    return settings.model_copy(update=update)


def _read_plan(path: Path | None, role: str, paths: dict[str, str | Path]) -> pd.DataFrame | None:
    """``--locks`` or ``--previous`` as a table that remembers its file."""
    if path is None:
        return None
    from geomatch.io import read_table

    table = read_table(path)
    table.attrs["source"] = str(path)
    paths[role] = path
    return table


def _read_files(
    helpers: Path, needs: Path, arcs: Path | None, allow_unknown: bool, paths: dict[str, str | Path]
) -> _Files:
    """The bring-your-own helpers, needs and arcs, validated (file, row, column named)."""
    from geomatch.io import read_arcs, read_helpers, read_needs

    h = read_helpers(helpers, allow_unknown=allow_unknown)
    n = read_needs(needs, allow_unknown=allow_unknown)
    paths.update({"helpers": helpers, "needs": needs})
    a = None
    if arcs is not None:
        a = read_arcs(arcs, helper_ids=h["helper_id"], need_ids=n["need_id"])
        paths["arcs"] = arcs
    return _Files(h, n, a)


def _read_inputs(
    scenario: str | None,
    helpers: Path | None,
    needs: Path | None,
    arcs: Path | None,
    *,
    time_limit: float | None,
    rounds: int | None,
    gap: float | None,
    locks: Path | None,
    previous: Path | None,
    allow_unknown: bool,
) -> _Inputs:
    """Check the options and read every input (nothing is solved before this succeeds)."""
    from geomatch.model.scenario import load_scenario

    _check_options(scenario, helpers, needs, arcs)
    sc = load_scenario(scenario) if scenario is not None else None
    settings = _settings(sc, time_limit, rounds, gap)
    paths: dict[str, str | Path] = {}
    lock_df = _read_plan(locks, "locks", paths)
    previous_df = _read_plan(previous, "previous", paths)
    files = None
    if helpers is not None and needs is not None:
        files = _read_files(helpers, needs, arcs, allow_unknown, paths)
        if settings.relation_mode == "hard":
            settings = settings.model_copy(update={"relation_mode": "ignore"})
            log.warning(
                "relation_mode = 'hard' needs the east–west table; ignored for bring-your-own files"
            )
    return _Inputs(sc, settings, lock_df, previous_df, files, paths)


def _pair_files(inp: _Inputs, files: _Files, require_all: bool) -> _Paired:
    """Pair bring-your-own files: candidates from locations, or the given arcs."""
    from geomatch.progress import cli_progress
    from geomatch.solve.pairing import pair_from_locations, solve_pairing

    with cli_progress("pairing") as progress:
        if files.arcs is None:
            result = pair_from_locations(
                files.helpers,
                files.needs,
                inp.settings.model_copy(update={"relation_mode": "ignore"}),
                require_all=require_all,
                locks=inp.locks,
                previous=inp.previous,
                progress=progress,
                seed=inp.seed,
            )
        else:
            result = solve_pairing(
                files.helpers,
                files.needs,
                files.arcs,
                inp.settings,
                require_all=require_all,
                locks=inp.locks,
                previous=inp.previous,
                progress=progress,
                arcs_given=True,
                seed=inp.seed,
            )
    return _Paired(result, None)


def _pair_scenario(inp: _Inputs, sc: Scenario, require_all: bool) -> _Paired:
    """Pair the scenario's dataset (``run_pairing_scenario`` unless locks, a previous plan
    or ``--require-all`` ask for the general call)."""
    from geomatch.dataset import load_dataset
    from geomatch.progress import cli_progress

    ds = load_dataset(root=sc.data_root)
    sc = sc.model_copy(update={"pairing": inp.settings})
    with cli_progress("pairing") as progress:
        if inp.locks is None and inp.previous is None and not require_all:
            from geomatch.solve.pairing import run_pairing_scenario

            return _Paired(run_pairing_scenario(ds, sc, progress=progress), ds)
        return _Paired(_pair_dataset(ds, sc, inp, require_all, progress), ds)


def _pair_dataset(
    ds: Dataset, sc: Scenario, inp: _Inputs, require_all: bool, progress: ProgressCallback
) -> PairingResult:
    """The dataset's helpers and needs through the general pairing call."""
    import pandas as pd

    from geomatch.solve.pairing import pair_from_locations

    rel = ds.pairing_relations
    return pair_from_locations(
        pd.DataFrame(ds.helpers.drop(columns="geometry", errors="ignore")),
        pd.DataFrame(ds.needs.drop(columns="geometry", errors="ignore")),
        sc.pairing,
        relations=None if rel is None else pd.DataFrame(rel),
        require_all=require_all,
        locks=inp.locks,
        previous=inp.previous,
        progress=progress,
        seed=sc.scenario.seed,
    )


def _write_run(out: Path, inp: _Inputs, paired: _Paired) -> None:
    """The pairing's run folder: its tables, the shortfall per county (the coverage stage's
    one aggregation, :func:`geomatch.render.shortfall.summarise_unmet`), summary, manifest."""
    from geomatch.manifest import build_manifest
    from geomatch.render.shortfall import summarise_unmet
    from geomatch.run_result import RunResult, write_run

    result, ds = paired.result, paired.dataset
    paths = dict(inp.paths)
    if ds is not None:
        from geomatch.render.units import unit_names

        paths["dataset"] = ds.root
        needs, names = ds.needs, unit_names(ds)
    else:
        needs, names = (inp.files.needs if inp.files is not None else None), None
    shortfall = summarise_unmet(result.unmet, needs, names=names, radius_km=inp.settings.radius_km)
    manifest = build_manifest(
        command="geomatch pair",
        inputs=paths,
        settings=inp.settings.model_dump(),
        seed=inp.scenario.scenario.seed if inp.scenario is not None else None,
        scenario=inp.scenario.name if inp.scenario is not None else None,
        extra={"summary": result.summary},
    )
    tables = {"pairings": result.pairings, "unmet": result.unmet, "unmet_summary": shortfall}
    if ds is None and needs is not None:  # the planner's own columns travel with the rows
        from geomatch.model.run_tables import carried_need_columns, carry_need_columns

        if carried := carried_need_columns(needs):
            log.info(
                "needs columns carried onto pairings.csv and unmet.csv: %s", ", ".join(carried)
            )
        for name in ("pairings", "unmet"):
            tables[name] = carry_need_columns(tables[name], name, needs)
    write_run(RunResult.of(tables, summary=result.summary, manifest=manifest), out)


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
    needs: Annotated[Path | None, typer.Option("--needs", help="needs.csv (need_id, …).")] = None,
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
    rounds: Annotated[
        int | None,
        typer.Option(
            "--rounds",
            help="Pricing rounds at most (0: until the optimum is proven or the time "
            "limit; default: the scenario's max_rounds). 定价轮数上限，0 表示直到证明最优。",
        ),
    ] = None,
    gap: Annotated[
        float | None,
        typer.Option(
            "--gap",
            help="Stop the exact pairing (and CP-SAT) once the plan is proven within this "
            "relative gap of the optimum, e.g. 0.001 (status feasible with its bound). "
            "达到该相对间隙即停止，例如 0.001。",
        ),
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
    from geomatch.model.pairing_outputs import summary_line

    inp = _read_inputs(
        scenario,
        helpers,
        needs,
        arcs,
        time_limit=time_limit,
        rounds=rounds,
        gap=gap,
        locks=locks,
        previous=previous,
        allow_unknown=allow_unknown,
    )
    if inp.files is not None:
        paired = _pair_files(inp, inp.files, require_all)
    else:
        assert inp.scenario is not None  # _check_options: a scenario without files
        paired = _pair_scenario(inp, inp.scenario, require_all)
    _write_run(out, inp, paired)
    typer.echo(summary_line(paired.result.summary, out))


def register(app: typer.Typer) -> None:
    """Add ``pair`` to the ``geomatch`` app."""
    app.command()(pair)
