"""Facts of the built national dataset checked against the public record (issue 15).

Each test pins one fact of ``data/`` (built by ``make data``) and reads only the
repository: the built files and ``data/raw``. The second seat source and the de-facto
boundary come from ``data/raw`` directly, not from the build's own output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geomatch.databuild.administered import foreign_polygons
from geomatch.databuild.build import default_reference_dir
from geomatch.databuild.regions import DEEP_POVERTY_AREAS
from geomatch.databuild.seats import haversine_km
from geomatch.dataset import Dataset, load_dataset
from geomatch.settings import REPO_ROOT

REAL_DATA = REPO_ROOT / "data"
RAW = REAL_DATA / "raw"

pytestmark = pytest.mark.skipif(
    not (REAL_DATA / "counties.parquet").is_file(), reason="data/ not built (make data)"
)


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(REAL_DATA, cache=False)


@pytest.fixture(scope="module")
def poor(ds: Dataset) -> pd.DataFrame:
    return pd.DataFrame(ds.poor_counties.drop(columns="geometry"))


def _raw(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name, dtype=str, keep_default_na=False)


def test_build_reads_only_the_repository() -> None:
    assert default_reference_dir() == REPO_ROOT / "data" / "raw"


# -- 1. 三区三州 ---------------------------------------------------------------------------


def test_every_poor_county_of_sanqu_sanzhou_names_its_part(poor: pd.DataFrame) -> None:
    counts = poor["deep_poverty_area"].value_counts().to_dict()
    # rows (冷湖 and 茫崖 share 632803, both in 四省涉藏州县)
    assert counts == {
        "西藏": 74,
        "四省涉藏州县": 77,
        "南疆四地州": 26,
        "凉山州": 10,
        "临夏州": 8,
        "怒江州": 4,
        "": 633,
    }
    assert set(counts) - {""} == set(DEEP_POVERTY_AREAS)
    pref = poor["adcode"].str[:4]
    # every poor county of the three 州 and of 阿克苏 has its part; 木里 is counted once
    for code, part in (("6229", "临夏州"), ("5333", "怒江州"), ("6529", "南疆四地州")):
        assert (poor.loc[pref == code, "deep_poverty_area"] == part).all(), code
    liangshan = poor[pref == "5134"].set_index("adcode")["deep_poverty_area"]
    assert liangshan.pop("513422") == "四省涉藏州县"
    assert (liangshan == "凉山州").all() and len(liangshan) == 10


def test_contiguous_area_is_a_separate_column(poor: pd.DataFrame) -> None:
    counts = poor["contiguous_area"].value_counts().to_dict()
    assert counts == {"西藏区": 74, "四省藏区": 77, "新疆南疆三地州": 24, "": 657}
    aksu = poor[poor["adcode"].str[:4] == "6529"]
    assert (aksu["contiguous_area"] == "").all()


# -- 2. exit years -----------------------------------------------------------------------


def test_exit_years_match_the_official_batches(poor: pd.DataFrame) -> None:
    totals = poor["exit_year"].value_counts().sort_index().to_dict()
    assert totals == {2016: 28, 2017: 125, 2018: 283, 2019: 344, 2020: 52}
    shuangbai = poor[poor["adcode"] == "532322"]
    assert shuangbai["exit_year"].tolist() == [2018]
    assert shuangbai["exit_year_source"].str.contains("2019-04-30").all()
    yunnan = poor[poor["province_adcode"] == "530000"]["exit_year"].value_counts().to_dict()
    assert (yunnan[2018], yunnan[2019]) == (33, 31)


def test_the_last_52_by_province(poor: pd.DataFrame) -> None:
    last = poor[poor["last_batch"]]
    assert (last["exit_year"] == 2020).all()
    by_province = last.groupby("province").size().to_dict()
    assert by_province == {
        "贵州省": 9,
        "云南省": 9,
        "四川省": 7,
        "甘肃省": 8,
        "广西壮族自治区": 8,
        "新疆维吾尔自治区": 10,
        "宁夏回族自治区": 1,
    }


# -- 3. county seats ---------------------------------------------------------------------


def test_seats_are_real_where_a_source_has_one(ds: Dataset, poor: pd.DataFrame) -> None:
    counties = ds.counties
    assert set(counties["seat_source"]) == {"cpca", "china-region", "inscribed"}
    assert (counties["seat_source"] != "inscribed").mean() > 0.98
    # only 茫崖 and 大柴旦 (行委) have no public seat
    inscribed = poor.loc[poor["seat_source"] == "inscribed", "adcode"]
    assert set(inscribed) == {"632803", "632857"}
    # 盘州市 (520281) by the seat of its former unit 盘县 (520222), inside its polygon
    panzhou = counties[counties["adcode"] == "520281"]
    assert panzhou["seat_key"].tolist() == ["cpca:520222 盘县"]
    # 治多 (玉树): the county town 加吉博洛镇, not the middle of its 80,000 km²
    zhiduo = poor[poor["adcode"] == "632724"].iloc[0]
    km = haversine_km(zhiduo["seat_lon"], zhiduo["seat_lat"], np.float64(95.62), np.float64(33.85))
    assert km < 3


def test_seats_agree_with_a_second_source(ds: Dataset) -> None:
    """The primary seats against ``china-region``'s (by province and county name)."""
    second = _raw("china_region_region.csv").drop_duplicates(["province", "county"], keep=False)
    c = ds.counties[ds.counties["seat_source"] == "cpca"]
    both = c.merge(second, left_on=["province", "name"], right_on=["province", "county"])
    assert len(both) > 2000
    km = haversine_km(
        both["seat_lon"].to_numpy(float),
        both["seat_lat"].to_numpy(float),
        both["longitude"].astype(float).to_numpy(),
        both["latitude"].astype(float).to_numpy(),
    )
    assert np.median(km) < 2.0  # china-region rounds to 0.01°
    assert np.quantile(km, 0.99) < 20
    # the largest gaps are seats that moved (北川 after 2008, 苍梧 in 2013 …)
    assert km.max() < 60


def test_seat_and_townships_of_poor_counties_inside(ds: Dataset) -> None:
    poor = ds.poor_counties
    assert shapely.contains_xy(poor.geometry.to_numpy(), poor["seat_lon"], poor["seat_lat"]).all()
    # the lowest township code (the seat town) sits at the real seat
    t = ds.townships.sort_values("code").drop_duplicates("county_adcode")
    seat = poor.drop_duplicates("adcode").set_index("adcode")
    t = t[t["county_adcode"].isin(seat.index[seat["seat_source"] != "inscribed"])]
    s = seat.loc[t["county_adcode"]]
    km = haversine_km(
        t["lon"].to_numpy(float),
        t["lat"].to_numpy(float),
        s["seat_lon"].to_numpy(float),
        s["seat_lat"].to_numpy(float),
    )
    assert np.median(km) == 0 and np.quantile(km, 0.95) < 1.0


def test_no_point_across_the_line_of_actual_control(ds: Dataset) -> None:
    india = foreign_polygons(RAW)
    shapely.prepare(india)
    # 错那 墨脱 察隅 隆子 米林 札达
    cut = {"540581", "540423", "540425", "540529", "540481", "542522"}
    assert set(ds.counties.loc[ds.counties["foreign_share"] > 0, "adcode"]) == cut
    for layer, col in (("townships", "county_adcode"), ("villages", "county_adcode")):
        pts = getattr(ds, layer)
        pts = pts[pts[col].isin(cut)]
        assert len(pts) > 0
        assert not shapely.contains_xy(india, pts["lon"], pts["lat"]).any(), layer
    needs = ds.needs[ds.needs["adcode"].isin(cut)]
    assert len(needs) > 0 and not shapely.contains_xy(india, needs["lon"], needs["lat"]).any()


# -- 4. partners -------------------------------------------------------------------------


def test_partners_most_specific_row_wins(poor: pd.DataFrame) -> None:
    one = poor.drop_duplicates("adcode").set_index("adcode")
    assert set(one["partner_level"]) == {"county", "prefecture", "province", ""}
    # 凉山 (佛山 helps the prefecture) no longer also gets 浙江 (helps 四川 as a whole)
    liangshan = one[one.index.str[:4] == "5134"].drop(index="513422")
    assert (liangshan["partner_provinces"] == "440000").all()
    assert (liangshan["partner_level"] == "prefecture").all()
    assert one.at["513422", "partner_provinces"] == "330000"  # 木里: its own county row
    # 中山 helps four 昭通 counties by name; 上海 the rest of 云南
    assert one.at["530623", "partner_units"] == "中山市"  # 盐津
    # two helping provinces only where the record names two for the same unit: the
    # prefectures of 西藏 (before this rule, 67 counties got a province row and a more
    # specific row of another province)
    two = one[one["partner_provinces"].str.contains(";")]
    assert set(two["province_adcode"]) == {"540000"}


def test_the_solver_reads_the_same_partners(ds: Dataset, poor: pd.DataFrame) -> None:
    """The candidate builder's relation map applies the same precedence as the data."""
    from geomatch.candidates import relation_provinces

    one = poor.drop_duplicates("adcode")
    got = relation_provinces(one["adcode"], pd.DataFrame(ds.pairing_relations))
    assert one["adcode"].map(got).tolist() == one["partner_provinces"].tolist()


def test_counterpart_support_covers_tibet_xinjiang_and_tibetan_areas(poor: pd.DataFrame) -> None:
    one = poor.drop_duplicates("adcode")
    has = one["partner_level"] != ""
    by_prov = one.assign(has=has).groupby("province_adcode")["has"].agg(["sum", "size"])
    for prov in ("540000", "650000", "630000", "520000", "530000", "510000", "620000"):
        assert by_prov.at[prov, "sum"] == by_prov.at[prov, "size"], prov
    tibetan = one[one["deep_poverty_area"] == "四省涉藏州县"]
    assert (tibetan["partner_mechanisms"].str.contains("counterpart_support")).all()
    assert int(has.sum()) == 611
    # the 220 without a partner: central provinces, 海南 and the 河北 counties outside
    # 张家口/承德/保定 — none of them was in the east–west pairing or 对口支援
    none = set(one.loc[~has, "province_adcode"])
    assert none == {
        "130000", "140000", "220000", "230000", "340000", "360000",
        "410000", "420000", "430000", "460000",
    }  # fmt: skip


def test_every_relation_row_carries_evidence_and_document(ds: Dataset) -> None:
    rel = ds.pairing_relations
    assert rel["mechanism"].value_counts().to_dict() == {"counterpart_support": 69, "east_west": 45}
    assert (rel["evidence"] != "").all() and (rel["framework"] != "").all()
    cs = rel[rel["mechanism"] == "counterpart_support"]
    assert set(cs["evidence"]) == {
        "framework_widely_reported",
        "county_level_recalled",
        "recalled_unverified",
    }
    # 17 provinces support the 7 prefectures of 西藏
    tibet = cs[cs["west_province_adcode"] == "540000"]
    assert tibet["east_province_adcode"].nunique() == 17
    assert tibet["west_adcode"].nunique() == 7


# -- 5. museums in time ------------------------------------------------------------------


def _open_on(museums: pd.DataFrame, day: str) -> pd.DataFrame:
    start, until = museums["available_from"], museums["available_until"]
    return museums[((start == "") | (start <= day)) & ((until == "") | (until >= day))]


def test_museums_carry_their_opening(ds: Dataset) -> None:
    m = ds.museums
    gansu = m[(m["province_adcode"] == "620000") & (m["kind"] == "museum")].iloc[0]
    assert (gansu["museum"], gansu["opened"]) == ("甘肃科技馆", "2017-12-28")
    hainan = m[(m["province_adcode"] == "460000") & (m["kind"] == "museum")].iloc[0]
    assert hainan["available_from"] >= "2025"
    for year in range(2016, 2021):
        for day in (f"{year}-01-01", f"{year}-12-31"):
            open_ = _open_on(m, day)
            # exactly one place bases each province's sets on every day
            assert open_["province_adcode"].value_counts().eq(1).all(), day
            assert open_["province_adcode"].nunique() == 31, day
            hn = open_[open_["province_adcode"] == "460000"]
            assert hn["kind"].tolist() == ["depot"], day  # 海南 had no museum
    assert _open_on(m, "2017-06-30").query("province_adcode == '620000'")["kind"].tolist() == [
        "depot"
    ]
    assert _open_on(m, "2018-01-01").query("province_adcode == '620000'")["kind"].tolist() == [
        "museum"
    ]
    # the row in use during the programme comes first (consumers that take the first row)
    first = m.drop_duplicates("province_adcode")
    assert (first.loc[first["province_adcode"] == "460000", "kind"] == "depot").all()


# -- 6. rural needs, helpers outside poor counties ---------------------------------------


def test_needs_only_on_rural_units(ds: Dataset) -> None:
    t, v, n = ds.townships, ds.villages, ds.needs
    urban = set(t.loc[t["urban_rural"] == "urban", "code"]) | set(
        v.loc[v["urban_rural"] == "urban", "code"]
    )
    assert len(urban) > 10_000
    assert not n["unit_code"].isin(urban).any()
    # the classes follow the NBS code rules
    assert (t.loc[t["code"].str[6:9] < "100", "urban_rural"] == "urban").all()
    assert (v.loc[v["code"].str[9:12] < "200", "urban_rural"] == "urban").all()
    village = v["name"].str.endswith("村委会") & (v["code"].str[9:12] >= "200")
    assert (v.loc[village, "urban_rural"] == "rural").all()  # 社区村委会 too


def test_helpers_never_inside_a_poor_county(ds: Dataset) -> None:
    poor = shapely.union_all(ds.poor_counties.geometry.to_numpy())
    shapely.prepare(poor)
    h = ds.helpers
    assert not shapely.contains_xy(poor, h["lon"], h["lat"]).any()
    assert h["capacity"].sum() < len(ds.needs)


# -- 7. one code vintage -----------------------------------------------------------------


def test_codes_and_names_in_one_vintage(ds: Dataset) -> None:
    nbs = set(_raw("townships_nbs2023.csv")["areaCode"])
    counties = ds.counties.set_index("adcode")
    assert set(counties.index) <= nbs
    recodes = _raw("county_recodes.csv")
    assert len(recodes) == 14
    for row in recodes.itertuples(index=False):
        assert counties.at[row.adcode, "adcode_cnmaps"] == row.adcode_cnmaps
        assert counties.at[row.adcode, "name"] == row.name
    for code, name in (("540481", "米林市"), ("540581", "错那市"), ("632857", "大柴旦行政委员会")):
        assert counties.at[code, "name"] == name


def test_prefecture_seats_are_the_city_governments(ds: Dataset) -> None:
    pref = ds.prefectures.set_index("adcode")
    # 重庆: 渝中区, not 万州 (224 km away)
    assert pref.at["500100", "seat_adcode"] == "500103"
    assert pref.at["330100", "seat_adcode"] in {"330102", "330105", "330106"}
    assert shapely.contains_xy(pref.geometry.to_numpy(), pref["seat_lon"], pref["seat_lat"]).all()
    # helpers live at their own city's seat
    h = ds.helpers
    polys = pref.loc[h["city_adcode"], "geometry"].to_numpy()
    assert shapely.contains_xy(polys, h["lon"], h["lat"]).all()


def test_provenance_names_every_raw_file() -> None:
    text = (RAW / "PROVENANCE.md").read_text(encoding="utf-8")
    for path in sorted(Path(RAW).iterdir()):
        if path.name != "PROVENANCE.md":
            assert path.name in text, path.name
