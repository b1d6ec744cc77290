"""Small synthetic datasets for the tours tests (grids of square counties).

The real mini fixture (tests/fixtures/mini_data) has five counties of one province;
these grids add plateau provinces, closures and fleets too small on purpose.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from types import SimpleNamespace

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely.geometry import box

from geomatch.model.tours_settings import ToursSettings
from geomatch.travel import county_graph


def grid_dataset(
    n: int = 3,
    *,
    province: str = "520000",
    size: float = 0.4,
    origin: tuple[float, float] = (106.0, 26.0),
    last_batch: tuple[str, ...] = (),
    deep: str = "",
) -> SimpleNamespace:
    """``n × n`` poor counties of one province with a museum at the grid's corner."""
    rows = []
    for i in range(n):
        for j in range(n):
            x0, y0 = origin[0] + i * size, origin[1] + j * size
            code = f"{province[:2]}{i}{j}{n:02d}"
            rows.append(
                {
                    "adcode": code,
                    "name": f"county {i},{j}",
                    "province_adcode": province,
                    "province": "p",
                    "seat_lon": x0 + size / 2,
                    "seat_lat": y0 + size / 2,
                    "exit_year": 2020 if code in last_batch else 2018,
                    "last_batch": code in last_batch,
                    "deep_poverty_area": deep,
                    "poor": True,
                    "geometry": box(x0, y0, x0 + size, y0 + size),
                }
            )
    counties = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    museums = pd.DataFrame(
        [
            {
                "province_adcode": province,
                "museum": "m",
                "lon": origin[0] + 0.01,
                "lat": origin[1] + 0.01,
            }
        ]
    )
    return SimpleNamespace(counties=counties, poor_counties=counties, museums=museums)


def closed_days(settings: ToursSettings, adcode: str, province: str, terrain: str) -> set[int]:
    """Closed days of a county, from the settings, recomputed with plain datetime."""
    y = settings.year
    jan1 = dt.date(y, 1, 1)
    out: set[int] = set()
    for c in settings.closures:
        if c.terrain is not None and c.terrain != terrain:
            continue
        if c.province_adcode is not None and c.province_adcode != province:
            continue
        if c.adcodes and adcode not in c.adcodes:
            continue
        sm, sd = map(int, c.start.split("-"))
        em, ed = map(int, c.end.split("-"))
        d = dt.date(y, 1, 1)
        while d.year == y:
            md = (d.month, d.day)
            inside = (
                (sm, sd) <= md <= (em, ed)
                if (sm, sd) <= (em, ed)
                else (md >= (sm, sd) or md <= (em, ed))
            )
            if inside:
                out.add((d - jan1).days)
            d += dt.timedelta(days=1)
    return out


def independent_museum_check(
    visits: pd.DataFrame,
    dataset: SimpleNamespace,
    settings: ToursSettings,
    terrain: dict[str, str],
) -> list[str]:
    """Check museum visits without geomatch's solver code.

    Travel days come from networkx shortest paths (minutes) on the county graph, the
    closures from the settings via plain datetime arithmetic.
    """
    errs: list[str] = []
    g = county_graph(dataset.counties, settings)
    jan1 = dt.date(settings.year, 1, 1)
    E = settings.exhibition_days
    gap = max(settings.min_gap_days, E)
    day_min = settings.working_day_hours * 60
    v = visits.assign(
        s=[(dt.date.fromisoformat(x) - jan1).days for x in visits["start_date"]],
        e=[(dt.date.fromisoformat(x) - jan1).days for x in visits["end_date"]],
    )
    prov = dict(
        zip(dataset.poor_counties["adcode"], dataset.poor_counties["province_adcode"], strict=True)
    )
    for r in v.itertuples(index=False):
        if r.e - r.s + 1 != E:
            errs.append(f"{r.adcode}: {r.e - r.s + 1} days")
        if r.s < 0 or r.e >= (dt.date(settings.year + 1, 1, 1) - jan1).days:
            errs.append(f"{r.adcode}: outside the year")
        closed = closed_days(settings, r.adcode, prov[r.adcode], terrain.get(r.adcode, "mountain"))
        if any(d in closed for d in range(r.s, r.e + 1)):
            errs.append(f"{r.adcode} {r.start_date}: in a closure")
    for set_id, grp in v.sort_values("s").groupby("set_id"):
        rows = list(grp.itertuples(index=False))
        for a, b in itertools.pairwise(rows):
            if b.s <= a.e:
                errs.append(f"{set_id} in two counties at once: {a.adcode}, {b.adcode}")
            if a.adcode != b.adcode:
                minutes = nx.shortest_path_length(g, a.adcode, b.adcode, weight="travel_min")
                if b.s - a.e - 1 < math.ceil(minutes / day_min - 1e-9):
                    errs.append(f"{set_id}: no time to travel {a.adcode} → {b.adcode}")
    for code, grp in v.groupby("adcode"):
        starts = sorted(grp["s"])
        if len(starts) > settings.visits_per_county:
            errs.append(f"{code}: {len(starts)} visits")
        for a, b in itertools.pairwise(starts):
            if b - a < gap:
                errs.append(f"{code}: visits {b - a} days apart")
    return errs
